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
