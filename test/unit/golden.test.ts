/**
 * Golden tests over every recorded fixture: the ground truth (from the recorder, never from the parser) must come
 * out right with the snapshot and never confidently wrong without it; and the parser's whole answer must equal the
 * reviewed golden file. `UPDATE_GOLDEN=1` rewrites the golden files (review the diff before committing).
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeInputs, type AuditEvent } from '../../src/core';
import { checkAgainstTruth, listRecordedCases, loadRecordedCase } from '../support/truth';

const ROOT = path.join(__dirname, '..', 'fixtures', 'recorded');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The reviewed projection: what a user sees of each event, without volatile detail. */
function project(events: AuditEvent[]): unknown[] {
  return events.map((e) => ({
    id: e.id,
    action: e.action,
    syscall: e.syscall ?? `io_uring:${e.uringOp}`,
    success: e.success,
    errno: e.errno,
    watchRemoved: e.watchRemoved,
    keys: e.keys,
    who: `${e.process.exe ?? e.process.comm ?? '?'} pid=${e.process.pid} uid=${e.process.uid}`,
    objects: e.objects.map((o) => [o.role, o.path, o.confidence, ...(o.seenAs ? [`seenAs ${o.seenAs}`] : [])]),
  }));
}

test('recorded fixtures exist', async () => {
  const cases = await listRecordedCases(ROOT);
  assert.ok(cases.length >= 15, `expected the full set of recorded cases, found ${cases.length}`);
});

test('golden outputs and ground truth of every recorded fixture', async (t) => {
  for (const dir of await listRecordedCases(ROOT)) {
    await t.test(path.basename(dir), async () => {
      const c = await loadRecordedCase(dir);
      const withSnap = await analyzeInputs([c.logFile], { snapshot: c.snapshot });
      const without = await analyzeInputs([c.logFile]);
      const keyed = await analyzeInputs([c.logFile], { keys: [c.truth.key], snapshot: c.snapshot });

      assert.deepEqual(checkAgainstTruth(withSnap.events, c.truth, { withSnapshot: true }), [], 'with the snapshot');
      assert.deepEqual(checkAgainstTruth(without.events, c.truth, { withSnapshot: false }), [], 'without the snapshot');
      assert.deepEqual(checkAgainstTruth(keyed.events, c.truth, { withSnapshot: true }), [], `filtered by --key ${c.truth.key}`);
      assert.equal(withSnap.diagnosticCounts['malformed-line'], 0);

      const golden = { withSnapshot: project(withSnap.events), withoutSnapshot: project(without.events) };
      const file = path.join(dir, 'golden.json');
      if (UPDATE) await fsp.writeFile(file, JSON.stringify(golden, null, 1) + '\n');
      const expected = JSON.parse(await fsp.readFile(file, 'utf8'));
      assert.deepEqual(golden, expected, `${file} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
    });
  }
});
