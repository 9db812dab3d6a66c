/**
 * The demo workspace `npm start` opens, in a real workbench: its sample log fills Audit Events as the window opens
 * (the workspace's `auditLens.events.analyzeOnOpen`), with no command to run first. Control: the same workbench
 * without the setting shows the welcome and no rows.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureDemoWorkspace } from '../../scripts/demo';
import { analyzeInputs } from '../../src/core';
import { repoRoot, startSuiteServer, type SuiteServer } from './support/server';
import {
  failureReporter,
  openViewContainer,
  openWorkbench,
  poll,
  runCommand,
  treeRows,
  viewDescription,
  viewMessage,
  viewPane,
  welcomeText,
  type Workbench,
} from './support/workbench';

const VIEW = 'Audit Events';
let server: SuiteServer;
let wb: Workbench | undefined;
let page: Page;
const check = failureReporter(path.join(repoRoot, 'test-artifacts'), () => ({ page, logFile: server?.logFile }), 'demo-');

describe('the demo workspace in code-server', { timeout: 5 * 60_000 }, () => {
  let expected: number;

  before(async () => {
    server = await startSuiteServer();
    ensureDemoWorkspace(server.workspace);
    expected = (await analyzeInputs([path.join(server.workspace, 'audit.log')])).events.length;
    assert.ok(expected > 5, `the demo log has events (${expected})`);
    wb = await openWorkbench(server.url);
    page = wb.page;
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  check('its sample log fills Audit Events as the window opens, with no command run', async () => {
    // The view comes forward by itself once the analysis is done.
    assert.ok(await poll(async () => (await viewPane(page, VIEW).count()) > 0 && (await viewDescription(page, VIEW)) === `${expected} events`, 60_000), `description: ${await viewDescription(page, VIEW).catch(() => '')}`);
    // The message and the rows follow the description within a refresh.
    assert.ok(await poll(async () => /^audit\.log: \d+ deleted/.test(await viewMessage(page, VIEW)), 10_000), `message: ${await viewMessage(page, VIEW)}`);
    assert.ok(await poll(async () => (await treeRows(page, VIEW)).length > 0, 10_000), 'rows are shown');
    assert.ok(await poll(async () => server.extensionLog().includes('analyzing on open (auditLens.events.analyzeOnOpen)'), 10_000), 'the log says why');
  });

  check('control: without the setting, a reload leaves the view to its welcome', async () => {
    rmSync(path.join(server.workspace, '.vscode'), { recursive: true, force: true });
    const activations = (): number => (server.extensionLog().match(/Audit Lens \S+ activated/g) ?? []).length;
    const before = activations();
    await runCommand(page, 'Developer: Reload Window');
    assert.ok(await poll(async () => activations() > before, 60_000, 250), 'the extension activates again after the reload');
    await openViewContainer(page, 'Audit Lens');
    await viewPane(page, VIEW).waitFor();
    assert.ok(await poll(async () => /Analyze Audit Log/.test(await welcomeText(page, VIEW)), 15_000), `welcome: ${await welcomeText(page, VIEW)}`);
    assert.deepEqual(await treeRows(page, VIEW), []);
  });
});
