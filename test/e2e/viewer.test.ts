/**
 * audit.log in a real workbench (the packaged VSIX in code-server, driven by Chromium): the grammar colours a small
 * log in the text editor and hovers decode it; a big log opens in the Audit Lens viewer, which shows its first
 * lines, goes to the end, finds search hits, lands on a given line, follows a growing log and filters; a recorded
 * hostile file name renders as text and runs nothing. Expected text always comes from reading the files here.
 */
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Commands } from '../../src/constants';
import type { Truth } from '../support/truth';
import { HOSTILE_NAME } from '../fixtures/viewer/record';
import { repoRoot, startSuiteServer, type SuiteServer } from './support/server';
import { replayLog, viewerFrame, waitForRows, type ViewerRow } from './support/viewer';
import { closeQuickInput, openFile, openWorkbench, poll, runCommand, screenshot, type Workbench } from './support/workbench';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
const HOSTILE = path.join(repoRoot, 'test', 'fixtures', 'viewer', 'hostile-name');
/** Big enough to be over the viewer threshold (20 MB) and past VS Code's 50 MB limit for extensions; quick to write. */
const BIG_BYTES = 80e6;
/** The line the "reveal" keybinding asks for (the tree's Reveal Raw Records passes a line or an offset). */
const REVEAL_LINE = 123_457;
const REVEAL_KEY = { vscode: 'ctrl+alt+shift+f9', playwright: 'Control+Alt+Shift+F9' };

let server: SuiteServer;
let wb: Workbench | undefined;
let page: Page;
let big: string;
const dialogs: string[] = [];

function check(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    try {
      await fn();
    } catch (err) {
      const shot = await screenshot(page, ARTIFACTS, `viewer-${name}`);
      await closeQuickInput(page).catch(() => undefined);
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        copyFileSync(server.logFile, path.join(ARTIFACTS, 'code-server-viewer.log'));
      } catch {
        // no server
      }
      if (shot) (err as Error).message += `\n(screenshot: ${path.relative(repoRoot, shot)})`;
      throw err;
    }
  });
}

/** Bytes of a file at an offset, as the lines they hold. */
function linesAt(file: string, offset: number, length: number): string[] {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n).toString('utf8').split('\n');
  } finally {
    closeSync(fd);
  }
}

/** The text of line `n` (1-based) of a file and its byte offset, by counting newlines here. */
function lineOfFile(file: string, n: number): { text: string; offset: number } {
  const buf = readFileSync(file);
  let at = 0;
  for (let k = 1; k < n; k++) at = buf.indexOf(10, at) + 1;
  return { text: buf.toString('utf8', at, buf.indexOf(10, at)), offset: at };
}

/** Monaco's rendered tokens of the visible editor lines: text and computed colour. */
async function editorTokens(): Promise<{ text: string; color: string }[]> {
  return page.locator('.editor-instance .monaco-editor .view-lines .view-line span > span').evaluateAll((els) =>
    els.map((e) => ({ text: e.textContent ?? '', color: (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color })),
  );
}

async function focusViewer(): Promise<void> {
  await (await viewerFrame(page)).locator('.viewport').click({ position: { x: 200, y: 40 } });
}

describe('audit logs in code-server', { timeout: 12 * 60_000 }, () => {
  before(async () => {
    server = await startSuiteServer();
    big = path.join(server.workspace, 'big.audit.log');
    const t0 = Date.now();
    const part = await replayLog(big, BIG_BYTES);
    console.error(`# replayed ${(part.bytes / 1e6).toFixed(0)} MB in ${Date.now() - t0} ms`);
    // A keybinding that calls the open command with a line, as the Audit Events tree's Reveal Raw Records does.
    const kb = path.join(server.userDataDir, 'User', 'keybindings.json');
    const bindings = JSON.parse(readFileSync(kb, 'utf8')) as unknown[];
    bindings.push({ key: REVEAL_KEY.vscode, command: Commands.ViewerOpen, args: { path: big, line: REVEAL_LINE } });
    writeFileSync(kb, JSON.stringify(bindings, null, 2));
    wb = await openWorkbench(server.url);
    page = wb.page;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  check('colours the records of a small audit.log with the grammar (types, fields, strings, numbers, dimmed ENRICHED part)', async () => {
    const log = path.join(server.workspace, 'audit.log');
    copyFileSync(path.join(HOSTILE, 'audit.log'), log);
    await openFile(page, log);
    const tokens = await poll(async () => {
      const t = await editorTokens();
      return t.some((x) => x.text === 'SYSCALL') ? t : undefined;
    }, 20_000);
    assert.ok(tokens, 'the editor shows the log');
    const colourOf = (text: string): string => {
      const t = tokens.find((x) => x.text === text);
      assert.ok(t, `a token ${JSON.stringify(text)} is rendered`);
      return t.color;
    };
    const plain = await page.locator('.editor-instance .monaco-editor .view-lines').evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color);
    const type = colourOf('SYSCALL');
    const field = colourOf('arch');
    const number = colourOf('263');
    const str = colourOf('"rm"');
    const enriched = tokens.find((x) => x.text.startsWith('ARCH'))!.color;
    for (const [what, c] of Object.entries({ type, field, number, str, enriched })) assert.notEqual(c, plain, `${what} is coloured`);
    assert.equal(new Set([type, field, number, str, enriched]).size, 5, 'each kind has its own colour');
  });

  check('hovering a hex proctitle shows the decoded command line, the hostile name as text', async () => {
    const truth = JSON.parse(readFileSync(path.join(HOSTILE, 'truth.json'), 'utf8')) as Truth;
    const victim = truth.items.find((i) => i.path.endsWith(HOSTILE_NAME))!.path;
    const hex = Buffer.from(`rm\0-f\0${victim}`).toString('hex').toUpperCase();
    const span = page.locator('.editor-instance .view-line span > span', { hasText: hex.slice(0, 40) }).first();
    await span.waitFor();
    await span.hover({ position: { x: 30, y: 5 } });
    // Other hovers (a breadcrumb's tooltip) may be up too: take the editor hover that shows a command line.
    let tries = 0;
    const text = await poll(async () => {
      const all = await page.locator('.monaco-hover .hover-contents').allInnerTexts();
      const found = all.map((t) => t.replace(/\u00a0/g, ' ')).find((t) => /command line/.test(t));
      // A hover can be swallowed on a loaded machine: move within the value and hover again now and then.
      if (!found && ++tries % 10 === 0) await span.hover({ position: { x: 30 + (tries % 40), y: 5 } });
      return found;
    }, 20_000);
    assert.ok(text, 'the proctitle hover shows');
    assert.match(text, /command line \(3 arguments\)/);
    assert.ok(text.includes(`argv[2] = ${JSON.stringify(victim)}`), text);
    assert.equal(await page.locator('.monaco-hover img').count(), 0, 'no element was made from the name');
    await page.keyboard.press('Escape');
  });

  check('Go to Other Records of This Event peeks the other records of the event under the cursor', async () => {
    const lines = readFileSync(path.join(server.workspace, 'audit.log'), 'utf8').split('\n');
    const n = lines.findIndex((l) => l.startsWith('type=SYSCALL') && l.includes('syscall=263'));
    const serial = /:(\d+)\)/.exec(lines[n])![1];
    const others = lines.filter((l, i) => i !== n && l.includes(`:${serial}):`)).length;
    await runCommand(page, 'Go to Line/Column...');
    await page.keyboard.type(String(n + 1));
    await page.keyboard.press('Enter');
    await runCommand(page, 'Audit Lens: Go to Other Records of This Event');
    const title = page.locator('.peekview-widget .peekview-title');
    await title.waitFor({ timeout: 15_000 });
    // The peek's title counts the locations: "Locations (N)".
    assert.match((await title.innerText()).replace(/\s+/g, ' '), new RegExp(`\\(${others}\\)`));
    await page.keyboard.press('Escape');
  });

  check('opens a big log in the Audit Lens viewer instead of the text editor and shows its first lines, coloured', async () => {
    const t0 = Date.now();
    await openFile(page, big);
    const first = linesAt(big, 0, 64 * 1024);
    const rows = await waitForRows(page, (r) => r[0].offset === 0);
    console.error(`# first screen of ${(statSync(big).size / 1e6).toFixed(0)} MB in ${Date.now() - t0} ms (from the file dialog)`);
    assert.ok(rows.length > 10);
    rows.slice(0, 10).forEach((r, i) => assert.equal(r.text.replace('\u2502', '\x1d'), first[i]));
    const kinds = new Set(rows.flatMap((r) => r.tokens.map(([c]) => c)));
    for (const k of ['tk-type', 'tk-field', 'tk-time', 'tk-serial', 'tk-string', 'tk-number', 'tk-enriched-field']) assert.ok(kinds.has(k), `${k} is rendered`);
    // The text editor's tab is gone: the log is open once, in the viewer.
    assert.equal(await page.locator('.tabs-container .tab', { hasText: 'big.audit.log' }).count(), 1);
    assert.match(server.extensionLog(), /big\.audit\.log is \d+ MB \(threshold 20 MB\): opening it in the Audit Lens viewer/);
    const frame = await viewerFrame(page);
    const colours = await frame.locator('.rows .row').first().evaluate((row) => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { color: string } };
      const r = row as unknown as { querySelector(s: string): unknown };
      return { type: g.getComputedStyle(r.querySelector('.tk-type')).color, text: g.getComputedStyle(row).color };
    });
    assert.notEqual(colours.type, colours.text, 'record types are coloured');
  });

  check('explains a value when the pointer enters its row (the syscall number names its call)', async () => {
    const frame = await viewerFrame(page);
    const row = frame.locator('.rows .row', { hasText: 'type=SYSCALL' }).first();
    const value = row.locator('.text > span', { hasText: /^\d+$/ }).nth(1);
    assert.equal(await value.getAttribute('title'), null, 'no title before the pointer comes');
    await row.locator('.gutter').hover();
    const titles = await poll(async () => {
      const t = await row.locator('.text > span[title]').evaluateAll((els) => els.map((e) => (e as unknown as { title: string }).title));
      return t.length > 0 ? t : undefined;
    }, 10_000);
    assert.ok(titles && titles.some((t) => /arch|syscall|x86_64|unlink|open|exec/i.test(t)), titles?.join(' | '));
  });

  check('goes to the end of the big log', async () => {
    await focusViewer();
    const t0 = Date.now();
    await page.keyboard.press('End');
    const size = statSync(big).size;
    const tail = linesAt(big, size - 64 * 1024, 64 * 1024);
    tail.pop();
    const rows = await waitForRows(page, (r) => r.some((x) => x.offset !== null && x.offset > size - 64 * 1024) && r.filter((x) => x.offset !== null).at(-1)!.text.replace('\u2502', '\x1d') === tail.at(-1));
    console.error(`# end of the log in ${Date.now() - t0} ms`);
    const shown = rows.filter((x) => x.offset !== null);
    assert.deepEqual(
      shown.slice(-5).map((r) => r.text.replace('\u2502', '\x1d')),
      tail.slice(-5),
    );
  });

  check('finds search hits on the host and jumps to the first one', async () => {
    const frame = await viewerFrame(page);
    await frame.locator('.search-input').fill('bench_k');
    const t0 = Date.now();
    await frame.locator('.search-input').press('Enter');
    await frame.locator('.results .hit').first().waitFor({ timeout: 20_000 });
    console.error(`# first search hit in ${Date.now() - t0} ms`);
    const hitOffset = Number(await frame.locator('.results .hit').first().getAttribute('data-offset'));
    const line = linesAt(big, hitOffset, 16 * 1024)[0];
    assert.ok(line.includes('bench_k'), `the hit's line holds the text: ${line.slice(0, 200)}`);
    // The first hit is shown in the log, its match marked.
    const rows = await waitForRows(page, (r) => r.some((x) => x.offset === hitOffset && x.classes.includes('target')));
    const target = rows.find((x) => x.offset === hitOffset)!;
    assert.equal(target.text.replace('\u2502', '\x1d'), line);
    assert.ok((await frame.locator(`.row[data-offset="${hitOffset}"] .match`).count()) > 0, 'the match is marked in the row');
    // The results pane closes with its own × (one click, running or done).
    await frame.locator('.results .close-results').click();
    await frame.locator('.results.hidden').waitFor({ state: 'attached', timeout: 5000 });
    // In regex mode too, /…/ is the pattern between the slashes (as the placeholder writes it).
    await frame.locator('select.mode').selectOption('regex');
    await frame.locator('.search-input').fill('/bench_[k]/');
    await frame.locator('.search-input').press('Enter');
    await frame.locator('.results .hit').first().waitFor({ timeout: 20_000 });
    await frame.locator('.results .close-results').click();
    await frame.locator('select.mode').selectOption('text');
  });

  check('lands on a line when the open command gives one (Reveal Raw Records)', async () => {
    const want = lineOfFile(big, REVEAL_LINE);
    await page.keyboard.press(REVEAL_KEY.playwright);
    const rows = await waitForRows(page, (r) => r.some((x) => x.offset === want.offset && x.classes.includes('target')), 60_000);
    const row = rows.find((x) => x.offset === want.offset)!;
    assert.equal(row.text.replace('\u2502', '\x1d'), want.text);
    assert.equal(row.gutter, String(REVEAL_LINE));
  });

  check('jumps to a local time typed in Go to', async () => {
    const want = lineOfFile(big, REVEAL_LINE + 5000);
    const sec = Number(/audit\((\d+)\./.exec(want.text)![1]);
    const d = new Date(sec * 1000);
    const p2 = (x: number): string => String(x).padStart(2, '0');
    const typed = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    // Expected: the first record of that second, found here by reading the file.
    const buf = readFileSync(big);
    const needle = Buffer.from(`msg=audit(${sec}.`);
    const hit = buf.indexOf(needle);
    const expectedOffset = buf.lastIndexOf(10, hit) + 1;
    const frame = await viewerFrame(page);
    await frame.locator('.goto-input').fill(typed);
    await frame.locator('.goto-input').press('Enter');
    await waitForRows(page, (r) => r.some((x) => x.offset === expectedOffset && x.classes.includes('target')));
    // A byte offset past the end is refused with a reason; the rows stay where they were.
    await frame.locator('.goto-input').fill(`@${statSync(big).size + 1000}`);
    await frame.locator('.goto-input').press('Enter');
    await frame.locator('.goto-input.invalid').waitFor({ timeout: 10_000 });
    assert.match((await frame.locator('.goto-input').getAttribute('title')) ?? '', /shorter/);
    await waitForRows(page, (r) => r.some((x) => x.offset === expectedOffset));
  });

  check('shows a recorded hostile file name as text in the interpreted view and runs nothing', async () => {
    await openFile(page, path.join(server.workspace, 'audit.log'));
    await runCommand(page, 'Audit Lens: Open in Audit Lens Viewer');
    const truth = JSON.parse(readFileSync(path.join(HOSTILE, 'truth.json'), 'utf8')) as Truth;
    const victim = truth.items.find((i) => i.path.endsWith(HOSTILE_NAME))!.path;
    await waitForRows(page, (r) => r.some((x) => x.text.startsWith('type=CONFIG_CHANGE')));
    const frame = await viewerFrame(page);
    await frame.locator('.interp-btn').click();
    const rows = await waitForRows(page, (r) => r.some((x) => x.text.includes(`name="${victim}"`)));
    assert.ok(rows.some((x) => x.text.includes(`proctitle=rm -f '${victim}'`)), 'the proctitle reads as a command line');
    assert.equal(await frame.locator('img').count(), 0, 'no element was made from log text');
    assert.deepEqual(dialogs, [], 'no script ran (no alert)');
    await frame.locator('.raw-btn').click();
    await waitForRows(page, (r) => !r.some((x) => x.text.includes(`name="${victim}"`)));
  });

  check('filters by record type and follows a growing log', async () => {
    const frame = await viewerFrame(page);
    const log = path.join(server.workspace, 'audit.log');
    const all = readFileSync(log, 'utf8').split('\n');
    const proctitles = all.filter((l) => l.startsWith('type=PROCTITLE'));
    await frame.locator('.filter-types').fill('PROCTITLE');
    await frame.locator('.filter-btn').click();
    // Each filtered row keeps its own line number in the gutter.
    const want = all.flatMap((l, i) => (l.startsWith('type=PROCTITLE') ? [String(i + 1)] : []));
    const filtered = await waitForRows(page, (r) => {
      const shown = r.filter((x: ViewerRow) => x.offset !== null);
      return shown.length === proctitles.length && shown.every((x, i) => x.gutter === want[i]);
    });
    assert.deepEqual(
      filtered.filter((x) => x.offset !== null).map((x) => x.text),
      proctitles,
    );
    await frame.locator('.clear-filter-btn').click();
    await waitForRows(page, (r) => r.some((x) => x.text.startsWith('type=SYSCALL')));
    await frame.locator('.toolbar label.check input').last().check();
    // auditd appends whole records; a real one from another recording stands in for the next event.
    const next = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'viewer', 'node-prefixed', 'audit.log'), 'utf8').split('\n').find((l) => l.startsWith('node='))!;
    appendFileSync(log, next + '\n');
    const rows = await waitForRows(page, (r) => r.filter((x) => x.offset !== null).at(-1)?.text.replace('\u2502', '\x1d') === next, 20_000);
    assert.ok(rows.length > 0);
  });

  check('saves media screenshots for the README (AUDIT_LENS_SCREENSHOT=1)', async () => {
    if (!process.env.AUDIT_LENS_SCREENSHOT) return;
    await openFile(page, path.join(server.workspace, 'audit.log'));
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(repoRoot, 'media', 'screenshot-auditlog.png') });
    await page.keyboard.press(REVEAL_KEY.playwright);
    await waitForRows(page, (r) => r.some((x) => x.classes.includes('target')), 60_000);
    const frame = await viewerFrame(page);
    await frame.locator('.search-input').fill('syscall=unlinkat success=no');
    await frame.locator('.mode').selectOption('field');
    await frame.locator('.search-btn').click();
    await frame.locator('.results .hit').first().waitFor();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(repoRoot, 'media', 'screenshot-viewer.png') });
  });
});
