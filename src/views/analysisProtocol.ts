/**
 * Messages between the extension host and the analysis worker (out/analysisWorker.js). The host starts a worker
 * per analysis with `AnalysisRequest` as workerData; results stream back in batches; a `cancel` message stops the
 * reading at the next read buffer, after which the worker reports what it found so far and exits.
 */
import type { AnalysisResult, EventFilter } from '../core/analyzer';
import type { Diagnostic, DiagnosticKind, StreamItem } from '../core/types';

/** What to analyze (workerData). */
export interface AnalysisRequest {
  inputs: string[];
  filter: EventFilter;
  /** Items per batch at most (default 500); batches also go out every `flushMs` (default 100). */
  batchSize?: number;
  flushMs?: number;
}

/** Host → worker. */
export type ToWorker = { type: 'cancel' };

/** Totals of a finished (or cancelled) analysis. */
export interface AnalysisTotals {
  /** The files read, in order (rotated sets expanded). */
  files: string[];
  events: number;
  records: number;
  bytes: number;
  diagnostics: Diagnostic[];
  diagnosticCounts: Partial<Record<DiagnosticKind, number>>;
  lostEvents: number;
  cancelled: boolean;
}

/** The totals of a core analysis (in the worker, or through the privileged helper). */
export function totalsOf(result: AnalysisResult, files: string[], cancelled: boolean): AnalysisTotals {
  return {
    files,
    events: result.eventsSeen,
    records: result.records,
    bytes: result.bytes,
    diagnostics: result.diagnostics,
    diagnosticCounts: result.diagnosticCounts,
    lostEvents: result.lostEvents,
    cancelled,
  };
}

/** Worker → host. */
export type FromWorker =
  | { type: 'items'; items: StreamItem[]; bytesDone: number; bytesTotal: number }
  | { type: 'done'; totals: AnalysisTotals }
  /** Nothing was read: an input is missing or unreadable. `denied` when the user lacks permission (root-only log). */
  | { type: 'error'; message: string; denied: boolean };
