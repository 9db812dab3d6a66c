/**
 * How events become rows of the Audit Events view (src/views/eventRows.ts): plain Node, no VS Code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent, AuditObject } from '../../src/core/types';
import { eventFacts, eventRow, localTime, userName } from '../../src/views/eventRows';

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

test('a deletion shows the deleted path, then exe · user · local time', () => {
  const r = eventRow(event());
  assert.equal(r.kind, 'deleted');
  assert.equal(r.label, '/v/a.txt');
  assert.equal(r.description, `rm · root · ${localTime(Date.parse('2026-11-28T02:41:38.437Z'))}`);
});

test('a failed attempt is marked first with its errno, whatever its action', () => {
  const r = eventRow(event({ success: false, exit: -13, errno: 'EACCES' }, { user: 'nobody', uid: 65534 }));
  assert.equal(r.kind, 'failed');
  assert.match(r.description, /^failed \(EACCES\) · rm · nobody · /);
});

test("a rename is labelled with its old name and says where it went", () => {
  const r = eventRow(event({ action: 'renamed', syscall: 'renameat', objects: [obj('source', '/v/new.txt'), obj('destination', '/v/old.txt'), obj('replaced', '/v/old.txt')] }));
  assert.equal(r.kind, 'renamed');
  assert.equal(r.label, '/v/new.txt');
  assert.match(r.description, /^→ \/v\/old\.txt · /);
});

test('a removed watch is said so; an event without a name still gets a row', () => {
  assert.match(eventRow(event({ watchRemoved: true })).description, /^watch removed · /);
  assert.equal(eventRow(event({ objects: [obj('deleted', null)] })).label, '(unknown path)');
});

test('names the login user when someone else logged in, and falls back to numbers', () => {
  assert.equal(userName(event({}, { auid: 1000, loginUser: 'alice' })), 'alice as root');
  assert.equal(userName(event({}, { user: null, uid: 7, auid: null })), 'uid 7');
});

test('tooltip facts carry the raw values, including the record location', () => {
  const facts = new Map(eventFacts(event()));
  assert.equal(facts.get('Exe'), '/usr/bin/rm');
  assert.equal(facts.get('Command'), 'rm /v/a.txt');
  assert.equal(facts.get('Login user'), 'unset');
  assert.equal(facts.get('Source'), '/var/log/audit/audit.log:12');
  assert.match(facts.get('Object (deleted)')!, /^\/v\/a\.txt \[file, inode 1, dev fe:00\]$/);
});

test('a name with a newline or a bidi override cannot break or reorder the row, and a guessed path says so', () => {
  const odd = event({ objects: [{ ...obj('deleted', '/v/evil\nname\u202etxt.exe'), confidence: 'uncertain' }] });
  const row = eventRow(odd);
  assert.equal(row.label, '/v/evil\\nname\\u202etxt.exe');
  assert.ok(row.description.startsWith('path uncertain · rm'), row.description);
  assert.ok(!eventRow(event()).description.includes('uncertain'));
});
