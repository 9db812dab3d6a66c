import { promises as fsp } from 'node:fs';
import { EventAssembler, type AssemblerOptions, type RawEvent } from './assembler';
import { interpret, learnFrom, type InterpretContext } from './interpret';
import { describeFsError, expandInputs, readLines, type Line } from './lines';
import { encodeNameText } from './names';
import { PathIndex } from './pathIndex';
import { isAscii, isUtf8 } from 'node:buffer';
import { eventId, LazyRecord, newHeader, parseHeaderBytes, parseRecordBytes } from './record';
import type { AuditEvent, AuditRecord, Diagnostic, DiagnosticKind, SnapshotEntry, SourceRef, StreamItem } from './types';

/** Which events to report. Keys and times select records cheaply before any field is split. */
export interface EventFilter {
  /** Match when any record of the event carries one of these keys. */
  keys?: string[];
  /** Epoch milliseconds, inclusive. */
  since?: number;
  /** Epoch milliseconds, inclusive. */
  until?: number;
  /** Match when an object's path (or the path the process used) is this folder or below it (plain text, not encoded). */
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

/** A skipped line remembered for a moment (see Analyzer.findWanted). */
interface TailLine {
  buf: Buffer | null;
  start: number;
  end: number;
  file: string;
  line: number;
  offset: number;
  serial: number;
  time: number;
  node: string | null;
}

interface Held {
  event: AuditEvent;
  pending: number;
  wanted: boolean;
  emitted: boolean;
}

const MAX_KEPT_DIAGNOSTICS = 1000;
/** Slots of the skipped-lines tail's serial counter (a power of two). */
const TAIL_SLOTS = 1024;
/** Lines the head of a split reads past its boundary at most (see SplitPart). */
const HEAD_READ_ON = 65_536;

/** Only spaces and tabs: an empty line, not a malformed one. */
function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 32 && buf[i] !== 9) return false;
  return true;
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
  private readonly held: (Held | null)[] = [];
  private readonly heldById = new Map<string, Held>();
  private heldStart = 0;
  private readonly keyNeedleBytes: Buffer[] | null;
  private readonly header = newHeader();
  private readonly wantedIds = new Map<number, { time: number; node: string | null }[]>();
  private readonly wantedRing = new Float64Array(8192).fill(-1);
  private wantedNext = 0;
  /** How many lines of `tail` have a serial in each slot (serial & TAIL_SLOTS-1): the tail is searched only when one may be there. */
  private readonly tailSlots = new Uint16Array(TAIL_SLOTS);
  /** The read buffer whose key hits were found last, and whether it is all ASCII (no per-line UTF-8 check needed). */
  private scannedBuf: Buffer | null = null;
  private scannedAscii = true;
  /** The buffer the last skipped line came from: within one buffer, an event skipped once stays skipped. */
  private skipBuf: Buffer | null = null;
  private readonly hitHeader = newHeader();
  private skipSerial = -1;
  private skipTime = -1;
  private skipNode: string | null = null;
  private readonly tail: TailLine[] = Array.from({ length: 256 }, () => ({ buf: null, start: 0, end: 0, file: '', line: 0, offset: 0, serial: 0, time: 0, node: null }));
  private tailNext = 0;
  private readonly keyHits = new WeakMap<Buffer, number[]>();
  private readonly asciiChunks = new WeakMap<Buffer, boolean>();
  private lastTime = 0;
  private current: Held | null = null;
  private currentId = '';
  private readonly recentEmitted = new Set<string>();

  constructor(
    private readonly onItem: (item: StreamItem) => void,
    opts: AnalyzerOptions = {},
  ) {
    const f = opts.filter ?? {};
    // Paths in events are encoded (a real backslash doubled): the prefix, typed as text, is encoded the same way.
    this.filter = f.pathPrefix ? { ...f, pathPrefix: encodeNameText(Buffer.from(f.pathPrefix, 'utf8')) } : f;
    this.settle = opts.settle ?? false;
    this.holdMs = opts.holdMs ?? 120_000;
    // Live views keep fewer events waiting: each holds an emitted event that may still get a better path.
    this.maxHold = opts.maxHold ?? (this.settle ? 50_000 : 10_000);
    this.keyNeedles = this.filter.keys?.length
      ? this.filter.keys.flatMap((k) => [`"${k}"`, Buffer.from(k, 'utf8').toString('hex').toUpperCase()])
      : null;
    this.keyNeedleBytes = this.keyNeedles?.map((n) => Buffer.from(n, 'latin1')) ?? null;
    // Live views can take a better version of an event they already show; a settled run has printed it already.
    this.assembler = new EventAssembler((e) => this.onRawEvent(e), (d) => this.diagnose(d), { ...opts, onLate: this.settle ? undefined : (e) => this.onLateEvent(e) });
    this.ctx = {
      index: new PathIndex(opts.snapshot ?? [], undefined, this.maxHold),
      procs: new Map(),
      onWait: (event) => {
        const h = this.heldOf(event.id);
        if (h) h.pending++;
      },
      onResolved: (event) => this.onResolved(event),
    };
  }

  /** Adds inode snapshot entries while running (a watched folder recreated, a new watch added to a live tail). */
  addSnapshot(entries: readonly SnapshotEntry[]): void {
    this.ctx.index.addSnapshot(entries);
  }

  /** Lost-event serials seen so far. */
  get lostEvents(): number {
    return this.assembler.lostEvents;
  }

  /** Feeds one line of log text (latin1: one char per byte). */
  pushLine(line: Line): void {
    const buf = Buffer.from(line.text, 'latin1');
    const s = line.source;
    this.accept(parseRecordBytes(buf, 0, buf.length, s.file, s.line, s.offset, line.truncated, line.text), buf, 0, buf.length, s, line.truncated);
  }

  /** Feeds one line as a byte range of a read buffer (the fast path: no string is made unless the record is read). */
  pushBytes(buf: Buffer, start: number, end: number, file: string, line: number, offset: number, truncated: boolean): void {
    if (this.keyNeedleBytes === null || truncated) {
      this.accept(parseRecordBytes(buf, start, end, file, line, offset, truncated), buf, start, end, null, truncated, file, line, offset);
      return;
    }
    // Key-filtered run: the events that carry a wanted key are found per read buffer with indexOf; records of
    // other events are only counted (and their serials tracked), never built. This runs for every line of the log:
    // nothing here allocates, and the records of one skipped event after the first cost a header parse.
    if (buf !== this.scannedBuf) {
      this.findWanted(buf);
      this.scannedBuf = buf;
      this.scannedAscii = this.isAsciiChunk(buf);
    }
    const h = this.header;
    if (!parseHeaderBytes(buf, start, end, h)) {
      this.accept(null, buf, start, end, null, truncated, file, line, offset);
      return;
    }
    const same = h.serial === this.skipSerial && h.time === this.skipTime && h.node === this.skipNode;
    // Wantedness changes only when a new buffer's key hits are found: within one buffer, the same event is skipped.
    if (!(same && this.skipBuf === buf) && this.isWanted(h.node, h.time, h.serial)) {
      this.accept(parseRecordBytes(buf, start, end, file, line, offset, truncated), buf, start, end, null, truncated, file, line, offset);
      return;
    }
    this.skipBuf = buf;
    this.records++;
    if (!this.scannedAscii) this.checkUtf8(buf, start, end, { file, line, offset });
    if (!same) {
      this.skipSerial = h.serial;
      this.skipTime = h.time;
      this.skipNode = h.node;
      this.events++;
      this.assembler.noteSkipped(h.node, h.time, h.serial, h.type, file, line, offset);
    }
    // Kept briefly: an event whose key-bearing record comes in the next read buffer gets these back.
    const t = this.tail[this.tailNext];
    if (t.buf !== null) this.untail(t);
    this.tailSlots[h.serial & (TAIL_SLOTS - 1)]++;
    t.buf = buf;
    t.start = start;
    t.end = end;
    t.file = file;
    t.line = line;
    t.offset = offset;
    t.serial = h.serial;
    t.time = h.time;
    t.node = h.node;
    this.tailNext = (this.tailNext + 1) % this.tail.length;
  }

  private isWanted(node: string | null, time: number, serial: number): boolean {
    const list = this.wantedIds.get(serial);
    return list !== undefined && list.some((w) => w.time === time && w.node === node);
  }

  /** Finds, once per read buffer, the events whose records carry a key spelling, and marks them wanted. */
  private findWanted(buf: Buffer): void {
    if (this.keyHits.has(buf)) return;
    const hits = this.hitsIn(buf);
    const h = this.hitHeader;
    let lastLine = -1;
    for (const hit of hits) {
      const ls = buf.lastIndexOf(10, hit) + 1;
      if (ls === lastLine) continue;
      // A spelling of the key elsewhere (inside a hex proctitle, a file name) does not make the event wanted.
      if (!this.isKeyField(buf, ls, hit)) continue;
      lastLine = ls;
      const nl = buf.indexOf(10, hit);
      if (!parseHeaderBytes(buf, ls, nl < 0 ? buf.length : nl, h) || this.isWanted(h.node, h.time, h.serial)) continue;
      let list = this.wantedIds.get(h.serial);
      if (!list) this.wantedIds.set(h.serial, (list = []));
      list.push({ time: h.time, node: h.node });
      // Bounded: the oldest wanted serial is forgotten (a ring, not an array shift).
      const old = this.wantedRing[this.wantedNext];
      if (old >= 0) this.wantedIds.delete(old);
      this.wantedRing[this.wantedNext] = h.serial;
      this.wantedNext = (this.wantedNext + 1) % this.wantedRing.length;
      // Records of this event already skipped at the end of the previous buffer come back now.
      if (this.tailSlots[h.serial & (TAIL_SLOTS - 1)] === 0) continue;
      for (let k = 0; k < this.tail.length; k++) {
        const t = this.tail[(this.tailNext + k) % this.tail.length];
        if (t.buf === null || t.serial !== h.serial || t.time !== h.time || t.node !== h.node) continue;
        const rec = parseRecordBytes(t.buf, t.start, t.end, t.file, t.line, t.offset);
        this.untail(t);
        if (rec) this.assembler.push(rec);
      }
    }
  }

  /**
   * Whether a key spelling found at `hit` is (part of) the record's `key=` field: right after `key=` when quoted;
   * for hex (several keys joined by \x01), a byte-aligned run inside the field with \x01 or the field's ends around it.
   */
  private isKeyField(buf: Buffer, lineStart: number, hit: number): boolean {
    let t = hit;
    while (t > lineStart && buf[t - 1] !== 32 && buf[t - 1] !== 61) t--;
    if (t - 4 < lineStart || buf[t - 1] !== 61 || buf[t - 2] !== 121 || buf[t - 3] !== 101 || buf[t - 4] !== 107) return false;
    if (t - 5 >= lineStart && buf[t - 5] !== 32 && buf[t - 5] !== 39) return false;
    if (buf[hit] === 34) return hit === t;
    const off = hit - t;
    if (off % 2 !== 0) return false;
    if (off > 0 && !(buf[hit - 2] === 48 && buf[hit - 1] === 49)) return false;
    let end = hit;
    while (end < buf.length && ((buf[end] >= 48 && buf[end] <= 57) || (buf[end] >= 65 && buf[end] <= 70))) end++;
    const needleEnd = hit + this.hexNeedleLen(buf, hit);
    return needleEnd === end || (buf[needleEnd] === 48 && buf[needleEnd + 1] === 49);
  }

  /** Length of the hex needle that matched at `hit`. */
  private hexNeedleLen(buf: Buffer, hit: number): number {
    for (const n of this.keyNeedleBytes!) {
      if (n[0] !== 34 && buf.compare(n, 0, n.length, hit, hit + n.length) === 0) return n.length;
    }
    return 0;
  }

  private untail(t: TailLine): void {
    t.buf = null;
    this.tailSlots[t.serial & (TAIL_SLOTS - 1)]--;
  }

  private accept(
    rec: AuditRecord | null,
    buf: Buffer,
    start: number,
    end: number,
    src: SourceRef | null,
    truncated: boolean,
    file = '',
    line = 0,
    offset = 0,
  ): void {
    // SourceRefs are made only for diagnostics: most lines never need one (no closure per line either).
    if (truncated) this.diagnose({ kind: 'truncated-line', message: 'the input ends in the middle of a line', source: src ?? { file, line, offset } });
    if (!rec) {
      if (isBlank(buf, start, end)) return;
      this.diagnose({ kind: 'malformed-line', message: 'not an audit record: ' + preview(buf.toString('latin1', start, Math.min(end, start + 61))), source: src ?? { file, line, offset } });
      return;
    }
    this.records++;
    if (!this.isAsciiChunk(buf)) this.checkUtf8(buf, start, end, src ?? { file, line, offset });
    if (rec.time > this.lastTime) this.lastTime = rec.time;
    this.assembler.push(rec);
  }

  /** A read buffer is about to be reused: records still held copy their line out of it. */
  releaseBuffer(buf: Buffer): void {
    this.assembler.forEachHeldRecord((r) => {
      if (r instanceof LazyRecord && r.buf === buf) r.detach();
    });
    this.asciiChunks.delete(buf);
    this.keyHits.delete(buf);
    if (this.scannedBuf === buf) this.scannedBuf = null;
    if (this.skipBuf === buf) this.skipBuf = null;
    for (const t of this.tail) if (t.buf === buf) this.untail(t);
  }

  /** Real records are ASCII before the ENRICHED part (the kernel hex-encodes anything else); other bytes are damage. */
  private checkUtf8(buf: Buffer, start: number, end: number, source: SourceRef): void {
    const line = buf.subarray(start, end);
    if (!isAscii(line) && !isUtf8(line)) {
      this.diagnose({ kind: 'invalid-utf8', message: 'bytes that are not UTF-8 in a record (shown as \\xNN)', source });
    }
  }

  private isAsciiChunk(buf: Buffer): boolean {
    let v = this.asciiChunks.get(buf);
    if (v === undefined) this.asciiChunks.set(buf, (v = isAscii(buf)));
    return v;
  }

  /** Whether any record of the event carries one of the wanted keys' spellings (checked on bytes when possible). */
  private mayHaveKey(raw: RawEvent): boolean {
    const needles = this.keyNeedles!;
    for (const r of raw.records) {
      if (r instanceof LazyRecord && r.buf) {
        const hits = this.hitsIn(r.buf);
        let lo = 0;
        let hi = hits.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (hits[mid] < r.start) lo = mid + 1;
          else hi = mid;
        }
        if (lo < hits.length && hits[lo] < r.end) return true;
      } else if (needles.some((n) => r.raw.includes(n))) return true;
    }
    return false;
  }

  /** Where the key spellings occur in one read buffer: found once per buffer with memmem-speed indexOf. */
  private hitsIn(buf: Buffer): number[] {
    let hits = this.keyHits.get(buf);
    if (!hits) {
      hits = [];
      for (const n of this.keyNeedleBytes!) {
        for (let i = buf.indexOf(n); i >= 0; i = buf.indexOf(n, i + 1)) hits.push(i);
      }
      hits.sort((a, b) => a - b);
      this.keyHits.set(buf, hits);
    }
    return hits;
  }

  /**
   * Marks the end of one file. Open events stay open: auditd checks the log size after each record and rotates
   * there, so one event can start in audit.log.1 and end in audit.log; the assembler's window closes them once later
   * records have gone by. The next file's clock starts afresh, so files given out of order do not close each other's
   * events early.
   */
  endFile(): void {
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
    if (this.muted) return;
    this.counts[d.kind] += d.kind === 'lost-events' ? (d.count ?? 1) : 1;
    this.onItem({ kind: 'diagnostic', diagnostic: d });
  }

  // Splitting one log between two threads (see src/core/parallel.ts). Both read from the start of the input: the
  // head reports everything before the boundary, the tail everything after it, and each only learns from the other
  // side's events, in the same order as one reader would, so every path comes out as it would from one thread.
  private learnOnly = false;
  private muted = false;
  /** Head side, past the boundary: the events that were open at the boundary (still the head's to report). */
  private owned: Set<string> | null = null;
  /** Tail side: the events open at the boundary (the head reports them). */
  private foreign: Set<string> | null = null;

  /** Tail side, from the start: learn from every event, report nothing (the head reports this part). */
  startAsTail(): void {
    this.learnOnly = true;
    this.muted = true;
  }

  /** Tail side, at the boundary: from here on report, except the events already open (the head's). */
  reachBoundaryAsTail(): void {
    this.foreign = new Set(this.assembler.openKeys());
    this.learnOnly = false;
    this.muted = false;
  }

  /** Head side, at the boundary: report only the events open now and those already held; learn from the rest. */
  reachBoundaryAsHead(): void {
    this.owned = new Set(this.assembler.openKeys());
    this.learnOnly = true;
    this.muted = true;
  }

  /** Head side past the boundary: true once nothing of the head's is open or held back, so reading can stop. */
  headDone(): boolean {
    if (this.heldStart < this.held.length) return false;
    if (this.owned === null) return true;
    for (const k of this.owned) if (!this.assembler.isOpen(k)) this.owned.delete(k);
    return this.owned.size === 0;
  }

  private onRawEvent(raw: RawEvent): void {
    this.events++;
    // A folder not named within the hold time will not be: let its waiters (and their events) go.
    if ((this.events & 1023) === 0) {
      this.ctx.index.expire(this.lastTime - this.holdMs);
      if (!this.settle) this.pruneLive();
    }
    const f = this.filter;
    if (this.keyNeedles && !this.mayHaveKey(raw)) return;
    // Only events with PATH items or rule changes can teach paths or be deletions; skip the rest unless asked.
    if (!f.all && !raw.records.some((r) => r.type === 'PATH' || r.type === 'CONFIG_CHANGE')) return;
    if (this.learnOnly ? !this.owned?.has(raw.key) : this.foreign?.has(raw.key)) {
      learnFrom(raw, this.ctx);
      return;
    }
    const h = this.interpretHeld(raw, false);
    const { event } = h;
    const id = event.id;
    if (!this.settle) {
      if (h.wanted && (!f.pathPrefix || matchesPath(event, f.pathPrefix))) {
        h.emitted = true;
        this.onItem({ kind: 'event', event });
        this.noteEmitted(id);
      }
      return;
    }
    if (!h.wanted && h.pending === 0) return;
    if (h.pending === 0 && this.heldStart === this.held.length) {
      // Nothing is waiting ahead of it: out it goes, in order, without queueing.
      if (!f.pathPrefix || matchesPath(event, f.pathPrefix)) this.onItem({ kind: 'event', event });
      return;
    }
    // Thousands may wait here (a run filtered by key holds the events behind one waiting up to holdMs): arrays grown
    // by push keep room for 16 items, exact copies a fraction of that.
    trimArrays(event);
    this.held.push(h);
    this.release(false);
  }

  /**
   * Live mode emits events at once and keeps the ones still waiting for a path, to send updates. Their waiters may
   * expire or be dropped without a word, so the map is aged out by log time and bounded in size here.
   */
  private pruneLive(): void {
    const cutoff = this.lastTime - this.holdMs;
    let excess = this.heldById.size - this.maxHold;
    for (const [id, h] of this.heldById) {
      if (excess <= 0 && h.event.timeMs >= cutoff) break;
      this.heldById.delete(id);
      excess--;
    }
  }

  private wanted(e: AuditEvent): boolean {
    const f = this.filter;
    if (f.keys?.length && !f.keys.some((k) => e.keys.includes(k))) return false;
    if (f.since !== undefined && e.timeMs < f.since) return false;
    if (f.until !== undefined && e.timeMs > f.until) return false;
    return f.all === true || isDefaultInteresting(e);
  }

  /**
   * Interprets an event as held: the event being interpreted is found without the map (its waiters may be created,
   * and even resolved, before interpretation returns); only events still waiting afterwards go into the map.
   */
  private interpretHeld(raw: RawEvent, emitted: boolean): Held {
    const h: Held = { event: null as unknown as AuditEvent, pending: 0, wanted: false, emitted };
    const id = eventId(raw.node, raw.time, raw.serial);
    this.current = h;
    this.currentId = id;
    h.event = interpret(raw, this.ctx, id);
    this.current = null;
    this.currentId = '';
    if (!emitted) h.wanted = this.wanted(h.event);
    if (h.pending > 0) this.heldById.set(id, h);
    return h;
  }

  /** Live mode: a record came after its event was closed; the event is interpreted again and sent as an update. */
  private onLateEvent(raw: RawEvent): void {
    const f = this.filter;
    if (this.keyNeedles && !this.mayHaveKey(raw)) return;
    const { event } = this.interpretHeld(raw, true);
    const id = event.id;
    if (!this.wanted(event) || (f.pathPrefix && !matchesPath(event, f.pathPrefix))) return;
    // An event first skipped (its PATH records had not come yet) is new to the consumer.
    this.onItem({ kind: this.recentEmitted.has(id) ? 'update' : 'event', event });
    this.noteEmitted(id);
  }

  /** Live mode remembers the last events it emitted, so a late record makes an `update`, not a second `event`. */
  private noteEmitted(id: string): void {
    if (this.settle) return;
    this.recentEmitted.add(id);
    if (this.recentEmitted.size > 512) this.recentEmitted.delete(this.recentEmitted.values().next().value!);
  }

  /** The hold record of an event: the one being interpreted, or one still waiting for a path. */
  private heldOf(id: string): Held | undefined {
    return id === this.currentId ? (this.current ?? undefined) : this.heldById.get(id);
  }

  private onResolved(event: AuditEvent): void {
    const h = this.heldOf(event.id);
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
      const h = this.held[this.heldStart]!;
      const size = this.held.length - this.heldStart;
      if (!all && h.pending > 0 && size <= this.maxHold && this.lastTime - h.event.timeMs <= this.holdMs) break;
      // Drop the slot's reference at once: a released event must not live on (and be promoted) until the splice.
      this.held[this.heldStart++] = null;
      this.heldById.delete(h.event.id);
      if (h.wanted && (!f.pathPrefix || matchesPath(h.event, f.pathPrefix))) this.onItem({ kind: 'event', event: h.event });
    }
    if (this.heldStart > 1024 && this.heldStart * 2 > this.held.length) {
      this.held.splice(0, this.heldStart);
      this.heldStart = 0;
    }
  }
}

/** Replaces an event's push-grown arrays by exact-size copies (no one else holds them yet). */
function trimArrays(e: AuditEvent): void {
  e.records = e.records.slice();
  e.recordTypes = e.recordTypes.slice();
  e.keys = e.keys.slice();
  e.objects = e.objects.slice();
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
  /** Report only one side of a boundary (two threads sharing one log; see src/core/parallel.ts). */
  part?: SplitPart;
  /** Holds reading back while it returns a pending promise (the consumer's output is full; see readLines). */
  throttle?: () => Promise<void> | undefined;
}

/** A place in the inputs: the index of a file in their flattened list, and a line's byte offset in it. */
export interface Boundary {
  file: number;
  offset: number;
}

/**
 * One side of a split. `head` reports the events that start before the boundary (reading on past it only until
 * they are done); `tail` reads from the start too, learning only, and reports the events that start after it.
 */
export interface SplitPart {
  boundary: Boundary;
  side: 'head' | 'tail';
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
        const st = await fsp.stat(file);
        // open() succeeds on a directory (an audit.log that is a folder inside a log directory): read() would not.
        if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        // A pipe (`<(zcat audit.log.1.gz)`, a FIFO) is opened once, when it is read: opening it here to check would
        // block until a writer comes, and closing it would leave the writer with nobody to read.
        if (st.isFile()) await (await fsp.open(file, 'r')).close();
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
  const part = opts.part;
  // What was counted before the boundary: the head reports that much, the tail the rest.
  let atBoundary: { records: number; events: number; bytes: number } | null = null;
  const stop = new AbortController();
  let pastBoundary = 0;
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const flip = (offset: number): void => {
    atBoundary = { records: analyzer.records, events: analyzer.events, bytes: bytes + offset };
    if (part!.side === 'head') analyzer.reachBoundaryAsHead();
    else analyzer.reachBoundaryAsTail();
  };
  if (part?.side === 'tail') analyzer.startAsTail();
  let fileIndex = -1;
  outer: for (const g of groups) {
    for (const file of g) {
      fileIndex++;
      if (part && atBoundary === null && fileIndex > part.boundary.file) flip(0);
      let lines = 0;
      const watchBoundary = part !== undefined && atBoundary === null && fileIndex === part.boundary.file;
      const onBytes =
        part === undefined
          ? (buf: Buffer, start: number, end: number, line: number, offset: number, truncated: boolean): void => analyzer.pushBytes(buf, start, end, file, line, offset, truncated)
          : (buf: Buffer, start: number, end: number, line: number, offset: number, truncated: boolean): void => {
              if (watchBoundary && atBoundary === null && offset >= part.boundary.offset) flip(offset);
              analyzer.pushBytes(buf, start, end, file, line, offset, truncated);
              // The head stops once what it owns past the boundary is out, or after a bounded read-on: events held
              // back for a folder's name that late are given out as they are (one reader would wait up to holdMs).
              if (part.side === 'head' && atBoundary !== null && (++lines & 255) === 0 && (analyzer.headDone() || ++pastBoundary > HEAD_READ_ON / 256)) stop.abort();
            };
      try {
        bytes += await readLines(file, onLine, onDiag, { signal, onBytes, beforeReuse: (b) => analyzer.releaseBuffer(b), throttle: opts.throttle });
      } catch (err) {
        analyzer.diagnose({ kind: 'unreadable-input', message: `${file}: ${describeFsError(err)}` });
      }
      analyzer.endFile();
      if (signal.aborted) break outer;
    }
    analyzer.endInput();
  }
  if (part && atBoundary === null) flip(0);
  analyzer.finish();
  const before = atBoundary as { records: number; events: number; bytes: number } | null;
  const share = (total: number, key: 'records' | 'events' | 'bytes'): number =>
    before === null ? total : part!.side === 'head' ? before[key] : total - before[key];
  return {
    events,
    diagnostics,
    diagnosticCounts: { ...analyzer.counts },
    lostEvents: analyzer.counts['lost-events'],
    records: share(analyzer.records, 'records'),
    eventsSeen: share(analyzer.events, 'events'),
    bytes: share(bytes, 'bytes'),
  };
}

