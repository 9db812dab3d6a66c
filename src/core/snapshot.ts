import { promises as fsp, createReadStream } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { ObjectType, SnapshotEntry } from './types';

/** Formats a device number as audit writes it: hex `major:minor` with at least two digits each. */
export function formatDev(dev: number): string {
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
 * and yields one entry per inode, the root first. Unreadable subfolders are reported through `onError`.
 */
export async function* takeSnapshot(
  root: string,
  onError: (p: string, err: Error) => void = () => undefined,
): AsyncGenerator<SnapshotEntry> {
  const abs = path.resolve(root);
  const st = await fsp.lstat(abs);
  yield { dev: formatDev(st.dev), inode: st.ino, type: typeOf(st), path: abs };
  if (!st.isDirectory()) return;
  const stack = [abs];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (err) {
      onError(dir, err as Error);
      continue;
    }
    names.sort();
    for (const name of names) {
      const p = path.join(dir, name);
      let cst;
      try {
        cst = await fsp.lstat(p);
      } catch (err) {
        onError(p, err as Error);
        continue;
      }
      yield { dev: formatDev(cst.dev), inode: cst.ino, type: typeOf(cst), path: p };
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
    try {
      const e = JSON.parse(line) as SnapshotEntry;
      if (typeof e.dev !== 'string' || typeof e.inode !== 'number' || typeof e.path !== 'string') throw new Error('shape');
      out.push({ ...(typeof e.node === 'string' ? { node: e.node } : {}), dev: e.dev, inode: e.inode, type: e.type ?? 'other', path: e.path });
    } catch {
      onBadLine(n, line);
    }
  }
  return out;
}
