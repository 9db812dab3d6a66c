/**
 * "Analyze Audit Log…" and "Who Deleted…?": logs the user already has (one file, a folder of rotated logs, the
 * live /var/log/audit) analysed in a worker thread and streamed into the tree, with a cancellable progress
 * notification for big inputs. Root-only logs go through the privileged helper when there is one.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { EventFilter } from '../core/analyzer';
import type { AuditEvent, Diagnostic, DiagnosticKind, StreamItem } from '../core/types';
import { Settings, Views } from '../constants';
import type { PrivilegedAccess } from '../helper/privileged';
import { errorText, log } from '../log';
import { totalsOf, type AnalysisTotals } from './analysisProtocol';
import { startAnalysis } from './analysisClient';
import { shellQuote } from './eventRows';
import type { EventOrigin, EventSink } from './sink';

/** Inputs above this size get a progress notification with a Cancel button (smaller ones show progress in the view). */
const NOTIFY_BYTES = 16 * 1024 * 1024;
/** Diagnostics written one by one to the log before summarising the rest. */
const MAX_LOGGED_DIAGNOSTICS = 50;
/** Items the privileged helper streams are handed to the tree in batches, at most this often. */
const PRIVILEGED_FLUSH_MS = 100;

/** What `auditLens.events.analyze` and `auditLens.events.whoDeleted` resolve to (for tests and other extensions). */
export interface AnalyzeSummary {
  files: string[];
  /** Events added to the tree. */
  events: number;
  records: number;
  diagnostics: number;
  cancelled: boolean;
}

export interface AnalysesDeps {
  sink: EventSink;
  /** out/analysisWorker.js */
  workerFile: string;
  privileged: PrivilegedAccess | undefined;
  /** Forgets earlier analyses and searches (a new one replaces them). */
  clearOffline(): void;
  setStatus(origin: EventOrigin, status: string | undefined): void;
  setAnalyzing(on: boolean): void;
  /** The totals of a finished analysis (records read, diagnostics). */
  finish(origin: EventOrigin, totals: { records: number; counts: Partial<Record<DiagnosticKind, number>>; firsts: readonly Diagnostic[] }): void;
  /** Events of an origin now in the tree. */
  eventsOf(origin: EventOrigin): number;
}

/** Turns a command's arguments (nothing, a Uri, a path, or the explorer's `(clicked, selected[])`) into paths. */
export function pathsFromArgs(args: unknown[]): string[] | undefined {
  const toPath = (a: unknown): string | undefined =>
    a instanceof vscode.Uri ? (a.scheme === 'file' ? a.fsPath : undefined) : typeof a === 'string' && a ? a : undefined;
  const [first, second] = args;
  const list = Array.isArray(second) && second.length > 0 ? second : first !== undefined ? [first] : [];
  if (list.length === 0) return undefined;
  const paths = list.map(toPath);
  if (paths.some((p) => p === undefined)) throw new Error(vscode.l10n.t('Audit Lens reads audit logs from the file system of the machine it runs on; pick a local file.'));
  return paths as string[];
}

/** Bytes to read (files, and the files of directories); unreadable inputs count 0 (the worker reports them). */
async function inputBytes(inputs: string[]): Promise<number> {
  let total = 0;
  for (const input of inputs) {
    try {
      const st = await fsp.stat(input);
      if (!st.isDirectory()) total += st.size;
      else for (const name of await fsp.readdir(input)) total += (await fsp.stat(path.join(input, name)).catch(() => ({ size: 0 }))).size;
    } catch {
      // reported by the analysis
    }
  }
  return total;
}

/** A command that makes a readable copy of a root-only log, for the user to run in a terminal. */
function readableCopyCommand(input: string): string {
  const name = path.basename(input) || 'audit';
  return input.endsWith('/') || !/\.log(\.\d+)?$/.test(name)
    ? `sudo cp -r ${shellQuote(input)} ~/${shellQuote(`${name}-copy`)} && sudo chmod -R a+rX ~/${shellQuote(`${name}-copy`)}`
    : `sudo install -m 0644 ${shellQuote(input)} ~/${shellQuote(name)}`;
}

export class Analyses implements vscode.Disposable {
  private current: { cancel(): void } | undefined;

  constructor(private readonly deps: AnalysesDeps) {}

  /** Stops the running analysis (its rows so far stay). */
  cancel(): void {
    this.current?.cancel();
    this.current = undefined;
  }

  dispose(): void {
    this.cancel();
  }

  /** Analyze Audit Log…: the arguments name the inputs, else a dialog asks (files or folders of rotated logs). */
  async analyze(...args: unknown[]): Promise<AnalyzeSummary | undefined> {
    let files: string[] | undefined;
    try {
      files = pathsFromArgs(args);
      if (!files) {
        const picked = await vscode.window.showOpenDialog({
          title: vscode.l10n.t('Analyze Audit Log'),
          openLabel: vscode.l10n.t('Analyze'),
          canSelectMany: true,
          canSelectFiles: true,
          canSelectFolders: true,
        });
        if (!picked || picked.length === 0) return undefined;
        files = pathsFromArgs([picked[0], picked]);
      }
    } catch (err) {
      void vscode.window.showErrorMessage(errorText(err));
      return undefined;
    }
    if (!files) return undefined;
    return this.run(files, { kind: 'analysis', files }, {});
  }

  /**
   * The logs the workspace names in `auditLens.events.analyzeOnOpen` (relative to its first folder), analysed as it
   * opens: a folder of logs copied from a server for an investigation, the demo's sample log. Undefined when it names
   * none. A restricted setting: an untrusted workspace cannot set it.
   */
  async analyzeOnOpen(): Promise<AnalyzeSummary | undefined> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    const names = vscode.workspace.getConfiguration(Settings.Section, root).get<unknown>(Settings.EventsAnalyzeOnOpen);
    const files = (Array.isArray(names) ? names : [])
      .filter((n): n is string => typeof n === 'string' && n.trim() !== '')
      .flatMap((n) => (path.isAbsolute(n) ? [n] : root?.scheme === 'file' ? [path.join(root.fsPath, n)] : []));
    if (files.length === 0) return undefined;
    log.info(`analyzing on open (${Settings.Section}.${Settings.EventsAnalyzeOnOpen}): ${files.join(', ')}`);
    return this.run(files, { kind: 'analysis', files }, {});
  }

  /** Who Deleted…?: deletions under a folder (or of a file) in the existing logs; no new rule needed. */
  async whoDeleted(...args: unknown[]): Promise<AnalyzeSummary | undefined> {
    let target: string | undefined;
    try {
      target = pathsFromArgs(args.slice(0, 1))?.[0];
    } catch (err) {
      void vscode.window.showErrorMessage(errorText(err));
      return undefined;
    }
    if (!target) {
      target = await vscode.window.showInputBox({
        title: vscode.l10n.t('Who Deleted…?'),
        prompt: vscode.l10n.t('The folder (or file) whose deletions to look for in the audit logs'),
        value: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '',
        validateInput: (v) => (path.isAbsolute(v.trim()) ? undefined : vscode.l10n.t('Type an absolute path')),
      });
      target = target?.trim();
      if (!target) return undefined;
    }
    const logPath = vscode.workspace.getConfiguration(Settings.Section).get<string>(Settings.EventsLogPath) || '/var/log/audit';
    const summary = await this.run([logPath], { kind: 'search', folder: target, files: [logPath] }, { pathPrefix: target });
    if (summary && summary.events === 0 && !summary.cancelled) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No deletions under {0} in {1}.', target, logPath));
    }
    return summary;
  }

  private async run(inputs: string[], origin: EventOrigin, filter: EventFilter): Promise<AnalyzeSummary | undefined> {
    // The newest request wins: an analysis still reading a big log is cancelled rather than racing for the tree.
    this.cancel();
    this.deps.clearOffline();
    const started = Date.now();
    log.info(`analyzing ${inputs.join(', ')}${filter.pathPrefix ? ` for deletions under ${filter.pathPrefix}` : ''}`);
    this.deps.setStatus(origin, vscode.l10n.t('analyzing…'));
    this.deps.setAnalyzing(true);
    const mine = { cancel: () => undefined as void };
    this.current = mine;
    // How long this thread was ever blocked while the results streamed in: logged, so a regression shows.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    try {
      const bytes = await inputBytes(inputs);
      const title = vscode.l10n.t('Analyzing {0}…', inputs.map((f) => path.basename(f) || f).join(', '));
      const location = bytes > NOTIFY_BYTES ? vscode.ProgressLocation.Notification : { viewId: Views.Events };
      let shownPct = 0;
      const outcome = await vscode.window.withProgress({ location, title, cancellable: true }, async (progress, token) => {
        const job = startAnalysis(this.deps.workerFile, { inputs, filter }, (items, done, total) => {
          // A replaced or cleared analysis may still have batches in flight: they must not come back.
          if (this.current !== mine) return;
          this.deliver(origin, items);
          const pct = total > 0 ? Math.min(99, Math.floor((done * 100) / total)) : 0;
          if (pct > shownPct) {
            progress.report({ increment: pct - shownPct, message: `${pct} %` });
            shownPct = pct;
            this.deps.setStatus(origin, vscode.l10n.t('analyzing… {0} %', pct));
          }
        });
        mine.cancel = () => job.cancel();
        token.onCancellationRequested(() => job.cancel());
        return job.done;
      });
      // Replaced by a newer request, or cleared, while the worker was finishing.
      if (this.current !== mine) return undefined;
      if (!outcome.ok) {
        if (outcome.denied) return await this.runPrivileged(inputs, origin, filter, outcome.message, started);
        log.error(`analysis of ${inputs.join(', ')} failed: ${outcome.message}`);
        this.deps.clearOffline();
        void vscode.window.showErrorMessage(vscode.l10n.t('Could not analyze the audit log: {0}', outcome.message));
        return undefined;
      }
      lag.disable();
      return this.finished(inputs, origin, outcome.totals, started, shownPct, lag.max / 1e6);
    } finally {
      lag.disable();
      if (this.current === mine) this.current = undefined;
      this.deps.setAnalyzing(this.current !== undefined);
    }
  }

  private deliver(origin: EventOrigin, items: readonly StreamItem[]): void {
    const events: AuditEvent[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const it of items) {
      if (it.kind === 'diagnostic') diagnostics.push(it.diagnostic);
      else events.push(it.event);
    }
    if (events.length > 0) this.deps.sink.upsert(origin, events);
    if (diagnostics.length > 0) this.deps.sink.diagnostics(origin, diagnostics);
  }

  private finished(inputs: string[], origin: EventOrigin, totals: AnalysisTotals, started: number, pct: number, blockedMs?: number): AnalyzeSummary {
    const events = this.deps.eventsOf(origin);
    const files = totals.files.length > 0 ? totals.files : inputs;
    this.deps.finish(origin, { records: totals.records, counts: totals.diagnosticCounts, firsts: totals.diagnostics });
    this.deps.setStatus(origin, totals.cancelled ? vscode.l10n.t('cancelled at {0} %', pct) : undefined);
    const blocked = blockedMs !== undefined ? `; host thread blocked at most ${Math.round(blockedMs)} ms` : '';
    log.info(`${inputs.join(', ')}: ${events} events from ${totals.records} records (${totals.bytes} bytes) in ${Date.now() - started} ms${totals.cancelled ? ', cancelled' : ''}${blocked}`);
    for (const d of totals.diagnostics.slice(0, MAX_LOGGED_DIAGNOSTICS)) {
      const where = d.source ? `${d.source.file}:${d.source.line}: ` : '';
      log.warn(`${where}${d.kind}: ${d.message}`);
    }
    const counted = Object.values(totals.diagnosticCounts).reduce((a: number, b) => a + (b ?? 0), 0);
    if (counted > MAX_LOGGED_DIAGNOSTICS) log.warn(`… ${counted} diagnostics in all`);
    if (totals.lostEvents > 0) log.warn(`about ${totals.lostEvents} events are missing (serial gaps): the kernel backlog may have overflowed; raise it with \`auditctl -b 8192\``);
    return { files, events, records: totals.records, diagnostics: counted, cancelled: totals.cancelled };
  }

  /** A root-only log: through the privileged helper when there is one, else a message that says what to do. */
  private async runPrivileged(inputs: string[], origin: EventOrigin, filter: EventFilter, why: string, started: number): Promise<AnalyzeSummary | undefined> {
    const privileged = this.deps.privileged;
    if (!privileged) {
      this.deps.clearOffline();
      log.warn(`analysis of ${inputs.join(', ')}: ${why}`);
      const copyCmd = vscode.l10n.t('Copy Command');
      const pick = await vscode.window.showErrorMessage(
        vscode.l10n.t('Could not analyze the audit log: {0}', why) +
          ' ' +
          vscode.l10n.t('Make a readable copy (the command below, in a terminal) and analyze that, or run VS Code as root.'),
        copyCmd,
      );
      if (pick === copyCmd) await vscode.env.clipboard.writeText(readableCopyCommand(inputs[0]));
      return undefined;
    }
    log.info(`${inputs.join(', ')}: not readable by this user; analyzing through the privileged helper`);
    const abort = new AbortController();
    const mine = { cancel: () => abort.abort() };
    this.current = mine;
    let buffer: StreamItem[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      const items = buffer;
      buffer = [];
      if (this.current === mine) this.deliver(origin, items);
    };
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Analyzing {0} as root…', inputs.join(', ')), cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          return privileged.analyze(
            inputs,
            filter,
            (item) => {
              // Diagnostics come in the totals; events are batched so a big log does not re-render per event.
              if (item.kind === 'diagnostic') return;
              buffer.push(item);
              timer ??= setTimeout(flush, PRIVILEGED_FLUSH_MS);
            },
            abort.signal,
          );
        },
      );
      if (timer) clearTimeout(timer);
      flush();
      return this.finished(inputs, origin, totalsOf(result, inputs, abort.signal.aborted), started, 0);
    } catch (err) {
      if (timer) clearTimeout(timer);
      if (abort.signal.aborted) return undefined;
      log.error(`privileged analysis of ${inputs.join(', ')} failed: ${errorText(err)}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not analyze the audit log: {0}', errorText(err)));
      return undefined;
    } finally {
      if (this.current === mine) this.current = undefined;
    }
  }
}
