/**
 * Golden tests over every recorded fixture: the ground truth (from the recorder, never from the parser) must come
 * out right with the snapshot and never confidently wrong without it; and the parser's whole answer must equal the
 * reviewed golden file, including how many truth items each run left 'uncertain'. `UPDATE_GOLDEN=1` rewrites the
 * golden files (review the diff before committing).
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeInputs, type AnalysisResult, type AuditEvent } from '../../src/core';
import { compareWithTruth, listRecordedCases, loadRecordedCase, type RecordedCase } from '../support/truth';

const ROOT = path.join(__dirname, '..', 'fixtures', 'recorded');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/**
 * Recorded cases the current core gets wrong, each with what it reproduces. Their ground-truth check is reported as
 * TODO (so `npm test` stays green while the fix is under way) and a separate check fails as soon as a listed case
 * passes, so an entry must be removed (and its golden file regenerated) when its fix lands.
 */
const KNOWN_CORE_BUGS: Record<string, string> = {
};

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

/** Above this many events a golden file keeps a tally instead of every event (the dense workload). */
const MAX_LISTED_EVENTS = 300;

/** What a user sees, as a reviewable list, or for big logs a tally by action, outcome, object role and confidence. */
function projectOrTally(events: AuditEvent[]): unknown {
  if (events.length <= MAX_LISTED_EVENTS) return project(events);
  const tally: Record<string, number> = {};
  for (const e of events) {
    const outcome = e.success === false ? e.errno : 'ok';
    for (const o of e.objects) {
      const k = `${e.action} ${outcome} ${o.role} ${o.confidence}`;
      tally[k] = (tally[k] ?? 0) + 1;
    }
  }
  return { events: events.length, objects: Object.fromEntries(Object.entries(tally).sort()) };
}

/** Diagnostics that occurred (late records after a rotation, duplicates…), by kind. */
function diagnostics(r: AnalysisResult): Record<string, number> {
  return Object.fromEntries(Object.entries(r.diagnosticCounts).filter(([, n]) => n > 0));
}

/** Analyses one case three ways (with the snapshot, without, filtered by its key) and checks each against the truth. */
async function analyse(c: RecordedCase) {
  const withSnap = await analyzeInputs(c.inputs, { snapshot: c.snapshot });
  const without = await analyzeInputs(c.inputs);
  const keyed = await analyzeInputs(c.inputs, { keys: [c.truth.key], snapshot: c.snapshot });
  const check = (r: AnalysisResult, withSnapshot: boolean) => compareWithTruth(r.events, c.truth, { withSnapshot });
  const runs = {
    'with the snapshot': check(withSnap, true),
    'without the snapshot': check(without, false),
    [`filtered by --key ${c.truth.key}`]: check(keyed, true),
  };
  const mismatches = Object.entries(runs).flatMap(([label, r]) => r.mismatches.map((m) => `${label}: ${m}`));
  if (withSnap.diagnosticCounts['malformed-line'] > 0) mismatches.push(`${withSnap.diagnosticCounts['malformed-line']} malformed lines`);
  const golden = {
    truthCheck: {
      items: c.truth.items.length,
      // A drift toward 'uncertain' shows here in the diff even where the truth check still allows it.
      uncertainWithoutSnapshot: runs['without the snapshot'].confidence.uncertain,
      withSnapshot: runs['with the snapshot'].confidence,
      withoutSnapshot: runs['without the snapshot'].confidence,
      mismatches: mismatches.length,
    },
    diagnostics: diagnostics(withSnap),
    withSnapshot: projectOrTally(withSnap.events),
    withoutSnapshot: projectOrTally(without.events),
  };
  return { mismatches, golden };
}

test('recorded fixtures exist, and every known core bug names one of them', async () => {
  const names = (await listRecordedCases(ROOT)).map((d) => path.basename(d));
  assert.ok(names.length >= 20, `expected the full set of recorded cases, found ${names.length}`);
  for (const name of Object.keys(KNOWN_CORE_BUGS)) assert.ok(names.includes(name), `KNOWN_CORE_BUGS names ${name}, which is not recorded`);
});

test('golden outputs and ground truth of every recorded fixture', async (t) => {
  for (const dir of await listRecordedCases(ROOT)) {
    const name = path.basename(dir);
    const bug = KNOWN_CORE_BUGS[name];
    await t.test(name, async (t) => {
      const c = await loadRecordedCase(dir);
      const { mismatches, golden } = await analyse(c);

      await t.test('matches the ground truth', bug ? { todo: bug } : {}, () => {
        assert.deepEqual(mismatches, [], `${c.truth.items.length} truth items`);
      });
      if (bug) {
        await t.test('still fails, as KNOWN_CORE_BUGS says', () => {
          assert.ok(mismatches.length > 0, `${name} now matches its ground truth: remove it from KNOWN_CORE_BUGS and regenerate its golden file`);
        });
      }
      await t.test('equals the reviewed golden output', async () => {
        const file = path.join(dir, 'golden.json');
        if (UPDATE) await fsp.writeFile(file, JSON.stringify(golden, null, 1) + '\n');
        const expected = JSON.parse(await fsp.readFile(file, 'utf8'));
        assert.deepEqual(golden, expected, `${file} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
      });
    });
  }
});
