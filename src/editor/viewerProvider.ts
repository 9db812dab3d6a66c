/**
 * The Audit Lens viewer: a read-only custom editor for audit logs of any size. The host pages lines by byte offset
 * from one handle (src/editor/pager.ts), searches and filters on the host (src/editor/search.ts), and the webview
 * (media/viewer/main.ts) renders only the rows on screen. Offered through "Open in Audit Lens Viewer", "Reopen
 * Editor With…", `auditLens.viewer.open(uri, { offset?, line? })` (the Audit Events tree's Reveal Raw Records), and
 * instead of the text editor for logs above `auditLens.viewer.thresholdMB`.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseTimeSpec } from '../cli/timeSpec';
import { localIdNames } from '../core/idNames';
import { Commands, CustomEditors, Settings } from '../constants';
import type { ByteSource, PrivilegedAccess } from '../helper/privileged';
import { errorText, log } from '../log';
import { linesAt, linesBackward, linesForward } from './pager';
import type { HostMessage, LinesPage, ViewerStrings, ViewMessage } from './protocol';
import { compileSearch, filterLog, offsetAtTime, searchLog } from './search';
import { ViewerDocument, type DocumentListener } from './viewerDocument';

/** What the viewer needs from the rest of the extension. */
export interface ViewerDeps {
  /** Reads root-only logs (the privileged helper), when available. */
  privileged: PrivilegedAccess | undefined;
}

/** Where the open command asks a viewer to land. */
export interface RevealTarget {
  offset?: number;
  line?: number;
}

/** globalState key of the last Raw/Interpreted choice. */
const INTERPRETED_KEY = 'auditLens.viewer.interpreted';
/** Lines sent with `init`: a few screens. */
const INIT_PAGE_LINES = 300;
/** Lines a single page request may ask for. */
const MAX_PAGE_LINES = 2000;
/** File names the viewer is offered for (as the auditlog language's filename patterns). */
const LOG_NAME = /(^audit\.log(\.\d+)?$)|(\.audit\.log$)/;

function viewerStrings(): ViewerStrings {
  return {
    search: vscode.l10n.t('Search'),
    searchPlaceholder: vscode.l10n.t('Search: text, /regex/ or field=value, all on one record (e.g. syscall=unlinkat success=no)'),
    modeText: vscode.l10n.t('Text'),
    modeRegex: vscode.l10n.t('Regex'),
    modeField: vscode.l10n.t('field=value'),
    matchCase: vscode.l10n.t('Match case'),
    cancel: vscode.l10n.t('Cancel'),
    raw: vscode.l10n.t('Raw'),
    interpreted: vscode.l10n.t('Interpreted'),
    filterKeys: vscode.l10n.t('Keys (comma-separated)'),
    filterTypes: vscode.l10n.t('Record types (comma-separated)'),
    applyFilter: vscode.l10n.t('Filter'),
    clearFilter: vscode.l10n.t('Show all'),
    goTo: vscode.l10n.t('Go'),
    goToPlaceholder: vscode.l10n.t('Go to: time (2026-11-25 06:20, today, epoch), :line or @byte offset'),
    follow: vscode.l10n.t('Follow'),
    top: vscode.l10n.t('Top'),
    end: vscode.l10n.t('End'),
    results: vscode.l10n.t('{0} results', '{0}'),
    noResults: vscode.l10n.t('No results'),
    closeResults: vscode.l10n.t('Close the search results'),
    searching: vscode.l10n.t('Searching… {0}%', '{0}'),
    filtering: vscode.l10n.t('Filtering… {0}%', '{0}'),
    filtered: vscode.l10n.t('{0} records match the filter', '{0}'),
    indexing: vscode.l10n.t('indexing {0}%', '{0}'),
    lines: vscode.l10n.t('{0} lines', '{0}'),
    line: vscode.l10n.t('line {0}', '{0}'),
    previousHit: vscode.l10n.t('Previous result'),
    nextHit: vscode.l10n.t('Next result'),
    rotated: vscode.l10n.t('The log was rotated: showing the new file.'),
    truncated: vscode.l10n.t('The log was truncated: reloaded.'),
    badTime: vscode.l10n.t('Not a time, :line or @offset: {0}', '{0}'),
    noRecordAtTime: vscode.l10n.t('No record at or after that time.'),
  };
}

/** The message shown when a log cannot be read, with what to do about it. */
function openErrorMessage(doc: ViewerDocument): { message: string; detail?: string } {
  const err = doc.error!;
  const file = doc.uri.fsPath;
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return {
      message: vscode.l10n.t('Permission denied: {0} is readable by root only.', file),
      detail: vscode.l10n.t(
        'Open a copy (sudo cp {0} ~/audit.log && sudo chown $USER ~/audit.log), add your user to the log’s group (log_group in /etc/audit/auditd.conf), or run VS Code as root.',
        file,
      ),
    };
  }
  if (err.code === 'ENOENT') return { message: vscode.l10n.t('{0} does not exist.', file) };
  return { message: vscode.l10n.t('Cannot read {0}: {1}', file, err.message) };
}

/** Running scans (searches or filters) by id, each cancellable. */
class Jobs {
  private readonly running = new Map<number, AbortController>();

  /** Runs a scan under a fresh signal, forgetting it when done. */
  async run(id: number, scan: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const ctl = new AbortController();
    this.running.set(id, ctl);
    try {
      await scan(ctl.signal);
    } finally {
      this.running.delete(id);
    }
  }

  cancel(id: number): void {
    this.running.get(id)?.abort();
    this.running.delete(id);
  }

  abortAll(): void {
    for (const c of this.running.values()) c.abort();
    this.running.clear();
  }
}

/** One webview panel showing a document: answers its requests, runs its searches, relays size changes. */
class ViewerSession implements DocumentListener {
  following = false;
  private readonly searches = new Jobs();
  private readonly filters = new Jobs();
  private readonly subs: vscode.Disposable[] = [];

  /**
   * Wall-clock times (Date.now(), comparable with the webview's performance.timeOrigin + now()) of the steps of the
   * first screen: logged once the webview reports its own, so the first screen can be broken down (npm run bench:viewer).
   */
  private readonly marks: Record<string, number>;

  constructor(
    private readonly doc: ViewerDocument,
    private readonly panel: vscode.WebviewPanel,
    private readonly takeReveal: () => RevealTarget | undefined,
    /** Where the last Raw/Interpreted choice is remembered (the setting gives the default). */
    private readonly memento: vscode.Memento,
    commandAt: number | undefined,
  ) {
    this.marks = { ...(commandAt !== undefined ? { command: commandAt } : {}), document: doc.openedAtWall, documentOpen: doc.readyAtWall, resolve: Date.now() };
    this.subs.push(
      panel.webview.onDidReceiveMessage((m: ViewMessage) => {
        this.handle(m).catch((err) => log.error(`viewer: ${m.type} failed: ${errorText(err)}`));
      }),
      doc.listen(this),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  onSize(size: number): void {
    this.post({ type: 'size', size });
  }

  onReset(size: number, reason: 'rotated' | 'truncated'): void {
    this.post({ type: 'reset', size, reason });
  }

  private lastIndexPost = 0;
  onIndex(lines: number, bytes: number, done: boolean): void {
    // Progress at most 4 times a second: the index reports per 4 MiB chunk.
    if (!done && Date.now() - this.lastIndexPost < 250) return;
    this.lastIndexPost = Date.now();
    this.post({ type: 'index', lines, bytes, done });
  }

  /** Scrolls this panel to a record (the open command on an already open log). */
  async reveal(target: RevealTarget): Promise<void> {
    const offset = await this.resolve(target);
    if (offset !== null) this.post({ type: 'reveal', offset });
  }

  private async resolve(target: RevealTarget | undefined): Promise<number | null> {
    if (!target) return null;
    if (typeof target.offset === 'number' && target.offset >= 0) return target.offset;
    if (typeof target.line === 'number' && target.line >= 1) return this.doc.offsetOfLine(target.line);
    return null;
  }

  private async forward(src: ByteSource, offset: number, count: number, size: number): Promise<LinesPage> {
    const { lines, atEnd } = await linesForward(src, offset, count, size);
    const firstLine = lines.length > 0 ? await this.doc.index!.lineOf(lines[0].offset) : null;
    return { lines, atStart: lines.length === 0 || lines[0].offset === 0, atEnd, firstLine };
  }

  /** The `init` prepared while the webview boots (read from the file in parallel with the workbench's work). */
  private prepared: Promise<HostMessage> | undefined;

  /**
   * Prepares the `init` message (or the error) and posts it as soon as it is ready, without waiting for the
   * webview's `ready`: VS Code queues messages for a webview until its page has loaded, so the first page does not
   * wait for a round trip. `ready` is still answered (the webview ignores a second `init`), so a reloaded webview or
   * a lost message costs only that round trip.
   */
  start(): void {
    this.prepared = this.prepareInit();
    // A failure is logged here; the answer to `ready` meets the same failure and reports it as a failed message.
    this.postInit(this.prepared).catch((err) => log.error(`viewer: first page failed: ${errorText(err)}`));
  }

  private async postInit(init: Promise<HostMessage>): Promise<void> {
    const m = await init;
    this.post(m);
    if (m.type !== 'init') return;
    this.mark('initPosted');
    this.doc.startIndex();
    if (this.doc.index) this.onIndex(this.doc.index.indexedLines, this.doc.index.indexedBytes, this.doc.index.indexedBytes >= m.size);
  }

  private async prepareInit(): Promise<HostMessage> {
    const src = this.doc.bytes;
    if (!src) return { type: 'error', ...openErrorMessage(this.doc) };
    const ids = await localIdNames();
    const interpreted = this.memento.get<boolean>(INTERPRETED_KEY) ?? vscode.workspace.getConfiguration(Settings.Section).get<boolean>(Settings.ViewerInterpreted, false);
    const size = await src.size();
    this.doc.size = Math.max(this.doc.size, size);
    const reveal = await this.resolve(this.takeReveal());
    return {
      type: 'init',
      fileName: path.basename(this.doc.uri.fsPath),
      path: this.doc.uri.fsPath,
      size,
      strings: viewerStrings(),
      users: [...ids.users],
      groups: [...ids.groups],
      interpreted,
      reveal,
      page: await this.forward(src, reveal ?? 0, INIT_PAGE_LINES, size),
    };
  }

  /** Notes when a step of the first screen happened (host side). */
  mark(name: string): void {
    this.marks[name] ??= Date.now();
  }

  /** Logs the first screen's steps, host's and webview's, relative to the first one (the open command, if any). */
  private logMarks(view: Record<string, number>): void {
    const all = { ...this.marks, ...view };
    const t0 = Math.min(...Object.values(all));
    const rel = Object.fromEntries(Object.entries(all).sort((a, b) => a[1] - b[1]).map(([k, v]) => [k, Math.round(v - t0)]));
    log.info(`viewer: first screen marks ${JSON.stringify({ file: path.basename(this.doc.uri.fsPath), size: this.doc.size, t0, marks: rel })}`);
  }

  private async handle(m: ViewMessage): Promise<void> {
    const src = this.doc.bytes;
    if (m.type === 'marks') {
      this.logMarks(m.marks);
      return;
    }
    if (m.type === 'ready') {
      this.mark('ready');
      // The init prepared while the webview booted (already posted once: the webview keeps the first it gets), or a
      // fresh one when the webview was reloaded.
      const init = this.prepared ?? this.prepareInit();
      this.prepared = undefined;
      await this.postInit(init);
      return;
    }
    if (!src) return;
    switch (m.type) {
      case 'getLines': {
        const count = Math.max(1, Math.min(MAX_PAGE_LINES, m.count));
        const size = await src.size();
        if (m.direction === 'forward') {
          this.post({ type: 'lines', reqId: m.reqId, ...(await this.forward(src, m.offset, count, size)) });
        } else {
          const { lines, atStart } = await linesBackward(src, Math.min(m.offset, size), count);
          const firstLine = lines.length > 0 ? await this.doc.index!.lineOf(lines[0].offset) : null;
          const last = lines[lines.length - 1];
          this.post({ type: 'lines', reqId: m.reqId, lines, atStart, atEnd: last === undefined || last.end >= size, firstLine });
        }
        return;
      }
      case 'getLinesAt': {
        const offsets = m.offsets.slice(0, MAX_PAGE_LINES);
        const [lines, lineNos] = await Promise.all([linesAt(src, offsets), this.doc.index!.linesOf(offsets)]);
        this.post({ type: 'linesAt', reqId: m.reqId, lines, lineNos });
        return;
      }
      case 'search': {
        this.searches.abortAll();
        let matcher;
        try {
          matcher = compileSearch(m.query, m.mode, m.caseSensitive);
        } catch (err) {
          this.post({ type: 'searchHits', searchId: m.searchId, hits: [], scanned: 0, total: 0, done: true, capped: false, error: errorText(err) });
          return;
        }
        await this.searches.run(m.searchId, (signal) => searchLog(src, matcher, signal, (b) => this.post({ type: 'searchHits', searchId: m.searchId, ...b })));
        return;
      }
      case 'cancelSearch':
        this.searches.cancel(m.searchId);
        return;
      case 'filter':
        this.filters.abortAll();
        await this.filters.run(m.filterId, (signal) => filterLog(src, m.keys, m.types, signal, (b) => this.post({ type: 'filterHits', filterId: m.filterId, ...b })));
        return;
      case 'cancelFilter':
        this.filters.cancel(m.filterId);
        return;
      case 'jump': {
        const t = m.target.trim();
        let offset: number | null = null;
        let error: string | undefined;
        if (/^@\s*(0x[0-9a-f]+|\d+)$/i.test(t)) {
          offset = Number(t.slice(1).trim());
          if (offset >= (await src.size())) {
            offset = null;
            error = vscode.l10n.t('The log is shorter than that.');
          }
        } else if (/^:\s*\d+$/.test(t)) {
          offset = await this.doc.offsetOfLine(Number(t.slice(1).trim()));
          if (offset === null) error = vscode.l10n.t('The log has fewer lines.');
        } else {
          const ms = parseTimeSpec(t);
          if (ms === null) error = viewerStrings().badTime.replace('{0}', t);
          else {
            offset = await offsetAtTime(src, ms);
            if (offset === null) error = viewerStrings().noRecordAtTime;
          }
        }
        this.post({ type: 'jumpResult', reqId: m.reqId, offset, error });
        return;
      }
      case 'follow':
        this.following = m.on;
        if (m.on) await this.doc.check();
        return;
      case 'interpreted':
        await this.memento.update(INTERPRETED_KEY, m.on);
        return;
    }
  }

  dispose(): void {
    this.searches.abortAll();
    this.filters.abortAll();
    vscode.Disposable.from(...this.subs).dispose();
  }
}

/** The webview's script and style, read once from the extension (they are ours, never log text). */
let assets: { script: string; style: string } | undefined;
function webviewAssets(extensionUri: vscode.Uri): { script: string; style: string } {
  assets ??= {
    // Inlined, so the first screen waits for no fetch through the webview's service worker. `</script` cannot
    // end the element early: the bundle is escaped for that.
    script: readFileSync(path.join(extensionUri.fsPath, 'out', 'webview', 'viewer.js'), 'utf8').replace(/<\/(script)/gi, '<\\/$1'),
    style: readFileSync(path.join(extensionUri.fsPath, 'media', 'viewer', 'viewer.css'), 'utf8').replace(/<\/(style)/gi, '<\\/$1'),
  };
  return assets;
}

/** The webview's HTML: strict CSP with a per-load nonce; no log text is ever part of it. */
function html(extensionUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
  const { script, style } = webviewAssets(extensionUri);
  const csp = [`default-src 'none'`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${style}</style>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}">${script}</script>
</body>
</html>`;
}

/** The custom editor provider: one ViewerDocument per log, one session per panel. */
class ViewerProvider implements vscode.CustomReadonlyEditorProvider<ViewerDocument> {
  private readonly sessions = new Map<string, Set<ViewerSession>>();
  private readonly pendingReveals = new Map<string, RevealTarget>();
  /** When the open command ran for a log (Date.now()), for the first screen's marks. */
  private readonly commandAt = new Map<string, number>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: ViewerDeps,
  ) {}

  openCustomDocument(uri: vscode.Uri): Promise<ViewerDocument> {
    return ViewerDocument.open(uri, this.deps.privileged);
  }

  resolveCustomEditor(doc: ViewerDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = {
      enableScripts: true,
      // Nothing is loaded from disk: script and style are inlined under the nonce.
      localResourceRoots: [],
    };
    const key = doc.uri.toString();
    const session = new ViewerSession(
      doc,
      panel,
      () => {
        const r = this.pendingReveals.get(key);
        this.pendingReveals.delete(key);
        return r;
      },
      this.context.globalState,
      this.commandAt.get(key),
    );
    this.commandAt.delete(key);
    let set = this.sessions.get(key);
    if (!set) this.sessions.set(key, (set = new Set()));
    set.add(session);
    panel.onDidDispose(() => {
      set!.delete(session);
      if (set!.size === 0) this.sessions.delete(key);
    });
    panel.webview.html = html(this.context.extensionUri);
    session.mark('html');
    session.start();
  }

  /** Opens `uri` in the viewer and lands on `target` (in the panel already showing it, if any). */
  async open(uri: vscode.Uri, target: RevealTarget | undefined, commandAt = Date.now()): Promise<void> {
    const key = uri.toString();
    this.commandAt.set(key, commandAt);
    const open = this.sessions.get(key);
    if (target) this.pendingReveals.set(key, target);
    await vscode.commands.executeCommand('vscode.openWith', uri, CustomEditors.Viewer);
    if (open && open.size > 0 && target) {
      // The panel exists and will not send `ready` again: tell it where to go.
      this.pendingReveals.delete(key);
      for (const s of open) await s.reveal(target);
    }
  }
}

/** The log the open command means when it gets no uri: the active editor's, else one the user picks. */
async function pickLog(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') return active;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if ((tab instanceof vscode.TabInputText || tab instanceof vscode.TabInputCustom) && tab.uri.scheme === 'file') return tab.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Open in Viewer'), title: vscode.l10n.t('Open in Audit Lens Viewer') });
  return picked?.[0];
}

/**
 * The open command's arguments: `(uri | path, { offset?, line? })`, or one object `{ path | uri, offset?, line? }`
 * (what a keybinding or a command link can pass), or nothing (the active log, else a file dialog).
 */
async function openArgs(arg: unknown, target: unknown): Promise<[vscode.Uri | undefined, RevealTarget | undefined]> {
  const asTarget = (v: unknown): RevealTarget | undefined => {
    // The explorer passes the multi-selection (an array) second: only an object with offset/line is a target.
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const o = v as Record<string, unknown>;
    const t: RevealTarget = {};
    if (typeof o.offset === 'number') t.offset = o.offset;
    if (typeof o.line === 'number') t.line = o.line;
    return t.offset === undefined && t.line === undefined ? undefined : t;
  };
  if (arg instanceof vscode.Uri) return [arg, asTarget(target)];
  if (typeof arg === 'string') return [vscode.Uri.file(arg), asTarget(target)];
  if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
    const o = arg as Record<string, unknown>;
    const uri = typeof o.uri === 'string' ? vscode.Uri.parse(o.uri) : typeof o.path === 'string' ? vscode.Uri.file(o.path) : undefined;
    if (uri) return [uri, asTarget(o)];
  }
  return [await pickLog(), undefined];
}

/** Reopens big audit logs that were opened in the text editor in the viewer instead. */
async function redirectLargeLog(provider: ViewerProvider, tab: vscode.Tab): Promise<void> {
  if (!(tab.input instanceof vscode.TabInputText) || tab.input.uri.scheme !== 'file') return;
  const uri = tab.input.uri;
  if (!LOG_NAME.test(path.basename(uri.fsPath))) return;
  const mb = vscode.workspace.getConfiguration(Settings.Section).get<number>(Settings.ViewerThresholdMB, 20);
  if (!(mb > 0)) return;
  let size: number;
  try {
    size = (await fsp.stat(uri.fsPath)).size;
  } catch {
    return;
  }
  if (size < mb * 1e6) return;
  log.info(`viewer: ${uri.fsPath} is ${(size / 1e6).toFixed(0)} MB (threshold ${mb} MB): opening it in the Audit Lens viewer`);
  await provider.open(uri, undefined);
  // Close the text editor's tab (it may have moved: find it again by its input).
  for (const group of vscode.window.tabGroups.all) {
    for (const t of group.tabs) {
      if (t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString()) await vscode.window.tabGroups.close(t, true);
    }
  }
}

/** Registers the viewer (custom editor, open command, large-log redirect). */
export function register(context: vscode.ExtensionContext, deps: ViewerDeps): vscode.Disposable {
  const provider = new ViewerProvider(context, deps);
  return vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(CustomEditors.Viewer, provider, {
      supportsMultipleEditorsPerDocument: true,
      // The webview holds a few thousand lines at most (a few MB): keeping it while hidden makes tab switches instant.
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.commands.registerCommand(Commands.ViewerOpen, async (arg?: unknown, target?: unknown) => {
      const at = Date.now();
      const [uri, t] = await openArgs(arg, target);
      if (uri) await provider.open(uri, t, at);
    }),
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      for (const tab of e.opened) redirectLargeLog(provider, tab).catch((err) => log.warn(`viewer: ${errorText(err)}`));
    }),
  );
}
