import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  analyzeInputs,
  describeFsError,
  InputError,
  readSnapshot,
  takeSnapshot,
  type AnalyzeOptions,
  type AuditEvent,
  type Diagnostic,
  type DiagnosticKind,
  type SnapshotEntry,
  type SplitPart,
} from '../core';
import { planSplit } from '../core/parallel';
import { CSV_HEADER, eventCsvRows, eventJson, eventTable, visible } from './format';
import { parseTimeSpec } from './timeSpec';
import { runWatch } from './watch';

const VERSION = '0.1.0';

const USAGE = `audit-lens ${VERSION}: who deleted what, when and how, from Linux audit logs

Usage:
  audit-lens events  [filters] [--format table|jsonl|json|csv] [--utc] [LOG|DIR|-]...
  audit-lens summary [filters] [--format table|json] [LOG|DIR|-]...
  audit-lens snapshot DIR > snapshot.jsonl
  sudo audit-lens watch DIR... [--format table|jsonl] [--remove-leftovers]

Filters:
  --key K          events where any record carries key K (repeatable)
  --since T        from time T (ISO 8601, recent, today, yesterday, this-week, MM/DD/YYYY HH:MM:SS, …)
  --until T        up to time T
  --path PREFIX    events touching PREFIX or anything below it
  --snapshot FILE  inode snapshot (JSON Lines from 'audit-lens snapshot') to rebuild paths in your view
  --all            every event, not only deletions, renames, failed attempts and removed watches
  --jobs N         split a log file between N threads (default 1; 2 gives the same output, see the README's speed)

watch installs audit rules for each folder (its contents and the folder itself), prints every deletion, rename and
failed attempt as it happens (jsonl: a later line with the same id replaces an earlier one, a path resolved later),
and removes exactly its rules on Ctrl-C, SIGTERM or SIGHUP. --remove-leftovers first removes rules a helper that
did not stop cleanly left behind. It needs root.

Inputs default to /var/log/audit (its rotated audit.log.N files, oldest first). '-' reads stdin.
Exit status: 0 when the input was read (malformed lines are counted on stderr), 2 for a bad option, 1 otherwise.
`;

class UsageError extends Error {}

interface Options {
  command: 'events' | 'summary' | 'snapshot' | 'watch';
  keys: string[];
  since?: number;
  until?: number;
  pathPrefix?: string;
  snapshot?: string;
  all: boolean;
  format: string;
  utc: boolean;
  color: boolean;
  /** Threads for file inputs (0: decide by input size and cores). */
  jobs: number;
  inputs: string[];
  /** watch: remove rules a crashed helper left before watching. */
  removeLeftovers: boolean;
}

function parseArgs(argv: string[]): Options | 'help' | 'version' {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') return 'help';
  if (argv[0] === '--version' || argv[0] === '-V') return 'version';
  const command = argv[0];
  if (command !== 'events' && command !== 'summary' && command !== 'snapshot' && command !== 'watch') {
    throw new UsageError(`unknown command '${command}' (expected events, summary, snapshot or watch)`);
  }
  const o: Options = {
    command,
    keys: [],
    all: false,
    format: 'table',
    utc: false,
    jobs: 1,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    inputs: [],
    removeLeftovers: false,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  let onlyInputs = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (onlyInputs || a === '-' || !a.startsWith('-')) {
      o.inputs.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const take = (): string => {
      if (inline !== undefined) return inline;
      return value(i++, flag);
    };
    switch (flag) {
      case '--':
        onlyInputs = true;
        break;
      case '--key':
      case '-k':
        o.keys.push(take());
        break;
      case '--since':
      case '--start':
      case '--until':
      case '--end': {
        const v = take();
        const t = parseTimeSpec(v);
        if (t === null) throw new UsageError(`${flag}: cannot read '${v}' as a time (try ISO 8601, 'today', 'recent' or 'MM/DD/YYYY HH:MM:SS')`);
        if (flag === '--since' || flag === '--start') o.since = t;
        else o.until = t;
        break;
      }
      case '--path':
        o.pathPrefix = path.resolve(take());
        break;
      case '--snapshot':
        o.snapshot = take();
        break;
      case '--all':
        o.all = true;
        break;
      case '--format':
      case '-f':
        o.format = take();
        break;
      case '--utc':
        o.utc = true;
        break;
      case '--jobs':
      case '-j': {
        const v = take();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--jobs must be a whole number from 1 to 64, not '${v}'`);
        o.jobs = n;
        break;
      }
      case '--color':
        o.color = true;
        break;
      case '--no-color':
        o.color = false;
        break;
      case '--remove-leftovers':
        if (command !== 'watch') throw new UsageError(`${flag} is an option of watch`);
        o.removeLeftovers = true;
        break;
      default:
        throw new UsageError(`unknown option '${a}'`);
    }
  }
  const formats = command === 'summary' ? ['table', 'json'] : command === 'watch' ? ['table', 'jsonl'] : ['table', 'jsonl', 'json', 'csv'];
  if (command !== 'snapshot' && !formats.includes(o.format)) throw new UsageError(`--format must be one of ${formats.join(', ')}`);
  if (command === 'snapshot' && o.inputs.length !== 1) throw new UsageError('snapshot takes exactly one folder');
  if (o.since !== undefined && o.until !== undefined && o.since > o.until) throw new UsageError('--since is after --until: no event can match');
  if (command === 'watch' && o.inputs.length === 0) throw new UsageError('watch needs at least one folder');
  if (command === 'watch' && (o.keys.length || o.since !== undefined || o.until !== undefined || o.pathPrefix || o.snapshot || o.all)) {
    throw new UsageError('watch takes folders, --format, --utc, --color and --remove-leftovers only');
  }
  if (command !== 'snapshot' && o.inputs.length === 0) o.inputs = ['/var/log/audit'];
  return o;
}

/** Buffers stdout writes; a closed pipe (`| head`) ends the program quietly. */
class Out {
  private static readonly SIZE = 1 << 18;
  private buf = Buffer.allocUnsafe(Out.SIZE);
  private off = 0;
  /** Standard output, or a file descriptor (the second thread's share). */
  constructor(private readonly fd?: number) {
    if (fd === undefined) {
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        // A reader that went away (`| head`) is not a failure; a full disk or a bad descriptor is: the output is cut.
        if (err.code === 'EPIPE') process.exit(0);
        process.stderr.write(`audit-lens: cannot write the output: ${err.message}\n`);
        process.exit(1);
      });
    }
  }
  /** Encodes straight into the output buffer: no array of parts, no join, no second copy. */
  write(s: string): void {
    if (this.off + s.length * 3 > this.buf.length) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.emit(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.off += this.buf.write(s, this.off, 'utf8');
  }
  flush(): void {
    if (this.off === 0) return;
    this.emit(this.buf.subarray(0, this.off));
    // A fresh buffer per flush: the stream may still hold the last one.
    this.buf = Buffer.allocUnsafe(Out.SIZE);
    this.off = 0;
  }
  /** Copies a file's bytes to the output (the second thread's share, in order after ours). */
  copyFile(file: string): void {
    this.flush();
    const fd = openSync(file, 'r');
    try {
      for (;;) {
        const b = Buffer.allocUnsafe(1 << 20);
        const n = readSync(fd, b, 0, b.length, null);
        if (n === 0) break;
        this.emit(b.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  /**
   * A promise while standard output holds more than its high-water mark (a reader slower than the analysis): reading
   * waits for it to drain instead of queueing the whole output in memory. Files written by the tail thread are
   * written synchronously and never wait.
   */
  drained(): Promise<void> | undefined {
    if (this.fd !== undefined || !process.stdout.writableNeedDrain) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        process.stdout.off('drain', done);
        process.stdout.off('close', done);
        resolve();
      };
      process.stdout.once('drain', done);
      process.stdout.once('close', done);
    });
  }
  private emit(b: Buffer): void {
    if (this.fd === undefined) process.stdout.write(b);
    else for (let done = 0; done < b.length; ) done += writeSync(this.fd, b, done, b.length - done);
  }
}

function where(d: Diagnostic): string {
  return d.source ? ` (first at ${d.source.file}:${d.source.line})` : '';
}

/** The stderr report: counts by kind with the first location of each. */
function reportDiagnostics(counts: Record<DiagnosticKind, number>, firsts: Map<DiagnosticKind, Diagnostic>): void {
  /** Singular and plural. */
  const label: Record<DiagnosticKind, [string, string]> = {
    'malformed-line': ['malformed line', 'malformed lines'],
    'duplicate-record': ['duplicate record', 'duplicate records'],
    'late-record': ['late record', 'late records'],
    'truncated-line': ['truncated line', 'truncated lines'],
    'invalid-utf8': ['line with invalid UTF-8', 'lines with invalid UTF-8'],
    'oversized-line': ['oversized line', 'oversized lines'],
    'lost-events': ['possibly lost event', 'possibly lost events'],
    'unreadable-input': ['unreadable input', 'unreadable inputs'],
  };
  for (const kind of Object.keys(counts) as DiagnosticKind[]) {
    const n = counts[kind];
    if (n === 0) continue;
    const d = firsts.get(kind)!;
    const extra = kind === 'lost-events' ? ` (serial gaps: backlog overflow or rotated-away records; see 'auditctl -s' lost)` : where(d);
    process.stderr.write(`audit-lens: ${n} ${label[kind][n === 1 ? 0 : 1]}${extra}${kind === 'unreadable-input' ? ': ' + d.message : ''}\n`);
  }
}

async function loadSnapshot(file: string | undefined): Promise<SnapshotEntry[] | undefined> {
  if (!file) return undefined;
  let bad = 0;
  let firstBad = 0;
  let entries: SnapshotEntry[];
  try {
    entries = await readSnapshot(file, (line) => {
      if (bad++ === 0) firstBad = line;
    });
  } catch (err) {
    throw new InputError(`--snapshot ${file}: ${describeFsError(err)}`);
  }
  if (bad > 0) process.stderr.write(`audit-lens: ${bad} bad snapshot line${bad === 1 ? '' : 's'} skipped (first at ${file}:${firstBad})\n`);
  return entries;
}

/** What one thread read: its share of the counts, and the first diagnostic of each kind. */
interface PartResult {
  counts: Record<DiagnosticKind, number>;
  firsts: [DiagnosticKind, Diagnostic][];
  eventsSeen: number;
  records: number;
  bytes: number;
  /** Events reported (events) or the summary's tallies (summary). */
  n: number;
  tally?: Tally;
}

/** How a command consumes the items of its share of the log. */
interface Consumer {
  onEvent(e: AuditEvent): void;
  /** Called once at the end of the share. */
  end(): void;
  /** Events reported so far. */
  readonly n: number;
  tally?: Tally;
  /** A promise while the output is full: the reading waits for it. */
  throttle?: () => Promise<void> | undefined;
}

/** Formats events; `standalone` parts begin their first item without a separator (they are glued on later). */
function eventWriter(o: Options, out: Out): Consumer {
  let n = 0;
  return {
    get n() {
      return n;
    },
    onEvent(e) {
      switch (o.format) {
        case 'jsonl':
          out.write(JSON.stringify(eventJson(e)) + '\n');
          break;
        case 'json':
          out.write((n === 0 ? '' : ',\n') + JSON.stringify(eventJson(e)));
          break;
        case 'csv':
          for (const row of eventCsvRows(e)) out.write(row + '\n');
          break;
        default:
          out.write((n === 0 ? '' : '\n') + eventTable(e, o.utc, o.color) + '\n');
      }
      n++;
    },
    end() {
      out.flush();
    },
    throttle: () => out.drained(),
  };
}

/** Counts by action, executable, user, folder and key: what `summary` prints. Plain data, so a thread can send it. */
interface Tally {
  events: number;
  failed: number;
  uncertain: number;
  first: number | null;
  last: number | null;
  byAction: [string, number][];
  byExe: [string, number][];
  byUser: [string, number][];
  byFolder: [string, number][];
  byKey: [string, number][];
}

function tallier(): Consumer & { tally: Tally } {
  const m = { byAction: new Map<string, number>(), byExe: new Map<string, number>(), byUser: new Map<string, number>(), byFolder: new Map<string, number>(), byKey: new Map<string, number>() };
  const t: Tally = { events: 0, failed: 0, uncertain: 0, first: null, last: null, byAction: [], byExe: [], byUser: [], byFolder: [], byKey: [] };
  return {
    tally: t,
    get n() {
      return t.events;
    },
    onEvent(e) {
      t.events++;
      t.first = t.first === null ? e.timeMs : Math.min(t.first, e.timeMs);
      t.last = t.last === null ? e.timeMs : Math.max(t.last, e.timeMs);
      bump(m.byAction, e.success === false ? `${e.action} (failed)` : e.watchRemoved ? `${e.action} (watched folder)` : e.action);
      bump(m.byExe, e.process.exe ?? e.process.comm ?? (e.uringOp ? `io_uring (pid ${e.process.pid})` : '?'));
      bump(m.byUser, e.process.user ?? (e.process.uid !== null ? String(e.process.uid) : '?'));
      for (const k of e.keys) bump(m.byKey, k);
      if (e.success === false) t.failed++;
      const folders = new Set<string>();
      for (const obj of e.objects) {
        if (obj.confidence === 'uncertain') t.uncertain++;
        if (obj.path && obj.path.startsWith('/')) folders.add(path.posix.dirname(obj.path));
      }
      for (const f of folders) bump(m.byFolder, f);
    },
    end() {
      t.byAction = [...m.byAction];
      t.byExe = [...m.byExe];
      t.byUser = [...m.byUser];
      t.byFolder = [...m.byFolder];
      t.byKey = [...m.byKey];
    },
  };
}

/** Adds a second share's tally to the first's. */
function mergeTally(a: Tally, b: Tally): Tally {
  const add = (x: [string, number][], y: [string, number][]): [string, number][] => {
    const m = new Map(x);
    for (const [k, v] of y) m.set(k, (m.get(k) ?? 0) + v);
    return [...m];
  };
  const min = (p: number | null, q: number | null): number | null => (p === null ? q : q === null ? p : Math.min(p, q));
  const max = (p: number | null, q: number | null): number | null => (p === null ? q : q === null ? p : Math.max(p, q));
  return {
    events: a.events + b.events,
    failed: a.failed + b.failed,
    uncertain: a.uncertain + b.uncertain,
    first: min(a.first, b.first),
    last: max(a.last, b.last),
    byAction: add(a.byAction, b.byAction),
    byExe: add(a.byExe, b.byExe),
    byUser: add(a.byUser, b.byUser),
    byFolder: add(a.byFolder, b.byFolder),
    byKey: add(a.byKey, b.byKey),
  };
}

/** Reads the inputs (or one side of a split) into a consumer. */
async function runPart(o: Options, consumer: Consumer, part?: SplitPart): Promise<PartResult> {
  const firsts = new Map<DiagnosticKind, Diagnostic>();
  const result = await analyzeInputs(o.inputs, {
    ...filterOptions(o),
    snapshot: await loadSnapshot(o.snapshot),
    part,
    throttle: consumer.throttle,
    onItem: (item) => {
      if (item.kind === 'event') consumer.onEvent(item.event);
      else if (item.kind === 'diagnostic' && !firsts.has(item.diagnostic.kind)) firsts.set(item.diagnostic.kind, item.diagnostic);
    },
  });
  consumer.end();
  return { counts: result.diagnosticCounts, firsts: [...firsts], eventsSeen: result.eventsSeen, records: result.records, bytes: result.bytes, n: consumer.n, tally: consumer.tally };
}

/** The tail's thread: its share goes to a file (events) or into a tally (summary), then the totals to the head. */
interface TailJob {
  auditLensTail: true;
  options: Options;
  part: SplitPart;
  outFile: string | null;
}

async function runTailJob(job: TailJob): Promise<PartResult> {
  const o = job.options;
  const fd = job.outFile === null ? null : openSync(job.outFile, 'w', 0o600);
  try {
    const consumer = o.command === 'summary' ? tallier() : eventWriter(o, new Out(fd ?? undefined));
    return await runPart(o, consumer, job.part);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Runs a command in one thread, or in two on a big enough file input: the head here, the tail in a worker thread
 * (see src/core/parallel.ts). Returns both shares' results, the head's first.
 */
async function runSplit(o: Options, head: Consumer, outFile: string | null): Promise<PartResult[]> {
  // One thread unless --jobs asks for more. A split gives the same output byte for byte, but on the bench's 2-core
  // machine it gave 0.74x to 1.70x of one thread across runs, losing as often as it won: the second thread still has
  // to learn the first one's share, and its output goes through a file.
  // The tail reads the head's share too, learning only (about two thirds of the cost of analysing it, before any
  // output): a head share past the middle evens out the two threads (at 0.68 both finished within 2 % of each other
  // on the bench's 1 GiB log, where 0.78 left the tail waiting 2.6 s for the head).
  const share = Number(process.env.AUDIT_LENS_SPLIT_SHARE) || (o.keys.length > 0 ? 0.7 : 0.68);
  const boundary = o.jobs >= 2 ? await planSplit(o.inputs, share) : null;
  if (boundary === null) return [await runPart(o, head)];
  const job: TailJob = { auditLensTail: true, options: o, part: { boundary, side: 'tail' }, outFile };
  const worker = new Worker(__filename, { workerData: job, execArgv: process.execArgv, stdout: false, stderr: false });
  const tail = new Promise<PartResult>((resolve, reject) => {
    worker.once('message', (m: PartResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the second thread stopped (exit ${code})`)));
  });
  // Unhandled until awaited: a failing tail must not crash the head before it is asked for.
  tail.catch(() => undefined);
  const first = await runPart(o, head, { boundary, side: 'head' });
  const second = await tail;
  void worker.terminate();
  return [first, second];
}

function mergeDiagnostics(parts: PartResult[]): { counts: Record<DiagnosticKind, number>; firsts: Map<DiagnosticKind, Diagnostic> } {
  const counts = { ...parts[0].counts };
  const firsts = new Map(parts[0].firsts);
  for (const p of parts.slice(1)) {
    for (const k of Object.keys(counts) as DiagnosticKind[]) counts[k] += p.counts[k];
    for (const [k, d] of p.firsts) if (!firsts.has(k)) firsts.set(k, d);
  }
  return { counts, firsts };
}

async function runEvents(o: Options): Promise<void> {
  const out = new Out();
  if (o.format === 'csv') out.write(CSV_HEADER + '\n');
  if (o.format === 'json') out.write('[\n');
  const tmpDir = o.jobs >= 2 ? mkdtempSync(path.join(tmpdir(), 'audit-lens-')) : null;
  try {
    const parts = await runSplit(o, eventWriter(o, out), tmpDir && path.join(tmpDir, 'tail'));
    const [head, tail] = parts;
    if (tail && tail.n > 0) {
      // Glue the tail's output on: the separator its first item left out.
      if (head.n > 0) out.write(o.format === 'json' ? ',\n' : o.format === 'table' ? '\n' : '');
      out.flush();
      out.copyFile(path.join(tmpDir!, 'tail'));
    }
    const n = parts.reduce((x, p) => x + p.n, 0);
    if (o.format === 'json') out.write(n === 0 ? ']\n' : '\n]\n');
    const seen = parts.reduce((x, p) => x + p.eventsSeen, 0);
    const records = parts.reduce((x, p) => x + p.records, 0);
    if (o.format === 'table' && n === 0) process.stderr.write(`audit-lens: no matching events in ${seen} events (${records} records)\n`);
    out.flush();
    const d = mergeDiagnostics(parts);
    reportDiagnostics(d.counts, d.firsts);
  } finally {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  }
}

function filterOptions(o: Options): AnalyzeOptions {
  return { keys: o.keys.length ? o.keys : undefined, since: o.since, until: o.until, pathPrefix: o.pathPrefix, all: o.all };
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

async function runSummary(o: Options): Promise<void> {
  const head = tallier();
  const parts = await runSplit(o, head, null);
  const t = parts.slice(1).reduce((a, p) => mergeTally(a, p.tally!), parts[0].tally!);
  const d = mergeDiagnostics(parts);
  const lostEvents = d.counts['lost-events'];
  const seen = parts.reduce((x, p) => x + p.eventsSeen, 0);
  const records = parts.reduce((x, p) => x + p.records, 0);
  const bytes = parts.reduce((x, p) => x + p.bytes, 0);
  const top = (m: [string, number][], limit = 15): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
  const summary = {
    events: t.events,
    failed: t.failed,
    uncertainObjects: t.uncertain,
    first: t.first === null ? null : new Date(t.first).toISOString(),
    last: t.last === null ? null : new Date(t.last).toISOString(),
    byAction: Object.fromEntries(top(t.byAction, 100)),
    byExecutable: Object.fromEntries(top(t.byExe)),
    byUser: Object.fromEntries(top(t.byUser)),
    byFolder: Object.fromEntries(top(t.byFolder)),
    byKey: Object.fromEntries(top(t.byKey)),
    lostEvents,
    diagnostics: d.counts,
    recordsRead: records,
    eventsRead: seen,
    bytesRead: bytes,
  };
  const out = new Out();
  if (o.format === 'json') {
    out.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    out.write(`Events: ${t.events} (${t.failed} failed attempts) of ${seen} read, ${records} records, ${(bytes / 1e6).toFixed(1)} MB\n`);
    if (t.first !== null) out.write(`Period: ${summary.first} .. ${summary.last}\n`);
    if (lostEvents > 0) out.write(`WARNING: ${lostEvents} possibly lost events (serial gaps); raise the kernel backlog: auditctl -b 8192\n`);
    if (t.uncertain > 0) out.write(`Uncertain paths: ${t.uncertain} (pass --snapshot to rebuild them)\n`);
    const section = (title: string, m: [string, number][]): void => {
      if (m.length === 0) return;
      out.write(`\n${title}\n`);
      for (const [k, v] of top(m)) out.write(`  ${String(v).padStart(8)}  ${visible(k)}\n`);
    };
    section('By action', t.byAction);
    section('By executable', t.byExe);
    section('By user', t.byUser);
    section('By folder', t.byFolder);
    section('By key', t.byKey);
  }
  out.flush();
  reportDiagnostics(d.counts, d.firsts);
}

async function runSnapshot(o: Options): Promise<void> {
  const out = new Out();
  let errors = 0;
  for await (const e of takeSnapshot(o.inputs[0], (p, err) => {
    errors++;
    process.stderr.write(`audit-lens: cannot read ${visible(p)}: ${describeFsError(err)}\n`);
  })) {
    out.write(JSON.stringify(e) + '\n');
  }
  out.flush();
  if (errors > 0) process.stderr.write(`audit-lens: ${errors} ${errors === 1 ? 'entry' : 'entries'} could not be read\n`);
}

/** Runs the CLI; returns the exit status. Never lets a stack trace reach the user. */
export async function main(argv: string[]): Promise<number> {
  try {
    const o = parseArgs(argv);
    if (o === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (o === 'version') {
      process.stdout.write(VERSION + '\n');
      return 0;
    }
    if (o.command === 'watch') return await runWatch({ ...o, folders: o.inputs.map((f) => path.resolve(f)), format: o.format as 'table' | 'jsonl' });
    if (o.command === 'events') await runEvents(o);
    else if (o.command === 'summary') await runSummary(o);
    else await runSnapshot(o);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`audit-lens: ${err.message}\nTry 'audit-lens --help'.\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (err instanceof InputError) process.stderr.write(`audit-lens: ${err.message}\n`);
    else if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'ENOTDIR') process.stderr.write(`audit-lens: ${visible(e.path ?? '')}: ${describeFsError(e)}\n`);
    else process.stderr.write(`audit-lens: internal error: ${e?.message ?? String(err)}\n`);
    return 1;
  }
}

if (!isMainThread && (workerData as TailJob | undefined)?.auditLensTail) {
  // This file is also the second thread's script (see runSplit).
  runTailJob(workerData as TailJob).then(
    (r) => parentPort!.postMessage(r),
    (err: unknown) => {
      throw err;
    },
  );
} else if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
