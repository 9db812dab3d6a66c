import { promises as fsp, createReadStream } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { decodeName, encodeName } from './names';
import type { ObjectType, SnapshotEntry } from './types';

/** Formats a device number as audit writes it: hex `major:minor` with at least two digits each. */
export function formatDev(dev: number | bigint): string {
  // glibc's encoding of dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const big = BigInt(dev);
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
  const minor = Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): ObjectType {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * Walks DIR (without following symlinks or crossing into other devices' subtrees unless asked)
 * and yields one entry per inode, the root first. Names are read as bytes (a name that is not UTF-8 must not turn
 * into U+FFFD) and written in the output name encoding; inodes as exact decimal strings (lstat with bigint).
 * Unreadable subfolders are reported through `onError`.
 */
export async function* takeSnapshot(
  root: string,
  onError: (p: string, err: Error) => void = () => undefined,
): AsyncGenerator<SnapshotEntry> {
  const abs = Buffer.from(path.resolve(root), 'utf8');
  const st = await fsp.lstat(abs, { bigint: true });
  yield { dev: formatDev(st.dev), inode: st.ino.toString(), type: typeOf(st), path: encodeName(abs).text };
  if (!st.isDirectory()) return;
  const stack: Buffer[] = [abs];
  const slash = Buffer.from('/');
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: Buffer[];
    try {
      names = await fsp.readdir(dir, { encoding: 'buffer' });
    } catch (err) {
      onError(encodeName(dir).text, err as Error);
      continue;
    }
    names.sort(Buffer.compare);
    for (const name of names) {
      const p = dir.length === 1 ? Buffer.concat([dir, name]) : Buffer.concat([dir, slash, name]);
      let cst;
      try {
        cst = await fsp.lstat(p, { bigint: true });
      } catch (err) {
        onError(encodeName(p).text, err as Error);
        continue;
      }
      yield { dev: formatDev(cst.dev), inode: cst.ino.toString(), type: typeOf(cst), path: encodeName(p).text };
      if (cst.isDirectory()) stack.push(p);
    }
  }
}

/** Reads a JSON Lines snapshot file; bad lines are reported through `onBadLine` and skipped. */
export async function readSnapshot(
  file: string,
  onBadLine: (line: number, text: string) => void = () => undefined,
): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    const e = parseSnapshotLine(line);
    if (e) out.push(e);
    else onBadLine(n, line);
  }
  return out;
}

/** One snapshot line, or null when it is not one. Inodes may be numbers (older snapshots) or decimal strings. */
export function parseSnapshotLine(line: string): SnapshotEntry | null {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (e === null || typeof e !== 'object') return null;
  const inode = typeof e.inode === 'number' && Number.isSafeInteger(e.inode) && e.inode >= 0 ? String(e.inode) : typeof e.inode === 'string' && /^\d+$/.test(e.inode) ? e.inode : null;
  if (typeof e.dev !== 'string' || inode === null || typeof e.path !== 'string' || !e.path.startsWith('/')) return null;
  const type = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
  return { ...(typeof e.node === 'string' ? { node: e.node } : {}), dev: e.dev, inode, type, path: e.path };
}

/** The raw bytes of a snapshot path (the inverse of the name encoding the writer used). */
export function snapshotPathBytes(p: string): Buffer {
  return decodeName(p);
}
