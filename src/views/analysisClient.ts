/**
 * The extension host's side of the analysis worker: starts one worker thread per analysis, hands its batches to
 * the caller as they arrive, and cancels it. No `vscode` import: the unit tests and the bench drive it directly.
 */
import { Worker } from 'node:worker_threads';
import type { StreamItem } from '../core/types';
import type { AnalysisRequest, AnalysisTotals, FromWorker, ToWorker } from './analysisProtocol';

/** How an analysis ended. */
export type AnalysisOutcome = { ok: true; totals: AnalysisTotals } | { ok: false; message: string; denied: boolean };

/** A running analysis. */
export interface AnalysisJob {
  readonly done: Promise<AnalysisOutcome>;
  /** Stops reading; `done` then resolves with the totals so far (`cancelled: true`). */
  cancel(): void;
}

/** How long a cancelled worker may take to report before it is terminated. */
const CANCEL_GRACE_MS = 3000;

/**
 * Starts analysing `request.inputs` in the worker script `workerFile` (out/analysisWorker.js). `onItems` receives
 * each batch with the bytes read so far and the total, on the caller's thread, in order.
 */
export function startAnalysis(
  workerFile: string,
  request: AnalysisRequest,
  onItems: (items: StreamItem[], bytesDone: number, bytesTotal: number) => void,
): AnalysisJob {
  const worker = new Worker(workerFile, { workerData: request, stdout: false, stderr: false });
  let settled = false;
  let killTimer: NodeJS.Timeout | undefined;
  let cancelled = false;
  let resolveDone!: (o: AnalysisOutcome) => void;
  const done = new Promise<AnalysisOutcome>((r) => (resolveDone = r));
  const finish = (o: AnalysisOutcome): void => {
    if (settled) return;
    settled = true;
    if (killTimer) clearTimeout(killTimer);
    resolveDone(o);
    void worker.terminate();
  };
  // Node hands every message that queued up while this thread was busy to the listener in one go: applying them
  // there would block the thread for all of them. They are queued and applied one per turn of the event loop.
  const queue: FromWorker[] = [];
  let draining = false;
  const drain = (): void => {
    const m = queue.shift();
    if (!m || settled) {
      draining = false;
      return;
    }
    if (m.type === 'items') onItems(m.items, m.bytesDone, m.bytesTotal);
    else if (m.type === 'done') finish({ ok: true, totals: m.totals });
    else finish({ ok: false, message: m.message, denied: m.denied });
    setImmediate(drain);
  };
  worker.on('message', (m: FromWorker) => {
    if (settled) return;
    queue.push(m);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  });
  worker.on('error', (err) => finish({ ok: false, message: `analysis worker failed: ${err.message}`, denied: false }));
  const onExit = (code: number): void => {
    // Messages still queued (the worker's last batches and its report) come first.
    if (draining) {
      setImmediate(() => onExit(code));
      return;
    }
    if (cancelled) finish({ ok: true, totals: emptyTotals(true) });
    else finish({ ok: false, message: `analysis worker exited (code ${code}) before it finished`, denied: false });
  };
  worker.on('exit', onExit);
  return {
    done,
    cancel: () => {
      if (settled || cancelled) return;
      cancelled = true;
      worker.postMessage({ type: 'cancel' } satisfies ToWorker);
      killTimer = setTimeout(() => finish({ ok: true, totals: emptyTotals(true) }), CANCEL_GRACE_MS);
    },
  };
}

function emptyTotals(cancelled: boolean): AnalysisTotals {
  return { files: [], events: 0, records: 0, bytes: 0, diagnostics: [], diagnosticCounts: {}, lostEvents: 0, cancelled };
}
