import * as path from 'node:path';
import {
  analyzeInputs,
  InputError,
  readSnapshot,
  takeSnapshot,
  type AnalyzeOptions,
  type AuditEvent,
  type Diagnostic,
  type DiagnosticKind,
  type SnapshotEntry,
} from '../core';
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
    jobs: 0,
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
  if (command === 'watch' && o.inputs.length === 0) throw new UsageError('watch needs at least one folder');
  if (command === 'watch' && (o.keys.length || o.since !== undefined || o.until !== undefined || o.pathPrefix || o.snapshot || o.all)) {
    throw new UsageError('watch takes folders, --format, --utc, --color and --remove-leftovers only');
  }
  if (command !== 'snapshot' && o.inputs.length === 0) o.inputs = ['/var/log/audit'];
  return o;
}

/** Buffers stdout writes; a closed pipe (`| head`) ends the program quietly. */
class Out {
  private parts: string[] = [];
  private size = 0;
  constructor() {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
    });
  }
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function where(d: Diagnostic): string {
  return d.source ? ` (first at ${d.source.file}:${d.source.line})` : '';
}

/** The stderr report: counts by kind with the first location of each. */
function reportDiagnostics(counts: Record<DiagnosticKind, number>, firsts: Map<DiagnosticKind, Diagnostic>): void {
  const label: Record<DiagnosticKind, string> = {
    'malformed-line': 'malformed line',
    'duplicate-record': 'duplicate record',
    'late-record': 'late record',
    'truncated-line': 'truncated line',
    'invalid-utf8': 'line with invalid UTF-8',
    'oversized-line': 'oversized line',
    'lost-events': 'possibly lost event',
    'unreadable-input': 'unreadable input',
  };
  for (const kind of Object.keys(counts) as DiagnosticKind[]) {
    const n = counts[kind];
    if (n === 0) continue;
    const d = firsts.get(kind)!;
    const extra = kind === 'lost-events' ? ` (serial gaps: backlog overflow or rotated-away records; see 'auditctl -s' lost)` : where(d);
    process.stderr.write(`audit-lens: ${n} ${label[kind]}${n === 1 ? '' : 's'}${extra}${kind === 'unreadable-input' ? ': ' + d.message : ''}\n`);
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
    throw new InputError(`--snapshot ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (bad > 0) process.stderr.write(`audit-lens: ${bad} bad snapshot line${bad === 1 ? '' : 's'} skipped (first at ${file}:${firstBad})\n`);
  return entries;
}

async function runEvents(o: Options): Promise<void> {
  const out = new Out();
  const firsts = new Map<DiagnosticKind, Diagnostic>();
  let n = 0;
  if (o.format === 'csv') out.write(CSV_HEADER + '\n');
  if (o.format === 'json') out.write('[');
  const emit = (e: AuditEvent): void => {
    switch (o.format) {
      case 'jsonl':
        out.write(JSON.stringify(eventJson(e)) + '\n');
        break;
      case 'json':
        out.write((n === 0 ? '\n' : ',\n') + JSON.stringify(eventJson(e)));
        break;
      case 'csv':
        for (const row of eventCsvRows(e)) out.write(row + '\n');
        break;
      default:
        out.write((n === 0 ? '' : '\n') + eventTable(e, o.utc, o.color) + '\n');
    }
    n++;
  };
  const result = await analyzeInputs(o.inputs, {
    ...filterOptions(o),
    snapshot: await loadSnapshot(o.snapshot),
    onItem: (item) => {
      if (item.kind === 'event') emit(item.event);
      else if (item.kind === 'diagnostic' && !firsts.has(item.diagnostic.kind)) firsts.set(item.diagnostic.kind, item.diagnostic);
    },
  });
  if (o.format === 'json') out.write(n === 0 ? ']\n' : '\n]\n');
  if (o.format === 'table' && n === 0) {
    process.stderr.write(`audit-lens: no matching events in ${result.eventsSeen} events (${result.records} records)\n`);
  }
  out.flush();
  reportDiagnostics(result.diagnosticCounts, firsts);
}

function filterOptions(o: Options): AnalyzeOptions {
  return { keys: o.keys.length ? o.keys : undefined, since: o.since, until: o.until, pathPrefix: o.pathPrefix, all: o.all };
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

async function runSummary(o: Options): Promise<void> {
  const byAction = new Map<string, number>();
  const byExe = new Map<string, number>();
  const byUser = new Map<string, number>();
  const byFolder = new Map<string, number>();
  const byKey = new Map<string, number>();
  const firsts = new Map<DiagnosticKind, Diagnostic>();
  let events = 0;
  let failed = 0;
  let uncertain = 0;
  let first: number | null = null;
  let last: number | null = null;
  const result = await analyzeInputs(o.inputs, {
    ...filterOptions(o),
    snapshot: await loadSnapshot(o.snapshot),
    onItem: (item) => {
      if (item.kind === 'diagnostic') {
        if (!firsts.has(item.diagnostic.kind)) firsts.set(item.diagnostic.kind, item.diagnostic);
        return;
      }
      if (item.kind !== 'event') return;
      const e = item.event;
      events++;
      first = first === null ? e.timeMs : Math.min(first, e.timeMs);
      last = last === null ? e.timeMs : Math.max(last, e.timeMs);
      bump(byAction, e.success === false ? `${e.action} (failed)` : e.watchRemoved ? `${e.action} (watched folder)` : e.action);
      bump(byExe, e.process.exe ?? e.process.comm ?? (e.uringOp ? `io_uring (pid ${e.process.pid})` : '?'));
      bump(byUser, e.process.user ?? (e.process.uid !== null ? String(e.process.uid) : '?'));
      for (const k of e.keys) bump(byKey, k);
      if (e.success === false) failed++;
      const folders = new Set<string>();
      for (const obj of e.objects) {
        if (obj.confidence === 'uncertain') uncertain++;
        if (obj.path && obj.path.startsWith('/')) folders.add(path.posix.dirname(obj.path));
      }
      for (const f of folders) bump(byFolder, f);
    },
  });
  const top = (m: Map<string, number>, limit = 15): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
  const summary = {
    events,
    failed,
    uncertainObjects: uncertain,
    first: first === null ? null : new Date(first).toISOString(),
    last: last === null ? null : new Date(last).toISOString(),
    byAction: Object.fromEntries(top(byAction, 100)),
    byExecutable: Object.fromEntries(top(byExe)),
    byUser: Object.fromEntries(top(byUser)),
    byFolder: Object.fromEntries(top(byFolder)),
    byKey: Object.fromEntries(top(byKey)),
    lostEvents: result.lostEvents,
    diagnostics: result.diagnosticCounts,
    recordsRead: result.records,
    eventsRead: result.eventsSeen,
    bytesRead: result.bytes,
  };
  const out = new Out();
  if (o.format === 'json') {
    out.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    out.write(`Events: ${events} (${failed} failed attempts) of ${result.eventsSeen} read, ${result.records} records, ${(result.bytes / 1e6).toFixed(1)} MB\n`);
    if (first !== null) out.write(`Period: ${summary.first} .. ${summary.last}\n`);
    if (result.lostEvents > 0) out.write(`WARNING: ${result.lostEvents} possibly lost events (serial gaps); raise the kernel backlog: auditctl -b 8192\n`);
    if (uncertain > 0) out.write(`Uncertain paths: ${uncertain} (pass --snapshot to rebuild them)\n`);
    const section = (title: string, m: Map<string, number>): void => {
      if (m.size === 0) return;
      out.write(`\n${title}\n`);
      for (const [k, v] of top(m)) out.write(`  ${String(v).padStart(8)}  ${visible(k)}\n`);
    };
    section('By action', byAction);
    section('By executable', byExe);
    section('By user', byUser);
    section('By folder', byFolder);
    section('By key', byKey);
  }
  out.flush();
  reportDiagnostics(result.diagnosticCounts, firsts);
}

async function runSnapshot(o: Options): Promise<void> {
  const out = new Out();
  let errors = 0;
  for await (const e of takeSnapshot(o.inputs[0], (p, err) => {
    errors++;
    process.stderr.write(`audit-lens: cannot read ${visible(p)}: ${(err as NodeJS.ErrnoException).code ?? err.message}\n`);
  })) {
    out.write(JSON.stringify(e) + '\n');
  }
  out.flush();
  if (errors > 0) process.stderr.write(`audit-lens: ${errors} entries could not be read\n`);
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
    else if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'ENOTDIR') process.stderr.write(`audit-lens: ${e.path ?? ''}: ${e.code}\n`);
    else process.stderr.write(`audit-lens: internal error: ${e?.message ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
