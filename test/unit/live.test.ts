/** The analyzer as the live watch will drive it: lines as they are appended, then a quiet moment. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Analyzer, type StreamItem } from '../../src/core';

const REAL = readFileSync(join(__dirname, '..', 'fixtures', 'hostile', 'real-1.log'), 'latin1').trimEnd().split('\n');

test('a quiet tail closes its last open event with idle(), and serial tracking goes on across the pause', () => {
  const items: StreamItem[] = [];
  const a = new Analyzer((i) => items.push(i), { settle: false, filter: { all: true } });
  const serials = [...new Set(REAL.map((l) => Number(/:(\d+)\): /.exec(l)![1])))];
  // Without its PROCTITLE record the event is not complete, so only the quiet moment can close it.
  const first = REAL.filter((l) => l.includes(`:${serials[0]}): `) && !l.startsWith('type=PROCTITLE'));
  first.forEach((text, i) => a.pushLine({ text, source: { file: 'audit.log', line: i + 1, offset: 0 }, truncated: false }));
  assert.equal(items.filter((i) => i.kind === 'event').length, 0, 'auditd writes no EOE: the event is still open');
  a.idle();
  const events = items.filter((i) => i.kind === 'event');
  assert.equal(events.length, 1);
  assert.equal(events[0].kind === 'event' && events[0].event.serial, serials[0]);
  // The next event continues the serials: no loss is reported after the pause.
  const rest = REAL.filter((l) => !l.includes(`:${serials[0]}): `));
  rest.forEach((text, i) => a.pushLine({ text, source: { file: 'audit.log', line: first.length + i + 1, offset: 0 }, truncated: false }));
  a.finish();
  assert.equal(a.lostEvents, 0);
  assert.ok(items.filter((i) => i.kind === 'event').length > 1);
});

test('live: records that come after a quiet moment closed their event update it (or bring it in), instead of being dropped', () => {
  const items: StreamItem[] = [];
  const a = new Analyzer((i) => items.push(i), { settle: false });
  const lines = REAL.filter((l) => l.includes(':46): '));
  const push = (text: string, n: number): void => a.pushLine({ text, source: { file: 'audit.log', line: n, offset: 0 }, truncated: false });
  // The PROCTITLE (the event's last record) has not been written when the tail goes quiet.
  const proctitle = lines.find((l) => l.startsWith('type=PROCTITLE'))!;
  lines.filter((l) => l !== proctitle).forEach((l, i) => push(l, i + 1));
  a.idle();
  push(proctitle, lines.length);
  const kinds = items.flatMap((i) => (i.kind === 'diagnostic' ? [] : [`${i.kind} ${i.event.serial} argv=${JSON.stringify(i.event.process.argv)}`]));
  assert.deepEqual(kinds, ['event 46 argv=null', 'update 46 argv=["rm","/tmp/hl-rec/a"]']);
  assert.equal(a.counts['late-record'], 0);

  // A SYSCALL alone is no deletion yet; its PATH records arriving after the pause make it one.
  const items2: StreamItem[] = [];
  const b = new Analyzer((i) => items2.push(i), { settle: false });
  const sys = lines.filter((l) => l.startsWith('type=SYSCALL') || l.startsWith('type=CWD'));
  sys.forEach((l, i) => b.pushLine({ text: l, source: { file: 'audit.log', line: i + 1, offset: 0 }, truncated: false }));
  b.idle();
  assert.equal(items2.filter((i) => i.kind === 'event').length, 0);
  lines.filter((l) => !sys.includes(l)).forEach((l, i) => b.pushLine({ text: l, source: { file: 'audit.log', line: 10 + i, offset: 0 }, truncated: false }));
  // Each late record refines it: first seen with its folder only, then named, one event and updates of it.
  const seq = items2.flatMap((i) => (i.kind === 'diagnostic' ? [] : [`${i.kind} ${i.event.objects[0]?.path}`]));
  assert.equal(seq[0].split(' ')[0], 'event');
  assert.ok(seq.slice(1).every((x) => x.startsWith('update ')), seq.join('; '));
  assert.equal(seq.at(-1), 'update /tmp/hl-rec/a');
  assert.equal(b.counts['late-record'], 0);
});
