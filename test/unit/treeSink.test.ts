/**
 * The tree as the live watch will drive it (src/views/treeSink.ts): events of a real recorded deletion streamed in
 * as a tail would send them (first with a guessed path, then the resolved update), watch states, health problems
 * and the badge of a hidden view.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { Analyzer } from '../../src/core/analyzer';
import { readLines } from '../../src/core/lines';
import type { StreamItem } from '../../src/core/types';
import { TreeModel } from '../../src/views/model';
import { present, viewDescription } from '../../src/views/nodes';
import type { EventOrigin } from '../../src/views/sink';
import { TreeSink } from '../../src/views/treeSink';
import { loadRecordedCase, type RecordedCase } from '../support/truth';

const RECORDED = path.join(__dirname, '..', 'fixtures', 'recorded');
let rmrf: RecordedCase;
/** What a live tail of rm-rf-deep emits (settle: false): events at once, updates as paths resolve. */
let live: StreamItem[];

before(async () => {
  rmrf = await loadRecordedCase(path.join(RECORDED, 'rm-rf-deep'));
  live = [];
  const a = new Analyzer((item) => live.push(item), { settle: false, filter: { keys: [rmrf.truth.key] } });
  await readLines(rmrf.logFile, (l) => a.pushLine(l), () => undefined);
  a.finish();
});

function harness(visible: boolean) {
  const model = new TreeModel('folder');
  const view = { visible, badges: [] as number[], showBadge: (n: number) => view.badges.push(n) };
  let renders = 0;
  const sink = new TreeSink(model, view, () => renders++);
  return { model, view, sink, renders: () => renders };
}

const watch = (): EventOrigin => ({ kind: 'watch', folder: rmrf.truth.watched, key: rmrf.truth.key });

test('a live tail streamed through the sink ends with one row per deletion, updates replacing rows by id', () => {
  assert.ok(live.some((i) => i.kind === 'update'), 'the tail resolves some paths later (updates)');
  const { model, sink, renders } = harness(true);
  for (const item of live) if (item.kind !== 'diagnostic') sink.upsert(watch(), [item.event]);
  const deletions = rmrf.truth.items.filter((i) => i.role === 'deleted');
  assert.equal(model.total, deletions.length, 'updates did not add rows');
  model.setGrouping('time');
  const rows = model.children();
  assert.deepEqual(rows.map((r) => (r.type === 'event' ? r.entry.path : '')).sort(), deletions.map((i) => i.path).sort());
  assert.ok(renders() >= live.length, 'every change asked for a render (the refresh manager debounces them)');
});

test('events that arrive while the view is hidden count in the badge; updates of known events do not', () => {
  const { model, view, sink } = harness(false);
  const events = live.filter((i) => i.kind === 'event').map((i) => (i.kind === 'event' ? i.event : null)!);
  sink.upsert(watch(), events.slice(0, 5));
  sink.upsert(watch(), events.slice(5, 8));
  assert.deepEqual(view.badges, [5, 8]);
  const updates = live.filter((i) => i.kind === 'update').map((i) => (i.kind === 'update' ? i.event : null)!);
  sink.upsert(watch(), updates.filter((u) => events.slice(0, 8).some((e) => e.id === u.id)));
  assert.deepEqual(view.badges, [5, 8], 'an update is not a new event');
  sink.seen();
  assert.deepEqual(view.badges, [5, 8, 0]);
  view.visible = true;
  sink.upsert(watch(), events.slice(8));
  assert.deepEqual(view.badges, [5, 8, 0], 'no badge while the view is visible');
  assert.equal(model.total, events.length);
});

test('watch states give the watch its row with its state; health problems come first and go away when cleared', () => {
  const { model, sink } = harness(true);
  sink.watches([{ folder: rmrf.truth.watched, key: rmrf.truth.key, state: 'armed', events: 0, lost: 0, since: Date.now() }]);
  let root = model.children();
  assert.equal(root.length, 1);
  assert.match(present(root[0], model, Date.now()).description ?? '', /^no deletions yet · watching · in \//);
  sink.upsert(watch(), live.filter((i) => i.kind === 'event').map((i) => (i.kind === 'event' ? i.event : null)!));
  sink.watches([{ folder: rmrf.truth.watched, key: rmrf.truth.key, state: 'folder-deleted', events: 23, lost: 0, since: Date.now(), message: 'deleted by rm' }]);
  sink.health([
    { kind: 'helper-disconnected', message: 'The privileged helper stopped' },
    { kind: 'lost-events', lost: 40, message: 'The kernel lost 40 events' },
  ]);
  root = model.children();
  assert.deepEqual(root.map((n) => n.type), ['issue', 'issue', 'origin']);
  assert.equal(present(root[0], model, Date.now()).label, 'The privileged helper stopped');
  assert.equal(present(root[1], model, Date.now()).icon?.id, 'warning');
  assert.match(present(root[2], model, Date.now()).description ?? '', /^\d+ events · folder deleted · in \//);
  assert.match(viewDescription(model), /^\d+ events$/);
  sink.health([]);
  assert.deepEqual(model.children().map((n) => n.type), ['origin']);
  sink.clear(watch());
  assert.equal(model.total, 0);
});
