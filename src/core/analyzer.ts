import { promises as fsp } from 'node:fs';
import { EventAssembler, type AssemblerOptions, type RawEvent } from './assembler';
import { interpret, type InterpretContext } from './interpret';
import { describeFsError, expandInputs, readLines, type Line } from './lines';
import { PathIndex } from './pathIndex';
import { eventId, parseRecord } from './record';
import type { AuditEvent, Diagnostic, DiagnosticKind, SnapshotEntry, StreamItem } from './types';

/** Which events to report. Keys and times select records cheaply before any field is split. */
export interface EventFilter {
  /** Match when any record of the event carries one of these keys. */
  keys?: string[];
  /** Epoch milliseconds, inclusive. */
  since?: number;
  /** Epoch milliseconds, inclusive. */
  until?: number;
  /** Match when an object's path (or the path the process used) is this folder or below it. */
  pathPrefix?: string;
  /** Every event, not just deletions, renames, failed attempts and watch-removed events. */
  all?: boolean;
}

export interface AnalyzerOptions extends AssemblerOptions {
  snapshot?: SnapshotEntry[];
  filter?: EventFilter;
  /**
   * true (the CLI): emit each event once, final, in log order, holding it back while a path it needs may still be
   * learned further on (bounded). false (live views): emit at once, then `update` items as paths resolve.
   */
  settle?: boolean;
  /** How far (log time, ms) an event may be held back waiting for its folder's path. */
  holdMs?: number;
  /** How many events may be held back at once. */
  maxHold?: number;
}

/** The default selection: deletions, renames (incl. failed attempts at them) and watched folders removed. */
export function isDefaultInteresting(e: AuditEvent): boolean {
  return e.watchRemoved || e.action === 'deleted' || e.action === 'renamed';
}

/** True when `p` is `prefix` or inside it. */
export function underPrefix(p: string | null | undefined, prefix: string): boolean {
  if (!p) return false;
  const pre = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return p === pre || p.startsWith(pre === '/' ? '/' : pre + '/');
}

function matchesPath(e: AuditEvent, prefix: string): boolean {
  return e.objects.some((o) => underPrefix(o.path, prefix) || underPrefix(o.seenAs, prefix));
}

interface Held {
  event: AuditEvent;
  pending: number;
  wanted: boolean;
  emitted: boolean;
}

const MAX_KEPT_DIAGNOSTICS = 1000;
const BLANK = /^[ \t]*$/;
const HIGH_BYTE = /[\x80-\xff]/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Whether a latin1 line's bytes are valid UTF-8. */
function validUtf8(latin1: string): boolean {
  try {
    utf8Strict.decode(Buffer.from(latin1, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * The streaming core: feed it lines (or records), it emits analysed events, updates and diagnostics.
 * Used by the CLI (settled, whole inputs), the live helper and the extension (unsettled, incremental).
 */
export class Analyzer {
  readonly counts: Record<DiagnosticKind, number> = {
    'malformed-line': 0,
    'duplicate-record': 0,
    'late-record': 0,
    'truncated-line': 0,
    'invalid-utf8': 0,
    'oversized-line': 0,
    'lost-events': 0,
    'unreadable-input': 0,
  };
  records = 0;
  events = 0;
  private readonly assembler: EventAssembler;
  private readonly ctx: InterpretContext;
  private readonly filter: EventFilter;
  private readonly keyNeedles: string[] | null;
  private readonly settle: boolean;
  private readonly holdMs: number;
  private readonly maxHold: number;
  private readonly held: Held[] = [];
  private readonly heldById = new Map<string, Held>();
  private heldStart = 0;
  private lastTime = 0;

  constructor(
    private readonly onItem: (item: StreamItem) => void,
    opts: AnalyzerOptions = {},
  ) {
    this.filter = opts.filter ?? {};
    this.settle = opts.settle ?? false;
    this.holdMs = opts.holdMs ?? 120_000;
    this.maxHold = opts.maxHold ?? 50_000;
    this.keyNeedles = this.filter.keys?.length
      ? this.filter.keys.flatMap((k) => [`"${k}"`, Buffer.from(k, 'utf8').toString('hex').toUpperCase()])
      : null;
    this.assembler = new EventAssembler((e) => this.onRawEvent(e), (d) => this.diagnose(d), opts);
    this.ctx = {
      index: new PathIndex(opts.snapshot ?? []),
      procs: new Map(),
      onWait: (event) => {
        const h = this.heldById.get(event.id);
        if (h) h.pending++;
      },
      onResolved: (event) => this.onResolved(event),
    };
  }

  /** Lost-event serials seen so far. */
  get lostEvents(): number {
    return this.assembler.lostEvents;
  }

  /** Feeds one line of log text. */
  pushLine(line: Line): void {
    if (line.truncated) {
      this.diagnose({ kind: 'truncated-line', message: 'the input ends in the middle of a line', source: line.source });
    }
    const rec = parseRecord(line.text, line.source, line.truncated);
    if (!rec) {
      if (BLANK.test(line.text)) return;
      this.diagnose({ kind: 'malformed-line', message: 'not an audit record: ' + preview(line.text), source: line.source });
      return;
    }
    this.records++;
    // Real records are ASCII before the ENRICHED part (the kernel hex-encodes anything else); other bytes are damage.
    if (HIGH_BYTE.test(line.text) && !validUtf8(line.text)) {
      this.diagnose({ kind: 'invalid-utf8', message: 'bytes that are not UTF-8 in a record (shown as \\xNN)', source: line.source });
    }
    if (rec.time > this.lastTime) this.lastTime = rec.time;
    this.assembler.push(rec);
  }

  /**
   * Marks the end of one file: its open events are closed (auditd never splits an event across a rotation) and
   * the next file's clock starts afresh, so files given out of order do not tear each other's events apart.
   */
  endFile(): void {
    this.assembler.closeAll();
    this.assembler.resetClock();
  }

  /** Marks the end of one input (a file, or a directory's rotated set): serial runs do not continue past it. */
  endInput(): void {
    this.endFile();
    this.assembler.resetRuns();
  }

  /** A live tail went quiet: closes the open events (serial tracking goes on). */
  idle(): void {
    this.assembler.closeAll();
    if (this.settle) this.release(false);
  }

  /** Closes every open event and releases everything held. */
  finish(): void {
    this.assembler.flush();
    this.release(true);
  }

  /** Reports a problem found outside the line stream (an unreadable input, a bad snapshot line). */
  diagnose(d: Diagnostic): void {
    this.counts[d.kind] += d.kind === 'lost-events' ? (d.count ?? 1) : 1;
    this.onItem({ kind: 'diagnostic', diagnostic: d });
  }

  private onRawEvent(raw: RawEvent): void {
    this.events++;
    const f = this.filter;
    if (this.keyNeedles && !raw.records.some((r) => this.keyNeedles!.some((n) => r.raw.includes(n)))) return;
    // Only events with PATH items or rule changes can teach paths or be deletions; skip the rest unless asked.
    if (!f.all && !raw.records.some((r) => r.type === 'PATH' || r.type === 'CONFIG_CHANGE')) return;
    const h: Held = { event: null as unknown as AuditEvent, pending: 0, wanted: false, emitted: false };
    // Register before interpreting so waiters created during interpretation are counted.
    const id = provisionalId(raw);
    this.heldById.set(id, h);
    const event = interpret(raw, this.ctx);
    h.event = event;
    h.wanted = this.wanted(event);
    if (!this.settle) {
      this.heldById.delete(id);
      if (h.pending > 0) this.heldById.set(event.id, h);
      if (h.wanted && (!f.pathPrefix || matchesPath(event, f.pathPrefix))) {
        h.emitted = true;
        this.onItem({ kind: 'event', event });
      }
      return;
    }
    if (!h.wanted && h.pending === 0) {
      this.heldById.delete(id);
      return;
    }
    this.held.push(h);
    if (h.pending === 0) this.heldById.delete(id);
    this.release(false);
  }

  private wanted(e: AuditEvent): boolean {
    const f = this.filter;
    if (f.keys?.length && !f.keys.some((k) => e.keys.includes(k))) return false;
    if (f.since !== undefined && e.timeMs < f.since) return false;
    if (f.until !== undefined && e.timeMs > f.until) return false;
    return f.all === true || isDefaultInteresting(e);
  }

  private onResolved(event: AuditEvent): void {
    const h = this.heldById.get(event.id);
    if (!h) return;
    h.pending = Math.max(0, h.pending - 1);
    if (h.pending === 0) this.heldById.delete(event.id);
    if (!this.settle) {
      const f = this.filter;
      if (h.emitted) this.onItem({ kind: 'update', event });
      else if (h.wanted && (!f.pathPrefix || matchesPath(event, f.pathPrefix))) {
        h.emitted = true;
        this.onItem({ kind: 'event', event });
      }
    }
  }

  private release(all: boolean): void {
    const f = this.filter;
    while (this.heldStart < this.held.length) {
      const h = this.held[this.heldStart];
      const size = this.held.length - this.heldStart;
      if (!all && h.pending > 0 && size <= this.maxHold && this.lastTime - h.event.timeMs <= this.holdMs) break;
      this.heldStart++;
      this.heldById.delete(h.event.id);
      if (h.wanted && (!f.pathPrefix || matchesPath(h.event, f.pathPrefix))) this.onItem({ kind: 'event', event: h.event });
    }
    if (this.heldStart > 1024 && this.heldStart * 2 > this.held.length) {
      this.held.splice(0, this.heldStart);
      this.heldStart = 0;
    }
  }
}

function provisionalId(raw: RawEvent): string {
  return eventId(raw.node, raw.time, raw.serial);
}

function preview(text: string): string {
  const t = text.length > 60 ? text.slice(0, 60) + '…' : text;
  return JSON.stringify(t.replace(/[\x00-\x1f\x7f-\xff]/g, '?'));
}

/** A problem that stops the run before anything is read: an input that cannot be opened. */
export class InputError extends Error {}

export interface AnalyzeOptions extends AnalyzerOptions, EventFilter {
  /** Receives every item as it comes (events already filtered); when set, events are not collected. */
  onItem?: (item: StreamItem) => void;
  signal?: AbortSignal;
}

export interface AnalysisResult {
  events: AuditEvent[];
  /** The first diagnostics (at most 1000); `diagnosticCounts` has the totals. */
  diagnostics: Diagnostic[];
  diagnosticCounts: Record<DiagnosticKind, number>;
  lostEvents: number;
  records: number;
  /** Events assembled (all of them, before filtering). */
  eventsSeen: number;
  bytes: number;
}

/**
 * Reads whole inputs (files, directories of rotated logs, `-` for stdin) and returns the selected events, final.
 * Throws InputError, before reading anything, when an input cannot be opened.
 */
export async function analyzeInputs(inputs: string[], opts: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const { groups, errors } = await expandInputs(inputs);
  if (errors.length > 0) throw new InputError(errors[0]);
  for (const g of groups) {
    for (const file of g) {
      if (file === '-') continue;
      try {
        await (await fsp.open(file, 'r')).close();
      } catch (err) {
        throw new InputError(`${file}: ${describeFsError(err)}`);
      }
    }
  }
  const events: AuditEvent[] = [];
  const diagnostics: Diagnostic[] = [];
  const analyzer = new Analyzer(
    (item) => {
      if (item.kind === 'diagnostic' && diagnostics.length < MAX_KEPT_DIAGNOSTICS) diagnostics.push(item.diagnostic);
      if (opts.onItem) opts.onItem(item);
      else if (item.kind === 'event') events.push(item.event);
    },
    {
      settle: true,
      ...opts,
      filter: { keys: opts.keys, since: opts.since, until: opts.until, pathPrefix: opts.pathPrefix, all: opts.all },
    },
  );
  let bytes = 0;
  const onLine = (l: Line): void => analyzer.pushLine(l);
  const onDiag = (d: Diagnostic): void => analyzer.diagnose(d);
  for (const g of groups) {
    for (const file of g) {
      try {
        bytes += await readLines(file, onLine, onDiag, { signal: opts.signal });
      } catch (err) {
        analyzer.diagnose({ kind: 'unreadable-input', message: `${file}: ${describeFsError(err)}` });
      }
      analyzer.endFile();
      if (opts.signal?.aborted) break;
    }
    analyzer.endInput();
  }
  analyzer.finish();
  return {
    events,
    diagnostics,
    diagnosticCounts: { ...analyzer.counts },
    lostEvents: analyzer.lostEvents,
    records: analyzer.records,
    eventsSeen: analyzer.events,
    bytes,
  };
}
