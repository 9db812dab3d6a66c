/**
 * Bench-only commands (registered when AUDIT_LENS_BENCH=1, never contributed to the palette): the platform's floor
 * under the viewer's first screen, timed by `npm run bench:viewer` the way the viewer is timed.
 *  - auditLens.bench.minimalWebview: a webview panel with static text whose script posts one message;
 *  - auditLens.bench.openText (path): the same file in VS Code's own text editor.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { log } from '../log';

/** Registers the bench probes when the bench asks for them (AUDIT_LENS_BENCH=1); otherwise nothing. */
export function register(): vscode.Disposable {
  if (process.env.AUDIT_LENS_BENCH !== '1') return new vscode.Disposable(() => undefined);
  return vscode.Disposable.from(
    vscode.commands.registerCommand('auditLens.bench.minimalWebview', () => {
      const command = Date.now();
      const panel = vscode.window.createWebviewPanel('auditLens.benchProbe', 'probe', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });
      panel.webview.onDidReceiveMessage((m: { navigation: number; script: number }) => {
        const marks = { command: 0, html: html - command, navigation: m.navigation - command, script: m.script - command, messageAtHost: Date.now() - command };
        log.info(`bench probe: minimal webview marks ${JSON.stringify({ t0: command, marks })}`);
      });
      const nonce = randomBytes(18).toString('base64');
      panel.webview.html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'">
<title>probe</title></head><body><p id="probe">probe</p>
<script nonce="${nonce}">acquireVsCodeApi().postMessage({ navigation: performance.timeOrigin, script: performance.timeOrigin + performance.now() });</script>
</body></html>`;
      const html = Date.now();
    }),
    vscode.commands.registerCommand('auditLens.bench.openText', async (file: string) => {
      const command = Date.now();
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
      log.info(`bench probe: text editor marks ${JSON.stringify({ t0: command, marks: { command: 0, shown: Date.now() - command } })}`);
    }),
  );
}
