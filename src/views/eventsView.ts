/**
 * The Audit Events view and the "Analyze Audit Log…" command that fills it.
 * A flat list for now (one row per deletion-like event), paged so a 50 000-file `rm -rf` stays responsive.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { analyzeInputs, InputError } from '../core';
import type { AuditEvent, Diagnostic, WatchState } from '../core/types';
import { Commands, ContextKeys, ContextValues, Views, type ContextKey } from '../constants';
import { errorText, log } from '../log';
import { eventFacts, eventRow, type RowKind } from './eventRows';
import type { EventOrigin, EventSink, HealthIssue } from './sink';

/** Rows per page; the "Load more" node appends the next page. */
const PAGE_SIZE = 500;
/** Diagnostics written one by one to the log before summarising the rest. */
const MAX_LOGGED_DIAGNOSTICS = 50;

const ICONS: Record<RowKind, vscode.ThemeIcon> = {
  deleted: new vscode.ThemeIcon('trash'),
  renamed: new vscode.ThemeIcon('arrow-swap'),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  watchRemoved: new vscode.ThemeIcon('eye-closed', new vscode.ThemeColor('editorWarning.foreground')),
  other: new vscode.ThemeIcon('circle-outline'),
};

const CONTEXT_VALUES: Record<RowKind, string> = {
  deleted: ContextValues.Deleted,
  renamed: ContextValues.Renamed,
  failed: ContextValues.Failed,
  watchRemoved: ContextValues.WatchRemoved,
  other: ContextValues.Other,
};

/** What one analysis produced, as the view keeps it. */
interface Analysis {
  files: string[];
  events: AuditEvent[];
  diagnostics: Diagnostic[];
  diagnosticCounts: Record<string, number>;
  lostEvents: number;
  records: number;
}

/** What `auditLens.events.analyze` resolves to. */
export interface AnalyzeSummary {
  files: string[];
  /** Rows in the view. */
  events: number;
  records: number;
  diagnostics: number;
}

class EventNode {
  constructor(
    readonly id: string,
    readonly event: AuditEvent,
  ) {}
}

class LoadMoreNode {
  readonly id = 'auditLens:loadMore';
  constructor(readonly remaining: number) {}
}

/** A health problem at the top of the list, with the command that deals with it. */
class HealthNode {
  constructor(
    readonly id: string,
    readonly issue: HealthIssue,
  ) {}
}

/** What each health problem's row runs when clicked. */
const HEALTH_ACTIONS: Record<HealthIssue['kind'], string | undefined> = {
  'auditd-missing': undefined,
  'auditd-stopped': Commands.WatchStartAuditd,
  'helper-disconnected': Commands.WatchResume,
  'lost-events': Commands.WatchRaiseBacklog,
  'leftover-rules': Commands.WatchRemoveLeftovers,
};

type Node = EventNode | LoadMoreNode | HealthNode;

/** Tree data for the Audit Events view: the events of the last analysis, a page at a time. */
class EventsProvider implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private nodes: EventNode[] = [];
  private health: HealthNode[] = [];
  private shown = 0;

  /** Replaces the health rows. */
  setHealth(issues: readonly HealthIssue[]): void {
    this.health = issues.map((i, n) => new HealthNode(`health:${i.kind}:${n}`, i));
    this.changed.fire();
  }

  /** Replaces the rows, keeping how many are shown (a live watch adds rows while the user reads). */
  set(events: AuditEvent[], keepPage = false): void {
    const shown = this.shown;
    const seen = new Map<string, number>();
    this.nodes = events.map((ev) => {
      // Ids must be unique: the same event can appear twice when overlapping rotated logs are analysed together.
      const n = seen.get(ev.id) ?? 0;
      seen.set(ev.id, n + 1);
      return new EventNode(n === 0 ? `event:${ev.id}` : `event:${ev.id}#${n}`, ev);
    });
    this.shown = Math.min(keepPage ? Math.max(shown, PAGE_SIZE) : PAGE_SIZE, this.nodes.length);
    this.changed.fire();
  }

  /** Shows the next page. */
  loadMore(): void {
    this.shown = Math.min(this.shown + PAGE_SIZE, this.nodes.length);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  getChildren(element?: Node): Node[] {
    if (element) return [];
    const page: Node[] = [...this.health, ...this.nodes.slice(0, this.shown)];
    if (this.shown < this.nodes.length) page.push(new LoadMoreNode(this.nodes.length - this.shown));
    return page;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node instanceof HealthNode) {
      const item = new vscode.TreeItem(node.issue.message);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
      item.contextValue = ContextValues.Health;
      item.tooltip = node.issue.message;
      const command = HEALTH_ACTIONS[node.issue.kind];
      if (command) item.command = { command, title: node.issue.kind };
      return item;
    }
    if (node instanceof LoadMoreNode) {
      const item = new vscode.TreeItem(vscode.l10n.t('Load {0} more ({1} remaining)', Math.min(PAGE_SIZE, node.remaining), node.remaining));
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: Commands.EventsLoadMore, title: vscode.l10n.t('Load More') };
      return item;
    }
    const row = eventRow(node.event);
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = row.description;
    item.iconPath = ICONS[row.kind];
    item.contextValue = CONTEXT_VALUES[row.kind];
    item.accessibilityInformation = { label: `${row.kind === 'failed' ? 'failed attempt: ' : ''}${row.label}, ${row.description}` };
    const src = node.event.source;
    if (src.file !== '-') {
      // A click reveals the raw record in the log it came from.
      item.command = {
        command: 'vscode.open',
        title: vscode.l10n.t('Reveal Raw Record'),
        arguments: [vscode.Uri.file(src.file), { selection: new vscode.Range(src.line - 1, 0, src.line - 1, 0), preview: true }],
      };
    }
    return item;
  }

  /** Tooltips are built only when hovered: an event has a dozen facts and most rows are never hovered. */
  resolveTreeItem(item: vscode.TreeItem, node: Node): vscode.TreeItem {
    if (node instanceof EventNode) {
      const md = new vscode.MarkdownString();
      for (const [k, v] of eventFacts(node.event)) {
        md.appendMarkdown(`**${k}:** `);
        // appendText escapes Markdown: paths and command lines come from the log and are not ours to trust.
        md.appendText(v);
        md.appendMarkdown('  \n');
      }
      item.tooltip = md;
    }
    return item;
  }
}

/** Sets one of our context keys. */
function setContext(key: ContextKey, value: boolean): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', key, value);
}

/** Turns the command's arguments (nothing, a Uri, a path, or the explorer's `(clicked, selected[])`) into paths. */
function pathsFromArgs(args: unknown[]): string[] | undefined {
  const toPath = (a: unknown): string | undefined =>
    a instanceof vscode.Uri ? (a.scheme === 'file' ? a.fsPath : undefined) : typeof a === 'string' && a ? a : undefined;
  const [first, second] = args;
  const list = Array.isArray(second) && second.length > 0 ? second : first !== undefined ? [first] : [];
  if (list.length === 0) return undefined;
  const paths = list.map(toPath);
  if (paths.some((p) => p === undefined)) throw new Error(vscode.l10n.t('Audit Lens reads audit logs from the file system of the machine it runs on; pick a local file.'));
  return paths as string[];
}

/** Row-kind counts in words, for the view message. */
const KIND_WORDS: Record<RowKind, (n: number) => string> = {
  deleted: (n) => vscode.l10n.t('{0} deleted', n),
  renamed: (n) => vscode.l10n.t('{0} renamed', n),
  failed: (n) => vscode.l10n.t('{0} failed attempts', n),
  watchRemoved: (n) => vscode.l10n.t('{0} watches removed', n),
  other: (n) => vscode.l10n.t('{0} other', n),
};

/** "3 deleted, 1 failed attempts · 120 records": what the rows are, at a glance. */
function summarise(a: Analysis): string {
  const kinds = new Map<RowKind, number>();
  for (const ev of a.events) {
    const k = eventRow(ev).kind;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const parts = [...kinds].map(([k, n]) => KIND_WORDS[k](n));
  return `${parts.join(', ')} · ${vscode.l10n.t('{0} records', a.records)}`;
}

/** "2 malformed-line, 1 lost-events": diagnostics by kind, empty when there are none. */
function diagnosticsSummary(a: Analysis): string {
  const parts = Object.entries(a.diagnosticCounts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  if (a.lostEvents > 0 && !a.diagnosticCounts['lost-events']) parts.push(`${a.lostEvents} lost-events`);
  return parts.join(', ');
}

/** Writes diagnostics to the log, capped: a corrupt 1 GB log must not flood the channel. */
function logDiagnostics(a: Analysis): void {
  for (const d of a.diagnostics.slice(0, MAX_LOGGED_DIAGNOSTICS)) {
    const where = d.source ? `${d.source.file}:${d.source.line}: ` : '';
    log.warn(`${where}${d.kind}: ${d.message}`);
  }
  if (a.diagnostics.length > MAX_LOGGED_DIAGNOSTICS) log.warn(`… and ${a.diagnostics.length - MAX_LOGGED_DIAGNOSTICS} more diagnostics`);
}

/**
 * The live part of the list: what watches captured (newest first), their states and the health problems.
 * A minimal EventSink so live rows appear in this flat list; the Audit Events tree implements the full contract.
 */
class LiveRows implements EventSink {
  readonly events = new Map<string, AuditEvent>();
  states: readonly WatchState[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: () => void,
    private readonly onHealth: (issues: readonly HealthIssue[]) => void,
  ) {}

  upsert(origin: EventOrigin, events: readonly AuditEvent[]): void {
    if (origin.kind !== 'watch') return;
    for (const e of events) this.events.set(`${origin.key}:${e.id}`, e);
    this.changed();
  }
  diagnostics(): void {}
  watches(states: readonly WatchState[]): void {
    this.states = states;
    this.changed();
  }
  health(issues: readonly HealthIssue[]): void {
    this.onHealth(issues);
  }
  clear(origin?: EventOrigin): void {
    if (!origin) this.events.clear();
    else if (origin.kind === 'watch') for (const k of [...this.events.keys()]) if (k.startsWith(`${origin.key}:`)) this.events.delete(k);
    this.changed();
  }

  /** Newest first. */
  sorted(): AuditEvent[] {
    return [...this.events.values()].sort((a, b) => b.timeMs - a.timeMs || b.serial - a.serial);
  }

  /** Coalesces bursts (an rm -rf sends thousands of events a second) into a few refreshes. */
  private changed(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.onChange();
    }, 100);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** "Watching 2 folders (armed) · 12 events": the watches at a glance. */
function watchSummary(states: readonly WatchState[], events: number): string {
  const running = states.filter((s) => s.state !== 'stopped' && s.state !== 'error');
  if (running.length === 0 && events === 0) return '';
  const parts = running.map((s) => `${path.basename(s.folder)} (${s.state}, ${s.key}, ${vscode.l10n.t('{0} events', s.events)}${s.lost > 0 ? `, ${vscode.l10n.t('{0} lost', s.lost)}` : ''})`);
  const head = running.length > 0 ? vscode.l10n.t('Watching {0}', parts.join(', ')) : vscode.l10n.t('Captured by earlier watches');
  return `${head} · ${vscode.l10n.t('{0} events', events)}`;
}

/** The Audit Events view's registration: its disposable and the sink live producers feed. */
export interface EventsFeature extends vscode.Disposable {
  readonly sink: EventSink;
}

/** Registers the Audit Events view and its commands. */
export function register(_context: vscode.ExtensionContext): EventsFeature {
  const provider = new EventsProvider();
  const view = vscode.window.createTreeView(Views.Events, { treeDataProvider: provider, showCollapseAll: false });
  let abort: AbortController | undefined;
  let current: Analysis | undefined;
  const live = new LiveRows(
    () => void show(current, true),
    (issues) => provider.setHealth(issues),
  );

  const show = async (a: Analysis | undefined, keepPage = false): Promise<void> => {
    current = a;
    const liveEvents = live.sorted();
    provider.set([...liveEvents, ...(a?.events ?? [])], keepPage);
    const names = a ? a.files.map((f) => path.basename(f)).join(', ') : undefined;
    view.description = names;
    const diag = a ? diagnosticsSummary(a) : '';
    // A message hides the welcome content, so it is set only when there are rows; an empty result shows
    // the "no deletions" welcome, with a link to the log when there were diagnostics.
    // The message leads with the file name: with one view in the container, VS Code does not show the description.
    const watching = watchSummary(live.states, liveEvents.length);
    const analysed =
      a && a.events.length > 0 ? `${names}: ${summarise(a)}${diag ? ` · ${vscode.l10n.t('diagnostics: {0} (see Output › Audit Lens)', diag)}` : ''}` : '';
    view.message = [watching, analysed].filter(Boolean).join(' — ') || undefined;
    const rows = liveEvents.length + (a?.events.length ?? 0);
    view.badge = rows > 0 ? { value: rows, tooltip: vscode.l10n.t('{0} events', rows) } : undefined;
    await Promise.all([
      setContext(ContextKeys.Analyzed, a !== undefined || watching !== ''),
      setContext(ContextKeys.HasEvents, rows > 0),
      setContext(ContextKeys.HasDiagnostics, diag !== ''),
    ]);
  };

  /** Returns what the view now shows (for tests and other extensions), or undefined when nothing was analyzed. */
  const analyze = async (...args: unknown[]): Promise<AnalyzeSummary | undefined> => {
    let files: string[] | undefined;
    try {
      files = pathsFromArgs(args);
    } catch (err) {
      void vscode.window.showErrorMessage(errorText(err));
      return;
    }
    if (!files) {
      const picked = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Analyze Audit Log'),
        openLabel: vscode.l10n.t('Analyze'),
        canSelectMany: true,
        canSelectFiles: true,
        canSelectFolders: false,
      });
      if (!picked || picked.length === 0) return;
      try {
        files = pathsFromArgs([picked[0], picked]);
      } catch (err) {
        void vscode.window.showErrorMessage(errorText(err));
        return;
      }
      if (!files) return;
    }
    const inputs = files;
    log.info(`analyzing ${inputs.join(', ')}`);
    await setContext(ContextKeys.Analyzing, true);
    const started = Date.now();
    // The newest request wins: an analysis still reading a big log is cancelled rather than racing for the view.
    abort?.abort();
    const controller = (abort = new AbortController());
    try {
      const result = await vscode.window.withProgress(
        { location: { viewId: Views.Events }, title: vscode.l10n.t('Analyzing audit log…') },
        () => analyzeInputs(inputs, { signal: controller.signal }),
      );
      if (controller.signal.aborted) {
        log.info(`analysis of ${inputs.join(', ')} cancelled`);
        return;
      }
      const a: Analysis = { files: inputs, ...result };
      log.info(`${inputs.join(', ')}: ${a.events.length} events from ${a.records} records in ${Date.now() - started} ms`);
      logDiagnostics(a);
      if (a.lostEvents > 0) log.warn(`about ${a.lostEvents} events are missing (serial gaps): the kernel backlog may have overflowed; raise it with \`auditctl -b 8192\``);
      await show(a);
      // Invoked from the explorer or an editor, the results would otherwise sit in a closed view.
      if (!view.visible) await vscode.commands.executeCommand(`${Views.Events}.focus`);
      return { files: inputs, events: a.events.length, records: a.records, diagnostics: Object.values(a.diagnosticCounts).reduce((x, y) => x + y, 0) };
    } catch (err) {
      if (controller.signal.aborted) {
        log.info(`analysis of ${inputs.join(', ')} cancelled`);
        return;
      }
      log.error(`analysis of ${inputs.join(', ')} failed: ${errorText(err)}`);
      // InputError already names the file ("/var/log/audit/audit.log: permission denied").
      const msg = err instanceof InputError ? errorText(err) : `${inputs.join(', ')}: ${errorText(err)}`;
      const hint = /permission denied/i.test(msg) ? ` ${vscode.l10n.t('Audit logs are usually readable by root only: copy the log somewhere readable (sudo cp) or run VS Code as root.')}` : '';
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not analyze the audit log: {0}', msg) + hint);
    } finally {
      if (abort === controller) abort = undefined;
      await setContext(ContextKeys.Analyzing, false);
    }
  };

  const disposable = vscode.Disposable.from(
    live,
    provider,
    view,
    vscode.commands.registerCommand(Commands.EventsAnalyze, analyze),
    vscode.commands.registerCommand(Commands.EventsClear, () => {
      // Clearing also stops an analysis that is still reading.
      abort?.abort();
      return show(undefined);
    }),
    new vscode.Disposable(() => abort?.abort()),
    vscode.commands.registerCommand(Commands.EventsLoadMore, () => provider.loadMore()),
  );
  return { sink: live, dispose: () => disposable.dispose() };
}
