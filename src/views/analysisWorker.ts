/**
 * The analysis worker (bundled as out/analysisWorker.js): runs the core on whole inputs in a worker thread, so a
 * 1 GiB log never blocks the extension host, and streams what it finds to the host in batches.
 * See analysisProtocol.ts for the messages.
 */
import { promises as fsp } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeInputs, InputError } from '../core/analyzer';
import { describeFsError, expandInputs } from '../core/lines';
import type { AuditEvent, StreamItem } from '../core/types';
import { totalsOf, type AnalysisRequest, type FromWorker, type ToWorker } from './analysisProtocol';

/** Events with a guessed path kept for a final update (see `unsure`): a bound on what the worker holds. */
const MAX_UNSURE = 50_000;

const port = parentPort!;
const request = workerData as AnalysisRequest;
const controller = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') controller.abort();
});

function post(m: FromWorker): void {
  port.postMessage(m);
}

/** Expands the inputs and checks each can be opened, telling "permission denied" apart (the helper can read those). */
async function plan(inputs: string[]): Promise<{ files: string[]; offsets: Map<string, number>; total: number } | { error: string; denied: boolean }> {
  for (const input of inputs) {
    try {
      const st = await fsp.stat(input);
      if (st.isDirectory()) await fsp.readdir(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { error: `${input}: ${describeFsError(err)}`, denied: code === 'EACCES' || code === 'EPERM' };
    }
  }
  const { groups, errors } = await expandInputs(inputs);
  if (errors.length > 0) return { error: errors[0], denied: false };
  const files = groups.flat();
  const offsets = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    try {
      const fh = await fsp.open(file, 'r');
      const { size } = await fh.stat();
      await fh.close();
      offsets.set(file, total);
      total += size;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { error: `${file}: ${describeFsError(err)}`, denied: code === 'EACCES' || code === 'EPERM' };
    }
  }
  return { files, offsets, total };
}

async function main(): Promise<void> {
  const p = await plan(request.inputs);
  if ('error' in p) {
    post({ type: 'error', message: p.error, denied: p.denied });
    return;
  }
  // Small batches: the host deserialises each message on its own thread, so a batch is one uninterrupted slice.
  const batchSize = request.batchSize ?? 500;
  const flushMs = request.flushMs ?? 100;
  let batch: StreamItem[] = [];
  let bytesDone = 0;
  let last = Date.now();
  const flush = (): void => {
    last = Date.now();
    if (batch.length === 0) return;
    post({ type: 'items', items: batch, bytesDone, bytesTotal: p.total });
    batch = [];
  };
  // The core still improves some events after it emitted them (a folder's path learned further on), in place.
  // What a batch carries would then depend on when it went out; instead, events that left with a guessed path are
  // kept (bounded) and sent again, final, at the end, so the tree ends as the core ends, run after run.
  const unsure: AuditEvent[] = [];
  const isUnsure = (ev: AuditEvent): boolean => ev.objects.some((o) => o.confidence === 'uncertain' || (o.path?.startsWith('<') ?? false));
  // Reads are asynchronous, so this timer also runs while a big log is read without finding anything.
  const timer = setInterval(() => {
    if (Date.now() - last >= flushMs) {
      if (batch.length === 0) post({ type: 'items', items: [], bytesDone, bytesTotal: p.total });
      flush();
    }
  }, flushMs);
  try {
    const result = await analyzeInputs(request.inputs, {
      ...request.filter,
      signal: controller.signal,
      onItem: (item) => {
        // Diagnostics travel in the totals (counted, the first thousand kept): a corrupt log has millions.
        if (item.kind === 'diagnostic') return;
        const src = item.event.source;
        const base = p.offsets.get(src.file);
        if (base !== undefined) bytesDone = Math.max(bytesDone, base + src.offset);
        batch.push(item);
        if (unsure.length < MAX_UNSURE && isUnsure(item.event)) unsure.push(item.event);
        if (batch.length >= batchSize || Date.now() - last >= flushMs) flush();
      },
    });
    flush();
    for (const event of unsure) {
      batch.push({ kind: 'update', event });
      if (batch.length >= batchSize) flush();
    }
    flush();
    post({ type: 'done', totals: totalsOf(result, p.files, controller.signal.aborted) });
  } catch (err) {
    flush();
    // An InputError names the input; anything else is a core bug, reported with its message rather than lost.
    post({ type: 'error', message: err instanceof InputError || !(err instanceof Error) ? String((err as Error).message ?? err) : `${err.name}: ${err.message}`, denied: false });
  } finally {
    clearInterval(timer);
  }
}

main().catch((err: unknown) => {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err), denied: false });
});
