/**
 * How events become rows of the Audit Events view (src/views/eventRows.ts): plain Node, no VS Code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent, AuditObject } from '../../src/core/types';
import { markdownText } from '../../src/views/escape';
import { ausearchCommand, eventFacts, eventRow, eventTooltip, shellQuote, userName } from '../../src/views/eventRows';

function obj(role: AuditObject['role'], p: string | null): AuditObject {
  return { role, path: p, confidence: 'exact', inode: '1', dev: 'fe:00', type: 'file' };
}

function event(over: Partial<AuditEvent> = {}, proc: Partial<AuditEvent['process']> = {}): AuditEvent {
  return {
    id: '1795833698.437:893',
    serial: 893,
    time: '2026-11-28T02:41:38.437Z',
    timeMs: Date.parse('2026-11-28T02:41:38.437Z'),
    node: null,
    keys: ['k'],
    recordTypes: ['SYSCALL', 'CWD', 'PATH', 'PATH', 'PROCTITLE'],
    syscall: 'unlinkat',
    arch: 'x86_64',
    success: true,
    exit: 0,
    errno: null,
    action: 'deleted',
    watchRemoved: false,
    process: {
      pid: 10, ppid: 1, comm: 'rm', exe: '/usr/bin/rm', cwd: '/', argv: ['rm', '/v/a.txt'], uid: 0, user: 'root',
      euid: 0, euser: 'root', gid: 0, group: 'root', auid: null, loginUser: null, tty: null, ses: null, ...proc,
    },
    objects: [obj('parent', '/v'), obj('deleted', '/v/a.txt')],
    source: { file: '/var/log/audit/audit.log', line: 12, offset: 3456 },
    records: [],
    ...over,
  };
}

const NOW = Date.parse('2026-11-28T02:43:38.437Z');

test('a deletion shows the file name, then "deleted by prog (pid) · user · time"', () => {
  const r = eventRow(event(), NOW);
  assert.equal(r.kind, 'deleted');
  assert.equal(r.label, 'a.txt');
  assert.equal(r.description, 'deleted by rm (10) · root · 2 min ago');
  assert.equal(eventRow(event(), NOW, true).description, 'deleted by rm (10) · root · 2 min ago · in /v');
});

test('a failed attempt says so first with its errno, whatever its action', () => {
  const r = eventRow(event({ success: false, exit: -13, errno: 'EACCES' }, { user: 'nobody', uid: 65534 }), NOW);
  assert.equal(r.kind, 'failed');
  assert.match(r.description, /^failed deletion \(EACCES\) by rm \(10\) · nobody · /);
  const mv = eventRow(event({ success: false, action: 'renamed', errno: 'EEXIST', objects: [obj('source', '/v/a'), obj('destination', '/v/b')] }), NOW);
  assert.match(mv.description, /^failed rename \(EEXIST\) by rm \(10\)/);
});

test('a rename away names where it went; a rename over a file is about the file it destroyed', () => {
  const away = eventRow(event({ action: 'renamed', syscall: 'renameat', objects: [obj('source', '/v/new.txt'), obj('destination', '/w/old.txt')] }), NOW);
  assert.equal(away.kind, 'renamed');
  assert.equal(away.label, 'new.txt');
  assert.match(away.description, /^renamed to \/w\/old\.txt by rm \(10\) · /);
  const over = eventRow(event({ action: 'renamed', objects: [obj('source', '/v/new.txt'), obj('destination', '/v/old.txt'), obj('replaced', '/v/old.txt')] }), NOW);
  assert.equal(over.kind, 'replaced');
  assert.equal(over.label, 'old.txt');
  assert.match(over.description, /^replaced by rm \(10\) with new\.txt · /);
});

test('a deleted folder, a removed watch and an event without a name each read as such', () => {
  assert.equal(eventRow(event({ objects: [{ ...obj('deleted', '/v/d'), type: 'dir' }] }), NOW).kind, 'folderDeleted');
  assert.match(eventRow(event({ watchRemoved: true }), NOW).description, /^watch removed by rm \(10\) · /);
  assert.equal(eventRow(event({ objects: [obj('deleted', null)] }), NOW).label, '(unknown path)');
});

test('names the login user when someone else logged in, and falls back to numbers', () => {
  assert.equal(userName(event({}, { auid: 1000, loginUser: 'alice' })), 'alice as root');
  assert.equal(userName(event({}, { user: null, uid: 7, auid: null })), 'uid 7');
});

test('tooltip facts carry the raw values, including the record location and the parent chain', () => {
  const facts = new Map(eventFacts(event({}, { parents: [{ pid: 1, comm: 'bash', exe: '/bin/bash', argv: ['bash'] }] })));
  assert.equal(facts.get('Exe'), '/usr/bin/rm');
  assert.equal(facts.get('Command'), 'rm /v/a.txt');
  assert.equal(facts.get('Login user'), 'unset');
  assert.equal(facts.get('Parents'), '/bin/bash (1)');
  assert.equal(facts.get('Source'), '/var/log/audit/audit.log:12');
  assert.match(facts.get('Object (deleted)')!, /^\/v\/a\.txt \[file, inode 1, dev fe:00, exact\]$/);
});

test('a name with a newline or a bidi override cannot break or reorder the row, and a guessed path says so', () => {
  const odd = event({ objects: [{ ...obj('deleted', '/v/evil\nname\u202etxt.exe'), confidence: 'uncertain' }] });
  const row = eventRow(odd, NOW);
  assert.equal(row.label, 'evil\\nname\\u202etxt.exe');
  assert.ok(row.description.startsWith('path uncertain · deleted by rm'), row.description);
  assert.ok(!eventRow(event(), NOW).description.includes('uncertain'));
});

test('Markdown escaping: HTML, links, bare URLs, e-mail addresses and emphasis in names stay text', () => {
  const html = markdownText('<img src=x onerror=alert(1)>.txt');
  assert.equal(html, '\\<img src\\=x onerror\\=alert\\(1\\)\\>\\.txt');
  // No character that could start an autolink survives unescaped.
  assert.equal(markdownText('http://evil.example/x'), 'http\\:\\/\\/evil\\.example\\/x');
  assert.equal(markdownText('www.evil.example'), 'www\\.evil\\.example');
  assert.equal(markdownText('me@evil.example'), 'me\\@evil\\.example');
  assert.equal(markdownText('[click](command:x) *b* `c` # h'), '\\[click\\]\\(command\\:x\\) \\*b\\* \\`c\\` \\# h');
  assert.equal(markdownText('a\nb\u202ec'), 'a\\\\nb\\\\u202ec');
  assert.equal(markdownText('two  spaces'), 'two &nbsp;spaces');
  // The tooltip puts every log value through it: a hostile command line cannot add HTML or a link.
  const tip = eventTooltip(event({}, { argv: ['rm', '<img src=x onerror=alert(1)>', 'https://evil.example'] }), NOW);
  assert.ok(tip.includes('\\<img src\\=x'), tip);
  assert.ok(!/(^|[^\\])</.test(tip) && !/https?:\/\//.test(tip), tip);
});

test('the ausearch command quotes the log path for a shell, control characters included', () => {
  assert.equal(ausearchCommand(event()), 'ausearch -if /var/log/audit/audit.log -a 893 -i');
  assert.equal(shellQuote("it's here"), "'it'\\''s here'");
  assert.equal(shellQuote('a\nb'), "$'a\\x0ab'");
  assert.equal(
    ausearchCommand(event({ node: 'web 1', source: { file: '/logs/my audit.log', line: 1, offset: 0 } })),
    "ausearch -if '/logs/my audit.log' -a 893 --node 'web 1' -i",
  );
});
