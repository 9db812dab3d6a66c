/**
 * What hovers and the interpreted view say about real records: decoded hex names and proctitles (checked against
 * the recorder's ground truth), syscall and errno names (checked against the ENRICHED part auditd wrote), uids,
 * times; the outline's event grouping; the audit.rules explanations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { argvOf, explainValue, hexToBytes, bytesText, interpretedSegments, lineContext, localTime, modeText, type IdNames } from '../../src/core/explain';
import { parseIdFile } from '../../src/core/idNames';
import { tokenizeLine } from '../../src/core/tokenize';
import { explainRuleAt } from '../../src/language/auditRulesDocs';
import { eventTitle, groupEvents, recordDetail } from '../../src/language/logEvents';
import { logHover } from '../../src/language/logHover';
import type { Truth } from '../support/truth';
import { HOSTILE_NAME } from '../fixtures/viewer/record';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const NONE: IdNames = { users: new Map(), groups: new Map() };

function fixture(dir: string): { lines: string[]; truth: Truth } {
  return {
    lines: readFileSync(path.join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean),
    truth: JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth,
  };
}

const hostile = fixture(path.join(FIXTURES, 'viewer', 'hostile-name'));
const hostilePath = hostile.truth.items.find((i) => i.path.endsWith(HOSTILE_NAME))!.path;
/** The PROCTITLE of the rm that deleted the hostile name (its event carries that name's inode). */
function hostileEvent(): string[] {
  const pathLine = hostile.lines.find((l) => l.includes(` inode=${hostile.truth.items[0].inode} `) && l.includes('nametype=DELETE'))!;
  const serial = /:(\d+)\)/.exec(pathLine)![1];
  return hostile.lines.filter((l) => l.includes(`:${serial}):`));
}

describe('explaining record values', () => {
  it('decodes a hex proctitle into the argv the recorder ran (rm -f PATH)', () => {
    const title = hostileEvent().find((l) => l.startsWith('type=PROCTITLE'))!;
    const ctx = lineContext(title);
    const e = explainValue('proctitle', ctx.raw.get('proctitle')!, ctx)!;
    assert.deepEqual(e.detail.slice(1), ['rm', '-f', hostilePath].map((a, i) => `argv[${i}] = ${JSON.stringify(a)}`));
    assert.equal(e.short, `rm -f '${hostilePath}'`);
    const hover = logHover(title, title.indexOf('proctitle=') + 12, NONE)!;
    assert.ok(hover.lines.includes(`argv[2] = ${JSON.stringify(hostilePath)}`));
  });

  it('decodes a hex PATH name into the file name the recorder deleted', () => {
    const p = hostileEvent().find((l) => l.includes('nametype=DELETE'))!;
    const ctx = lineContext(p);
    const e = explainValue('name', ctx.raw.get('name')!, ctx)!;
    assert.equal(e.detail[1], `"${hostilePath.replace(/"/g, '\\"')}"`);
    assert.equal(e.short, JSON.stringify(hostilePath).replace(/^"|"$/g, '"'));
    // The interpreted view shows it as text, quoted (it has spaces).
    assert.ok(interpretedSegments(p).some((s) => s.text === `"${hostilePath}"`));
  });

  it('leaves a SYSCALL argument made of digits a number (a pointer), and decodes an EXECVE argument written in hex', () => {
    const sys = 'type=SYSCALL msg=audit(1767225600.000:1000): arch=c000003e syscall=263 success=yes exit=0 a0=ffffff9c a1=564874125380 a2=0 a3=7fbafa301f80 items=2 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="rm" exe="/usr/bin/rm" key="k"';
    const ctx = lineContext(sys);
    assert.equal(explainValue('a1', '564874125380', ctx), null);
    assert.ok(interpretedSegments(sys).some((x) => x.text.includes('564874125380')), 'shown as written in the interpreted view');
    assert.equal(explainValue('a0', 'ffffff9c', ctx)?.short, 'AT_FDCWD');
    const execve = 'type=EXECVE msg=audit(1767225600.000:1001): argc=2 a0="rm" a1=3132';
    assert.equal(explainValue('a1', '3132', lineContext(execve))?.short, '12');
  });

  it('shows a name that is not UTF-8 and holds a bidi override as it is: \\xNN once, the override visible', () => {
    const p = hostileEvent().find((l) => l.includes('nametype=DELETE'))!;
    // bad_<0xFF>_byte<U+202E>txt.exe: it would show as "bad_…_byteexe.txt" if the override were rendered.
    const hex = Buffer.concat([Buffer.from('bad_'), Buffer.from([0xff]), Buffer.from('_byte\u202etxt.exe', 'utf8')]).toString('hex').toUpperCase();
    const line = p.replace(/ name=\S+/, ` name=${hex}`);
    const ctx = lineContext(line);
    const e = explainValue('name', ctx.raw.get('name')!, ctx)!;
    assert.equal(e.detail[1], '"bad_\\xFF_byte\\u202etxt.exe"');
    assert.ok(!e.detail.join('\n').includes('\u202e') && !e.short.includes('\u202e'), 'no raw override');
  });

  it('names syscall numbers per arch and errnos, as the ENRICHED part auditd wrote does', () => {
    const { lines } = fixture(path.join(FIXTURES, 'recorded', 'fail-eacces'));
    const failed = lines.filter((l) => l.startsWith('type=SYSCALL') && l.includes('success=no'));
    assert.ok(failed.length > 0);
    for (const l of failed) {
      const ctx = lineContext(l);
      assert.equal(explainValue('syscall', ctx.raw.get('syscall')!, { ...ctx, enriched: new Map() })!.short, ctx.enriched.get('SYSCALL'));
      assert.equal(explainValue('arch', ctx.raw.get('arch')!, ctx)!.short, ctx.enriched.get('ARCH'));
      const exit = explainValue('exit', ctx.raw.get('exit')!, ctx)!;
      assert.equal(exit.short, 'EACCES');
      assert.match(exit.detail[0], /Permission denied/);
    }
  });

  it('names uids from the ENRICHED part first, else from this machine’s passwd, and says which', () => {
    const sys = hostileEvent().find((l) => l.startsWith('type=SYSCALL'))!;
    const ctx = lineContext(sys);
    assert.equal(explainValue('uid', '0', ctx)!.short, ctx.enriched.get('UID'));
    const raw = lineContext(sys.split('\x1d')[0]);
    const ids: IdNames = { users: parseIdFile('root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n'), groups: new Map() };
    const e = explainValue('uid', '0', raw, ids)!;
    assert.equal(e.short, 'root');
    assert.match(e.detail[0], /passwd/);
    assert.equal(explainValue('auid', '4294967295', raw, ids)!.short, 'unset');
    assert.equal(explainValue('uid', '0', raw, NONE), null);
  });

  it('shows epoch times as local time, modes as type and permissions, and decodes bytes losslessly', () => {
    const ms = Date.UTC(2026, 10, 25, 6, 20, 49, 448);
    const d = new Date(ms);
    assert.ok(localTime(ms).startsWith(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} `));
    assert.match(localTime(ms), /:49\.448 [+-]\d\d:\d\d$/);
    assert.equal(modeText('040755'), 'dir,755');
    assert.equal(modeText('0100644'), 'file,644');
    assert.equal(bytesText(hexToBytes('61FF5C62')), 'a\\xFF\\\\b');
    assert.deepEqual(argvOf(hexToBytes('726D002D66')), ['rm', '-f']);
  });

  it('colours the new token kinds: keys, negative exits, braces of ENRICHED SADDR', () => {
    const line = 'type=SYSCALL msg=audit(1.002:3): exit=-13 key="k"\x1dSADDR={ saddr_fam=netlink nlnk-pid=0 } UID="root"';
    const k = tokenizeLine(line).map((t) => [line.slice(t.start, t.end), t.kind]);
    assert.ok(k.some(([t, kind]) => t === '-13' && kind === 'failure'));
    assert.ok(k.some(([t, kind]) => t === '"k"' && kind === 'key'));
    assert.ok(k.some(([t, kind]) => t === '{ saddr_fam=netlink nlnk-pid=0 }' && kind === 'enriched-value'));
    assert.deepEqual(k.at(-1), ['"root"', 'enriched-value']);
  });
});

describe('events of a text document', () => {
  it('groups records by node, time and serial, titles events by syscall, comm and key, and details records', () => {
    const { lines, truth } = fixture(path.join(FIXTURES, 'viewer', 'node-prefixed'));
    const { events } = groupEvents(lines.length, (n) => lines[n]);
    const onNode = events.find((e) => e.node === 'al-viewer-node' && e.records.some((r) => r.type === 'SYSCALL'))!;
    assert.deepEqual(
      onNode.records.map((r) => r.type),
      ['SYSCALL', 'CWD', 'PATH', 'PATH', 'PROCTITLE'],
    );
    assert.equal(eventTitle(onNode, (n) => lines[n]), `SYSCALL unlinkat · rm · key ${truth.key}`);
    const del = onNode.records.find((r) => r.type === 'PATH' && lines[r.line].includes('DELETE'))!;
    assert.equal(recordDetail(lines[del.line]), `${truth.items[0].path} DELETE`);
    // Every line of the file is in exactly one event.
    assert.equal(
      events.reduce((n, e) => n + e.records.length, 0),
      lines.length,
    );
  });
});

describe('audit.rules explanations', () => {
  const rule = '-a always,exit -F arch=b64 -S unlinkat,renameat2 -F dir=/srv/vol -F auid>=1000 -F perm=wa -k vol_del';
  const at = (needle: string, k = 0) => explainRuleAt(rule, rule.indexOf(needle) + k, { users: new Map([[1000, 'alice']]), groups: new Map() });

  it('explains options, lists and actions, fields and their values, syscalls and keys', () => {
    assert.match(at('-a')!.lines[0], /Append a rule/);
    assert.deepEqual(at('always')!.lines.length, 2);
    assert.match(at('always')!.lines[1], /syscall returns|system call returns/);
    assert.match(at('arch=b64')!.lines[0], /CPU architecture/);
    assert.match(at('b64')!.lines[0], /64-bit/);
    assert.match(at('renameat2')!.lines[0], /^syscall renameat2 \(renames files\): number x86_64 316/);
    assert.match(at('dir=')!.lines[0], /not the directory’s own deletion/);
    assert.match(at('1000')!.lines[0], /"alice"/);
    assert.equal(at('perm=wa', 5)!.lines[0], 'perm wa: write, attribute change');
    assert.match(at('vol_del')!.head, /key vol_del/);
    assert.equal(explainRuleAt('# -a comment', 3), null);
  });
});
