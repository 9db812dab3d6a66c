/**
 * The contract between whatever produces events in the extension host (a live watch through the privileged helper,
 * an analysis of a log file, a "Who Deleted…?" search) and the Audit Events tree that shows them.
 * Plain types only (no `vscode` import): producers and the tree are wired together in extension.ts.
 */
import type { AuditEvent, Diagnostic, WatchState } from '../core/types';

/** Where a batch of events came from: the tree groups and labels by it. */
export type EventOrigin =
  | { kind: 'watch'; folder: string; key: string }
  | { kind: 'analysis'; files: string[] }
  | { kind: 'search'; folder: string; files: string[] };

/** Health problems the tree shows as actionable items at the top (never as popups). */
export type HealthIssue =
  | { kind: 'auditd-missing'; message: string }
  | { kind: 'auditd-stopped'; message: string }
  | { kind: 'helper-disconnected'; message: string }
  | { kind: 'lost-events'; lost: number; backlog?: number; backlogLimit?: number; message: string }
  | { kind: 'leftover-rules'; keys: string[]; message: string };

/** What the tree accepts. Events with an id already present replace the old one (a path resolved later). */
export interface EventSink {
  /** New events, or better versions of events already added (same `id`). */
  upsert(origin: EventOrigin, events: readonly AuditEvent[]): void;
  /** Diagnostics of a source (malformed lines, lost events), counted and shown. */
  diagnostics(origin: EventOrigin, diagnostics: readonly Diagnostic[]): void;
  /** The current state of every watch (replaces the previous list). */
  watches(states: readonly WatchState[]): void;
  /** The current health problems (replaces the previous list; empty clears them). */
  health(issues: readonly HealthIssue[]): void;
  /** Forgets every event of an origin (the user cleared an analysis). */
  clear(origin?: EventOrigin): void;
}
