/**
 * The Audit Events tree in a real workbench (the packaged VSIX in code-server, driven by Chromium): rows and labels
 * of recorded fixtures against their truth.json, grouping, filters, the timeline, Reveal Raw Records, Copy as JSON,
 * Who Deleted…?, Export, and hostile names shown as text. One server and one page for the file; tests run in order.
 * Expected rows come from truth.json (the recorder's lstat before each deletion) and expected log lines from the log
 * text itself, never from the parser.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { writeDemoLog } from '../../scripts/demo';
import { encodeName } from '../../src/core/names';
import { visible } from '../../src/core/display';
import type { Truth, TruthItem } from '../support/truth';
import { HOSTILE_NAMES } from './fixtures/record-hostile-names';
import { addToWorkspace, repoRoot, startSuiteServer, type SuiteServer } from './support/server';
import {
  failureReporter,
  answerQuickInput,
  answerSaveDialog,
  clipboardText,
  contextMenu,
  editorLine,
  hoverText,
  openViewContainer,
  openWorkbench,
  pickInFileDialog,
  poll,
  runCommand,
  treeRow,
  treeRows,
  viewDescription,
  viewMessage,
  viewPane,
  webviewFrame,
  type TreeRow,
  type Workbench,
} from './support/workbench';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
const RECORDED = path.join(repoRoot, 'test', 'fixtures', 'recorded');
const HOSTILE = path.join(__dirname, 'fixtures', 'hostile-names');
const VIEW = 'Audit Events';
/**
 * Two recorded cases joined into one log: an rmtree (paths rebuilt from inodes) and refused attempts by another user.
 * (Cases whose trees reused each other's inodes are not joined: see DEMO_CASES in scripts/demo.ts.)
 */
const MIXED_CASES = ['python-rmtree', 'fail-eacces'];
/** A row name that occurs once in the joined log. */
const REVEALED = 'c1.txt';

const truthOf = (dir: string): Truth => JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
const MIXED_TRUTH: TruthItem[] = MIXED_CASES.flatMap((c) => truthOf(path.join(RECORDED, c)).items).filter((i) => i.role === 'deleted' || i.role === 'source');
/** A truth path as the tree shows it: the output name encoding, then control and bidi characters made visible. */
const shownPath = (p: string): string => visible(encodeName(Buffer.from(p, 'utf8')).text);
const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

let server: SuiteServer;
let wb: Workbench | undefined;
let page: Page;
let mixedLog: string;
const dialogs: string[] = [];

/** A test that saves a screenshot and code-server's log when it fails. */
const check = failureReporter(ARTIFACTS, () => ({ page, logFile: server?.logFile }), 'tree-');

/** Event rows (not folders, programs or processes): they say who did it. */
const eventRows = (rows: TreeRow[]): TreeRow[] => rows.filter((r) => / by .+ \(\d+\)/.test(r.description) && r.expanded === false);

/** Waits until the tree shows `n` event rows (at `level` when given: a grouping switch moves them). */
async function waitForEventRows(n: number, level?: number, timeoutMs = 20_000): Promise<TreeRow[]> {
  const rows = await poll(async () => {
    const r = eventRows(await treeRows(page, VIEW));
    return r.length === n && (level === undefined || r.every((x) => x.level === level)) ? r : undefined;
  }, timeoutMs);
  if (!rows) {
    const now = await treeRows(page, VIEW);
    assert.fail(`expected ${n} event rows, the tree shows:\n${now.map((r) => `${'  '.repeat(r.level)}${r.label}  ${r.description}`).join('\n')}`);
  }
  return rows;
}

/** Analyze Audit Log… from the palette, answering the file dialog; waits for `events` event rows. */
async function analyze(file: string, events: number): Promise<TreeRow[]> {
  await runCommand(page, 'Audit Lens: Analyze Audit Log…');
  await pickInFileDialog(page, 'Analyze Audit Log', file);
  return waitForEventRows(events);
}

/**
 * The lines (1-based) of the records of the event whose DELETE PATH record names `item` (its inode and its file name;
 * inodes recur across the joined cases), read from the log text.
 */
function recordLines(log: string, item: TruthItem): number[] {
  const lines = readFileSync(log, 'latin1').split('\n');
  const base = baseName(item.path);
  const del = lines.find(
    (l) => l.startsWith('type=PATH') && l.includes(` inode=${item.inode} `) && l.includes('nametype=DELETE') && (l.includes(`name="${base}"`) || l.includes(`/${base}"`)),
  );
  assert.ok(del, `the log has a DELETE PATH record for ${item.path} (inode ${item.inode})`);
  const id = /msg=audit\(([\d.:]+)\)/.exec(del)![1];
  return lines.flatMap((l, i) => (l.includes(`msg=audit(${id})`) ? [i + 1] : []));
}

describe('Audit Events tree in code-server', { timeout: 14 * 60_000 }, () => {
  before(async () => {
    server = await startSuiteServer();
    mixedLog = path.join(server.workspace, 'mixed', 'audit.log');
    writeDemoLog(mixedLog, MIXED_CASES);
    wb = await openWorkbench(server.url, { width: 1280, height: 900 });
    page = wb.page;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await openViewContainer(page, 'Audit Lens');
    await viewPane(page, VIEW).waitFor();
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  check('groups by folder: every deletion of the truth sits under its folders, labelled with its file name', async () => {
    // A fresh profile groups by folder.
    await analyze(mixedLog, MIXED_TRUTH.length);
    const rows = await treeRows(page, VIEW);
    // Rebuild each event's path from the rows above it: folder labels (compacted chains such as /tmp/al-rec-x/vol) joined.
    const stack: string[] = [];
    const paths: string[] = [];
    for (const r of rows) {
      stack.length = r.level - 1;
      const isEvent = r.expanded === false && / by .+ \(\d+\)/.test(r.description);
      if (isEvent) paths.push([...stack.slice(1), r.label].join('/').replace(/^\/\//, '/'));
      else stack[r.level - 1] = r.label;
    }
    assert.deepEqual(paths.sort(), MIXED_TRUTH.map((i) => shownPath(i.path)).sort(), rows.map((r) => `${'  '.repeat(r.level)}${r.label}`).join('\n'));
    assert.equal(rows[0].label, 'audit.log', 'the source is the top row');
    assert.match(rows[0].description, new RegExp(`^${MIXED_TRUTH.length} events`));
    for (const item of MIXED_TRUTH) {
      const row = rows.find((r) => r.label === baseName(item.path) && r.description.includes(`by ${item.comm.slice(0, 7)}`));
      assert.ok(row, `a row for ${item.path} by ${item.comm}`);
      const verb = !item.success ? `failed deletion \\(${item.errno}\\)` : item.type === 'dir' ? 'folder deleted' : 'deleted';
      assert.match(row.description, new RegExp(`^${verb} by `), `${item.path}: ${row.description}`);
      assert.equal(row.icon, !item.success ? 'codicon-error' : item.type === 'dir' ? 'codicon-folder' : 'codicon-trash', item.path);
    }
    assert.match(await viewDescription(page, VIEW), new RegExp(`^${MIXED_TRUTH.length} events$`));
  });

  check('switches grouping to process (program, then pid) and to time (newest first) from the palette', async () => {
    await runCommand(page, 'Audit Lens: Group by Process');
    const byProcess = await poll(async () => {
      const r = await treeRows(page, VIEW);
      return r.length > 0 && r[0].icon === 'codicon-gear' ? r : undefined;
    });
    assert.ok(byProcess, 'program rows appear');
    const programs = byProcess.filter((r) => r.level === 1);
    // Each program row counts its events; together they are all the events.
    const counted = programs.reduce((n, r) => n + Number(/(\d+) events?$/.exec(r.description)?.[1] ?? 0), 0);
    assert.equal(counted, MIXED_TRUTH.length, programs.map((p) => `${p.label} ${p.description}`).join('\n'));
    for (const comm of new Set(MIXED_TRUTH.map((i) => i.comm))) {
      assert.ok(programs.some((p) => p.label.startsWith(comm.slice(0, 6))), `a program row for ${comm}`);
    }
    assert.ok(byProcess.some((r) => r.level === 2 && /^pid \d+$/.test(r.label)), 'process rows under programs');

    await runCommand(page, 'Audit Lens: Group by Time');
    const rows = await waitForEventRows(MIXED_TRUTH.length, 1);
    // Newest first is the log read backwards: each deletion's place is the line of its records (times and serials rise).
    const byLogOrder = [...MIXED_TRUTH].sort((a, b) => recordLines(mixedLog, b)[0] - recordLines(mixedLog, a)[0]);
    assert.deepEqual(rows.map((r) => r.label), byLogOrder.map((i) => visible(baseName(i.path))), 'newest first');
    assert.ok(rows.every((r) => / · in \//.test(r.description)), 'the folder is in the description when no folder row shows it');
  });

  check('filters by text and to failed attempts; the view description shows the filter and the counts', async () => {
    const failed = MIXED_TRUTH.filter((i) => !i.success);
    assert.ok(failed.length > 0 && failed.every((i) => i.comm !== 'python3'));
    await runCommand(page, 'Audit Lens: Filter by Text…');
    await answerQuickInput(page, 'nobody');
    let rows = await waitForEventRows(failed.length);
    assert.deepEqual(rows.map((r) => r.label).sort(), failed.map((i) => baseName(i.path)).sort());
    assert.equal(await viewDescription(page, VIEW), `${failed.length} of ${MIXED_TRUTH.length} events · text "nobody"`);

    await runCommand(page, 'Audit Lens: Clear Filters');
    await waitForEventRows(MIXED_TRUTH.length);
    await runCommand(page, 'Audit Lens: Toggle Failed Attempts Only');
    rows = await waitForEventRows(failed.length);
    assert.ok(rows.every((r) => r.icon === 'codicon-error' && /^failed deletion \(EACCES\)/.test(r.description)));
    assert.equal(await viewDescription(page, VIEW), `${failed.length} of ${MIXED_TRUTH.length} events · failed attempts only`);

    await runCommand(page, 'Audit Lens: Filter by Text…');
    await answerQuickInput(page, 'no-such-program-anywhere');
    const none = await poll(async () => {
      const r = await treeRows(page, VIEW);
      return r.length === 1 && r[0].label === 'No events match the filter' ? r : undefined;
    });
    assert.ok(none, 'an empty result says so');
    await runCommand(page, 'Audit Lens: Clear Filters');
    await waitForEventRows(MIXED_TRUTH.length);
    assert.equal(await viewDescription(page, VIEW), `${MIXED_TRUTH.length} events`);
  });

  check('Reveal Raw Records (a click on the row) opens the log at the event and highlights every record of it', async () => {
    const item = MIXED_TRUTH.find((i) => baseName(i.path) === REVEALED)!;
    const lines = recordLines(mixedLog, item);
    const row = await treeRow(page, VIEW, REVEALED);
    await row.click();
    await page.locator('.tabs-container .tab.active', { hasText: 'audit.log' }).waitFor();
    const line = await poll(async () => ((await editorLine(page)) === lines[0] ? lines[0] : 0), 10_000);
    assert.equal(line || (await editorLine(page)), lines[0], `the cursor is on the event's first record (line ${lines[0]})`);
    // The highlighted lines are drawn as overlays on the lines shown; the event's records are contiguous and on screen.
    const highlighted = await poll(async () => {
      const n = await page.locator('.editor-group-container.active .view-overlays div[class*="ced-"]').count();
      return n === lines.length ? n : 0;
    }, 5000);
    assert.equal(highlighted, lines.length, `${lines.length} record lines are highlighted`);
  });

  check('Copy as JSON (row context menu) puts the event on the clipboard: path, inode and program as recorded', async () => {
    const item = MIXED_TRUTH.find((i) => baseName(i.path) === REVEALED)!;
    await openViewContainer(page, 'Audit Lens');
    await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void> } } }).navigator.clipboard.writeText(''));
    await contextMenu(page, await treeRow(page, VIEW, REVEALED), 'Copy as JSON');
    const text = await poll(() => clipboardText(page), 5000);
    const ev = JSON.parse(text) as { id: string; objects: { role: string; path: string; inode: string }[]; process: { comm: string } };
    const deleted = ev.objects.find((o) => o.role === 'deleted')!;
    assert.equal(deleted.path, encodeName(Buffer.from(item.path, 'utf8')).text);
    assert.equal(deleted.inode, String(item.inode));
    assert.equal(ev.process.comm, item.comm);
    const first = readFileSync(mixedLog, 'latin1').split('\n')[recordLines(mixedLog, item)[0] - 1];
    assert.ok(first.includes(`msg=audit(${ev.id})`), `the id ${ev.id} is the records' own`);
  });

  check('clicking a timeline bar filters the tree to its interval; Show All Times brings every event back', async () => {
    const frame = webviewFrame(page, 'Timeline');
    const bars = frame.locator('.bar:not([disabled])');
    await bars.first().waitFor();
    const totals = await bars.evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { total: string } }).dataset.total)));
    assert.equal(totals.reduce((a, b) => a + b, 0), MIXED_TRUTH.length, `bars ${totals.join(', ')}`);
    assert.ok(totals.length >= 2, `the two recordings are told apart (bars: ${totals.join(', ')})`);
    const i = totals.indexOf(Math.min(...totals));
    await bars.nth(i).click();
    await waitForEventRows(totals[i]);
    const filtered = new RegExp(`^${totals[i]} of ${MIXED_TRUTH.length} events · \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{3})? to `);
    assert.ok(await poll(async () => filtered.test(await viewDescription(page, VIEW))), `the description says so: ${await viewDescription(page, VIEW)}`);
    await frame.locator('.reset').click();
    await waitForEventRows(MIXED_TRUTH.length);
  });

  check('Export Events… (the view title button) writes the filtered events as JSON Lines, one line per row', async () => {
    await runCommand(page, 'Audit Lens: Toggle Failed Attempts Only');
    const failed = MIXED_TRUTH.filter((i) => !i.success);
    const rows = await waitForEventRows(failed.length);
    // A selected row must not narrow the title button's export to that row (the row's own menu does that).
    await (await treeRow(page, VIEW, rows[0].label)).click();
    const out = path.join(server.workspace, 'exported.jsonl');
    const header = page.locator(`.pane-header[aria-label^="${VIEW}"]`);
    await header.hover();
    await header.locator('.action-label[aria-label^="Export Events"]').click();
    await answerSaveDialog(page, `Export ${failed.length} events`, out);
    const lines = await poll(async () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : undefined), 10_000);
    assert.ok(lines, `${out} was written`);
    const events = lines.map((l) => JSON.parse(l) as { success: boolean; errno: string; objects: { role: string; path: string }[] });
    assert.deepEqual(events.map((e) => e.objects.find((o) => o.role === 'deleted')!.path).sort(), failed.map((i) => i.path).sort());
    assert.ok(events.every((e) => e.success === false && e.errno === 'EACCES'));
    await runCommand(page, 'Audit Lens: Clear Filters');
  });

  check('Who Deleted…? finds the deletions under a typed folder in the configured logs', async () => {
    const rmtree = truthOf(path.join(RECORDED, 'python-rmtree'));
    const want = rmtree.items.filter((i) => i.role === 'deleted');
    server.setMachineSettings({ 'auditLens.events.logPath': mixedLog });
    await new Promise((r) => setTimeout(r, 1500));
    await runCommand(page, 'Audit Lens: Who Deleted…?');
    await answerQuickInput(page, rmtree.watched);
    const rows = await waitForEventRows(want.length);
    assert.deepEqual(rows.map((r) => r.label).sort(), want.map((i) => baseName(i.path)).sort());
    const message = await poll(async () => {
      const m = await viewMessage(page, VIEW);
      return m.startsWith(`deletions under ${rmtree.watched}: `) ? m : '';
    });
    assert.ok(message, `the view says what was searched; it says ${JSON.stringify(await viewMessage(page, VIEW))}`);
    server.setMachineSettings({});
  });

  check('a file named <img src=x onerror=alert(1)>.txt shows as text in its row and its tooltip (recorded with auditd)', async () => {
    const truth = truthOf(HOSTILE);
    assert.deepEqual(truth.items.map((i) => baseName(i.path)), HOSTILE_NAMES);
    // A name of its own: the file dialog must not find the other tests' audit.log first.
    const log = addToWorkspace(server, path.join(HOSTILE, 'audit.log'), path.join('hostile', 'hostile-names.log'));
    const rows = await analyze(log, truth.items.length);
    assert.deepEqual(rows.map((r) => r.label).sort(), HOSTILE_NAMES.map((n) => visible(n)).sort());
    assert.ok(rows.some((r) => r.label === 'bidi \\u202etxt.exe'), 'the bidi override is shown, not obeyed');
    for (const name of HOSTILE_NAMES.slice(0, 2)) {
      const row = await treeRow(page, VIEW, name);
      await page.mouse.move(0, 0);
      await row.hover();
      const text = await poll(async () => {
        const t = await hoverText(page);
        return t.includes(name) ? t : '';
      }, 10_000);
      assert.ok(text.includes(`${truth.watched}/${name}`), `the tooltip shows the path as text:\n${await hoverText(page)}`);
      const hover = page.locator('.monaco-hover:visible, .workbench-hover:visible').first();
      assert.equal(await hover.locator('img, a').count(), 0, 'no image and no link in the tooltip');
    }
    await page.mouse.move(0, 0);
    assert.deepEqual(dialogs, [], 'no script ran');
  });

  if (process.env.AUDIT_LENS_SCREENSHOT === '1') {
    check('saves media/screenshot-tree.png (AUDIT_LENS_SCREENSHOT=1)', async () => {
      await takeReadmeScreenshot();
    });
  }
});

/**
 * The README's picture of the tree: the demo log grouped by folder, the timeline above it, the side bar wide enough
 * for the descriptions, a row's tooltip showing. Only with AUDIT_LENS_SCREENSHOT=1.
 */
async function takeReadmeScreenshot(): Promise<void> {
  const log = path.join(server.workspace, 'showcase', 'audit.log');
  writeDemoLog(log);
  await page.setViewportSize({ width: 1440, height: 860 });
  await runCommand(page, 'View: Close All Editors');
  // Whatever the earlier tests left (the Group by command of the current grouping is disabled).
  server.setMachineSettings({ 'auditLens.events.groupBy': 'folder' });
  await openViewContainer(page, 'Audit Lens');
  await runCommand(page, 'Audit Lens: Analyze Audit Log…');
  await pickInFileDialog(page, 'Analyze Audit Log', log);
  await poll(async () => eventRows(await treeRows(page, VIEW)).length > 5);
  await webviewFrame(page, 'Timeline').locator('.bar').first().waitFor();
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (sidebar) {
    await page.mouse.move(sidebar.x + sidebar.width, sidebar.y + sidebar.height / 2);
    await page.mouse.down();
    await page.mouse.move(sidebar.x + 760, sidebar.y + sidebar.height / 2, { steps: 8 });
    await page.mouse.up();
  }
  const row = await treeRow(page, VIEW, 'old.txt').catch(() => undefined);
  if (row) {
    await row.hover();
    await page.locator('.monaco-hover, .workbench-hover').first().waitFor({ timeout: 5000 }).catch(() => undefined);
  }
  await page.waitForTimeout(800);
  await webviewFrame(page, 'Timeline').locator('.bar').first().waitFor();
  await page.screenshot({ path: path.join(repoRoot, 'media', 'screenshot-tree.png') });
}
