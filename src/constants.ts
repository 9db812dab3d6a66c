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
  EventsFixIssue: 'auditLens.events.fixIssue',
  AuditdStatus: 'auditLens.auditd.status',
  LogShow: 'auditLens.log.show',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** View container and view ids. */
export const Views = {
  Container: 'auditLens',
  Timeline: 'auditLens.timeline',
  Events: 'auditLens.events',
} as const;

/**
 * Commands other features contribute that the tree calls when they exist (checked with `getCommands`):
 * the paged viewer for logs too big for the text editor, and the live watch (the welcome button).
 */
export const ForeignCommands = {
  ViewerOpen: 'auditLens.viewer.open',
  WatchStart: 'auditLens.watch.start',
} as const;

/** Context keys (`auditLens:<state>`) used in `when` clauses of the manifest. */
export const ContextKeys = {
  /** A log has been analysed in this window (the view then shows results or "no deletions"). */
  Analyzed: 'auditLens:analyzed',
  /** The last analysis produced at least one row. */
  HasEvents: 'auditLens:hasEvents',
  /** An analysis is running. */
  Analyzing: 'auditLens:analyzing',
  /** How the Audit Events tree groups rows: `folder`, `process` or `time`. */
  Grouping: 'auditLens:grouping',
  /** A filter (text, action, failed only, time range) hides some events. */
  Filtered: 'auditLens:filtered',
  /** Set by the live watch feature once `auditLens.watch.start` is registered: shows the "Watch a Folder…" welcome. */
  WatchAvailable: 'auditLens:watchAvailable',
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
  Issue: 'auditLens:issue',
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

/** The Output channel name users see. */
export const OutputChannelName = 'Audit Lens';
