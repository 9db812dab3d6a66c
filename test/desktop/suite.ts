/**
 * The extension inside desktop VS Code (@vscode/test-electron; `npm run test:desktop`, not run in CI: it downloads
 * VS Code). Runs in the extension host, so it checks through the API what the e2e suite checks through the UI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands } from '../../src/constants';
import type { AnalyzeSummary } from '../../src/views/analyses';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const recorded = path.join(repoRoot, 'test', 'fixtures', 'recorded');

const tests: [string, () => Promise<void>][] = [
  [
    'activates and contributes its commands',
    async () => {
      const ext = vscode.extensions.getExtension('audit-lens.audit-lens');
      assert.ok(ext, 'the extension is installed');
      await ext.activate();
      assert.ok(ext.isActive);
      const all = await vscode.commands.getCommands(true);
      for (const c of Object.values(Commands)) assert.ok(all.includes(c), `${c} is registered`);
    },
  ],
  [
    'analyzes a recorded fixture into as many rows as its truth has deletions',
    async () => {
      const dir = path.join(recorded, 'unlink-absolute');
      const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { items: { role: string }[] };
      const want = truth.items.filter((i) => i.role === 'deleted' || i.role === 'source').length;
      const got = (await vscode.commands.executeCommand(Commands.EventsAnalyze, vscode.Uri.file(path.join(dir, 'audit.log')))) as AnalyzeSummary;
      assert.equal(got.events, want);
    },
  ],
  [
    'gives audit.log the auditlog language',
    async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(recorded, 'unlink-absolute', 'audit.log')));
      assert.equal(doc.languageId, 'auditlog');
    },
  ],
  [
    'opens the auditd Status terminal',
    async () => {
      const opened = new Promise<vscode.Terminal>((resolve) => {
        const sub = vscode.window.onDidOpenTerminal((t) => {
          sub.dispose();
          resolve(t);
        });
      });
      await vscode.commands.executeCommand(Commands.AuditdStatus);
      const terminal = await opened;
      assert.equal(terminal.name, 'auditd Status');
      terminal.dispose();
    },
  ],
];

/** Entry point called by @vscode/test-electron. */
export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, fn] of tests) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (err) {
      console.log(`not ok - ${name}\n  ${String(err instanceof Error ? err.stack : err).replace(/\n/g, '\n  ')}`);
      failures.push(name);
    }
  }
  if (failures.length > 0) throw new Error(`${failures.length} of ${tests.length} desktop tests failed`);
}
