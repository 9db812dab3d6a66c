/**
 * The Audit Events tree and its Timeline: registration and wiring. The tree is the `EventSink` every producer
 * feeds (live watches, analyses, searches); one debounced refresh manager renders it, only while visible; a badge
 * counts events that arrived while it was hidden.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, ContextKeys, Settings, Views, type ContextKey } from '../constants';
import type { PrivilegedAccess } from '../helper/privileged';
import { errorText, log } from '../log';
import { copy, eventAsJson, exportEvents, RecordHighlighter, revealParentFolder, revealRawRecords } from './actions';
import { Analyses, type AnalyzeSummary } from './analyses';
import { ausearchCommand, type RowKind } from './eventRows';
import { pickActions, pickFilter, pickText, pickTime } from './filters';
import { useTranslator } from './l10n';
import { GROUPINGS, isFiltering, NO_FILTER, TreeModel, type Filter, type Grouping, type ModelNode, type OriginInfo } from './model';
import { diagnosticText, eventCount, kindCount, timelineData, viewDescription } from './nodes';
import { EventsProvider } from './provider';
import { RefreshManager } from './refresh';
import type { EventSink, HealthIssue } from './sink';
import { TimelineView } from './timeline';
import { TreeSink } from './treeSink';

export type { AnalyzeSummary };

/** What the tree needs from the rest of the extension (read when needed: the watch starts after the tree). */
export interface TreeDeps {
  /** The privileged helper, for root-only logs; undefined when there is none (a message then says what to do). */
  privileged?: PrivilegedAccess;
  /** Forgets what live watches stored (Clear empties the tree for good, not until the next window reload). */
  clearStored?: () => Promise<void>;
}

/** The registered tree: dispose it to unregister; hand `sink` to event producers. */
export interface AuditEventsTree extends vscode.Disposable {
  readonly sink: EventSink;
}

const DAY = 24 * 3600_000;
/** Relative times ("5 min ago") are re-rendered this often, and only while the view shows events younger than a day. */
const RELATIVE_TIME_MS = 60_000;
/** The badge is updated at most this often while events stream in behind a hidden view. */
const BADGE_MS = 500;

/** What a health row runs when clicked. */
const ISSUE_COMMANDS: Record<HealthIssue['kind'], string> = {
  'auditd-missing': Commands.AuditdStatus,
  'auditd-stopped': Commands.WatchStartAuditd,
  'helper-disconnected': Commands.WatchResume,
  'lost-events': Commands.WatchRaiseBacklog,
  'leftover-rules': Commands.WatchRemoveLeftovers,
};

function groupingOf(v: unknown): Grouping {
  return GROUPINGS.includes(v as Grouping) ? (v as Grouping) : 'folder';
}

function isNode(v: unknown): v is ModelNode {
  return typeof v === 'object' && v !== null && typeof (v as ModelNode).type === 'string' && typeof (v as ModelNode).id === 'string';
}

/** Registers the Audit Events view, the Timeline view and their commands. */
export function register(context: vscode.ExtensionContext, deps: TreeDeps = {}): AuditEventsTree {
  useTranslator(vscode.l10n);
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration(Settings.Section);
  const model = new TreeModel(groupingOf(config().get(Settings.EventsGroupBy)));
  const provider = new EventsProvider(model);
  const view = vscode.window.createTreeView(Views.Events, { treeDataProvider: provider, showCollapseAll: true });
  const highlighter = new RecordHighlighter();
  const disposables: vscode.Disposable[] = [provider, view, highlighter];

  const contextState = new Map<string, unknown>();
  const setContext = (key: ContextKey, value: unknown): void => {
    if (contextState.get(key) === value) return;
    contextState.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  };
  let analyzing = false;

  /** Analyses and searches in the tree (finished or running): what the `analyzed` context key means. */
  const offlineOrigins = (): OriginInfo[] => model.originList().filter((o) => o.origin.kind !== 'watch');

  /**
   * The view's message: the watches at a glance and what the analyses hold
   * (`Watching vol (armed, al_…, 3 events) — audit.log: 3 deleted, 1 failed attempt · 120 records`).
   * A message hides the welcome content, so with no rows at all it is left to the welcome ("no deletions").
   */
  const message = (): string | undefined => {
    if (model.rootCount() === 0) return undefined;
    const running = model.originList().flatMap((o) => (o.watch && o.watch.state !== 'stopped' && o.watch.state !== 'error' ? [o.watch] : []));
    const watching = running.length
      ? vscode.l10n.t(
          'Watching {0}',
          running
            .map((w) => `${path.basename(w.folder)} (${w.state}, ${w.key}, ${vscode.l10n.t('{0} events', w.events)}${w.lost > 0 ? `, ${vscode.l10n.t('{0} lost', w.lost)}` : ''})`)
            .join(', '),
        )
      : '';
    const offline = offlineOrigins().filter((o) => o.records !== undefined || o.events > 0);
    let analysed = '';
    if (offline.length > 0) {
      const names = offline.map((o) => TreeModel.originLabel(o)).join(', ');
      const counts = new Map<RowKind, number>();
      for (const o of offline) for (const [k, n] of model.kindCountsOf(o)) counts.set(k, (counts.get(k) ?? 0) + n);
      const kinds =
        [...counts].map(([k, n]) => kindCount(k, n)).join(', ') ||
        // Events the filter hides are not "no deletions": the description says how many there are.
        (offline.some((o) => o.events > 0) ? vscode.l10n.t('no events match the filter') : vscode.l10n.t('no deletions, renames or failed deletion attempts'));
      const records = offline.reduce((n, o) => n + (o.records ?? 0), 0);
      analysed = [`${names}: ${kinds}`, records > 0 ? vscode.l10n.t('{0} records', records) : ''].filter(Boolean).join(' · ');
    }
    return [watching, analysed].filter(Boolean).join(' — ') || undefined;
  };

  const chrome = (): void => {
    view.description = viewDescription(model);
    view.message = message();
    setContext(ContextKeys.HasEvents, model.total > 0);
    setContext(ContextKeys.Filtered, isFiltering(model.filter));
    setContext(ContextKeys.Grouping, model.grouping);
    setContext(ContextKeys.Analyzed, offlineOrigins().length > 0 && !analyzing);
  };

  // Declared before the timeline, which calls it on a bar click.
  let refresh: RefreshManager;
  const applyFilter = (f: Filter): void => {
    model.setFilter(f);
    refresh.request();
    refresh.flush();
  };
  const timeline = new TimelineView(
    context.extensionUri,
    () => timelineData(model),
    (m) => applyFilter(m.type === 'select' ? { ...model.filter, since: m.since, until: m.until } : { ...model.filter, since: null, until: null }),
  );
  disposables.push(timeline);
  refresh = new RefreshManager(
    () => {
      provider.refresh();
      timeline.update();
      chrome();
    },
    () => view.visible || timeline.visible,
    { delayMs: 150, maxDelayMs: 1000 },
  );
  disposables.push(refresh);

  // The badge: how many events arrived while the view was hidden (updated at most every BADGE_MS).
  let badge = 0;
  let badgeTimer: NodeJS.Timeout | undefined;
  const showBadge = (): void => {
    badgeTimer = undefined;
    view.badge = badge > 0 ? { value: badge, tooltip: vscode.l10n.t('{0} new events', badge) } : undefined;
  };
  const sink = new TreeSink(
    model,
    {
      get visible() {
        return view.visible;
      },
      showBadge: (n) => {
        badge = n;
        if (n === 0) {
          if (badgeTimer) clearTimeout(badgeTimer);
          showBadge();
        } else badgeTimer ??= setTimeout(showBadge, BADGE_MS);
      },
    },
    () => refresh.request(),
  );
  disposables.push(
    view.onDidChangeVisibility((e) => {
      if (!e.visible) return;
      sink.seen();
      refresh.flush();
    }),
  );

  const ticker = setInterval(() => {
    if (view.visible && model.hasEventsSince(Date.now() - DAY)) refresh.request();
  }, RELATIVE_TIME_MS);
  disposables.push(new vscode.Disposable(() => clearInterval(ticker)));

  const analyses = new Analyses({
    sink,
    workerFile: path.join(context.extensionPath, 'out', 'analysisWorker.js'),
    get privileged() {
      return deps.privileged;
    },
    clearOffline: () => {
      model.clearKinds(['analysis', 'search']);
      // A time range belongs to the log it was picked in; text, action and failure filters are the user's question.
      if (model.filter.since !== null || model.filter.until !== null) model.setFilter({ ...model.filter, since: null, until: null });
      refresh.request();
    },
    setStatus: (origin, status) => {
      model.setStatus(origin, status);
      refresh.request();
    },
    setAnalyzing: (on) => {
      analyzing = on;
      setContext(ContextKeys.Analyzing, on);
      // At once, with `analyzed`: the welcome must not flash "Find out who deleted…" between the two.
      chrome();
      refresh.request();
    },
    finish: (origin, totals) => {
      model.finishOrigin(origin, totals);
      refresh.request();
      refresh.flush();
    },
    eventsOf: (origin) => model.eventsOf(origin),
  });
  disposables.push(analyses);

  /** Runs an analysis and brings the view forward (invoked from the explorer, it would otherwise sit closed). */
  const analyzeAndShow = async (run: () => Promise<AnalyzeSummary | undefined>): Promise<AnalyzeSummary | undefined> => {
    const summary = await run();
    if (summary && !view.visible) await vscode.commands.executeCommand(`${Views.Events}.focus`);
    refresh.flush();
    return summary;
  };

  const nodeArg = (arg: unknown): ModelNode | undefined => (isNode(arg) ? arg : view.selection[0]);
  const eventOf = (arg: unknown): ModelNode & { type: 'event' | 'chain' } | undefined => {
    const n = nodeArg(arg);
    return n && (n.type === 'event' || n.type === 'chain') ? n : undefined;
  };
  const noEvent = (): undefined => {
    void vscode.window.showInformationMessage(vscode.l10n.t('Select an event in the Audit Events view first.'));
    return undefined;
  };
  const setGrouping = (g: Grouping): void => {
    model.setGrouping(g);
    void config().update(Settings.EventsGroupBy, g, vscode.ConfigurationTarget.Global).then(undefined, (err: unknown) => log.warn(`could not save the grouping: ${String(err)}`));
    refresh.request();
    refresh.flush();
  };

  const fixIssue = async (arg: unknown): Promise<void> => {
    const node = nodeArg(arg);
    if (node?.type === 'issue') {
      // The watch's health actions (start auditd, raise the backlog, resume, remove leftover rules) ask first.
      await vscode.commands.executeCommand(ISSUE_COMMANDS[node.issue.kind]);
    } else if (node?.type === 'diagnostic') {
      if (node.kind !== 'lost-events') {
        log.show(false);
        return;
      }
      const raise = vscode.l10n.t('Raise the Backlog…');
      const pick = await vscode.window.showWarningMessage(
        `${diagnosticText(node.kind, node.count)}. ${vscode.l10n.t('The kernel drops audit records when its backlog is full; a bigger backlog (auditctl -b 8192) lets bursts wait instead.')}`,
        raise,
      );
      if (pick === raise) await vscode.commands.executeCommand(Commands.WatchRaiseBacklog);
    }
  };

  const exportCommand = async (arg: unknown): Promise<number | undefined> => {
    const node = isNode(arg) ? arg : undefined;
    // In time order, like `audit-lens events`, whatever the tree's grouping.
    const events = (node && node.type !== 'more' ? model.entriesUnder(node).map((e) => e.event) : model.matchingEvents()).sort(
      (a, b) => a.timeMs - b.timeMs || a.serial - b.serial,
    );
    if (events.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There are no events to export.'));
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Export {0}', eventCount(events.length)),
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'audit-events.jsonl') : undefined,
      filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl'], CSV: ['csv'] },
    });
    if (!target) return undefined;
    if (target.scheme !== 'file') {
      void vscode.window.showErrorMessage(vscode.l10n.t('Audit Lens reads audit logs from the file system of the machine it runs on; pick a local file.'));
      return undefined;
    }
    try {
      const n = await exportEvents(events, target.fsPath);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Exported {0} to {1}', eventCount(n), path.basename(target.fsPath)), 5000);
      return n;
    } catch (err) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not export the events: {0}', err instanceof Error ? err.message : String(err)));
      return undefined;
    }
  };

  // The logs the workspace asks for are shown as it opens (a trusted workspace's setting; see Analyses.analyzeOnOpen).
  void analyzeAndShow(() => analyses.analyzeOnOpen());

  const filterApply = (f: Filter): void => applyFilter(f);
  disposables.push(
    vscode.commands.registerCommand(Commands.EventsAnalyze, (...args: unknown[]) => analyzeAndShow(() => analyses.analyze(...args))),
    vscode.commands.registerCommand(Commands.EventsWhoDeleted, (...args: unknown[]) => analyzeAndShow(() => analyses.whoDeleted(...args))),
    vscode.commands.registerCommand(Commands.EventsClear, () => {
      // Clearing also stops an analysis that is still reading.
      analyses.cancel();
      model.clearEvents();
      deps.clearStored?.().catch((err: unknown) => log.warn(`could not forget the stored watch events: ${errorText(err)}`));
      model.setFilter(NO_FILTER);
      refresh.request();
      refresh.flush();
    }),
    vscode.commands.registerCommand(Commands.EventsLoadMore, (arg: unknown) => {
      const node = nodeArg(arg);
      if (node?.type !== 'more') return;
      const parent = model.loadMore(node);
      // Only the level that grew is fetched again (node objects are cached by id, so VS Code knows the parent).
      provider.refresh(parent);
    }),
    vscode.commands.registerCommand(Commands.EventsFilter, () => pickFilter(model, filterApply)),
    vscode.commands.registerCommand(Commands.EventsFilterText, () => pickText(model, filterApply)),
    vscode.commands.registerCommand(Commands.EventsFilterAction, () => pickActions(model, filterApply)),
    vscode.commands.registerCommand(Commands.EventsFilterTime, () => pickTime(model, filterApply)),
    vscode.commands.registerCommand(Commands.EventsFilterFailed, () => applyFilter({ ...model.filter, failedOnly: !model.filter.failedOnly })),
    vscode.commands.registerCommand(Commands.EventsClearFilter, () => applyFilter(NO_FILTER)),
    vscode.commands.registerCommand(Commands.EventsGroupByFolder, () => setGrouping('folder')),
    vscode.commands.registerCommand(Commands.EventsGroupByProcess, () => setGrouping('process')),
    vscode.commands.registerCommand(Commands.EventsGroupByTime, () => setGrouping('time')),
    vscode.commands.registerCommand(Commands.EventsRevealRecords, (arg: unknown) => {
      const n = eventOf(arg);
      return n ? revealRawRecords(n.entry.event, highlighter) : noEvent();
    }),
    vscode.commands.registerCommand(Commands.EventsCopyJson, async (arg: unknown) => {
      const n = eventOf(arg);
      if (!n) return noEvent();
      const text = eventAsJson(n.entry.event);
      await copy(text, vscode.l10n.t('the event as JSON'));
      return text;
    }),
    vscode.commands.registerCommand(Commands.EventsCopyAusearch, async (arg: unknown) => {
      const n = eventOf(arg);
      if (!n) return noEvent();
      const text = ausearchCommand(n.entry.event);
      await copy(text, vscode.l10n.t('the ausearch command'));
      return text;
    }),
    vscode.commands.registerCommand(Commands.EventsRevealFolder, (arg: unknown) => {
      const n = nodeArg(arg);
      if (n?.type === 'folder') return revealParentFolder({ folder: n.idx.path });
      if (n?.type === 'event' || n?.type === 'chain') return revealParentFolder({ event: n.entry.event });
      return noEvent();
    }),
    vscode.commands.registerCommand(Commands.EventsExport, exportCommand),
    vscode.commands.registerCommand(Commands.EventsExportAll, () => exportCommand(undefined)),
    vscode.commands.registerCommand(Commands.EventsFixIssue, fixIssue),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${Settings.Section}.${Settings.EventsGroupBy}`)) {
        model.setGrouping(groupingOf(config().get(Settings.EventsGroupBy)));
        refresh.request();
      }
    }),
  );
  chrome();

  return {
    sink,
    dispose: () => {
      for (const d of disposables.reverse()) d.dispose();
    },
  };
}
