/**
 * Ground truth of recorded audit fixtures (test/fixtures/recorded/<case>/truth.json) and the check that compares
 * parser output with it. The truth is written by test/integration/recorder.ts from lstat/realpath taken before each
 * operation (and, for tools that fork or pick their own names, from an strace of that run), never from a parser, so
 * a mismatch here is a parser bug (or a recorder bug), not a matter of taste.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readSnapshot } from '../../src/core/snapshot';
import { encodeName } from '../../src/core/names';
import type { AuditEvent, AuditObject, Confidence, ObjectType, SnapshotEntry } from '../../src/core/types';

export type TruthRole = 'deleted' | 'source' | 'destination' | 'replaced';

/** A process field a parser cannot read from the log for this item (io_uring records carry no comm or exe). */
export type ProcessField = 'comm' | 'exe';

/** One object an operation touched (or tried to), as the file system showed it just before the operation. */
export interface TruthItem {
  /** Real path in the root mount namespace (symlinks in the parent chain resolved, bind mounts undone). */
  path: string;
  /** null when the object did not exist (ENOENT). For a mount point, the inode of the covered directory. */
  inode: number | string | null;
  /** Hex `major:minor` as audit writes it; null with inode. */
  dev: string | null;
  type: ObjectType | null;
  /** The event's action: `deleted` for unlink/rmdir, `renamed` for every object of a rename. */
  action: 'deleted' | 'renamed';
  role: TruthRole;
  success: boolean;
  /** errno name of a failed attempt (ENOENT, EACCES, EBUSY, EPERM), else null. */
  errno: string | null;
  /** The absolute path the process used when it differs from `path` (bind mount, symlink, other namespace, `..`). */
  seenAs: string | null;
  /** Syscall name as on x86_64, or null for io_uring operations (see uringOp). */
  syscall: string | null;
  /** The io_uring op name (`unlinkat`, `renameat`) when the operation went through io_uring. */
  uringOp?: string;
  /** The process comm (what the kernel writes as comm=; for io_uring the submitting program's name). */
  comm: string;
  /** Real path of the program that made the call (what the kernel writes as exe=). */
  exe: string;
  /** The pid (thread group id) that made the call; null only where the recorder could not know it (see note). */
  pid: number | null;
  /** Process fields the log does not carry for this item, so a parser cannot be asked for them. */
  notInLog?: ProcessField[];
  /**
   * false when neither the records nor the snapshot name this path (an io_uring rename to a new name, a rename
   * into a folder outside the snapshot through a dirfd): a parser can only say "uncertain" there.
   */
  pathKnowable?: boolean;
  /** Why this item is special, for people reading the fixture. */
  note?: string;
}

/**
 * Events a run legitimately reports that are not truth items (mv's failing RENAME_NOREPLACE probe): an event that
 * matches every given field is not a phantom. Each rule says why.
 */
export interface NoiseRule {
  comm: string;
  syscall: string;
  errno: string | null;
  reason: string;
}

/** The whole truth.json of one recorded case. */
export interface Truth {
  case: string;
  key: string;
  watched: string;
  /** Further folders watched with the same key (their snapshot entries are in snapshot.jsonl too). */
  alsoWatched?: string[];
  kernel: string;
  recordedAt: string;
  /**
   * The case's log files, oldest first, when the slice spans a real rotation (`audit.log.1`, `audit.log`); the
   * case directory is then read as one rotated set. Absent: one `audit.log`.
   */
  logFiles?: string[];
  /** Events whose records the rotation split between two files: the serial and the file holding each part. */
  splitEvents?: { serial: number; files: string[]; records: number[]; note: string }[];
  /** Other things the log shows that are not items (e.g. mv's own failed probes), for reviewers. */
  notes?: string[];
  /** Reported events that are known, explained non-items (see NoiseRule). */
  noise?: NoiseRule[];
  items: TruthItem[];
}

/** A recorded case directory, loaded. */
export interface RecordedCase {
  dir: string;
  /** The first log file (the only one, except for rotated sets). */
  logFile: string;
  /** What to hand to analyzeInputs: the log file, or the directory when the case is a rotated set. */
  inputs: string[];
  truth: Truth;
  snapshot: SnapshotEntry[];
}

/** Loads truth.json, snapshot.jsonl and the audit log path(s) of one fixture directory. */
export async function loadRecordedCase(dir: string): Promise<RecordedCase> {
  const truth = JSON.parse(await fsp.readFile(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const snapshot = await readSnapshot(path.join(dir, 'snapshot.jsonl'), (line, text) => {
    throw new Error(`${dir}/snapshot.jsonl:${line}: bad line ${JSON.stringify(text.slice(0, 80))}`);
  });
  const files = truth.logFiles ?? ['audit.log'];
  // A rotated set is one input (the directory), so events may continue from one file into the next.
  const inputs = files.length > 1 ? [dir] : [path.join(dir, files[0])];
  return { dir, logFile: path.join(dir, files[0]), inputs, truth, snapshot };
}

/** Lists the case directories under a recorded-fixtures root (those holding a truth.json), sorted. */
export async function listRecordedCases(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await fsp.readdir(root)).sort()) {
    try {
      await fsp.access(path.join(root, name, 'truth.json'));
      out.push(path.join(root, name));
    } catch {
      // not a case directory (README.md, …)
    }
  }
  return out;
}

interface Candidate {
  event: AuditEvent;
  object: AuditObject;
  key: string;
}

function encodeText(p: string): string {
  return encodeName(Buffer.from(p, 'utf8')).text;
}

/** A path for a message: JSON-quoted, its middle elided when it is very long (paths beyond PATH_MAX). */
function show(p: unknown): string {
  const q = JSON.stringify(p);
  return q === undefined || q.length <= 240 ? String(q) : `${q.slice(0, 100)}…(${q.length} chars)…${q.slice(-100)}`;
}

function describe(item: TruthItem): string {
  const what = item.inode !== null ? `inode ${item.inode}` : 'no inode';
  const how = item.success ? 'ok' : item.errno;
  return `${item.role} ${show(item.path)} (${what}, ${item.syscall ?? `io_uring ${item.uringOp}`}, ${how})`;
}

function describeObject(c: Candidate): string {
  return `event ${c.event.id} ${c.object.role} path=${show(c.object.path)} confidence=${c.object.confidence}`;
}

function syscallMatches(event: AuditEvent, item: TruthItem): boolean {
  if (item.uringOp) return event.uringOp === item.uringOp || event.syscall === null;
  return event.syscall === item.syscall;
}

/** True when `p` is `root` or below it. */
function under(p: string | null | undefined, root: string): boolean {
  return !!p && (p === root || p.startsWith(root + '/'));
}

/** How sure the parser was about the objects it paired with truth items. */
export type ConfidenceCounts = Record<Confidence | 'missing', number>;

/** The outcome of comparing one run with the truth. */
export interface TruthComparison {
  /** One line per mismatch; empty when the run matches the truth. */
  mismatches: string[];
  /** Confidence of the object paired with each truth item (`missing` when none was). */
  confidence: ConfidenceCounts;
}

/** What the comparison knows beyond the truth items. */
export interface CompareOptions {
  /** The run had the snapshot: every knowable path must then be right and not 'uncertain'. */
  withSnapshot: boolean;
}

/**
 * Compares parser events with the ground truth of one recorded case.
 *
 * Each truth item is paired with at most one event object: by (inode, role) when the item has an inode, else by
 * role + errno. The pair must agree on outcome, errno, action, object type, syscall (on x86_64) and process (comm,
 * exe, pid, except fields the item marks `notInLog`). WITH a snapshot a knowable path must be the real path, claimed
 * `exact` or `rebuilt` (a right path marked `uncertain` is not an answer), and seenAs the alias when the truth has
 * one; WITHOUT, the path must be the real path or the alias, or be marked `uncertain` — a wrong path claimed `exact`
 * or `rebuilt` is a mismatch. Finally every object left unpaired that belongs to the case (its event carries the
 * case key, or its path or seenAs is under a watched folder) is a phantom, unless its event matches a noise rule.
 */
export function compareWithTruth(events: AuditEvent[], truth: Truth, opts: CompareOptions): TruthComparison {
  const mismatches: string[] = [];
  const confidence: ConfidenceCounts = { exact: 0, rebuilt: 0, uncertain: 0, missing: 0 };
  const all: Candidate[] = [];
  // Candidates by role and inode, or role and errno for failures: thousands of items pair in linear time.
  const index = new Map<string, Candidate[]>();
  const add = (k: string, c: Candidate) => {
    const list = index.get(k);
    if (list) list.push(c);
    else index.set(k, [c]);
  };
  for (const event of events) {
    event.objects.forEach((object, i) => {
      const c = { event, object, key: `${event.id}#${i}` };
      all.push(c);
      if (object.inode !== null) add(`${object.role}|${object.inode}`, c);
      if (event.success === false) add(`${object.role}|fail|${event.errno}`, c);
    });
  }
  // One event object answers one truth item: inode numbers are reused (a folder deleted and recreated).
  const used = new Set<string>();
  const x86 = process.arch === 'x64';

  // Truth paths are the file system's text; parser output uses the documented name encoding (backslashes doubled).
  const items = truth.items.map((raw) => ({ ...raw, path: encodeText(raw.path), seenAs: raw.seenAs === null ? null : encodeText(raw.seenAs) }));
  const pathOk = (item: TruthItem, c: Candidate) => c.object.path === item.path || (item.seenAs !== null && c.object.path === item.seenAs);
  // Prefer the attempt with the same outcome, syscall and process (mv probes with a failing renameat2 first; a
  // reused inode shows up in several events), then the object whose path is right, so that a second, wrong object
  // does not hide a right one; on a tie the earliest event.
  const score = (item: TruthItem, c: Candidate) =>
    (c.event.success === item.success ? 16 : 0) +
    (syscallMatches(c.event, item) ? 8 : 0) +
    (item.pid !== null && c.event.process.pid === item.pid ? 4 : 0) +
    (c.event.process.comm === item.comm ? 2 : 0) +
    (pathOk(item, c) ? 1 : 0);
  const sameCall = (item: TruthItem, c: Candidate) =>
    c.event.success === item.success && syscallMatches(c.event, item) && (item.pid === null || c.event.process.pid === item.pid);
  // Three passes, from the surest pairing to any: the same call of the same process with the right path, then the
  // same call of the same process, then anything left. So an item whose event is missing cannot take the event of
  // another (ext4 reuses inode numbers at once: in a busy log one inode has many events, even of one process).
  const passes: ((item: TruthItem, c: Candidate) => boolean)[] = [
    (item, c) => sameCall(item, c) && pathOk(item, c),
    sameCall,
    () => true,
  ];
  const pairs = new Map<number, Candidate>();
  for (const allowed of passes) {
    items.forEach((item, i) => {
      if (pairs.has(i)) return;
      const pool = (index.get(item.inode !== null ? `${item.role}|${item.inode}` : `${item.role}|fail|${item.errno}`) ?? []).filter(
        (c) =>
          !used.has(c.key) &&
          (item.inode === null || c.object.dev === null || item.dev === null || c.object.dev === item.dev) &&
          allowed(item, c),
      );
      if (pool.length === 0) return;
      const best = pool.reduce((a, b) => (score(item, b) > score(item, a) ? b : a));
      used.add(best.key);
      pairs.set(i, best);
    });
  }

  for (const [i, item] of items.entries()) {
    const best = pairs.get(i);
    if (!best) {
      mismatches.push(`${truth.case}: no event object for ${describe(item)}`);
      confidence.missing++;
      continue;
    }
    const { event, object } = best;
    confidence[object.confidence]++;
    const where = `${truth.case}: ${describe(item)} -> ${describeObject(best)}`;
    const want = (what: string, got: unknown, wanted: unknown) =>
      mismatches.push(`${where}: ${what} ${show(got)}, want ${show(wanted)}`);

    if (event.success !== item.success) want('success', event.success, item.success);
    if ((event.errno ?? null) !== item.errno) want('errno', event.errno, item.errno);
    if (event.action !== item.action) want('action', event.action, item.action);
    if ((object.type ?? null) !== item.type) want('type', object.type, item.type);
    if (x86 && !syscallMatches(event, item)) want('syscall', event.syscall ?? event.uringOp, item.syscall ?? item.uringOp);
    const hidden = new Set(item.notInLog ?? []);
    if (!hidden.has('comm') && event.process.comm !== item.comm) want('comm', event.process.comm, item.comm);
    if (!hidden.has('exe') && event.process.exe !== item.exe) want('exe', event.process.exe, item.exe);
    if (item.pid !== null && event.process.pid !== item.pid) want('pid', event.process.pid, item.pid);

    const knowable = item.pathKnowable !== false;
    if (opts.withSnapshot && knowable) {
      if (object.path !== item.path) mismatches.push(`${where}: path, want ${show(item.path)}`);
      else if (object.confidence === 'uncertain') mismatches.push(`${where}: the right path is marked 'uncertain' although the snapshot names it`);
      if (item.seenAs !== null && object.seenAs !== item.seenAs) want('seenAs', object.seenAs, item.seenAs);
    } else if (!pathOk(item, best) && object.confidence !== 'uncertain') {
      mismatches.push(
        `${where}: wrong path claimed '${object.confidence}', want ${show(item.path)}` +
          (item.seenAs ? ` or ${show(item.seenAs)}` : '') +
          ` or confidence 'uncertain'`,
      );
    }
  }

  mismatches.push(...phantoms(all, used, truth));
  return { mismatches, confidence };
}

/** Objects no truth item explains that belong to the case (see compareWithTruth). */
function phantoms(all: Candidate[], used: Set<string>, truth: Truth): string[] {
  const roots = [truth.watched, ...(truth.alsoWatched ?? [])].map(encodeText);
  const noise = truth.noise ?? [];
  const isNoise = (e: AuditEvent) =>
    noise.some((n) => e.process.comm === n.comm && e.syscall === n.syscall && (e.errno ?? null) === n.errno);
  const out: string[] = [];
  for (const c of all) {
    if (used.has(c.key) || isNoise(c.event)) continue;
    const o = c.object;
    // Not by inode alone: ext4 hands freed inode numbers straight to new files anywhere on the disk.
    const ours = c.event.keys.includes(truth.key) || roots.some((r) => under(o.path, r) || under(o.seenAs, r));
    if (ours) {
      out.push(
        `${truth.case}: phantom ${describeObject(c)} (${c.event.syscall ?? c.event.uringOp} by ${c.event.process.comm} ` +
          `pid ${c.event.process.pid}, success ${c.event.success}): no truth item explains it`,
      );
    }
  }
  return out;
}

/** The mismatches of compareWithTruth alone (see there). */
export function checkAgainstTruth(events: AuditEvent[], truth: Truth, opts: CompareOptions): string[] {
  return compareWithTruth(events, truth, opts).mismatches;
}
