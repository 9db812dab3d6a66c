/**
 * The Audit Events tree's model (src/views/model.ts) and row presentation (nodes.ts) on real core events: the
 * recorded fixtures analysed by the core, checked against their truth.json. Plain Node, no VS Code.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeInputs } from '../../src/core/analyzer';
import type { AuditEvent } from '../../src/core/types';
import { encodeName } from '../../src/core/names';
import { eventRow, splitPath } from '../../src/views/eventRows';
import { NO_FILTER, PAGE_SIZE, TreeModel, type ModelNode } from '../../src/views/model';
import { filterSummary, present, timelineData, tooltipOf, viewDescription } from '../../src/views/nodes';
import type { EventOrigin } from '../../src/views/sink';
import { loadRecordedCase, type Truth } from '../support/truth';

const RECORDED = path.join(__dirname, '..', 'fixtures', 'recorded');
const CASES = ['unlink-absolute', 'rm-rf-deep', 'fail-eacces', 'rename-over', 'python-rmtree', 'odd-names'];

interface Loaded {
  origin: EventOrigin;
  events: AuditEvent[];
  truth: Truth;
}

const loaded = new Map<string, Loaded>();

async function load(name: string): Promise<Loaded> {
  const c = await loadRecordedCase(path.join(RECORDED, name));
  const { events } = await analyzeInputs([c.logFile]);
  return { origin: { kind: 'analysis', files: [c.logFile] }, events, truth: c.truth };
}

/** Every node under `node` (all pages), depth first. */
function walk(model: TreeModel, node?: ModelNode, out: ModelNode[] = []): ModelNode[] {
  for (const c of model.children(node)) {
    out.push(c);
    if (c.type !== 'event') walk(model, c, out);
  }
  return out;
}

/** The truth's deleted/renamed-away paths in the output encoding, as rows name them. */
function truthPaths(t: Truth): string[] {
  return t.items.filter((i) => i.role === 'deleted' || i.role === 'source').map((i) => encodeName(Buffer.from(i.path, 'utf8')).text);
}

function modelWith(...names: string[]): TreeModel {
  const m = new TreeModel();
  for (const n of names) {
    const l = loaded.get(n)!;
    m.upsert(l.origin, l.events);
  }
  return m;
}

before(async () => {
  for (const c of CASES) loaded.set(c, await load(c));
});

describe('grouping by folder', () => {
  it('puts every event of rm -rf under its own folder, compacting the single-child chain above the watched folder', () => {
    const l = loaded.get('rm-rf-deep')!;
    const m = modelWith('rm-rf-deep');
    const [origin] = m.children();
    assert.equal(origin.type, 'origin');
    const [top] = m.children(origin);
    assert.equal(top.type, 'folder');
    // One row for the whole chain /tmp/al-rec-…/vol…: no one clicks through /, /tmp, /tmp/al-rec-… one by one.
    assert.ok(top.type === 'folder' && top.label.startsWith(l.truth.watched), top.type === 'folder' ? top.label : '');
    const nodes = walk(m, origin);
    const events = nodes.filter((n): n is Extract<ModelNode, { type: 'event' }> => n.type === 'event');
    assert.equal(events.length, l.events.length);
    // Each event sits in the folder node whose path is its folder, and its label is its file name.
    for (const n of nodes) {
      if (n.type !== 'folder') continue;
      for (const c of m.children(n)) {
        if (c.type !== 'event') continue;
        assert.equal(c.entry.folder, n.idx.path);
        assert.equal(present(c, m, Date.now()).label, splitPath(c.entry.path!).name);
      }
    }
    assert.deepEqual(events.map((e) => e.entry.path).sort(), truthPaths(l.truth).sort());
  });

  it('marks a folder whose own deletion is an event, and counts the events below each folder', () => {
    const m = modelWith('rm-rf-deep');
    const folders = walk(m).filter((n): n is Extract<ModelNode, { type: 'folder' }> => n.type === 'folder');
    const deep = folders.find((f) => f.idx.path.endsWith('/level3'));
    assert.ok(deep, 'level3 has a folder row');
    assert.equal(deep.deleted, true);
    assert.match(present(deep, m, Date.now()).description ?? '', /folder deleted/);
    for (const f of folders) {
      const below = walk(m, f).filter((n) => n.type === 'event').length;
      assert.equal(f.idx.count, below, `${f.idx.path} counts ${below}`);
    }
  });

  it('keeps one source per origin: two analyses side by side each get their own subtree', () => {
    const m = modelWith('unlink-absolute', 'fail-eacces');
    const origins = m.children().filter((n) => n.type === 'origin');
    assert.equal(origins.length, 2);
    const total = walk(m).filter((n) => n.type === 'event').length;
    assert.equal(total, loaded.get('unlink-absolute')!.events.length + loaded.get('fail-eacces')!.events.length);
  });
});

describe('grouping by process and by time', () => {
  it('groups by executable, then pid, each event under the process that made it', () => {
    const m = modelWith('unlink-absolute', 'python-rmtree', 'fail-eacces');
    m.setGrouping('process');
    const exes = m.children();
    assert.ok(exes.every((n) => n.type === 'exe'));
    let seen = 0;
    for (const x of exes) {
      if (x.type !== 'exe') continue;
      for (const p of m.children(x)) {
        assert.equal(p.type, 'pid');
        for (const e of m.children(p)) {
          assert.equal(e.type, 'event');
          if (e.type !== 'event' || p.type !== 'pid') continue;
          assert.equal(e.entry.event.process.exe ?? e.entry.event.process.comm, x.idx.exe);
          assert.equal(e.entry.event.process.pid, p.idx.sample.process.pid);
          seen++;
        }
      }
    }
    assert.equal(seen, m.total);
    // The truth's comms are the programs that ran: each has a group.
    const comms = new Set(['unlink-absolute', 'python-rmtree', 'fail-eacces'].flatMap((c) => loaded.get(c)!.truth.items.map((i) => i.comm)));
    const labels = exes.map((x) => present(x, m, Date.now()).label);
    for (const c of comms) assert.ok(labels.some((l) => l.startsWith(c.slice(0, 6))), `${c} in ${labels.join(', ')}`);
  });

  it('lists every event newest first when grouped by time, with the folder in the description', () => {
    const m = modelWith('unlink-absolute', 'rename-over', 'fail-eacces');
    m.setGrouping('time');
    const rows = m.children();
    assert.equal(rows.length, m.total);
    const times = rows.map((r) => (r.type === 'event' ? r.entry.event.timeMs : NaN));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const first = rows[0];
    assert.ok(first.type === 'event');
    const spec = present(first, m, Date.now());
    assert.match(spec.description ?? '', / · in \//);
  });

  it('switching grouping keeps every event and the counts', () => {
    const m = modelWith('rm-rf-deep', 'odd-names');
    const count = (): number => walk(m).filter((n) => n.type === 'event').length;
    const n = count();
    for (const g of ['process', 'time', 'folder'] as const) {
      m.setGrouping(g);
      assert.equal(count(), n, g);
      assert.equal(m.matching, n);
    }
  });
});

describe('filters', () => {
  it('failed attempts only shows exactly the failed items of the truth', () => {
    const m = modelWith('unlink-absolute', 'fail-eacces');
    m.setGrouping('time');
    m.setFilter({ ...NO_FILTER, failedOnly: true });
    const want = loaded.get('fail-eacces')!.truth.items.filter((i) => !i.success).map((i) => i.path);
    const rows = m.children().filter((n) => n.type === 'event');
    assert.deepEqual(rows.map((r) => (r.type === 'event' ? r.entry.path : '')).sort(), want.sort());
    assert.equal(m.matching, want.length);
    assert.match(viewDescription(m), new RegExp(`^${want.length} of ${m.total} events · failed attempts only$`));
  });

  it('text words must all match the path, the program or the user, case-insensitively', () => {
    const m = modelWith('unlink-absolute', 'python-rmtree', 'fail-eacces');
    m.setFilter({ ...NO_FILTER, text: 'NOBODY' });
    assert.equal(m.matching, loaded.get('fail-eacces')!.events.length, 'fail-eacces ran as nobody');
    m.setFilter({ ...NO_FILTER, text: 'python3' });
    assert.equal(m.matching, loaded.get('python-rmtree')!.events.length);
    m.setFilter({ ...NO_FILTER, text: 'rm sub/b.txt' });
    assert.equal(m.matching, 0, 'b.txt was removed by unlink(1), not rm');
    m.setFilter({ ...NO_FILTER, text: 'unlink sub/b.txt' });
    assert.equal(m.matching, 1);
    assert.match(filterSummary(m), /^text "unlink sub\/b\.txt"$/);
  });

  it('an action filter keeps only the chosen kinds; a time range is [since, until)', () => {
    const m = modelWith('rm-rf-deep', 'rename-over');
    m.setFilter({ ...NO_FILTER, kinds: ['folderDeleted'] });
    const dirs = loaded.get('rm-rf-deep')!.truth.items.filter((i) => i.type === 'dir').length;
    assert.equal(m.matching, dirs);
    const all = [...loaded.get('rm-rf-deep')!.events, ...loaded.get('rename-over')!.events].map((e) => e.timeMs).sort((a, b) => a - b);
    const since = all[3];
    const until = all[all.length - 2];
    m.setFilter({ ...NO_FILTER, since, until });
    assert.equal(m.matching, all.filter((t) => t >= since && t < until).length);
  });

  it('when nothing matches, the root says so (and offers to clear) instead of going blank', () => {
    const m = modelWith('unlink-absolute');
    m.setFilter({ ...NO_FILTER, text: 'no-such-thing-anywhere' });
    const root = m.children();
    assert.deepEqual(root.map((n) => n.type), ['noMatch']);
    assert.equal(present(root[0], m, Date.now()).command?.command, 'auditLens.events.clearFilter');
  });
});

describe('paging', () => {
  /** `n` copies of a real deletion in one folder, each with its own id and name, `stepMs` apart (0: one instant). */
  function many(n: number, stepMs = 0): AuditEvent[] {
    const base = loaded.get('unlink-absolute')!.events[0];
    const t0 = Math.floor(base.timeMs / 86_400_000) * 86_400_000;
    return Array.from({ length: n }, (_, i) => ({
      ...base,
      id: `${base.id}-${i}`,
      serial: base.serial + i,
      timeMs: t0 + i * stepMs,
      objects: base.objects.map((o) => (o.role === 'deleted' ? { ...o, path: `/srv/big/f${String(i).padStart(5, '0')}.txt` } : o)),
    }));
  }

  it('a level with more than a page shows a page and "Load more", and each load adds a page', () => {
    const m = new TreeModel('folder');
    m.upsert({ kind: 'analysis', files: ['/x/audit.log'] }, many(PAGE_SIZE * 2 + 17));
    const [origin] = m.page();
    const [folder] = m.page(origin);
    let page = m.page(folder);
    assert.equal(page.length, PAGE_SIZE + 1);
    let more = page[page.length - 1];
    assert.equal(more.type, 'more');
    assert.ok(more.type === 'more' && more.remaining === PAGE_SIZE + 17);
    assert.match(present(more, m, Date.now()).label, new RegExp(`^Load ${PAGE_SIZE} more \\(${PAGE_SIZE + 17} remaining\\)$`));
    assert.ok(more.type === 'more');
    assert.equal(m.loadMore(more), folder, 'the level to refresh is the folder');
    page = m.page(folder);
    assert.equal(page.length, PAGE_SIZE * 2 + 1);
    more = page[page.length - 1];
    assert.ok(more.type === 'more' && more.remaining === 17);
    m.loadMore(more);
    page = m.page(folder);
    assert.equal(page.length, PAGE_SIZE * 2 + 17);
    assert.ok(page.every((n) => n.type === 'event'));
  });

  it('grouped by time, a big list splits into the coarsest time buckets that divide it, each small enough to read', () => {
    const m = new TreeModel('time');
    // 1 000 deletions, one every 150 ms: 2.5 minutes, all in one day and one hour.
    m.upsert({ kind: 'analysis', files: ['/x/audit.log'] }, many(1000, 150));
    const root = m.page();
    assert.deepEqual(root.map((n) => n.type), ['bucket', 'bucket', 'bucket'], 'three minutes, newest first');
    const counts = root.map((n) => m.countOf(n));
    assert.deepEqual(counts, [200, 400, 400]);
    const first = root[0];
    assert.ok(first.type === 'bucket');
    assert.match(present(first, m, Date.now()).label, /^\d{4}-\d\d-\d\d \d\d:02–\d\d:03$/);
    const events = m.page(first);
    assert.equal(events.length, 200);
    assert.ok(events.every((e) => e.type === 'event' && e.entry.event.timeMs >= first.start && e.entry.event.timeMs < first.end));
    // Every event is under exactly one bucket.
    assert.equal(root.reduce((n, b) => n + m.page(b).length, 0), 1000);
    // A minute with more than a page splits into seconds.
    m.upsert({ kind: 'analysis', files: ['/x/audit.log'] }, many(1000, 10).map((e) => ({ ...e, id: `${e.id}b` })));
    const busy = m.page().find((n) => n.type === 'bucket' && m.countOf(n) > 500)!;
    assert.ok(m.page(busy).every((n) => n.type === 'bucket' && n.end - n.start === 1000 && m.countOf(n) <= 500));
  });

  it('the root pages when even one second holds more than a page, and paging starts over after a filter change', () => {
    const m = new TreeModel('time');
    m.upsert({ kind: 'analysis', files: ['/x/audit.log'] }, many(PAGE_SIZE + 3));
    const page = m.page();
    assert.equal(page.length, PAGE_SIZE + 1);
    const more = page[PAGE_SIZE];
    assert.ok(more.type === 'more');
    assert.equal(m.loadMore(more), undefined, 'the root refreshes as a whole');
    assert.equal(m.page().length, PAGE_SIZE + 3);
    m.setFilter({ ...NO_FILTER, text: 'f0' });
    assert.equal(m.page().length, PAGE_SIZE + 1);
  });
});

describe('live updates through the sink', () => {
  it('an update with the same id replaces the row, moves it to its new folder and keeps the counts', () => {
    const l = loaded.get('unlink-absolute')!;
    const watch: EventOrigin = { kind: 'watch', folder: l.truth.watched, key: l.truth.key };
    const m = new TreeModel('folder');
    const first = { ...l.events[0], objects: l.events[0].objects.map((o) => (o.role === 'deleted' ? { ...o, path: '/unknown/a.txt', confidence: 'uncertain' as const } : o)) };
    assert.deepEqual(m.upsert(watch, [first, ...l.events.slice(1)]), { added: l.events.length, updated: 0 });
    assert.equal(walk(m).filter((n) => n.type === 'event' && n.entry.path === '/unknown/a.txt').length, 1);
    assert.deepEqual(m.upsert(watch, [l.events[0]]), { added: 0, updated: 1 });
    const events = walk(m).filter((n): n is Extract<ModelNode, { type: 'event' }> => n.type === 'event');
    assert.equal(events.length, l.events.length);
    assert.ok(!events.some((e) => e.entry.path === '/unknown/a.txt'), 'the guessed row is gone');
    assert.ok(!walk(m).some((n) => n.type === 'folder' && n.idx.path === '/unknown'), 'and its folder with it');
    assert.equal(m.total, l.events.length);
  });

  it('health issues and lost events come first; a watch without deletions still has its row', () => {
    const m = modelWith('unlink-absolute');
    const watch = { folder: '/srv/data', key: 'al_w1', state: 'armed' as const, events: 0, lost: 0, since: Date.now() };
    m.watches([watch]);
    m.diagnostics({ kind: 'watch', folder: '/srv/data', key: 'al_w1' }, [{ kind: 'lost-events', message: 'serial gap', count: 12 }]);
    m.health([{ kind: 'auditd-stopped', message: 'auditd is not running' }]);
    const root = m.children();
    assert.deepEqual(root.map((n) => n.type), ['issue', 'diagnostic', 'origin', 'origin']);
    const now = Date.now();
    assert.equal(present(root[0], m, now).label, 'auditd is not running');
    assert.equal(present(root[0], m, now).command?.command, 'auditLens.events.fixIssue');
    assert.match(present(root[1], m, now).label, /^\/srv\/data: about 12 events lost/);
    const w = root.find((n) => n.type === 'origin' && n.origin.origin.kind === 'watch')!;
    // The folder's name leads (a narrow sidebar cuts the end); where it is follows in the description.
    assert.equal(present(w, m, now).label, 'data');
    assert.equal(present(w, m, now).description, 'no deletions yet · watching · in /srv');
    assert.equal(present(w, m, now).icon?.id, 'eye');
    // A stopped watch's row stays (its events do) but no longer looks watched.
    m.watches([{ ...watch, state: 'stopped' }]);
    const stopped = m.children().find((n) => n.type === 'origin' && n.origin.origin.kind === 'watch')!;
    assert.equal(present(stopped, m, now).icon?.id, 'eye-closed');
    m.watches([watch]);
    m.health([]);
    assert.equal(m.children()[0].type, 'diagnostic');
  });

  it('clearing one origin leaves the others', () => {
    const m = modelWith('unlink-absolute', 'fail-eacces');
    m.clear(loaded.get('unlink-absolute')!.origin);
    assert.equal(m.total, loaded.get('fail-eacces')!.events.length);
    m.clearEvents();
    assert.equal(m.total, 0);
    assert.deepEqual(m.children(), []);
  });
});

describe('timeline', () => {
  it('buckets hold every matching event, and a bar’s interval as a filter selects exactly that bar', () => {
    const m = modelWith('unlink-absolute', 'rm-rf-deep', 'rename-over', 'fail-eacces', 'python-rmtree');
    const t = m.timeline(20);
    assert.ok(t.buckets.length <= 21 && t.buckets.length > 1, `${t.buckets.length} buckets`);
    assert.equal(t.buckets.reduce((n, b) => n + b.total, 0), m.total);
    const bar = t.buckets.reduce((a, b) => (b.total > a.total ? b : a));
    m.setFilter({ ...NO_FILTER, since: bar.start, until: bar.end });
    assert.equal(m.matching, bar.total);
    // Zoomed: the chart now spans the bar, and offers to show all times again.
    const data = timelineData(m);
    assert.equal(data.bars[0].start, bar.start);
    assert.equal(data.bars[data.bars.length - 1].end, bar.end);
    assert.equal(data.bars.reduce((n, b) => n + b.total, 0), bar.total);
    assert.equal(data.resetLabel, 'Show All Times');
    for (const b of data.bars) assert.equal(b.counts.reduce((x, y) => x + y, 0), b.total);
  });
});

describe('rows and tooltips read as facts, with hostile names made harmless', () => {
  it('a row reads "deleted by rm (pid) · user · time" and a failed one names its errno', () => {
    const m = modelWith('unlink-absolute', 'fail-eacces');
    m.setGrouping('time');
    // Two days after the recording, whenever it was made: the time is then the local date and time.
    const now = Math.max(...m.children().map((n) => (n.type === 'event' ? n.entry.event.timeMs : 0))) + 2 * 86_400_000;
    for (const n of m.children()) {
      if (n.type !== 'event') continue;
      const ev = n.entry.event;
      const spec = present(n, m, now);
      if (ev.success === false) {
        assert.match(spec.description ?? '', new RegExp(`^failed deletion \\(${ev.errno}\\) by ${ev.process.comm} \\(${ev.process.pid}\\) · nobody · `));
        assert.equal(spec.icon?.id, 'error');
      } else {
        assert.match(spec.description ?? '', new RegExp(`^deleted by ${ev.process.comm} \\(${ev.process.pid}\\) · root · \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
      }
    }
  });

  it('names with newlines, tabs and backslashes show escaped in labels and tooltips', () => {
    const m = modelWith('odd-names');
    m.setGrouping('time');
    const labels = m.children().map((n) => present(n, m, Date.now()).label);
    assert.ok(labels.includes('new\\nline.txt'), labels.join(' | '));
    assert.ok(labels.includes('tab\\there.txt'));
    assert.ok(labels.includes('back\\\\slash.txt'), 'a real backslash is doubled by the name encoding');
    assert.ok(labels.every((l) => !/[\n\t]/.test(l)));
    const nl = m.children().find((n) => n.type === 'event' && n.entry.name === 'new\nline.txt')!;
    const tip = tooltipOf(nl, Date.now())!;
    assert.ok(!tip.includes('new\nline'), 'no raw newline in the tooltip');
    assert.ok(tip.includes('new\\\\nline\\.txt'), tip);
  });

  it('relative times: just now, minutes and hours within a day, then the local time', () => {
    const l = loaded.get('unlink-absolute')!;
    const ev = l.events[0];
    assert.match(eventRow(ev, ev.timeMs + 5_000).description, / · just now$/);
    assert.match(eventRow(ev, ev.timeMs + 125_000).description, / · 2 min ago$/);
    assert.match(eventRow(ev, ev.timeMs + 3 * 3600_000 + 1).description, / · 3 h ago$/);
    assert.match(eventRow(ev, ev.timeMs + 2 * 86400_000).description, / · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
