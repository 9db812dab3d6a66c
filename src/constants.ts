/**
 * Every identifier the manifest and the code share, in one place, with one prefix (`auditLens`).
 * package.json must use exactly these strings; test/e2e reads them from here too.
 */

/** Command ids: `auditLens.<area>.<verb>`. */
export const Commands = {
  EventsAnalyze: 'auditLens.events.analyze',
  EventsWhoDeleted: 'auditLens.events.whoDeleted',
  EventsClear: 'auditLens.events.clear',
  EventsLoadMore: 'auditLens.events.loadMore',
  EventsFilter: 'auditLens.events.filter',
  EventsFilterText: 'auditLens.events.filterText',
  EventsFilterAction: 'auditLens.events.filterAction',
  EventsFilterFailed: 'auditLens.events.filterFailed',
  EventsFilterTime: 'auditLens.events.filterTime',
  EventsClearFilter: 'auditLens.events.clearFilter',
  EventsGroupByFolder: 'auditLens.events.groupByFolder',
  EventsGroupByProcess: 'auditLens.events.groupByProcess',
  EventsGroupByTime: 'auditLens.events.groupByTime',
  EventsRevealRecords: 'auditLens.events.revealRecords',
  EventsCopyJson: 'auditLens.events.copyJson',
  EventsCopyAusearch: 'auditLens.events.copyAusearch',
  EventsRevealFolder: 'auditLens.events.revealFolder',
  EventsExport: 'auditLens.events.export',
  /** The view title's Export: always the filtered events (VS Code passes a title action the selected row). */
  EventsExportAll: 'auditLens.events.exportAll',
  /** A problem row of the tree (lost events, unreadable lines, auditd stopped…): does what it says. */
  EventsFixIssue: 'auditLens.events.fixIssue',
  AuditdStatus: 'auditLens.auditd.status',
  LogShow: 'auditLens.log.show',
  /** Watch Deletions: the privileged helper installs rules for a folder and streams its deletions live. */
  WatchStart: 'auditLens.watch.start',
  WatchStop: 'auditLens.watch.stop',
  /** "Resume watching?" after a reload, and the action of a disconnected helper. */
  WatchResume: 'auditLens.watch.resume',
  /** Health actions (the tree shows them on its health items). */
  WatchRemoveLeftovers: 'auditLens.watch.removeLeftovers',
  WatchRaiseBacklog: 'auditLens.watch.raiseBacklog',
  WatchStartAuditd: 'auditLens.watch.startAuditd',
  /** `(uri?, { offset?, line? })`: opens a log in the Audit Lens viewer, landing on a record. */
  ViewerOpen: 'auditLens.viewer.open',
  /** In an audit.log text editor: peek the other records of the event under the cursor. */
  GoToEventRecords: 'auditLens.auditlog.goToEventRecords',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** View container and view ids. */
export const Views = {
  Container: 'auditLens',
  Timeline: 'auditLens.timeline',
  Events: 'auditLens.events',
} as const;

/** Context keys (`auditLens:<state>`) used in `when` clauses of the manifest. */
export const ContextKeys = {
  /** An analysis or search finished and is in the tree (the view then shows results or "no deletions"). */
  Analyzed: 'auditLens:analyzed',
  /** The tree holds at least one event. */
  HasEvents: 'auditLens:hasEvents',
  /** An analysis is running. */
  Analyzing: 'auditLens:analyzing',
  /** How the Audit Events tree groups rows: `folder`, `process` or `time`. */
  Grouping: 'auditLens:grouping',
  /** A filter (text, action, failed only, time range) hides some events. */
  Filtered: 'auditLens:filtered',
  /** At least one folder is watched (the helper runs). */
  Watching: 'auditLens:watching',
  /** The watched folders' paths (an array: `resourcePath in auditLens:watchedFolders`). */
  WatchedFolders: 'auditLens:watchedFolders',
} as const;
export type ContextKey = (typeof ContextKeys)[keyof typeof ContextKeys];

/** Settings: `auditLens.<area>.<option>`; `Section` is what `getConfiguration` takes. */
export const Settings = {
  Section: 'auditLens',
  AuditctlPath: 'auditd.auditctlPath',
  /** The Audit Events tree's grouping (`folder`, `process`, `time`); the view title switches it. */
  EventsGroupBy: 'events.groupBy',
  /** Where "Who Deleted…?" looks for audit logs (a file or a folder of rotated logs). */
  EventsLogPath: 'events.logPath',
  /** Audit logs (paths relative to the first workspace folder, or absolute) analysed when the workspace opens. */
  EventsAnalyzeOnOpen: 'events.analyzeOnOpen',
  /** Events a watch keeps in the extension's storage (oldest dropped past it). */
  WatchMaxStoredEvents: 'watch.maxStoredEvents',
  /** Where the helper's terminal runs: `auto` (node-pty where it loads), `pty` or `vscode` (VS Code's own terminal). */
  HelperTerminal: 'helper.terminal',
  /** Audit logs at least this many MB open in the viewer instead of the text editor (0: never). */
  ViewerThresholdMB: 'viewer.thresholdMB',
  /** The viewer starts in the interpreted view (like `ausearch -i`). */
  ViewerInterpreted: 'viewer.interpreted',
} as const;

/** Custom editor view types. */
export const CustomEditors = {
  Viewer: 'auditLens.viewer',
} as const;

/** Tree item context values, encoding the row's state for menus. */
export const ContextValues = {
  Deleted: 'auditLens:event:deleted',
  FolderDeleted: 'auditLens:event:folderDeleted',
  Renamed: 'auditLens:event:renamed',
  Replaced: 'auditLens:event:replaced',
  Failed: 'auditLens:event:failed',
  WatchRemoved: 'auditLens:event:watchRemoved',
  Other: 'auditLens:event:other',
  Folder: 'auditLens:group:folder',
  Origin: 'auditLens:group:origin',
  Executable: 'auditLens:group:exe',
  Process: 'auditLens:group:process',
  TimeBucket: 'auditLens:group:time',
  ProcessChain: 'auditLens:chain',
  /** A health problem or a log's problems, with an action (leftover rules, lost events, auditd stopped, helper gone). */
  Health: 'auditLens:health',
  LoadMore: 'auditLens:loadMore',
  NoMatch: 'auditLens:noMatch',
} as const;

/** Theme colors the extension contributes. */
export const Colors = {
  /** Lines of the records "Reveal Raw Records" highlights. */
  RecordHighlight: 'auditLens.recordHighlightBackground',
} as const;

/** The language id for audit.log files. */
export const AuditLogLanguage = 'auditlog';

/** The language id for audit.rules files (and auditctl arguments). */
export const AuditRulesLanguage = 'auditrules';

/** The Output channel name users see. */
export const OutputChannelName = 'Audit Lens';
