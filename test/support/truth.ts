/**
 * Ground truth of recorded audit fixtures (test/fixtures/recorded/<case>/truth.json) and the check that compares
 * parser output with it. The truth is written by test/integration/recorder.ts from lstat/realpath taken before each
 * operation, never from a parser, so a mismatch here is a parser bug (or a recorder bug), not a matter of taste.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readSnapshot } from '../../src/core/snapshot';
import { encodeName } from '../../src/core/names';
import type { AuditEvent, AuditObject, ObjectType, SnapshotEntry } from '../../src/core/types';

export type TruthRole = 'deleted' | 'source' | 'destination' | 'replaced';

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
  /** The absolute path the process used when it differs from `path` (bind mount, symlink, other namespace). */
  seenAs: string | null;
  /** Syscall name as on x86_64, or null for io_uring operations (see uringOp). */
  syscall: string | null;
  /** The io_uring op name (`unlinkat`, `renameat`) when the operation went through io_uring. */
  uringOp?: string;
  /** The process comm (what the kernel writes as comm=; for io_uring the submitting program's name). */
  comm: string;
  /**
   * false when neither the records nor the snapshot name this path (an io_uring rename to a new name, a rename
   * into a folder outside the snapshot through a dirfd): a parser can only say "uncertain" there.
   */
  pathKnowable?: boolean;
  /** Why this item is special, for people reading the fixture. */
  note?: string;
}

/** The whole truth.json of one recorded case. */
export interface Truth {
  case: string;
  key: string;
  watched: string;
  kernel: string;
  recordedAt: string;
  /** Other things the log shows that are not items (e.g. mv's own failed probes), for reviewers. */
  notes?: string[];
  items: TruthItem[];
}

/** A recorded case directory, loaded. */
export interface RecordedCase {
  dir: string;
  logFile: string;
  truth: Truth;
  snapshot: SnapshotEntry[];
}

/** Loads truth.json, snapshot.jsonl and the audit.log path of one fixture directory. */
export async function loadRecordedCase(dir: string): Promise<RecordedCase> {
  const truth = JSON.parse(await fsp.readFile(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const snapshot = await readSnapshot(path.join(dir, 'snapshot.jsonl'), (line, text) => {
    throw new Error(`${dir}/snapshot.jsonl:${line}: bad line ${JSON.stringify(text.slice(0, 80))}`);
  });
  return { dir, logFile: path.join(dir, 'audit.log'), truth, snapshot };
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

function describe(item: TruthItem): string {
  const what = item.inode !== null ? `inode ${item.inode}` : 'no inode';
  const how = item.success ? 'ok' : item.errno;
  return `${item.role} ${JSON.stringify(item.path)} (${what}, ${item.syscall ?? `io_uring ${item.uringOp}`}, ${how})`;
}

function describeObject(c: Candidate): string {
  return `event ${c.event.id} ${c.object.role} path=${JSON.stringify(c.object.path)} confidence=${c.object.confidence}`;
}

function syscallMatches(event: AuditEvent, item: TruthItem): boolean {
  if (item.uringOp) return event.uringOp === item.uringOp || event.syscall === null;
  return event.syscall === item.syscall;
}

/**
 * Compares parser events with the ground truth of one recorded case and returns one line per mismatch
 * (empty when everything matches). Each truth item is paired with at most one event object:
 * by (inode, role) when the item has an inode, else by role + errno + path. WITH a snapshot the path must be the
 * real path (and seenAs the alias when the truth has one); WITHOUT, the path must be the real path or the alias
 * the process used, or be marked 'uncertain' — a wrong path claimed 'exact' or 'rebuilt' is a mismatch.
 */
export function checkAgainstTruth(
  events: AuditEvent[],
  truth: Truth,
  opts: { withSnapshot: boolean },
): string[] {
  const mismatches: string[] = [];
  const all: Candidate[] = [];
  for (const event of events) {
    event.objects.forEach((object, i) => all.push({ event, object, key: `${event.id}#${i}` }));
  }
  // One event object answers one truth item: inode numbers are reused (a folder deleted and recreated).
  const used = new Set<string>();

  for (const raw of truth.items) {
    // Truth paths are the file system's text; parser output uses the documented name encoding (backslashes doubled).
    const item = { ...raw, path: encodeText(raw.path), seenAs: raw.seenAs === null ? null : encodeText(raw.seenAs) };
    const pathOk = (c: Candidate) =>
      c.object.path === item.path || (item.seenAs !== null && c.object.path === item.seenAs);
    let pool = all.filter((c) => !used.has(c.key) && c.object.role === item.role);
    if (item.inode !== null) {
      pool = pool.filter((c) => c.object.inode === String(item.inode) && (c.object.dev === null || item.dev === null || c.object.dev === item.dev));
    } else {
      pool = pool.filter((c) => c.event.success === false && c.event.errno === item.errno);
    }
    if (pool.length === 0) {
      mismatches.push(`${truth.case}: no event object for ${describe(item)}`);
      continue;
    }
    // Prefer the attempt with the same outcome and syscall (mv probes with a failing renameat2 first), then the
    // object whose path is right, so that a second, wrong object does not hide a right one.
    const score = (c: Candidate) =>
      (c.event.success === item.success ? 4 : 0) + (syscallMatches(c.event, item) ? 2 : 0) + (pathOk(c) ? 1 : 0);
    const best = pool.reduce((a, b) => (score(b) > score(a) ? b : a));
    used.add(best.key);
    const { event, object } = best;
    const where = `${truth.case}: ${describe(item)} -> ${describeObject(best)}`;

    if (event.success !== item.success) mismatches.push(`${where}: success ${event.success}, want ${item.success}`);
    if ((event.errno ?? null) !== item.errno) mismatches.push(`${where}: errno ${event.errno}, want ${item.errno}`);

    const knowable = item.pathKnowable !== false;
    if (opts.withSnapshot && knowable) {
      if (object.path !== item.path) mismatches.push(`${where}: path, want ${JSON.stringify(item.path)}`);
      if (item.seenAs !== null && object.seenAs !== item.seenAs) {
        mismatches.push(`${where}: seenAs ${JSON.stringify(object.seenAs)}, want ${JSON.stringify(item.seenAs)}`);
      }
    } else if (!pathOk(best) && object.confidence !== 'uncertain') {
      mismatches.push(
        `${where}: wrong path claimed '${object.confidence}', want ${JSON.stringify(item.path)}` +
          (item.seenAs ? ` or ${JSON.stringify(item.seenAs)}` : '') +
          ` or confidence 'uncertain'`,
      );
    }
  }
  return mismatches;
}
