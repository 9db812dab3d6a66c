/**
 * The ground-truth check itself: it must fail on the ways a parser can be wrong (a wrong process, action or type, a
 * right path marked 'uncertain' although the snapshot names it, a phantom object), and accept what is right,
 * including the noise a case declares. Each test starts from the core's real output on a recorded fixture and
 * breaks one thing.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeInputs, type AuditEvent } from '../../src/core';
import { compareWithTruth, loadRecordedCase, type RecordedCase } from '../support/truth';

const ROOT = path.join(__dirname, '..', 'fixtures', 'recorded');

async function load(name: string, withSnapshot: boolean): Promise<{ c: RecordedCase; events: AuditEvent[] }> {
  const c = await loadRecordedCase(path.join(ROOT, name));
  const r = await analyzeInputs(c.inputs, withSnapshot ? { snapshot: c.snapshot } : {});
  return { c, events: r.events };
}

/** The event that answers the first truth item (a deletion of a real file). */
function firstItemEvent(c: RecordedCase, events: AuditEvent[]): AuditEvent {
  const inode = String(c.truth.items[0].inode);
  const e = events.find((x) => x.objects.some((o) => o.inode === inode));
  assert.ok(e, 'the fixture has an event for its first item');
  return e;
}

test('accepts the core output on a fixture it gets right, with and without the snapshot', async () => {
  for (const snap of [true, false]) {
    const { c, events } = await load('unlink-absolute', snap);
    const r = compareWithTruth(events, c.truth, { withSnapshot: snap });
    assert.deepEqual(r.mismatches, []);
    assert.equal(r.confidence.exact + r.confidence.rebuilt, c.truth.items.length);
  }
});

test("fails a run that marks every path 'uncertain' when the snapshot names them, and counts them without it", async () => {
  const { c, events } = await load('unlink-absolute', true);
  for (const e of events) for (const o of e.objects) o.confidence = 'uncertain';
  const withSnap = compareWithTruth(events, c.truth, { withSnapshot: true });
  assert.equal(withSnap.mismatches.length, c.truth.items.length);
  for (const m of withSnap.mismatches) assert.match(m, /marked 'uncertain' although the snapshot names it/);
  const without = compareWithTruth(events, c.truth, { withSnapshot: false });
  assert.deepEqual(without.mismatches, [], "without the snapshot 'uncertain' is an allowed answer");
  assert.equal(without.confidence.uncertain, c.truth.items.length, 'but it is counted, for the golden file');
});

test('fails on the wrong pid, program, comm, action or object type', async () => {
  const breakers: [string, (e: AuditEvent) => void, RegExp][] = [
    ['pid', (e) => (e.process.pid = (e.process.pid ?? 0) + 1), /: pid \d+, want \d+/],
    ['exe', (e) => (e.process.exe = '/usr/bin/true'), /: exe "\/usr\/bin\/true", want/],
    ['comm', (e) => (e.process.comm = 'true'), /: comm "true", want "rm"/],
    ['action', (e) => (e.action = 'modified'), /: action "modified", want "deleted"/],
    ['type', (e) => (e.objects[0].type = 'dir'), /: type "dir", want "file"/],
  ];
  for (const [what, breakIt, message] of breakers) {
    const { c, events } = await load('unlink-absolute', true);
    breakIt(firstItemEvent(c, events));
    const r = compareWithTruth(events, c.truth, { withSnapshot: true });
    assert.equal(r.mismatches.length, 1, `${what}: ${r.mismatches.join('\n')}`);
    assert.match(r.mismatches[0], message, what);
  }
});

test('fails on a phantom object inside the watched folder, and on one that carries the case key elsewhere', async () => {
  const { c, events } = await load('unlink-absolute', true);
  const inside = structuredClone(firstItemEvent(c, events));
  inside.id += '-copy';
  inside.keys = [];
  inside.objects[0].inode = '1';
  inside.objects[0].path = path.join(c.truth.watched, 'never-existed.txt');
  const keyed = structuredClone(inside);
  keyed.id += '-keyed';
  keyed.keys = [c.truth.key];
  keyed.objects[0].path = '/elsewhere/never-existed.txt';
  const r = compareWithTruth([...events, inside, keyed], c.truth, { withSnapshot: true });
  assert.equal(r.mismatches.length, 2, r.mismatches.join('\n'));
  assert.ok(r.mismatches.every((m) => /phantom .*no truth item explains it/.test(m)));
  const unrelated = structuredClone(inside);
  unrelated.objects[0].path = '/elsewhere/other.txt';
  assert.deepEqual(compareWithTruth([...events, unrelated], c.truth, { withSnapshot: true }).mismatches, [], 'an unkeyed event outside the watched folders is not the case’s business');
});

test("accepts mv's failed RENAME_NOREPLACE probe only because the case declares it as noise", async () => {
  const { c, events } = await load('rename-over', true);
  assert.ok(events.some((e) => e.syscall === 'renameat2' && e.errno === 'EEXIST'), 'the log holds the probe');
  assert.deepEqual(compareWithTruth(events, c.truth, { withSnapshot: true }).mismatches, []);
  const strict = compareWithTruth(events, { ...c.truth, noise: [] }, { withSnapshot: true });
  assert.ok(strict.mismatches.length > 0 && strict.mismatches.every((m) => /phantom .*renameat2 by mv/.test(m)), strict.mismatches.join('\n'));
});

test('without the snapshot, a wrong path passes only when it is marked uncertain', async () => {
  const { c, events } = await load('unlink-absolute', false);
  const e = firstItemEvent(c, events);
  e.objects[0].path = path.join(c.truth.watched, 'elsewhere.txt');
  const r = compareWithTruth(events, c.truth, { withSnapshot: false });
  assert.equal(r.mismatches.length, 1);
  assert.match(r.mismatches[0], /wrong path claimed 'exact'/);
  e.objects[0].confidence = 'uncertain';
  assert.deepEqual(compareWithTruth(events, c.truth, { withSnapshot: false }).mismatches, []);
});

test('does not ask for comm and exe where the log has none (io_uring), but still for the pid', async () => {
  const { c, events } = await load('uring-unlink', true);
  assert.ok(c.truth.items.every((i) => i.notInLog?.includes('comm') && i.notInLog.includes('exe')));
  assert.deepEqual(compareWithTruth(events, c.truth, { withSnapshot: true }).mismatches, []);
  firstItemEvent(c, events).process.pid = 1;
  assert.match(compareWithTruth(events, c.truth, { withSnapshot: true }).mismatches.join('\n'), /: pid 1, want/);
});
