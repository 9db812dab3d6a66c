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
  Renamed: 'auditLens:event:renamed',
  Failed: 'auditLens:event:failed',
  WatchRemoved: 'auditLens:event:watchRemoved',
  Other: 'auditLens:event:other',
  /** A health problem with an action (leftover rules, lost events, auditd stopped, helper gone). */
  Health: 'auditLens:health',
} as const;

/** The language id for audit.log files. */
export const AuditLogLanguage = 'auditlog';

/** The language id for audit.rules files (and auditctl arguments). */
export const AuditRulesLanguage = 'auditrules';

/** The Output channel name users see. */
export const OutputChannelName = 'Audit Lens';
