/**
 * Watch Deletions in a real workbench, as a real user would do it: code-server runs as an unprivileged user with a
 * sudo password; right-click a folder in the Explorer → Watch Deletions → type the password in the "Audit Lens
 * helper" terminal → delete files → their rows appear in Audit Events with the exact path; Stop Watching → auditctl
 * has none of the rules. Then the same with VS Code's own terminal instead of node-pty (the fallback for hosts
 * where node-pty does not load). Needs root (to create the user), auditd and sudo.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureSudoUser, sudoUserUnavailable, type SudoUser } from '../support/sudoUser';
import { repoRoot, startSuiteServer, type SuiteServer } from './support/server';
import {
  activeTerminalName,
  closeQuickInput,
  openViewContainer,
  openWorkbench,
  poll,
  runCommand,
  screenshot,
  terminalText,
  toasts,
  treeRows,
  typeInTerminal,
  viewMessage,
  viewPane,
  type Workbench,
} from './support/workbench';

const SKIP = sudoUserUnavailable() ?? (spawnSync('/usr/sbin/auditctl', ['-s']).status === 0 ? false : 'auditd is not available');
const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
const VIEW = 'Audit Events';
const FOLDER = "precious files 'kept'";
/** Deletions whose unlink() → row latency is measured in each run (AUDIT_LENS_LATENCY_N raises it, e.g. to 200). */
const LATENCY_N = Number(process.env.AUDIT_LENS_LATENCY_N ?? 25);

let server: SuiteServer;
let wb: Workbench | undefined;
let page: Page;
let user: SudoUser;

function check(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    try {
      await fn();
    } catch (err) {
      const shot = await screenshot(page, ARTIFACTS, `watch-${name}`);
      await closeQuickInput(page).catch(() => undefined);
      await page?.keyboard.press('Escape').catch(() => undefined);
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        copyFileSync(server.logFile, path.join(ARTIFACTS, 'watch-code-server.log'));
        writeFileSync(path.join(ARTIFACTS, 'watch-extension.log'), server.extensionLog());
      } catch {
        // the server may not have started
      }
      if (shot) (err as Error).message += `\n(screenshot: ${path.relative(repoRoot, shot)})`;
      throw err;
    }
  });
}

/** Lines of `auditctl -l` that name the folder. */
function rulesFor(folder: string): string[] {
  return spawnSync('/usr/sbin/auditctl', ['-l'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(folder));
}

/**
 * Right-clicks an Explorer row and picks a context menu entry. The menu is retried: right after the extension
 * registers (or a context key changes) the first menu can be built without its entries.
 */
async function explorerMenu(name: string, entry: string): Promise<void> {
  await openViewContainer(page, 'Explorer');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  await row.waitFor();
  const item = page.locator('.context-view .monaco-menu .action-item', { has: page.locator('.action-label', { hasText: new RegExp(`^${entry}$`) }) }).first();
  for (let attempt = 0; ; attempt++) {
    await row.click({ button: 'right' });
    try {
      await item.waitFor({ state: 'visible', timeout: 3000 });
      break;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  // Keyboard, not a click: the menu ignores a mouse-up that comes too soon after it opened.
  await item.hover();
  await page.keyboard.press('Enter');
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden' });
}

/**
 * The entries of an Explorer row's context menu, once the menu holds `ready` (an entry that shows only when the
 * extension's menus are known), so an entry's absence means something.
 */
async function explorerMenuEntries(name: string, ready: string): Promise<string[]> {
  await openViewContainer(page, 'Explorer');
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  await row.waitFor();
  const labels = page.locator('.context-view .monaco-menu .action-label');
  for (let attempt = 0; ; attempt++) {
    await row.click({ button: 'right' });
    await page.locator('.context-view .monaco-menu').waitFor();
    const entries = (await labels.allInnerTexts()).map((t) => t.trim()).filter((t) => t !== '');
    await page.keyboard.press('Escape');
    await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden' });
    if (entries.includes(ready) || attempt >= 5) return entries;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Types the test user's password when sudo asks in the helper terminal. */
async function answerSudo(): Promise<void> {
  const asked = await poll(async () => (await activeTerminalName(page)).includes('Audit Lens helper') && /password for/.test(await terminalText(page)), 60_000, 250);
  assert.ok(asked, `sudo's prompt in the "Audit Lens helper" terminal; it shows: ${await terminalText(page)}`);
  await typeInTerminal(page, user.password);
  await page.keyboard.press('Enter');
}

/** Shows the Audit Events view (retrying: a hover or a toast can swallow the first click). */
async function showEventsView(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await page.keyboard.press('Escape');
      await openViewContainer(page, 'Audit Lens');
      await viewPane(page, VIEW).waitFor({ timeout: 5000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** Whether the view (grouped by time: one row per event, newest first) shows the deletion of `p`. */
async function rowFor(p: string): Promise<boolean> {
  return (await treeRows(page, VIEW)).some((r) => r.label === path.basename(p) && r.description.endsWith(` · in ${path.dirname(p)}`));
}

describe('Watch Deletions in code-server as an unprivileged sudo user', { skip: SKIP, timeout: 15 * 60_000 }, () => {
  let folder: string;
  let groupedByTime = false;

  before(async () => {
    user = ensureSudoUser();
    server = await startSuiteServer({ runAs: { uid: user.uid, gid: user.gid, home: user.home } });
    folder = path.join(server.workspace, FOLDER);
    mkdirSync(folder);
    chownSync(folder, user.uid, user.gid);
    wb = await openWorkbench(server.url);
    page = wb.page;
    // The extension is active (and its menus known) once its view shows.
    await openViewContainer(page, 'Audit Lens');
    await viewPane(page, VIEW).waitFor();
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    // Nothing of ours may stay in the kernel, whatever failed.
    for (const l of folder ? rulesFor(folder) : []) {
      const key = /-F key=(\S+)$/.exec(l)?.[1];
      if (key) spawnSync('/usr/sbin/auditctl', ['-D', '-k', key]);
    }
  });

  const watchAndDelete = (mode: string): void => {
    check(`${mode}: Explorer → Watch Deletions → password → rows appear with the exact path; Stop Watching removes the rules`, async () => {
      // Offered on folders only, and Stop only on a watched one.
      const unwatched = await explorerMenuEntries(FOLDER, 'Who Deleted…?');
      assert.ok(unwatched.includes('Watch Deletions') && !unwatched.includes('Stop Watching'), `an unwatched folder's menu: ${unwatched.join(', ')}`);
      const file = await explorerMenuEntries('README.txt', 'Copy Path');
      assert.ok(!file.includes('Watch Deletions') && !file.includes('Stop Watching'), `a file's menu: ${file.join(', ')}`);
      await explorerMenu(FOLDER, 'Watch Deletions');
      await answerSudo();
      // The helper's terminal says when the rules are in; the view says so too.
      assert.ok(await poll(async () => /: armed \(/.test(await terminalText(page)), 60_000), `terminal: ${await terminalText(page)}`);
      assert.ok(!(await terminalText(page)).includes(user.password), 'the password is not shown');
      assert.ok(rulesFor(folder).length >= 2, 'the rules are in the kernel');
      await showEventsView();
      assert.ok(await poll(async () => /Watching .*\(armed, al_[0-9a-f]{12}, /.test(await viewMessage(page, VIEW)), 30_000), `view message: ${await viewMessage(page, VIEW)}`);
      // One row per event, newest first at the top, where the new rows can be seen without scrolling.
      if (!groupedByTime) {
        await runCommand(page, 'Audit Lens: Group by Time');
        groupedByTime = true;
      }

      const countIn = (message: string): number => Number(/\(armed, al_[0-9a-f]{12}, (\d+) events/.exec(message)?.[1] ?? NaN);
      // Each watch here starts a new helper with nothing restored: its count starts at 0 (the message may still show
      // the previous watch's for a moment).
      assert.ok(await poll(async () => countIn(await viewMessage(page, VIEW)) === 0, 10_000), `view message: ${await viewMessage(page, VIEW)}`);
      const latencies: number[] = [];
      for (let i = 0; i < LATENCY_N; i++) {
        const f = path.join(folder, `doomed-${mode}-${i}.txt`);
        writeFileSync(f, 'x');
        const t0 = Date.now();
        unlinkSync(f);
        const seen = await poll(() => rowFor(f), 10_000, 10);
        assert.ok(seen, `a row for ${f}; rows: ${JSON.stringify((await treeRows(page, VIEW)).slice(0, 5))}`);
        latencies.push(Date.now() - t0);
      }
      latencies.sort((a, b) => a - b);
      const pct = (q: number): number => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
      console.error(`# ${mode}: unlink() → row in Audit Events over ${latencies.length} deletions: median ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${latencies[latencies.length - 1]} ms`);
      assert.ok(pct(0.5) < 2000, `median latency ${pct(0.5)} ms`);
      // The watch's count in the view's message follows the rows (it stayed at its start value before).
      assert.ok(await poll(async () => countIn(await viewMessage(page, VIEW)) === LATENCY_N, 10_000), `view message: ${await viewMessage(page, VIEW)}`);

      const watched = await explorerMenuEntries(FOLDER, 'Stop Watching');
      assert.ok(!watched.includes('Watch Deletions'), `a watched folder's menu: ${watched.join(', ')}`);
      await explorerMenu(FOLDER, 'Stop Watching');
      assert.ok(await poll(async () => rulesFor(folder).length === 0, 30_000), `rules left: ${rulesFor(folder).join('\n')}`);
      const errors = (await toasts(page)).filter((t) => t.severity === 'error');
      assert.deepEqual(errors, []);
    });
  };

  watchAndDelete('node-pty');

  check('the fallback terminal is used when node-pty is turned off by the setting', async () => {
    server.setMachineSettings({ 'auditLens.helper.terminal': 'vscode' });
    await new Promise((r) => setTimeout(r, 1500));
  });

  watchAndDelete('vscode-terminal');

  check('the extension log names both terminals and never the password', async () => {
    const logText = server.extensionLog();
    assert.match(logText, /helper terminal: pty/);
    assert.match(logText, /helper terminal: vscode/);
    assert.ok(!logText.includes(user.password));
    assert.ok(!existsSync('/tmp/pwned'));
  });

  /** Reloads the window and waits until the extension has activated once more. */
  async function reloadWindow(): Promise<void> {
    const activations = (): number => (server.extensionLog().match(/Audit Lens \S+ activated/g) ?? []).length;
    const before = activations();
    await runCommand(page, 'Developer: Reload Window');
    assert.ok(await poll(async () => activations() > before, 60_000, 250), 'the extension activates again after the reload');
    await showEventsView();
  }

  check('captured events come back after a window reload; Clear Audit Events forgets them for good', async () => {
    // Whatever the grouping after the reload: any row of a deleted test file.
    const doomedRows = async (): Promise<string[]> => (await treeRows(page, VIEW)).map((r) => r.label).filter((l) => l.startsWith('doomed-'));
    await reloadWindow();
    assert.ok(await poll(async () => (await doomedRows()).length > 0, 30_000), `the stopped watches' events are restored; rows: ${JSON.stringify((await treeRows(page, VIEW)).slice(0, 5))}`);
    await runCommand(page, 'Audit Lens: Clear Audit Events');
    assert.ok(await poll(async () => (await doomedRows()).length === 0, 10_000), 'Clear empties the view');
    const restoredBefore = (server.extensionLog().match(/restored \d+ captured events/g) ?? []).length;
    await reloadWindow();
    // Restoring runs right after activation: give it time to (wrongly) bring the rows back.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((server.extensionLog().match(/restored \d+ captured events/g) ?? []).length, restoredBefore, 'nothing is restored after Clear');
    assert.deepEqual(await doomedRows(), [], 'the cleared events stay cleared');
  });

  after(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });
});
