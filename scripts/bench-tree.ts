/**
 * The Audit Events tree with 100 000 events: how long loading and scrolling take, and how long the extension host's
 * thread is ever blocked while they happen. Not part of the tests.
 *
 *   node --import tsx scripts/bench-tree.ts                 host side: worker analysis streamed into the model,
 *                                                           grouping, filters, paging every row, the timeline
 *   node --import tsx scripts/bench-tree.ts --ui            also the real thing: the VSIX in code-server, the log
 *                                                           analysed from the palette, "Load more" and scrolling
 *   options: --events N (default 100000)
 *
 * The log is made by replaying the recorded `rm -rf` of a 5-level tree (test/fixtures/recorded/rm-rf-deep, 23
 * deletions): each copy gets its own folder name, inode numbers, serials and times (bursts of copies, so the
 * timeline has something to show), so the tree has thousands of folders, as a big real deletion would.
 * Host-side times are measured on this thread with the same code the extension runs (model.ts, nodes.ts, the
 * analysis worker); "blocked" is the longest event-loop delay (perf_hooks) while the batches are applied.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import type { AuditEvent } from '../src/core/types';
import { startAnalysis } from '../src/views/analysisClient';
import { NO_FILTER, TreeModel, type ModelNode } from '../src/views/model';
import { Presenter, timelineData } from '../src/views/nodes';

const repoRoot = path.resolve(__dirname, '..');
const SEED = path.join(repoRoot, 'test', 'fixtures', 'recorded', 'rm-rf-deep', 'audit.log');
/** The recording's temporary folder name (`al-rec-XXXXXX`), replaced per copy. */
const SEED_DIR = path.basename(path.dirname((JSON.parse(readFileSync(path.join(path.dirname(SEED), 'truth.json'), 'utf8')) as { watched: string }).watched));
/** 2026-01-01T00:00:00Z. */
const START_S = 1767225600;

interface Options {
  events: number;
  ui: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { events: 100_000, ui: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--events') o.events = Number(argv[++i]);
    else if (argv[i] === '--ui') o.ui = true;
    else throw new Error(`unknown option ${argv[i]}; usage: bench-tree.ts [--events N] [--ui]`);
  }
  if (!(o.events > 0)) throw new Error('--events must be positive');
  return o;
}

const say = (m: string): void => void process.stderr.write(`bench-tree: ${m}\n`);
const ms = (t: number): string => `${t.toFixed(t < 10 ? 1 : 0)} ms`;

/** Builds (or reuses) the replayed log with at least `events` deletions in `dir`; returns its path. */
export function buildLog(events: number, dir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'audit-lens', 'bench-tree')): string {
  const seed = readFileSync(SEED, 'latin1');
  const perCopy = (seed.match(/nametype=DELETE/g) ?? []).length;
  const copies = Math.ceil(events / perCopy);
  // The name carries the seed's folder name: a re-recorded seed makes a new log.
  const file = path.join(dir, `tree-${copies}-${SEED_DIR}.log`);
  try {
    if (statSync(file).size > 0) return file;
  } catch {
    // build it
  }
  mkdirSync(dir, { recursive: true });
  const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex').toUpperCase();
  const parts: string[] = [];
  let serial = 1000;
  for (let k = 0; k < copies; k++) {
    // Same length as the seed's folder name, so nothing else in the records moves.
    const name = `al-rec-${k.toString(36).padStart(6, '0')}`;
    // Bursts: 50 copies a second apart, then a pause of an hour.
    const t = START_S + Math.floor(k / 50) * 3600 + (k % 50);
    const serials = new Map<string, number>();
    parts.push(
      seed
        .replaceAll(SEED_DIR, name)
        .replaceAll(hex(SEED_DIR), hex(name))
        .replace(/ inode=(\d+)/g, (_m, ino: string) => ` inode=${Number(ino) + k * 1000}`)
        .replace(/msg=audit\((\d+)\.(\d+):(\d+)\)/g, (_m, _s: string, frac: string, n: string) => {
          let v = serials.get(n);
          if (v === undefined) serials.set(n, (v = serial++));
          return `msg=audit(${t}.${frac}:${v})`;
        }),
    );
  }
  writeFileSync(file, parts.join(''), 'latin1');
  return file;
}

async function buildWorker(): Promise<string> {
  const out = path.join(repoRoot, 'out', 'bench', 'analysisWorker.js');
  await esbuild.build({ entryPoints: [path.join(repoRoot, 'src/views/analysisWorker.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, logLevel: 'error' });
  return out;
}

interface HostResult {
  rows: [string, string][];
  model: TreeModel;
}

/** Streams the log through the worker into a model, as the extension does, and times every step. */
async function hostSide(log: string, worker: string): Promise<HostResult> {
  const rows: [string, string][] = [];
  const model = new TreeModel('folder');
  const origin = { kind: 'analysis' as const, files: [log] };
  const h = monitorEventLoopDelay({ resolution: 5 });
  let applyMs = 0;
  let batches = 0;
  let first = 0;
  const t0 = performance.now();
  h.enable();
  const out = await startAnalysis(worker, { inputs: [log], filter: {} }, (items) => {
    const a = performance.now();
    const events: AuditEvent[] = [];
    for (const it of items) if (it.kind !== 'diagnostic') events.push(it.event);
    model.upsert(origin, events);
    if (events.length && !first) first = performance.now() - t0;
    applyMs += performance.now() - a;
    batches++;
  }).done;
  h.disable();
  const total = performance.now() - t0;
  if (!out.ok) throw new Error(out.message);
  rows.push(['analysis in the worker, streamed into the tree', `${ms(total)} (${model.total} events, ${(statSync(log).size / 1e6).toFixed(0)} MB, ${batches} batches)`]);
  rows.push(['first rows in the tree after', ms(first)]);
  rows.push(['host thread: applying the batches', `${ms(applyMs)} in all, ${ms(applyMs / Math.max(1, batches))} per batch`]);
  rows.push(['host thread: longest block while loading', `${ms(h.max / 1e6)} (event-loop delay p99 ${ms(h.percentile(99) / 1e6)})`]);

  const heap = process.memoryUsage().heapUsed;
  rows.push(['host heap with the events', `${(heap / 1048576).toFixed(0)} MiB`]);

  const now = Date.now();
  // The provider's path: one presenter, as long as the view lives.
  const presenter = new Presenter(model);
  const present = (node: ModelNode, _m: TreeModel, t: number) => presenter.item(node, t);
  const time = (label: string, fn: () => unknown): number => {
    const a = performance.now();
    fn();
    const d = performance.now() - a;
    rows.push([label, ms(d)]);
    return d;
  };
  // What VS Code asks for when the view opens: the root, then each expanded level, each row presented.
  const render = (node?: ModelNode): number => {
    let n = 0;
    for (const c of model.page(node)) {
      n++;
      const spec = present(c, model, now);
      if (spec.collapsible === 'expanded') n += render(c);
    }
    return n;
  };
  time('first render, grouped by folder (rows VS Code asks for)', () => render());
  time('timeline buckets', () => timelineData(model));
  for (const g of ['process', 'time', 'folder'] as const) time(`switch grouping to ${g} (re-index 100k) + render`, () => (model.setGrouping(g), render()));
  time('text filter "level3" (re-index) + render', () => (model.setFilter({ ...NO_FILTER, text: 'level3' }), render()));
  time('clear the filter + render', () => (model.setFilter(NO_FILTER), render()));

  // Scrolling through everything: every level opened and every "Load more" pressed, each fetch answered as
  // VS Code asks it (the whole level again, every row presented), per grouping.
  for (const g of ['time', 'process', 'folder'] as const) {
    model.setGrouping(g);
    let fetches = 0;
    let shownRows = 0;
    let widest = 0;
    let slowest = 0;
    const a = performance.now();
    const open = (node?: ModelNode): void => {
      for (;;) {
        const b = performance.now();
        const page = model.page(node);
        for (const c of page) present(c, model, now);
        slowest = Math.max(slowest, performance.now() - b);
        fetches++;
        const more = page[page.length - 1];
        if (more?.type === 'more') {
          model.loadMore(more);
          continue;
        }
        widest = Math.max(widest, page.length);
        shownRows += page.length;
        for (const c of page) if (c.type !== 'event' && c.type !== 'chain') open(c);
        return;
      }
    };
    open();
    rows.push([
      `scroll everything grouped by ${g}`,
      `${ms(performance.now() - a)} for ${shownRows} rows (${fetches} fetches); widest level ${widest} rows, slowest fetch ${ms(slowest)}`,
    ]);
  }
  return { rows, model };
}

/** The real workbench: analyze the log from the palette, then "Load more" and scroll; frame gaps in the page. */
async function uiSide(log: string, events: number): Promise<[string, string][]> {
  const { startSuiteServer, addToWorkspace } = await import('../test/e2e/support/server');
  const w = await import('../test/e2e/support/workbench');
  const rows: [string, string][] = [];
  const server = await startSuiteServer({ log: say });
  const wb = await w.openWorkbench(server.url, { width: 1440, height: 900 });
  const page = wb.page;
  try {
    const file = addToWorkspace(server, log, path.join('big', 'audit.log'));
    await w.openViewContainer(page, 'Audit Lens');
    // A frame-gap recorder in the page: the longest time between two animation frames = the longest freeze.
    // (A string, not a function: tsx would wrap named inner functions in a helper the page does not have.)
    await page.evaluate(`(() => {
      window.__gaps = [];
      window.__last = 0;
      const tick = (t) => {
        if (window.__last) window.__gaps.push(t - window.__last);
        window.__last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    const gaps = async (): Promise<{ max: number; p99: number }> =>
      page.evaluate(`(() => {
        const s = [...window.__gaps].sort((x, y) => x - y);
        window.__gaps = [];
        return { max: s[s.length - 1] ?? 0, p99: s[Math.floor(s.length * 0.99)] ?? 0 };
      })()`);
    await w.runCommand(page, 'Audit Lens: Analyze Audit Log…');
    await gaps();
    const t0 = Date.now();
    await w.pickInFileDialog(page, 'Analyze Audit Log', file);
    const firstRows = await w.poll(async () => ((await w.treeRows(page, 'Audit Events')).length > 5 ? Date.now() - t0 : 0), 600_000, 50);
    const done = / (\d+) events from \d+ records .*host thread blocked at most (\d+) ms/;
    const loaded = await w.poll(async () => (done.test(server.extensionLog()) ? Date.now() - t0 : 0), 600_000, 100);
    const during = await gaps();
    const [, shown, blocked] = done.exec(server.extensionLog()) ?? [];
    if (Number(shown) !== events) throw new Error(`the tree holds ${shown} events, the bench made ${events}`);
    say(`loaded: first rows after ${firstRows} ms, all after ${loaded} ms`);
    rows.push(['UI: first rows after', `${firstRows} ms`]);
    rows.push(['UI: all events loaded after', `${loaded} ms`]);
    rows.push(['UI: longest frame gap while loading', `${during.max.toFixed(0)} ms (p99 ${during.p99.toFixed(0)} ms)`]);
    rows.push(['UI: extension host thread blocked at most', `${blocked} ms (its own event-loop monitor, logged)`]);
    // Scrolling the widest level (the 4 348 folders under /tmp, grouped by folder): End, Enter on "Load more"
    // until it is all there, then wheel-scrolling back to the top.
    // (A fresh profile groups by folder.)
    const pane = w.viewPane(page, 'Audit Events');
    const moreRow = pane.locator('.monaco-list-row', { hasText: /^Load \d+ more/ });
    const remaining = async (): Promise<number> => {
      const t = (await moreRow.first().textContent({ timeout: 1000 }).catch(() => null)) ?? '';
      return Number(/\((\d+) remaining\)/.exec(t)?.[1] ?? 0);
    };
    // The "Load more" row is at the end of the level: the list only renders what is on screen.
    // (A click on the source row also folds it: Right opens it again.)
    await pane.locator('.monaco-list-row').first().click();
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(500);
    // The widest folder (/tmp, 4 348 folders) sorts last among its siblings: open it, then go to its end.
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(500);
    await page.keyboard.press('End');
    await moreRow.first().waitFor({ timeout: 60_000 });
    const initialLeft = await remaining();
    const s0 = Date.now();
    let loads = 0;
    for (let left = initialLeft; left > 0; ) {
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      loads++;
      // The level grew: End focuses its last row, the next "Load more" (with fewer remaining) or, at the end, a folder.
      const next = await w.poll(
        async () => {
          await page.keyboard.press('End');
          const t = (await pane.locator('.monaco-list-row.focused .label-name').first().textContent({ timeout: 1000 }).catch(() => null)) ?? '';
          const m = /\((\d+) remaining\)/.exec(t);
          const r = m ? Number(m[1]) : t && !/^Load /.test(t) ? 0 : left;
          return r < left ? { r } : undefined;
        },
        60_000,
        50,
      );
      if (!next) throw new Error(`Load more did not add rows (${left} remaining)`);
      left = next.r;
    }
    const loadMs = Date.now() - s0;
    const rowsShown = initialLeft + 500;
    const s1 = Date.now();
    for (let i = 0; i < 60; i++) await page.mouse.wheel(0, -4000);
    await page.keyboard.press('Home');
    await page.waitForTimeout(300);
    const scroll = await gaps();
    rows.push([`UI: ${loads} × Load more (to ${rowsShown} rows in one level)`, `${loadMs} ms (${(loadMs / Math.max(1, loads)).toFixed(0)} ms each)`]);
    rows.push(['UI: wheel-scrolling back to the top', `${Date.now() - s1} ms; longest frame gap while paging and scrolling ${scroll.max.toFixed(0)} ms (p99 ${scroll.p99.toFixed(0)} ms)`]);
  } catch (err) {
    const shot = await w.screenshot(page, path.join(repoRoot, 'test-artifacts'), 'bench-tree-ui');
    say(`UI part failed; screenshot ${shot}`);
    throw err;
  } finally {
    await wb.close();
    await server.stop();
  }
  return rows;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = buildLog(o.events);
  say(`log ${log} (${(statSync(log).size / 1e6).toFixed(0)} MB)`);
  const worker = await buildWorker();
  const { rows, model } = await hostSide(log, worker);
  if (o.ui) rows.push(...(await uiSide(log, model.total)));
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(
    `Audit Events tree, ${o.events} events (node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}, ${new Date().toISOString()})\n`,
  );
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench-tree: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
