/**
 * Every identifier the manifest and the code share, in one place, with one prefix (`auditLens`).
 * package.json must use exactly these strings; test/e2e reads them from here too.
 */

/** Command ids: `auditLens.<area>.<verb>`. */
export const Commands = {
  EventsAnalyze: 'auditLens.events.analyze',
  EventsClear: 'auditLens.events.clear',
  EventsLoadMore: 'auditLens.events.loadMore',
  AuditdStatus: 'auditLens.auditd.status',
  LogShow: 'auditLens.log.show',
  /** `(uri?, { offset?, line? })`: opens a log in the Audit Lens viewer, landing on a record. */
  ViewerOpen: 'auditLens.viewer.open',
  /** In an audit.log text editor: peek the other records of the event under the cursor. */
  GoToEventRecords: 'auditLens.auditlog.goToEventRecords',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** View container and view ids. */
export const Views = {
  Container: 'auditLens',
  Events: 'auditLens.events',
} as const;

/** Context keys (`auditLens:<state>`) used in `when` clauses of the manifest. */
export const ContextKeys = {
  /** A log has been analysed in this window (the view then shows results or "no deletions"). */
  Analyzed: 'auditLens:analyzed',
  /** The last analysis produced at least one row. */
  HasEvents: 'auditLens:hasEvents',
  /** The last analysis reported diagnostics (malformed lines, unreadable input, lost events). */
  HasDiagnostics: 'auditLens:hasDiagnostics',
  /** An analysis is running. */
  Analyzing: 'auditLens:analyzing',
} as const;
export type ContextKey = (typeof ContextKeys)[keyof typeof ContextKeys];

/** Settings: `auditLens.<area>.<option>`; `Section` is what `getConfiguration` takes. */
export const Settings = {
  Section: 'auditLens',
  AuditctlPath: 'auditd.auditctlPath',
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
  Renamed: 'auditLens:event:renamed',
  Failed: 'auditLens:event:failed',
  WatchRemoved: 'auditLens:event:watchRemoved',
  Other: 'auditLens:event:other',
} as const;

/** The language id for audit.log files. */
export const AuditLogLanguage = 'auditlog';

/** The language id for audit.rules files (and auditctl arguments). */
export const AuditRulesLanguage = 'auditrules';

/** The Output channel name users see. */
export const OutputChannelName = 'Audit Lens';
