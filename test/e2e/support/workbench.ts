/**
 * Driving the VS Code workbench (code-server) from Playwright the way a user does: command palette, quick input,
 * views, terminal, status bar, notifications. Selectors are VS Code's own DOM classes, gathered here so that a
 * workbench upgrade is fixed in one file.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { it } from 'node:test';
import * as path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { SUPPORT_KEYS } from './server';

/** Chromium from Debian; never a downloaded one. */
export const CHROMIUM = process.env.AUDIT_LENS_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export interface Workbench {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Non-breaking spaces (xterm, Monaco) to plain spaces, so text compares as typed. */
export function plain(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; returns the last value either way. */
export async function poll<T>(fn: () => Promise<T>, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!last && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await fn();
  }
  return last;
}

/** Launches Chromium, opens the workbench at `url` and waits until it is interactive. */
export async function openWorkbench(url: string, viewport = { width: 1280, height: 800 }): Promise<Workbench> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.activitybar').waitFor();
  // The status bar's remote indicator appears once the remote extension host is connected.
  await page.locator('#status\\.host, .statusbar-item[id="status.host"], .statusbar').first().waitFor();
  return { browser, page, close: () => browser.close() };
}

/** Runs a command by its palette title, as a user would (F1, type, pick the exact entry). */
export async function runCommand(page: Page, title: string): Promise<void> {
  // On a loaded machine a key press can be lost, or the palette closed again by a focus change (a terminal that
  // just opened): retry the whole gesture, alternating F1 with the other palette binding.
  for (let attempt = 0; ; attempt++) {
    try {
      await paletteOnce(page, title, attempt % 2 === 0 ? 'F1' : 'Control+Shift+P');
      return;
    } catch (err) {
      if (attempt >= 2) throw err;
      await closeQuickInput(page).catch(() => undefined);
    }
  }
}

async function paletteOnce(page: Page, title: string, key: string): Promise<void> {
  await closeQuickInput(page);
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press(key);
  await widget.waitFor({ state: 'visible', timeout: 7000 });
  const input = widget.locator('input.input');
  await input.fill(`>${title}`, { timeout: 7000 });
  // Wait for the exact entry, so Enter never runs a near match that happened to rank first.
  const row = widget.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click({ timeout: 7000 });
  // Done when the palette is gone, or when the command reused the widget for its own input (a file dialog).
  await poll(async () => !(await widget.isVisible()) || !(await input.inputValue()).startsWith('>'), 5000);
}

/** Closes the quick input if it is open. */
export async function closeQuickInput(page: Page): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) {
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden' });
  }
}

/**
 * Answers VS Code's simple file dialog (what code-server shows for showOpenDialog) with an absolute path.
 * Waits for the dialog whose title is `title`.
 */
export async function pickInFileDialog(page: Page, title: string, file: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
  const input = widget.locator('input.input');
  const entry = widget.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: path.basename(file) }) });
  // The dialog lists folders asynchronously and rewrites the value when a listing lands, so a path typed too early
  // can be lost or accepted half-way: wait for the start folder, type, wait for the file's entry, then Enter.
  await poll(async () => (await input.inputValue()).endsWith('/'), 10_000);
  // The listing shown must be the file's own folder: the start folder can hold a file of the same name (audit.log),
  // and Enter on the stale listing would pick that one. Rows of the right listing name only that folder's entries.
  const inFolder = new Set(['..', ...readdirSync(path.dirname(file))]);
  const rightListing = async (): Promise<boolean> =>
    (await widget.locator('.quick-input-list .monaco-list-row .label-name').allTextContents()).every((n) => inFolder.has(n.trim().replace(/\/$/, '')));
  for (let attempt = 0; attempt < 5; attempt++) {
    await input.fill(file);
    const listed = await poll(async () => (await input.inputValue()) === file && (await entry.first().isVisible()) && (await rightListing()), 3000);
    if (!listed) continue;
    await input.press('Enter');
    const closed = await poll(async () => !(await widget.isVisible()), 3000);
    if (closed) return;
  }
  throw new Error(`the "${title}" dialog did not accept ${file}; it shows ${JSON.stringify(await input.inputValue())}`);
}

/** Answers VS Code's simple save dialog (showSaveDialog in code-server) titled `title` with an absolute path. */
export async function answerSaveDialog(page: Page, title: string, file: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
  const input = widget.locator('input.input');
  // Like the open dialog, it rewrites the value when its folder listing lands: wait for that, then type.
  await poll(async () => (await input.inputValue()).length > 0, 10_000);
  await page.waitForTimeout(300);
  for (let attempt = 0; attempt < 5; attempt++) {
    await input.fill(file);
    const kept = await poll(async () => (await input.inputValue()) === file, 1500);
    if (!kept) continue;
    await input.press('Enter');
    const closed = await poll(async () => !(await widget.isVisible()), 3000);
    if (closed) return;
  }
  throw new Error(`the "${title}" dialog did not accept ${file}; it shows ${JSON.stringify(await input.inputValue())}`);
}

/** Opens a file in an editor through "File: Open File…" and the simple dialog, and waits for its tab. */
export async function openFile(page: Page, file: string): Promise<void> {
  await runCommand(page, 'File: Open File...');
  await pickInFileDialog(page, 'Open File', file);
  await page.locator('.tabs-container .tab.active', { hasText: path.basename(file) }).waitFor();
}

/** Clicks an activity bar entry (view container) by its label, unless it is already showing. */
export async function openViewContainer(page: Page, label: string): Promise<void> {
  const item = page.locator('.activitybar .action-item', { has: page.locator(`.action-label[aria-label^="${label}"]`) }).first();
  await item.waitFor();
  if ((await item.getAttribute('class'))?.includes('checked')) return;
  // A badge (event count) sits over the icon and would take the click: the item handles clicks on its whole area.
  await item.locator('.action-label').click({ force: true });
  // Off the activity bar: left there, the pointer raises the item's hover ("Explorer (Ctrl+Shift+E)"), which lies
  // over the first rows of the view and takes the next click meant for them.
  const size = page.viewportSize();
  if (size) await page.mouse.move(Math.round(size.width * 0.6), Math.round(size.height * 0.5));
}

/** The pane of a view, by its name as shown in the view header. */
export function viewPane(page: Page, name: string): Locator {
  return page.locator('.pane', { has: page.locator(`.pane-header[aria-label^="${name}"]`) });
}

/** The welcome content of a view (its `viewsWelcome`), as text; empty when none is shown. */
export async function welcomeText(page: Page, viewName: string): Promise<string> {
  const content = viewPane(page, viewName).locator('.pane-body.welcome .welcome-view-content');
  return (await content.isVisible()) ? plain(await content.innerText()) : '';
}

/** The message line of a tree view (`TreeView.message`); empty when hidden. */
export async function viewMessage(page: Page, viewName: string): Promise<string> {
  const msg = viewPane(page, viewName).locator('.message:not(.hide)');
  return (await msg.count()) > 0 && (await msg.first().isVisible()) ? plain(await msg.first().innerText()) : '';
}

/** The description a view shows beside its title (`TreeView.description`); empty when none. */
export async function viewDescription(page: Page, viewName: string): Promise<string> {
  const d = page.locator(`.pane-header[aria-label^="${viewName}"] .description`);
  return (await d.count()) > 0 ? plain(await d.first().innerText()).trim() : '';
}

/** One rendered tree row. */
export interface TreeRow {
  label: string;
  description: string;
  /** The codicon class of the row's icon (`codicon-trash`), if any. */
  icon: string | null;
  ariaLabel: string | null;
  /** Depth in the tree, 1 for top-level rows. */
  level: number;
  /** true/false for rows with children (expanded or not), null for leaves. */
  expanded: boolean | null;
}

/**
 * The rows a tree view renders. Lists are virtualised: only rows in the viewport exist in the DOM, so tests that
 * need every row keep their fixtures small or scroll.
 */
export async function treeRows(page: Page, viewName: string): Promise<TreeRow[]> {
  const rows = viewPane(page, viewName).locator('.pane-body:not(.welcome) .monaco-list-row');
  return rows.evaluateAll((els) =>
    els
      .map((el) => ({
        top: parseFloat((el as unknown as { style: { top: string } }).style.top || '0'),
        label: (el.querySelector('.label-name')?.textContent ?? '').replace(/\u00a0/g, ' '),
        description: (el.querySelector('.label-description')?.textContent ?? '').replace(/\u00a0/g, ' '),
        icon: [...(el.querySelector('.custom-view-tree-node-item-icon')?.classList ?? [])].find((c) => c.startsWith('codicon-') && c !== 'codicon') ?? null,
        ariaLabel: el.getAttribute('aria-label'),
        level: Number(el.getAttribute('aria-level') ?? '1'),
        expanded: el.hasAttribute('aria-expanded') ? el.getAttribute('aria-expanded') === 'true' : null,
      }))
      .sort((a, b) => a.top - b.top)
      .map(({ top: _top, ...row }) => row),
  );
}

/** The rendered row of a tree view whose label is exactly `label` (it must be on screen). */
export async function treeRow(page: Page, viewName: string, label: string): Promise<Locator> {
  const rows = viewPane(page, viewName).locator('.pane-body:not(.welcome) .monaco-list-row');
  const i = await rows.evaluateAll(
    (els, want) => els.findIndex((el) => (el.querySelector('.label-name')?.textContent ?? '').replace(/\u00a0/g, ' ') === want),
    label,
  );
  if (i < 0) throw new Error(`no row labelled ${JSON.stringify(label)} on screen`);
  return rows.nth(i);
}

/**
 * Picks `entry` in the context menu of `target` (right click), as a keyboard user would: VS Code's menus ignore a
 * click that comes too soon after they open, so hover the entry, then press Enter.
 */
export async function contextMenu(page: Page, target: Locator, entry: string): Promise<void> {
  // A tooltip left by an earlier hover sits over the rows and would take the click.
  await page.mouse.move(0, 0);
  await page.locator('.monaco-hover').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  await target.click({ button: 'right' });
  const item = page.locator('.context-view .monaco-menu .action-item', { has: page.locator('.action-label', { hasText: new RegExp(`^${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
  await item.first().hover();
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden' });
}

/** Types into the open quick input (an input box or a pick) and presses Enter. */
export async function answerQuickInput(page: Page, text: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible' });
  await widget.locator('input.input').fill(text);
  await page.waitForTimeout(150);
  await widget.locator('input.input').press('Enter');
}

/** The browser's clipboard, as `vscode.env.clipboard.writeText` left it (the page has clipboard permissions). */
export async function clipboardText(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
}

/** The text of the hover (tooltip) on screen, with its element; empty when none. */
export async function hoverText(page: Page): Promise<string> {
  const h = page.locator('.monaco-hover:visible, .workbench-hover:visible').first();
  return (await h.count()) > 0 ? plain(await h.innerText()) : '';
}

/** The active editor's cursor line, from the status bar (`Ln 12, Col 1`); 0 when no editor shows one. */
export async function editorLine(page: Page): Promise<number> {
  const item = page.locator('[id="status.editor.selection"]');
  if ((await item.count()) === 0) return 0;
  const m = /Ln (\d+)/.exec(await item.innerText());
  return m ? Number(m[1]) : 0;
}

/** The document inside a webview view (two iframes deep in the workbench). */
export function webviewFrame(page: Page, viewName: string): FrameLocator {
  const title = viewName;
  return page.frameLocator(`iframe.webview.ready[title="${title}"], iframe.webview.ready`).first().frameLocator('iframe#active-frame');
}

/**
 * Text of the active terminal's rows on screen (xterm's DOM renderer: `terminal.integrated.gpuAcceleration` off).
 * Only the viewport is in the DOM, and wrapped lines come out as two; `terminalBuffer` reads everything.
 */
export async function terminalText(page: Page): Promise<string> {
  const rows = page.locator('.terminal-wrapper.active .xterm-rows');
  if ((await rows.count()) === 0) return '';
  return plain(await rows.first().innerText())
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/**
 * The active terminal's whole buffer (scrollback included, wrapped lines joined): select all, copy, read the
 * clipboard. Needs the keys of `SUPPORT_KEYS` (bound by startSuiteServer's profile).
 */
export async function terminalBuffer(page: Page): Promise<string> {
  await closeQuickInput(page);
  await page.locator('.terminal-wrapper.active .xterm').click();
  await page.keyboard.press(SUPPORT_KEYS.terminalSelectAll.playwright);
  await page.keyboard.press(SUPPORT_KEYS.terminalCopy.playwright);
  const read = () => page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
  const text = (await poll(read, 5000)) ?? '';
  // Leave no selection behind: a later key press should go to the program, not act on a selection.
  await page.locator('.terminal-wrapper.active .xterm').click();
  await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void> } } }).navigator.clipboard.writeText(''));
  return plain(text)
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** Waits until the active terminal's visible rows match `until` (throws with what it shows on timeout). */
export async function waitForTerminal(page: Page, until: RegExp, timeoutMs = 20_000): Promise<void> {
  const seen = await poll(async () => until.test(await terminalText(page)), timeoutMs);
  if (!seen) throw new Error(`terminal never showed ${until}; it shows:\n${await terminalText(page)}`);
}

/**
 * Waits until the active terminal's visible rows match `until`, then returns the whole buffer
 * (throws with what the terminal shows on timeout).
 */
export async function waitForTerminalText(page: Page, until: RegExp, timeoutMs = 20_000): Promise<string> {
  await waitForTerminal(page, until, timeoutMs);
  return terminalBuffer(page);
}

/** Types into the active terminal (focusing it first). */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('.terminal-wrapper.active .xterm').click();
  await page.keyboard.type(text);
}

/** The name of the active terminal tab, or '' when no terminal is showing. */
export async function activeTerminalName(page: Page): Promise<string> {
  // evaluateAll, not innerText: the tab may vanish between finding it and reading it, which must not wait.
  const names = await page
    .locator('.terminal-tabs-entry.is-active .monaco-icon-label, .single-terminal-tab')
    .evaluateAll((els) => els.filter((el) => (el as unknown as { offsetParent: unknown }).offsetParent !== null).map((el) => el.textContent ?? ''));
  return names.length > 0 ? plain(names[0]).trim() : '';
}

/** The text of the editor in the panel: the Output channel showing (Monaco renders visible lines only, wrapped). */
export async function outputText(page: Page): Promise<string> {
  const lines = page.locator('.part.panel .output-view .view-lines, .part.panel .monaco-editor .view-lines').first();
  if ((await lines.count()) === 0) return '';
  return plain(await lines.innerText());
}

/** The language shown in the status bar for the active editor ("Plain Text", "Audit Log"). */
export async function editorLanguage(page: Page): Promise<string> {
  const item = page.locator('[id="status.editor.mode"]');
  await item.waitFor();
  return plain(await item.innerText()).trim();
}

/** A visible notification toast. */
export interface Toast {
  severity: 'error' | 'warning' | 'info';
  text: string;
}

/** The notification toasts on screen now, with their severity. */
export async function toasts(page: Page): Promise<Toast[]> {
  return page.locator('.notifications-toasts .notification-toast').evaluateAll((els) =>
    els
      .filter((el) => (el as unknown as { offsetParent: unknown }).offsetParent !== null)
      .map((el) => {
        const icon = el.querySelector('.notification-list-item-icon');
        const cls = icon?.className ?? '';
        const severity = cls.includes('codicon-error') ? 'error' : cls.includes('codicon-warning') ? 'warning' : 'info';
        return { severity, text: (el.querySelector('.notification-list-item-message')?.textContent ?? '').replace(/\u00a0/g, ' ') } as const;
      }),
  );
}

/** Dismisses every notification. */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/** Saves a full-page screenshot to test-artifacts/<name>.png; returns its path. Never throws. */
export async function screenshot(page: Page | undefined, dir: string, name: string): Promise<string | undefined> {
  if (!page) return undefined;
  try {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await page.screenshot({ path: file });
    return file;
  } catch {
    return undefined;
  }
}

/**
 * A test that, when it fails, saves a screenshot and code-server's log to `artifacts` (names prefixed with `prefix`)
 * and closes any dialog or menu it left open, so one failure does not cascade into the next test.
 */
export function failureReporter(artifacts: string, state: () => { page?: Page; logFile?: string }, prefix = ''): (name: string, fn: () => Promise<void>) => void {
  return (name, fn) => {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        const { page, logFile } = state();
        const shot = await screenshot(page, artifacts, `${prefix}${name}`);
        if (page) {
          await closeQuickInput(page).catch(() => undefined);
          await page.keyboard.press('Escape').catch(() => undefined);
        }
        try {
          mkdirSync(artifacts, { recursive: true });
          if (logFile) copyFileSync(logFile, path.join(artifacts, `${prefix}code-server.log`));
        } catch {
          // the server may not have started
        }
        if (shot) (err as Error).message += `\n(screenshot: ${shot})`;
        throw err;
      }
    });
  };
}
