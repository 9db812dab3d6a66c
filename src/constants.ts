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

/** The Output channel name users see. */
export const OutputChannelName = 'Audit Lens';
