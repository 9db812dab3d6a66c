/**
 * The Audit Lens viewer on a 1 GiB log, in code-server driven by Chromium (Playwright): time to the first screen,
 * to the end, to the middle (a scrollbar drag), to the first search hit and to the end of the search, to the line
 * index, to a line the open command names; peak memory of the extension host and the webview's JS heap.
 *
 *   node --import tsx scripts/bench-viewer.ts [--size MiB] [--first-screen N]      (npm run bench:viewer)
 *
 * `--first-screen N` only times first screens, N rounds, each step broken down by the marks the host and the webview
 * log (wall clock, so they compare with the key press): the 1 GiB log, a 7 KiB log, and the platform's floor: a
 * minimal webview panel (static text, one message) and the 7 KiB log in VS Code's own text editor.
 *
 * The log replays the recorded fixtures (scripts/bench.ts's generator) and is cached under
 * ${XDG_CACHE_HOME:-~/.cache}/audit-lens/bench-viewer. Times are wall clock as a user sees them: from the key press
 * to the rows in the webview's DOM (polled every 10 ms). Not part of the tests.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { Commands } from '../src/constants';
import { startSuiteServer, type SuiteServer } from '../test/e2e/support/server';
import { replayLog, viewerFrame, viewerRows, type ViewerRow } from '../test/e2e/support/viewer';
import { openWorkbench, runCommand } from '../test/e2e/support/workbench';
import { cacheRoot, repoRoot } from './code-server';

const MIB = 1 << 20;
const OPEN_KEY = { vscode: 'ctrl+alt+shift+f7', playwright: 'Control+Alt+Shift+F7' };
const LINE_KEY = { vscode: 'ctrl+alt+shift+f8', playwright: 'Control+Alt+Shift+F8' };
const SMALL_KEY = { vscode: 'ctrl+alt+shift+f6', playwright: 'Control+Alt+Shift+F6' };
const PROBE_KEY = { vscode: 'ctrl+alt+shift+f9', playwright: 'Control+Alt+Shift+F9' };
const TEXT_KEY = { vscode: 'ctrl+alt+shift+f10', playwright: 'Control+Alt+Shift+F10' };
const CLOSE_KEY = { vscode: 'ctrl+alt+shift+f11', playwright: 'Control+Alt+Shift+F11' };
const TARGETS = { firstScreen: 500, end: 200, firstHit: 1000, memoryMB: 300 };

const log = (m: string): void => void process.stderr.write(`bench-viewer: ${m}\n`);

function parseArgs(argv: string[]): { sizeMiB: number; rounds: number } {
  let sizeMiB = 1024;
  let rounds = 0;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--size') sizeMiB = Number(argv[++i]);
    else if (argv[i] === '--first-screen') rounds = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}\nusage: bench-viewer.ts [--size MiB] [--first-screen N]`);
  }
  if (!(sizeMiB >= 1)) throw new Error('--size must be at least 1 (MiB)');
  if (!(rounds >= 0)) throw new Error('--first-screen must be a number of rounds');
  return { sizeMiB, rounds };
}

/** Polls `fn` every 10 ms until it returns a truthy value; returns the elapsed ms (throws after `timeoutMs`). */
async function timeUntil(what: string, fn: () => Promise<unknown>, timeoutMs = 120_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await fn().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What the viewer's page is checked for, inside the page (every animation frame, so polling costs nothing). */
type ViewerCheck = { kind: 'first'; title: string } | { kind: 'probe' } | { kind: 'near'; offset: number; within: number } | { kind: 'hits' } | { kind: 'line'; line: string };

/**
 * Runs `action` and returns the ms until the visible viewer satisfies `check`, polled inside the webview on every
 * animation frame (Playwright's waitForFunction); the viewer's frame is looked up again while it is being created.
 */
async function timeInViewer(page: Page, what: string, check: ViewerCheck, action: () => Promise<void>, timeoutMs = 120_000): Promise<number> {
  const t0 = performance.now();
  await action();
  for (;;) {
    try {
      const frame = await viewerFrame(page, 1000);
      // While a new viewer opens, the visible webview may still be the previous one: look again.
      if (check.kind === 'first' && (await frame.title()) !== check.title) throw new Error('not the new viewer yet');
      if (check.kind === 'probe' && (await frame.title()) !== 'probe') throw new Error('not the probe yet');
      await frame.waitForFunction(
        (c: ViewerCheck) => {
          const doc = (globalThis as unknown as { document: { title: string; querySelectorAll(s: string): ArrayLike<{ dataset: Record<string, string | undefined>; className: string; textContent: string | null; querySelector(s: string): { textContent: string | null } | null }> } }).document;
          const rows = Array.from(doc.querySelectorAll('.rows .row[data-offset]'));
          if (c.kind === 'probe') return doc.title === 'probe' && doc.querySelectorAll('#probe').length === 1;
          if (c.kind === 'first') return doc.title === c.title && rows.length > 10 && rows[0].dataset.offset === '0';
          if (c.kind === 'near') return rows.some((r) => Math.abs(Number(r.dataset.offset) - c.offset) <= c.within);
          if (c.kind === 'hits') return doc.querySelectorAll('.results .hit').length > 0;
          return rows.some((r) => r.className.includes('target') && r.querySelector('.gutter')?.textContent === c.line);
        },
        check,
        { polling: 'raf', timeout: Math.min(5000, timeoutMs) },
      );
      return performance.now() - t0;
    } catch (err) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms (${(err as Error).message.split('\n')[0]})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Pids of a process and all its descendants. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The extension host of the code-server that uses `userDataDir`. */
function extensionHostPid(userDataDir: string): number {
  const server = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .find((p) => cmdline(p).includes(`--user-data-dir ${userDataDir}`));
  if (server === undefined) throw new Error('code-server process not found');
  const host = descendants(server).find((p) => /extensionHost/.test(cmdline(p)));
  if (host === undefined) throw new Error('extension host not found');
  return host;
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The webview's JS heap in MB, after a garbage collection (Chromium's performance.memory). */
async function webviewHeapMB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage').catch(() => undefined);
  const frame = await viewerFrame(page);
  const bytes = await frame.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? NaN);
  return bytes / MIB;
}

async function rows(page: Page): Promise<ViewerRow[]> {
  return viewerRows(page, 1000).catch(() => []);
}

/** Steps (ms after the key press) of one first screen, from the marks logged by the host and the webview. */
type Steps = Record<string, number>;

/** The newest marks line logged with `tag` for an open started at `keyAt` (Date.now()), as ms after `keyAt`. */
async function marksAfter(server: SuiteServer, tag: string, keyAt: number): Promise<Steps> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = server.extensionLog().split('\n').filter((l) => l.includes(tag));
    for (const l of lines.reverse()) {
      const m = JSON.parse(l.slice(l.indexOf('{'))) as { t0: number; marks: Record<string, number> };
      if (m.t0 < keyAt - 50) break;
      return Object.fromEntries(Object.entries(m.marks).map(([k, v]) => [k, m.t0 + v - keyAt]));
    }
    if (Date.now() > deadline) throw new Error(`no "${tag}" logged after the key press`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** When the visible webview's outer frame (VS Code's host page) and inner document started, ms after `keyAt`. */
async function frameSteps(page: Page, keyAt: number): Promise<Steps> {
  const inner = await viewerFrame(page);
  const outer = inner.parentFrame();
  // Navigation and resource timings (ms since each document's timeOrigin), made wall-clock here.
  // (The Node project has no DOM types: the entries' shape is spelled out.)
  type Entry = { name: string; entryType: string; startTime: number; workerStart: number; requestStart: number; responseStart: number; responseEnd: number; domContentLoadedEventEnd?: number };
  const timings = (f: typeof inner): Promise<{ origin: number; entries: { name: string; type: string; startTime: number; workerStart: number; requestStart: number; responseStart: number; responseEnd: number; dcl: number }[] }> =>
    f.evaluate(() => {
      const perf = performance as unknown as { timeOrigin: number; getEntriesByType(t: string): Entry[] };
      return {
        origin: perf.timeOrigin,
        entries: [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].map((t) => ({
          name: t.name,
          type: t.entryType,
          startTime: t.startTime,
          workerStart: t.workerStart,
          requestStart: t.requestStart,
          responseStart: t.responseStart,
          responseEnd: t.responseEnd,
          dcl: t.domContentLoadedEventEnd ?? NaN,
        })),
      };
    });
  const steps: Steps = {};
  for (const [label, f] of [
    ['outer', outer],
    ['inner', inner],
  ] as const) {
    if (!f) continue;
    const t = await timings(f);
    steps[`${label}Frame`] = t.origin - keyAt;
    for (const e of t.entries) {
      const name = `${label}:${e.type === 'navigation' ? 'nav' : (e.name.split('?')[0].split('/').pop() ?? '')}`;
      if (e.workerStart > 0) steps[`${name}.workerStart`] = t.origin + e.workerStart - keyAt;
      steps[`${name}.requestStart`] = t.origin + e.requestStart - keyAt;
      steps[`${name}.responseStart`] = t.origin + e.responseStart - keyAt;
      steps[`${name}.responseEnd`] = t.origin + e.responseEnd - keyAt;
      if (e.type === 'navigation') steps[`${name}.domContentLoaded`] = t.origin + e.dcl - keyAt;
      else steps[`${name}.start`] = t.origin + e.startTime - keyAt;
    }
  }
  return steps;
}

async function closeAll(page: Page): Promise<void> {
  await page.keyboard.press(CLOSE_KEY.playwright);
  await timeUntil('editors closed', async () => (await page.locator('.editor-group-container .tab').count()) === 0, 10_000);
}

/** Median of numbers (NaN-free). */
function median(v: number[]): number {
  const s = v.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * First screens only, `rounds` times: the viewer on the big and the small log, a minimal webview, the small log as
 * text; each broken down by the marks. Prints best and median per step, and the load average per round.
 */
async function firstScreens(page: Page, server: SuiteServer, big: string, small: string, rounds: number): Promise<void> {
  const runs: Record<string, Steps[]> = { 'viewer, 1 GiB log': [], 'viewer, 7 KiB log': [], 'minimal webview': [], 'text editor, 7 KiB log': [] };
  const loads: string[] = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '));
    for (const [name, file, key] of [
      ['viewer, 1 GiB log', big, OPEN_KEY],
      ['viewer, 7 KiB log', small, SMALL_KEY],
    ] as const) {
      await closeAll(page);
      await new Promise((res) => setTimeout(res, 300));
      const keyAt = Date.now();
      const total = await timeInViewer(page, name, { kind: 'first', title: path.basename(file) }, () => page.keyboard.press(key.playwright));
      const steps = { ...(await marksAfter(server, 'first screen marks', keyAt)), ...(await frameSteps(page, keyAt)), rowsSeen: total };
      runs[name].push(steps);
    }
    await closeAll(page);
    await new Promise((res) => setTimeout(res, 300));
    let keyAt = Date.now();
    const probe = await timeInViewer(page, 'minimal webview', { kind: 'probe' }, () => page.keyboard.press(PROBE_KEY.playwright));
    runs['minimal webview'].push({ ...(await marksAfter(server, 'minimal webview marks', keyAt)), ...(await frameSteps(page, keyAt)), rowsSeen: probe });
    await closeAll(page);
    await new Promise((res) => setTimeout(res, 300));
    keyAt = Date.now();
    await page.keyboard.press(TEXT_KEY.playwright);
    await page.waitForFunction(
      () => Array.from((globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document.querySelectorAll('.monaco-editor .view-lines .view-line')).some((l) => (l.textContent ?? '').includes('msg=audit(')),
      undefined,
      { polling: 'raf', timeout: 30_000 },
    );
    const text = Date.now() - keyAt;
    runs['text editor, 7 KiB log'].push({ ...(await marksAfter(server, 'text editor marks', keyAt)), rowsSeen: text });
    log(`round ${r + 1}/${rounds} (load ${loads[r]}): ${Object.entries(runs).map(([k, v]) => `${k} ${v[r].rowsSeen.toFixed(0)} ms`).join(', ')}`);
  }
  const out = ['', `First screens, ${rounds} rounds, ms after the key press (best / median); load average per round: ${loads.join(' | ')}`];
  for (const [name, list] of Object.entries(runs)) {
    out.push('', `  ${name}`);
    const keys = Object.keys(list[0]).sort((a, b) => median(list.map((x) => x[a])) - median(list.map((x) => x[b])));
    for (const k of keys) {
      const v = list.map((x) => x[k]);
      out.push(`    ${k.padEnd(14)} ${Math.min(...v).toFixed(0).padStart(6)} / ${median(v).toFixed(0).padStart(6)}   (${v.map((x) => x.toFixed(0)).join(', ')})`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<void> {
  const { sizeMiB, rounds } = parseArgs(process.argv.slice(2));
  const dir = path.join(cacheRoot(), 'bench-viewer');
  const big = path.join(dir, `viewer-${sizeMiB}MiB.audit.log`);
  const small = path.join(repoRoot, 'test', 'fixtures', 'viewer', 'hostile-name', 'audit.log');
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  await replayLog(big, sizeMiB * MIB);
  const size = statSync(big).size;
  log(`log ${big}: ${(size / MIB).toFixed(0)} MiB (${((performance.now() - t0) / 1000).toFixed(1)} s to make or find)`);
  let lineCount = 0;
  if (rounds === 0) {
    const text = readFileSync(big);
    for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) lineCount++;
  }
  const midLine = Math.floor(lineCount / 2);

  let server: SuiteServer | undefined;
  const wbClose: (() => Promise<void>)[] = [];
  try {
    server = await startSuiteServer({
      log,
      keybindings: [
        { key: OPEN_KEY.vscode, command: Commands.ViewerOpen, args: { path: big } },
        { key: LINE_KEY.vscode, command: Commands.ViewerOpen, args: { path: big, line: midLine } },
        { key: SMALL_KEY.vscode, command: Commands.ViewerOpen, args: { path: small } },
        { key: PROBE_KEY.vscode, command: 'auditLens.bench.minimalWebview' },
        { key: TEXT_KEY.vscode, command: 'auditLens.bench.openText', args: small },
        { key: CLOSE_KEY.vscode, command: 'workbench.action.closeAllEditors' },
      ],
      env: { AUDIT_LENS_BENCH: '1' },
    });
    const wb = await openWorkbench(server.url);
    wbClose.push(() => wb.close());
    const page = wb.page;
    // Warm up: activate the extension and load the webview code once, on a small log.
    // A key press can be lost while the workbench is still loading: press again every few seconds.
    let pressed = 0;
    const cold = await timeUntil('first screen of a small log (cold)', async () => {
      if ((await rows(page)).some((r) => r.offset === 0)) return true;
      if (performance.now() - pressed > 5000) {
        pressed = performance.now();
        await page.keyboard.press(SMALL_KEY.playwright);
      }
      return false;
    });
    if (rounds > 0) {
      await firstScreens(page, server, big, small, rounds);
      return;
    }
    // The same open on a fresh webview for the small log: what the first screen costs whatever the size.
    await runCommand(page, 'View: Close All Editors');
    const warmSmall = await timeInViewer(page, 'first screen (small)', { kind: 'first', title: path.basename(small) }, () => page.keyboard.press(SMALL_KEY.playwright));
    log(`first screen of the small log (warm) ${warmSmall.toFixed(0)} ms`);
    const heapBefore = await webviewHeapMB(page);
    const host = extensionHostPid(server.userDataDir);
    const hostBefore = rssMB(host);
    let hostPeak = hostBefore;
    const sampler = setInterval(() => {
      hostPeak = Math.max(hostPeak, rssMB(host));
    }, 50);

    const firstScreen = await timeInViewer(page, 'first screen', { kind: 'first', title: path.basename(big) }, () => page.keyboard.press(OPEN_KEY.playwright));
    log(`first screen ${firstScreen.toFixed(0)} ms`);
    const frame = await viewerFrame(page);
    await frame.locator('.viewport').click({ position: { x: 300, y: 30 } });
    const end = await timeInViewer(page, 'end', { kind: 'near', offset: size, within: 64 * 1024 }, () => page.keyboard.press('End'));
    log(`end ${end.toFixed(0)} ms`);

    // The scrollbar dragged to the middle: a jump to a byte offset (resynchronised on a line start).
    const thumb = frame.locator('.thumb');
    const track = await frame.locator('.scrollbar').boundingBox();
    const tb = await thumb.boundingBox();
    let middle = NaN;
    if (track && tb) {
      await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2);
      await page.mouse.down();
      await page.mouse.move(tb.x + tb.width / 2, track.y + track.height / 2, { steps: 2 });
      middle = await timeInViewer(page, 'middle', { kind: 'near', offset: size / 2, within: size / 10 }, () => page.mouse.up());
      log(`middle (drag) ${middle.toFixed(0)} ms`);
    }

    await frame.locator('.search-input').fill('bench_k');
    const searchStart = performance.now();
    const firstHit = await timeInViewer(page, 'first search hit', { kind: 'hits' }, () => frame.locator('.search-input').press('Enter'));
    log(`first search hit ${firstHit.toFixed(0)} ms`);
    await timeUntil('search done', async () => !/…|%/.test(await frame.locator('.results-head').innerText()), 600_000);
    const searchAll = performance.now() - searchStart;
    const hits = await frame.locator('.results-head').innerText();
    log(`search done ${searchAll.toFixed(0)} ms (${hits})`);

    const indexed = await timeUntil('line index', async () => /\d lines/.test(await frame.locator('.status').innerText()), 600_000);
    const lineJump = await timeInViewer(page, 'go to line', { kind: 'line', line: String(midLine) }, () => page.keyboard.press(LINE_KEY.playwright));
    log(`line ${midLine} in ${lineJump.toFixed(0)} ms`);

    // Scroll a few pages to load and drop windows, then measure memory.
    await frame.locator('.viewport').click({ position: { x: 300, y: 30 } });
    for (let i = 0; i < 40; i++) await page.keyboard.press('PageDown');
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(sampler);
    const hostAfter = rssMB(host);
    const heapAfter = await webviewHeapMB(page);
    const domNodes = await frame.evaluate(() => (globalThis as unknown as { document: { getElementsByTagName(t: string): { length: number } } }).document.getElementsByTagName('*').length);

    const ok = (v: number, t: number): string => (v <= t ? 'met' : 'NOT met');
    const out = [
      '',
      `Audit Lens viewer benchmark: ${(size / MIB / 1024).toFixed(2)} GiB log (${size} bytes, ${lineCount} lines), code-server + Chromium, ` +
        `node ${process.version}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      '',
      `  first screen (open command → rows in the webview)   ${firstScreen.toFixed(0).padStart(6)} ms   target < ${TARGETS.firstScreen} ms: ${ok(firstScreen, TARGETS.firstScreen)}`,
      `  jump to the end (End key → last rows)               ${end.toFixed(0).padStart(6)} ms   target < ${TARGETS.end} ms: ${ok(end, TARGETS.end)}`,
      `  jump to the middle (scrollbar drag → rows)          ${middle.toFixed(0).padStart(6)} ms`,
      `  first search hit ("bench_k", Enter → first result)  ${firstHit.toFixed(0).padStart(6)} ms   target < ${TARGETS.firstHit} ms: ${ok(firstHit, TARGETS.firstHit)}`,
      `  whole search (${hits.replace(/\s+/g, ' ')})  ${searchAll.toFixed(0).padStart(6)} ms`,
      `  line index complete (after the open)                ${(indexed + firstScreen + end + middle + searchAll).toFixed(0).padStart(6)} ms (approx.)`,
      `  go to line ${midLine} (open command with a line)     ${lineJump.toFixed(0).padStart(6)} ms`,
      `  first screen of a ${(statSync(small).size / 1024).toFixed(0)} KiB log, same way (the webview's own start) ${warmSmall.toFixed(0).padStart(6)} ms`,
      `  first screen of that small log, extension cold      ${cold.toFixed(0).padStart(6)} ms`,
      '',
      `  extension host RSS: ${hostBefore.toFixed(0)} MB before, peak ${hostPeak.toFixed(0)} MB, ${hostAfter.toFixed(0)} MB after`,
      `  webview JS heap (after GC; the renderer's heap, shared with the workbench): ${heapBefore.toFixed(1)} MB before, ${heapAfter.toFixed(1)} MB after; ${domNodes} DOM nodes`,
      `  host peak + webview heap: ${(hostPeak + heapAfter).toFixed(0)} MB   target < ${TARGETS.memoryMB} MB: ${ok(hostPeak + heapAfter, TARGETS.memoryMB)}`,
    ];
    const startup = server
      .extensionLog()
      .split('\n')
      .filter((l) => l.includes('first screen marks') && l.includes(path.basename(big)));
    if (startup.length) {
      const m = JSON.parse(startup[0].slice(startup[0].indexOf('{'))) as { marks: Record<string, number> };
      out.push('', `  first screen's steps (ms after the open command; --first-screen N for the breakdown): ${Object.entries(m.marks).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    for (const c of wbClose) await c().catch(() => undefined);
    await server?.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench-viewer: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
