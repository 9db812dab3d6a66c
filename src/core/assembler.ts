import { eventKey, itemsOf, sameRecord } from './record';
import type { AuditRecord, Diagnostic } from './types';

/** The records of one event, in arrival order (EOE excluded). */
export interface RawEvent {
  key: string;
  node: string | null;
  time: number;
  serial: number;
  records: AuditRecord[];
}

export interface AssemblerOptions {
  /** Close an event once this many records of other events have arrived after its last record. */
  windowRecords?: number;
  /** …or once log time has moved this far past the event's time. */
  windowMs?: number;
  /** Hard cap on events held open at once (oldest are closed first). */
  maxInflight?: number;
  /**
   * A record of a recently closed event arrived late (not a duplicate). With this set it is added to the event and
   * the event is handed over again (live views update it); without it the record is reported as a late record.
   */
  onLate?: (e: RawEvent) => void;
}

interface Pending extends RawEvent {
  lastSeq: number;
  /** The SYSCALL (or URINGOP) record's `items=`: how many PATH records the event has; -1 until known. */
  items: number;
  paths: number;
  proctitle: boolean;
  /** io_uring events have no PROCTITLE: complete once every PATH item is in. */
  uring: boolean;
  /** A user-space message (USER_*, CRED_*, DAEMON_*, …): one record, complete as it comes. */
  single: boolean;
}

const SERIAL_SPACE = 2 ** 32;
/** A forward jump larger than this is a new run (another boot or an unrelated file), not a loss. */
const MAX_GAP = 1_000_000;
const RECENT_CLOSED = 128;

/**
 * Groups records into events by (node, time, serial). auditd writes no EOE to its log, so an event closes when
 * records of later events have gone past a bounded window; an EOE closes it at once. Also watches serial
 * continuity per node and reports gaps (possible lost events) as diagnostics.
 */
export class EventAssembler {
  private readonly inflight = new Map<string, Pending>();
  private readonly recentClosed = new Map<string, AuditRecord[]>();
  /** The event the previous record went to: consecutive records of one event skip the map lookup. */
  private last: Pending | null = null;
  private seq = 0;
  /** Newest log time seen per node: clocks of different machines are not compared. */
  private readonly maxTime = new Map<string | null, number>();
  private readonly windowRecords: number;
  private readonly windowMs: number;
  private readonly maxInflight: number;
  private readonly runs = new Map<string, SerialRun>();
  /** Serials reported missing so far (possible lost events). */
  lostEvents = 0;

  private readonly onLate: AssemblerOptions['onLate'];

  constructor(
    private readonly onEvent: (e: RawEvent) => void,
    private readonly onDiagnostic: (d: Diagnostic) => void,
    opts: AssemblerOptions = {},
  ) {
    this.onLate = opts.onLate;
    // Records of concurrent events interleave: under load a PATH record was seen 450 lines after its SYSCALL
    // record. Complete events close at once (see complete()), so the window only holds back the few that are not.
    this.windowRecords = opts.windowRecords ?? 4096;
    this.windowMs = opts.windowMs ?? 3000;
    this.maxInflight = opts.maxInflight ?? 10_000;
  }

  /** Adds one record; may close (emit) older events. */
  push(r: AuditRecord): void {
    this.seq++;
    if (r.time > (this.maxTime.get(r.node) ?? 0)) this.maxTime.set(r.node, r.time);
    const last = this.last;
    if (last !== null && last.serial === r.serial && last.time === r.time && last.node === r.node && r.type !== 'EOE') {
      if (this.append(last, r)) this.close(last);
      return;
    }
    const key = eventKey(r);
    if (r.type === 'EOE') {
      const p = this.inflight.get(key);
      if (p) this.close(p);
      return;
    }
    const p = this.inflight.get(key);
    if (p) {
      this.last = p;
      if (this.append(p, r)) this.close(p);
      return;
    }
    const closed = this.recentClosed.get(key);
    if (closed) {
      const dup = r.type !== 'CONFIG_CHANGE' && closed.some((x) => sameRecord(x, r));
      if (!dup && this.onLate) {
        closed.push(r);
        this.onLate({ key, node: r.node, time: r.time, serial: r.serial, records: closed });
        return;
      }
      this.onDiagnostic(
        dup
          ? { kind: 'duplicate-record', message: `duplicate ${r.type} record of event ${r.serial}`, source: r.source }
          : { kind: 'late-record', message: `${r.type} record of event ${r.serial} arrived after the event was closed`, source: r.source },
      );
      return;
    }
    if (!r.type.startsWith('DAEMON_')) this.trackSerial(r.node, r.time, r.serial, r);
    const np: Pending = { key, node: r.node, time: r.time, serial: r.serial, records: [r], lastSeq: this.seq, items: -1, paths: 0, proctitle: false, uring: false, single: isUserMessage(r.type) };
    note(np, r);
    this.inflight.set(key, np);
    this.last = np;
    // Expiry is checked when an event starts.
    this.closeExpired(key);
    if (complete(np) && this.inflight.get(key) === np) this.close(np);
  }

  /** Adds a record to an open event; true when that made the event complete. */
  private append(p: Pending, r: AuditRecord): boolean {
    const recs = p.records;
    // The kernel writes one identical CONFIG_CHANGE op=remove_rule per rule it drops (b64 and b32 rules of one
    // watch) under one serial: those are rules, not duplicates.
    if (r.type !== 'CONFIG_CHANGE') {
      for (let i = 0; i < recs.length; i++) {
        if (recs[i].type === r.type && sameRecord(recs[i], r)) {
          this.onDiagnostic({ kind: 'duplicate-record', message: `duplicate ${r.type} record of event ${r.serial}`, source: r.source });
          return false;
        }
      }
    }
    recs.push(r);
    p.lastSeq = this.seq;
    return note(p, r);
  }

  /** Closes every open event (end of input). */
  flush(): void {
    for (const p of [...this.inflight.values()]) this.close(p);
    for (const run of this.runs.values()) this.reportMissing(run, Infinity);
    this.runs.clear();
  }

  /**
   * Closes every open event without ending serial runs: for a live tail that has gone quiet (auditd writes an
   * event's records together, so after a pause nothing more of them is coming).
   */
  closeAll(): void {
    for (const p of [...this.inflight.values()]) this.close(p);
  }

  /**
   * Notes an event that the caller skipped without building its records (a key-filtered run): its serial still
   * counts for lost-event detection.
   */
  noteSkipped(node: string | null, time: number, serial: number, type: string, file: string, line: number, offset: number): void {
    if (type.startsWith('DAEMON_') || type === 'EOE') return;
    this.trackSerial(node, time, serial, null, file, line, offset);
  }

  /** Keys of the events open now. */
  openKeys(): string[] {
    return [...this.inflight.keys()];
  }

  /** Whether the event with this key is still open. */
  isOpen(key: string): boolean {
    return this.inflight.has(key);
  }

  /** Calls `fn` on every record still held (open events and recently closed ones). */
  forEachHeldRecord(fn: (r: AuditRecord) => void): void {
    for (const p of this.inflight.values()) for (const r of p.records) fn(r);
    for (const recs of this.recentClosed.values()) for (const r of recs) fn(r);
  }

  /** Forgets the newest times seen (a new file starts: its clock is not compared with the last one's). */
  resetClock(): void {
    this.maxTime.clear();
  }

  /** Ends the current contiguous run of serials (a new input file that is not a continuation). */
  resetRuns(): void {
    for (const run of this.runs.values()) this.reportMissing(run, Infinity);
    this.runs.clear();
  }

  /**
   * Closes events from the oldest on once the window has passed them. (Complete events close the moment they are,
   * so an event that never completes, such as one whose first records were rotated away, holds nothing else back.)
   */
  private closeExpired(currentKey: string): void {
    for (const p of this.inflight.values()) {
      if (p.key === currentKey && this.inflight.size <= this.maxInflight) break;
      const old = this.seq - p.lastSeq >= this.windowRecords || (this.maxTime.get(p.node) ?? 0) - p.time > this.windowMs;
      if (!old && this.inflight.size <= this.maxInflight) break;
      this.close(p);
    }
  }

  private close(p: Pending): void {
    this.inflight.delete(p.key);
    if (this.last === p) this.last = null;
    this.recentClosed.set(p.key, p.records);
    if (this.recentClosed.size > RECENT_CLOSED) this.recentClosed.delete(this.recentClosed.keys().next().value!);
    this.onEvent({ key: p.key, node: p.node, time: p.time, serial: p.serial, records: p.records });
  }

  /** Serial continuity per node; the source (a record, or file/line/offset) is only made into an object when kept. */
  private trackSerial(node: string | null, time: number, serial: number, rec: AuditRecord | null, file = '', line = 0, offset = 0): void {
    const nodeKey = node ?? '';
    let run = this.runs.get(nodeKey);
    if (!run) {
      this.runs.set(nodeKey, { node: node, last: serial, lastTime: time, missing: new Map(), source: srcOf(rec, file, line, offset) });
      return;
    }
    const delta = (serial - run.last + SERIAL_SPACE) % SERIAL_SPACE;
    if (delta === 0) return;
    if (delta < SERIAL_SPACE / 2) {
      if (delta > MAX_GAP || time + 60_000 < run.lastTime) {
        // Serials jumped far ahead, or time went back a minute: a reboot or another log, not a loss.
        this.reportMissing(run, Infinity);
        this.runs.set(nodeKey, { node: node, last: serial, lastTime: time, missing: new Map(), source: srcOf(rec, file, line, offset) });
        return;
      }
      if (delta > 1) {
        for (let s = 1; s < delta && run.missing.size < 100_000; s++) run.missing.set((run.last + s) % SERIAL_SPACE, this.seq);
        if (delta - 1 > 100_000) run.bulkMissing = (run.bulkMissing ?? 0) + (delta - 1 - 100_000);
        run.source = srcOf(rec, file, line, offset);
      }
      run.last = serial;
      run.lastTime = time;
    } else {
      // Backwards: an out-of-order record fills a gap, or a restart (reboot, another file) begins a new run.
      if (run.missing.delete(serial)) return;
      const back = SERIAL_SPACE - delta;
      if (back > this.windowRecords * 4 && time < run.lastTime) {
        this.reportMissing(run, Infinity);
        this.runs.set(nodeKey, { node: node, last: serial, lastTime: time, missing: new Map(), source: srcOf(rec, file, line, offset) });
      }
    }
    this.reportMissing(run, this.seq - this.windowRecords * 4);
  }

  private reportMissing(run: SerialRun, beforeSeq: number): void {
    let n = run.bulkMissing ?? 0;
    let first: number | null = null;
    for (const [serial, seq] of run.missing) {
      if (seq > beforeSeq) break;
      if (first === null) first = serial;
      run.missing.delete(serial);
      n++;
    }
    run.bulkMissing = 0;
    if (n === 0) return;
    this.lostEvents += n;
    this.onDiagnostic({
      kind: 'lost-events',
      message: `${n} serial${n === 1 ? '' : 's'} missing${first !== null ? ` from ${first}` : ''}${run.node ? ` on node ${run.node}` : ''}: possible lost events (backlog overflow or rotated-away records)`,
      count: n,
      node: run.node,
      source: run.source,
    });
  }
}

/**
 * Counts what a syscall event has received; true when the record made it complete. The kernel writes a syscall
 * event as SYSCALL, its auxiliary records, one PATH per `items=`, then PROCTITLE (and EOE, which auditd's log lacks),
 * so once all of those are in, nothing more of it is coming. Records can arrive in any order (reordered logs).
 */
function note(p: Pending, r: AuditRecord): boolean {
  const was = complete(p);
  switch (r.type) {
    case 'SYSCALL':
      if (p.items < 0) p.items = itemsOf(r);
      break;
    case 'URINGOP':
      if (p.items < 0) p.items = itemsOf(r);
      p.uring = true;
      break;
    case 'PATH':
      p.paths++;
      break;
    case 'PROCTITLE':
      p.proctitle = true;
      break;
    default:
      return false;
  }
  return !was && complete(p);
}

function complete(p: Pending): boolean {
  return p.single || ((p.proctitle || p.uring) && p.items >= 0 && p.paths >= p.items);
}

/**
 * Record types that user-space programs send through auditd (PAM, sudo, systemd, auditd itself): each is an event of
 * its own, one record, never followed by a SYSCALL. (LOGIN is the kernel's, and comes with the write's SYSCALL.)
 */
function isUserMessage(type: string): boolean {
  return type.startsWith('USER') || type.startsWith('CRED_') || type.startsWith('DAEMON_') || type.startsWith('SERVICE_') || type.startsWith('SYSTEM_') || type.startsWith('ANOM_LOGIN') || type.startsWith('ACCT_');
}

/** A record's source, made only when a run starts or a gap is found (not per record). */
function srcOf(rec: AuditRecord | null, file: string, line: number, offset: number): AuditRecord['source'] {
  return rec !== null ? rec.source : { file, line, offset };
}

interface SerialRun {
  node: string | null;
  last: number;
  lastTime: number;
  /** serial → record sequence number when it was found missing. */
  missing: Map<number, number>;
  bulkMissing?: number;
  source: AuditRecord['source'];
}
