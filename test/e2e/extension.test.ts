/**
 * The packaged extension (VSIX) in a real workbench: code-server driven by Chromium. One server and one page for
 * the whole file; the tests run in order and each leaves the workbench usable for the next.
 * Every check has a control that makes it fail when the behaviour is absent (see the "control" tests).
 * Failure screenshots and code-server's log go to test-artifacts/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { Commands } from '../../src/constants';
import type { Truth } from '../support/truth';
import { addToWorkspace, repoRoot, startSuiteServer, type SuiteServer } from './support/server';
import {
  failureReporter,
  activeTerminalName,
  clearNotifications,
  closeQuickInput,
  editorLanguage,
  openFile,
  openViewContainer,
  openWorkbench,
  outputText,
  pickInFileDialog,
  poll,
  runCommand,
  toasts,
  treeRows,
  typeInTerminal,
  viewMessage,
  viewPane,
  terminalBuffer,
  waitForTerminal,
  waitForTerminalText,
  welcomeText,
  type TreeRow,
  type Workbench,
} from './support/workbench';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
const RECORDED = path.join(repoRoot, 'test', 'fixtures', 'recorded');
const OWN_FIXTURES = path.join(__dirname, 'fixtures');
const VIEW = 'Audit Events';
const VERSION = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
/** A key bound (in the test profile) to Analyze with a path argument that does not exist: VS Code and Playwright spellings. */
const BROKEN_ANALYZE_KEY = { vscode: 'ctrl+alt+shift+f10', playwright: 'Control+Alt+Shift+F10' };
const MISSING_LOG = '/nonexistent/audit-lens-e2e/audit.log';

/** The recorded cases (with ground truth from the recorder, lstat taken before each operation) the view is checked against. */
const DELETION_CASES = ['unlink-absolute', 'fail-eacces'].map((c) => path.join(RECORDED, c));

/** What the view must show for a case (grouped by time), from truth.json only: one row per deletion or rename source. */
function expectedRows(truth: Truth): { label: string; folder: string; failed: boolean; errno: string | null; comm: string }[] {
  return truth.items
    .filter((i) => i.role === 'deleted' || i.role === 'source')
    .map((i) => ({ label: path.basename(i.path), folder: path.dirname(i.path), failed: !i.success, errno: i.errno, comm: i.comm }));
}

let server: SuiteServer;
let wb: Workbench | undefined;
let page: Page;

/** A test that saves a screenshot and code-server's log when it fails. */
const check = failureReporter(ARTIFACTS, () => ({ page, logFile: server?.logFile }));

/** Runs Analyze Audit Log… from the palette and answers the file dialog. */
async function analyzeThroughDialog(file: string): Promise<void> {
  await runCommand(page, 'Audit Lens: Analyze Audit Log…');
  await pickInFileDialog(page, 'Analyze Audit Log', file);
}

/** Waits until the view shows `n` rows; callers clear the view first, so old rows cannot pass for new ones. */
async function waitForRows(n: number): Promise<TreeRow[]> {
  const rows = await poll(async () => {
    const r = await treeRows(page, VIEW);
    return r.length === n ? r : undefined;
  });
  return rows ?? (await treeRows(page, VIEW));
}

/** Clears the view (Clear Audit Events, offered once something was analyzed) and waits for the start welcome. */
async function clearView(): Promise<void> {
  if (/Find out who deleted/.test(await welcomeText(page, VIEW))) return;
  await runCommand(page, 'Audit Lens: Clear Audit Events');
  const cleared = await poll(async () => /Find out who deleted/.test(await welcomeText(page, VIEW)));
  assert.ok(cleared, 'Clear Audit Events brings back the start welcome');
}

/** Runs Show auditd Status and waits until the terminal shows `until`. */
async function showStatus(until: RegExp): Promise<void> {
  await runCommand(page, 'Audit Lens: Show auditd Status');
  await waitForTerminal(page, until);
}

/** Sets machine settings and waits until the workbench has them (they are read from a watched file). */
async function setMachineSettings(settings: Record<string, unknown>): Promise<void> {
  server.setMachineSettings(settings);
  await new Promise((r) => setTimeout(r, 1500));
}

/** `auditctl -s` as key → value, straight from the system: the ground truth for the status terminal. */
function auditctlStatus(): Map<string, string> {
  const r = spawnSync('auditctl', ['-s'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `auditctl -s failed: ${r.stderr}`);
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)] as [string, string]));
}

describe('Audit Lens in code-server', { timeout: 14 * 60_000 }, () => {
  before(async () => {
    const started = Date.now();
    server = await startSuiteServer({
      keybindings: [{ key: BROKEN_ANALYZE_KEY.vscode, command: Commands.EventsAnalyze, args: MISSING_LOG }],
    });
    wb = await openWorkbench(server.url);
    page = wb.page;
    console.error(`# suite ready in ${Date.now() - started} ms`);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  check('activates when its view opens, logs "Audit Lens <version> activated" and shows no error notification', async () => {
    await openViewContainer(page, 'Audit Lens');
    await viewPane(page, VIEW).waitFor();
    await runCommand(page, 'Audit Lens: Show Log');
    const out = await poll(async () => {
      const t = await outputText(page);
      return t.includes(`Audit Lens ${VERSION} activated`) ? t : '';
    });
    assert.ok(out, `the Output channel never said "Audit Lens ${VERSION} activated"; it shows:\n${await outputText(page)}`);
    const errors = (await toasts(page)).filter((t) => t.severity === 'error');
    assert.deepEqual(errors, [], 'no error notification after activation');
  });

  check('control: an error notification is seen (Analyze with a path that does not exist)', async () => {
    await page.keyboard.press(BROKEN_ANALYZE_KEY.playwright);
    const errors = await poll(async () => {
      const e = (await toasts(page)).filter((t) => t.severity === 'error');
      return e.length > 0 ? e : undefined;
    });
    assert.ok(errors, 'an unreadable input must raise an error notification');
    assert.match(errors[0].text, /no such file or directory/);
    assert.ok(errors[0].text.includes(MISSING_LOG), errors[0].text);
    await clearNotifications(page);
    assert.deepEqual(await toasts(page), []);
  });

  check('shows the start welcome with an Analyze button and no rows before any analysis', async () => {
    await openViewContainer(page, 'Audit Lens');
    const text = await poll(() => welcomeText(page, VIEW));
    assert.match(text, /Find out who deleted a file/);
    assert.ok(await viewPane(page, VIEW).locator('.welcome-view-content .monaco-button', { hasText: 'Analyze Audit Log…' }).isVisible());
    assert.deepEqual(await treeRows(page, VIEW), []);
  });

  let groupedByTime = false;
  for (const caseDir of DELETION_CASES) {
    const truth = JSON.parse(readFileSync(path.join(caseDir, 'truth.json'), 'utf8')) as Truth;
    check(`lists exactly the deletions of fixture ${truth.case} (from its truth.json) in the view`, async () => {
      const log = addToWorkspace(server, path.join(caseDir, 'audit.log'), path.join('fixtures', truth.case, 'audit.log'));
      const expected = expectedRows(truth);
      assert.ok(expected.length > 0, 'the fixture must contain deletions');
      await openViewContainer(page, 'Audit Lens');
      await clearView();
      // One row per event (grouping by folder and process is checked in tree.test.ts).
      if (!groupedByTime) {
        await runCommand(page, 'Audit Lens: Group by Time');
        groupedByTime = true;
      }
      await analyzeThroughDialog(log);
      const rows = await waitForRows(expected.length);
      assert.deepEqual(
        rows.map((r) => r.label).sort(),
        expected.map((e) => e.label).sort(),
        `rows:\n${rows.map((r) => `${r.label}  ${r.description}`).join('\n')}`,
      );
      for (const e of expected) {
        const row = rows.find((r) => r.label === e.label)!;
        const parts = row.description.split(' · ');
        assert.match(parts[0], new RegExp(` by ${e.comm} \\(\\d+\\)$`), `${e.label}: description "${row.description}" names the program ${e.comm} and its pid`);
        assert.match(parts[parts.length - 2], /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|just now|\d+ min ago|\d+ h ago)$/, `${e.label}: description gives the time`);
        assert.equal(parts[parts.length - 1], `in ${e.folder}`, `${e.label}: description ends with the folder`);
        if (e.failed) {
          assert.equal(row.icon, 'codicon-error', `${e.label}: a failed attempt has the error icon`);
          assert.match(parts[0], new RegExp(`^failed deletion \\(${e.errno}\\) by `), `${e.label}: a failed attempt says so first`);
        } else {
          assert.notEqual(row.icon, 'codicon-error', `${e.label}: a deletion is not marked failed`);
          assert.doesNotMatch(row.description, /^failed/);
        }
      }
      assert.equal(await welcomeText(page, VIEW), '', 'the welcome content is hidden while rows are shown');
      const message = await poll(() => viewMessage(page, VIEW), 5000);
      assert.match(message, /^audit\.log: .*records/);
    });
  }

  check('control: a log without deletions (analyzed from the explorer menu) shows the "no deletions" welcome and no rows', async () => {
    addToWorkspace(server, path.join(OWN_FIXTURES, 'no-deletions', 'audit.log'), 'audit.log');
    await page.locator('.activitybar .action-label[aria-label^="Explorer"]').click();
    const item = page.locator('.explorer-folders-view .monaco-list-row[aria-label="audit.log"]');
    await item.waitFor();
    await item.click({ button: 'right' });
    // VS Code's menus ignore a click that comes too soon after they open; hover, then Enter, as a keyboard user would.
    const entry = page.locator('.context-view .monaco-menu .action-item', { hasText: 'Analyze Audit Log…' });
    await entry.hover();
    await page.waitForTimeout(200);
    await page.keyboard.press('Enter');
    await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden' });
    // The command reveals the view itself when it is closed.
    const text = await poll(async () => {
      const t = await welcomeText(page, VIEW);
      return /no deletions/.test(t) ? t : '';
    });
    assert.match(text, /no deletions, renames or failed deletion attempts/);
    assert.doesNotMatch(text, /Find out who deleted/);
    assert.deepEqual(await treeRows(page, VIEW), []);
  });

  check('reports unreadable lines as a row at the top of the view and in the log channel', async () => {
    const broken = path.join(server.workspace, 'broken', 'audit.log');
    mkdirSync(path.dirname(broken), { recursive: true });
    writeFileSync(broken, `${readFileSync(path.join(OWN_FIXTURES, 'no-deletions', 'audit.log'), 'latin1')}this is not an audit record\n`, 'latin1');
    await analyzeThroughDialog(broken);
    const rows = await poll(async () => {
      const r = await treeRows(page, VIEW);
      return r.length === 1 && /not an audit record/.test(r[0].label) ? r : undefined;
    });
    assert.ok(rows, `a problem row appears; the view shows ${JSON.stringify(await treeRows(page, VIEW))}`);
    assert.equal(rows[0].label, 'audit.log: 1 line is not an audit record');
    assert.equal(rows[0].icon, 'codicon-warning');
    assert.match(await poll(() => viewMessage(page, VIEW), 5000), /^audit\.log: no deletions, renames or failed deletion attempts · \d+ records$/);
    // The row is actionable: it opens the log that names the line (the panel is closed first, so it is the click).
    if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Hide Panel');
    await page.locator('.part.panel').waitFor({ state: 'hidden' });
    await viewPane(page, VIEW).locator('.monaco-list-row').first().click();
    const out = await poll(async () => {
      const t = (await outputText(page)).replace(/\s+/g, ' ');
      return /malformed-line: not an audit record/.test(t) ? t : '';
    });
    assert.ok(out, `the row shows the log channel; the panel shows:\n${await outputText(page)}`);
    const logged = server.extensionLog();
    assert.match(logged, /broken\/audit\.log:19: malformed-line/, 'the log channel names the malformed line');
  });

  check("Show auditd Status prints auditd's real enabled and backlog_limit lines", async () => {
    const before = auditctlStatus();
    await showStatus(/exited with code \d+/);
    const text = await terminalBuffer(page);
    const after = auditctlStatus();
    assert.equal(await activeTerminalName(page), 'auditd Status');
    for (const key of ['enabled', 'backlog_limit']) {
      const lines = new Set([`${key} ${before.get(key)}`, `${key} ${after.get(key)}`]);
      assert.ok(
        text.split('\n').some((l) => lines.has(l.trim())),
        `terminal shows "${[...lines].join('" or "')}"; it shows:\n${text}`,
      );
    }
    assert.match(text, /exited with code 0/);
    assert.match(text, /auditd is running \(pid \d+\) and auditing is enabled/);
  });

  check('control: Show auditd Status with a missing auditctl says how to install and start auditd', async () => {
    await setMachineSettings({ 'auditLens.auditd.auditctlPath': '/nonexistent/sbin/auditctl' });
    await showStatus(/not found|exited with code/);
    const text = await terminalBuffer(page);
    assert.match(text, /auditctl was not found \(looked for "\/nonexistent\/sbin\/auditctl"\)/);
    assert.match(text, /apt-get install auditd/);
    assert.match(text, /start it with `auditd` or `systemctl start auditd`/);
    assert.doesNotMatch(text, /^enabled \d/m);
  });

  check('control: with auditd not running (pid 0) the terminal says how to start it; typed input reaches the program and is never logged', async () => {
    // A stand-in auditctl that asks for a password first, like sudo does, then reports a stopped daemon.
    // (Stopping the real auditd would disturb the integration tests that may run beside this suite.)
    const dir = path.join(server.workspace, '.fake-sbin');
    mkdirSync(dir, { recursive: true });
    const fake = path.join(dir, 'auditctl');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'printf "[sudo] password for e2e: "',
        'stty -echo; IFS= read -r pw; stty echo; echo',
        'echo "read ${#pw} characters"',
        'printf "enabled 1\\nfailure 1\\npid 0\\nrate_limit 0\\nbacklog_limit 64\\nlost 0\\nbacklog 0\\n"',
        '',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    await setMachineSettings({ 'auditLens.auditd.auditctlPath': fake });
    await showStatus(/password for e2e:/);
    const secret = `s3cret-${Date.now()}`;
    // One chunk (as a paste or a password manager sends it), so a log line of the input would hold it whole.
    await page.locator('.terminal-wrapper.active .xterm').click();
    await page.keyboard.insertText(secret);
    await page.keyboard.press('Enter');
    const text = await waitForTerminalText(page, /exited with code/);
    assert.match(text, new RegExp(`read ${secret.length} characters`));
    assert.match(text, /auditd is not running: start it with `auditd` \(as root\) or `systemctl start auditd`/);
    assert.ok(!text.includes(secret), 'the terminal does not echo the password');
    // The channel's log file holds every line, not just those the Output view has on screen.
    const logged = await poll(async () => {
      const t = server.extensionLog();
      return /pty: .*exited with code 0/.test(t) ? t : '';
    });
    assert.match(logged, /pty: .*exited with code 0/, 'the session is logged');
    assert.ok(!logged.includes(secret), 'typed input is never logged');
    // "Press any key to close": the next key closes the terminal.
    await page.locator('.part.panel .composite-bar .action-label', { hasText: /terminal/i }).first().click().catch(() => undefined);
    await typeInTerminal(page, 'q');
    const closed = await poll(async () => (await activeTerminalName(page)) !== 'auditd Status');
    assert.ok(closed, 'a key press closes the finished status terminal');
  });

  check('closing a status terminal kills the program still waiting in it', async () => {
    const dir = path.join(server.workspace, '.fake-sbin');
    const pidFile = path.join(dir, 'pid');
    const fake = path.join(dir, 'auditctl-wait');
    writeFileSync(fake, `#!/bin/sh\necho $$ > '${pidFile}'\nprintf "waiting for input: "\nread -r x\n`);
    chmodSync(fake, 0o755);
    await setMachineSettings({ 'auditLens.auditd.auditctlPath': fake });
    await showStatus(/waiting for input:/);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(pid > 0);
    process.kill(pid, 0); // alive now
    // Re-running the command replaces (disposes) the old terminal.
    await setMachineSettings({ 'auditLens.auditd.auditctlPath': '/nonexistent/sbin/auditctl' });
    await showStatus(/not found/);
    const gone = await poll(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    assert.ok(gone, `process ${pid} was killed with its terminal`);
    await setMachineSettings({});
  });

  check('opens audit.log with the auditlog language (and a control file without it)', async () => {
    await openFile(page, path.join(server.workspace, 'README.txt'));
    assert.equal(await editorLanguage(page), 'Plain Text');
    await openFile(page, path.join(server.workspace, 'audit.log'));
    const lang = await poll(async () => ((await editorLanguage(page)) === 'Audit Log' ? 'Audit Log' : ''), 10_000);
    assert.equal(lang || (await editorLanguage(page)), 'Audit Log');
    await closeQuickInput(page);
  });

  check('no error notification appeared during the suite (after the control cleared its own)', async () => {
    const errors = (await toasts(page)).filter((t) => t.severity === 'error');
    assert.deepEqual(errors, []);
  });
});
