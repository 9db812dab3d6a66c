/**
 * The Timeline view (a WebviewView above the tree): the matching events over time, bars by kind. Clicking a bar
 * filters the tree to that interval; the chart then zooms into it. CSP `default-src 'none'`, a nonce from crypto,
 * scripts and styles only from the extension's own out/ and media/timeline/.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Views } from '../constants';
import type { TimelineData, FromTimeline, ToTimeline } from './timelineProtocol';

export class TimelineView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    /** The chart's data now (computed only when the view is visible). */
    private readonly data: () => TimelineData,
    private readonly onMessage: (m: Exclude<FromTimeline, { type: 'ready' }>) => void,
  ) {
    this.disposables.push(vscode.window.registerWebviewViewProvider(Views.Timeline, this));
  }

  /** Whether the chart is on screen (updates are skipped otherwise). */
  get visible(): boolean {
    return this.view?.visible === true;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media', 'timeline');
    const out = vscode.Uri.joinPath(this.extensionUri, 'out');
    view.webview.options = { enableScripts: true, localResourceRoots: [media, out] };
    const nonce = randomBytes(16).toString('base64');
    const csp = [
      "default-src 'none'",
      `style-src ${view.webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    const css = view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.css'));
    const js = view.webview.asWebviewUri(vscode.Uri.joinPath(out, 'timeline.js'));
    view.webview.html = `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}" nonce="${nonce}">
</head>
<body><div id="root"></div><script nonce="${nonce}" src="${js.toString()}"></script></body>
</html>`;
    view.webview.onDidReceiveMessage(
      (m: FromTimeline) => {
        if (m?.type === 'ready') {
          this.ready = true;
          this.update();
        } else if (m?.type === 'select' && Number.isFinite(m.since) && Number.isFinite(m.until) && m.until > m.since) {
          this.onMessage({ type: 'select', since: m.since, until: m.until });
        } else if (m?.type === 'reset') {
          this.onMessage(m);
        }
      },
      undefined,
      this.disposables,
    );
    view.onDidChangeVisibility(() => this.update(), undefined, this.disposables);
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  /** Sends the current data when the chart is visible and listening. */
  update(): void {
    if (!this.view || !this.ready || !this.view.visible) return;
    void this.view.webview.postMessage({ type: 'data', data: this.data() } satisfies ToTimeline);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
