/**
 * Ground truth for tools that fork or choose their own names (rsync's temp files, shred's renames, git's walk,
 * runuser's child): the recorder runs them under `strace -f` and replays the trace against an lstat map of the
 * watched folders taken just before. strace reads the system calls through ptrace, not through audit, so the truth
 * still never comes from the log; it adds what lstat alone cannot know: which pid made each call, the program it was
 * running, and names that exist only while the tool runs.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { formatDev } from '../../src/core/snapshot';
import type { ObjectType } from '../../src/core/types';
import type { TruthItem } from '../support/truth';

/** The file-system calls the recorder turns into truth items, and those it needs to follow processes. */
export const TRACED_SYSCALLS = [
  'execve',
  'clone',
  'clone3',
  'fork',
  'vfork',
  'chdir',
  'fchdir',
  'unlink',
  'unlinkat',
  'rmdir',
  'rename',
  'renameat',
  'renameat2',
];

/** strace options: follow forks, decode fds to paths, every string in hex (names are bytes), no signals or exits. */
export function straceArgs(outFile: string): string[] {
  return ['-f', '-y', '-xx', '-qq', '-e', `trace=${TRACED_SYSCALLS.join(',')}`, '-e', 'signal=none', '-o', outFile, '--'];
}

/** One completed system call from the trace. */
interface RawCall {
  pid: number;
  name: string;
  args: string[];
  ret: number;
  errno: string | null;
}

/** One deletion or rename a traced process made, with absolute paths and the process that made it. */
export interface TracedOp {
  /** Thread group id (what audit writes as pid=). */
  pid: number;
  comm: string;
  exe: string;
  syscall: string;
  kind: 'delete' | 'rename';
  path: string;
  /** A rename's new name. */
  path2?: string;
  ok: boolean;
  errno: string | null;
}

const HEX = /\\x([0-9a-f]{2})/g;

function decodeHex(s: string): string {
  const bytes = Buffer.from(s.replace(HEX, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}

/** Splits an argument list at top-level commas (strings, brackets and `<fd path>` decorations kept whole). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[' || c === '{' || c === '(' || c === '<') depth++;
    else if (c === ']' || c === '}' || c === ')' || c === '>') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (s.slice(start).trim()) out.push(s.slice(start).trim());
  return out;
}

/** Parses `strace -f` output, joining `<unfinished ...>` / `<... resumed>` halves per pid. */
export function parseStrace(text: string): RawCall[] {
  const calls: RawCall[] = [];
  const pending = new Map<number, string>();
  for (const line of text.split('\n')) {
    // strace pads the pid to five columns: "6601  execve(" as well as "14778 execve(".
    const m = /^(\d+) +(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    let body = m[2];
    if (body.endsWith('<unfinished ...>')) {
      pending.set(pid, body.slice(0, -'<unfinished ...>'.length));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(body);
    if (resumed) {
      body = (pending.get(pid) ?? '') + resumed[1];
      pending.delete(pid);
    }
    const c = /^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:\s+(E[A-Z0-9]+)\b.*)?$/.exec(body);
    if (!c) continue;
    calls.push({ pid, name: c[1], args: splitArgs(c[2]), ret: c[3] === '?' ? 0 : Number(c[3]), errno: c[4] ?? null });
  }
  return calls;
}

/** A path argument: `"name"` (hex), or a dirfd `N<path>`, or AT_FDCWD. */
function strArg(tok: string): string {
  const m = /^"(.*)"$/.exec(tok);
  if (!m) throw new Error(`strace: expected a string argument, got ${tok}`);
  return decodeHex(m[1]);
}

function fdArg(tok: string, cwd: string): string {
  if (tok === 'AT_FDCWD') return cwd;
  // With -y strace decorates AT_FDCWD with the cwd too (`AT_FDCWD</path>`), which is the real path.
  const m = /^(?:-?\d+|AT_FDCWD)<(.*)>$/.exec(tok);
  if (!m) throw new Error(`strace: expected a directory fd, got ${tok}`);
  return decodeHex(m[1]).replace(/ \(deleted\)$/, '');
}

/** Joins a name to its base directory; the recorder's traced cases use no `..` or symlinks in names. */
function joinName(base: string, name: string): string {
  const p = name.startsWith('/') ? name : `${base}/${name}`;
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new Error(`strace: a traced name with '..' (${name}) is not supported by the recorder`);
  return '/' + parts.join('/');
}

interface Proc {
  tgid: number;
  cwd: string;
  exePath: string | null;
  comm: string | null;
}

/**
 * Replays the trace's process tree (forks inherit cwd and program, execve changes them, chdir/fchdir move the cwd)
 * and returns every deletion and rename with absolute paths. `cwd` is the first process's working directory.
 */
export async function tracedOps(calls: RawCall[], cwd: string): Promise<TracedOp[]> {
  const procs = new Map<number, Proc>();
  const first = calls[0]?.pid;
  const proc = (pid: number): Proc => {
    let p = procs.get(pid);
    if (!p) {
      // A pid seen before its parent's clone returned (the child runs first): its parent is not known yet, so it
      // can only be the first process (which strace started) or a child that the clone line will fill in.
      p = { tgid: pid, cwd, exePath: null, comm: null };
      procs.set(pid, p);
    }
    return p;
  };
  const out: (Omit<TracedOp, 'exe'> & { exePath: string | null })[] = [];
  for (const c of calls) {
    const p = proc(c.pid);
    const ok = c.ret >= 0 && c.errno === null;
    switch (c.name) {
      case 'execve':
        if (ok) {
          const file = joinName(p.cwd, strArg(c.args[0]));
          p.exePath = file;
          // The kernel names the task after the file it was asked to run, cut to TASK_COMM_LEN - 1 bytes.
          p.comm = Buffer.from(path.basename(file)).subarray(0, 15).toString('utf8');
        }
        break;
      case 'clone':
      case 'clone3':
      case 'fork':
      case 'vfork':
        if (ok && c.ret > 0) {
          const thread = c.args.some((a) => a.includes('CLONE_THREAD'));
          const child = procs.get(c.ret);
          const inherited = { tgid: thread ? p.tgid : c.ret, cwd: p.cwd, exePath: p.exePath, comm: p.comm };
          if (child) {
            // The child already ran: it inherited everything it has not changed itself.
            child.tgid = inherited.tgid;
            child.exePath ??= inherited.exePath;
            child.comm ??= inherited.comm;
          } else procs.set(c.ret, inherited);
        }
        break;
      case 'chdir':
        if (ok) p.cwd = joinName(p.cwd, strArg(c.args[0]));
        break;
      case 'fchdir':
        if (ok) p.cwd = fdArg(c.args[0], p.cwd);
        break;
      case 'unlink':
      case 'rmdir':
        push(p, c, 'delete', name(p, null, c.args[0]));
        break;
      case 'unlinkat':
        push(p, c, 'delete', name(p, c.args[0], c.args[1]));
        break;
      case 'rename':
        push(p, c, 'rename', name(p, null, c.args[0]), name(p, null, c.args[1]));
        break;
      case 'renameat':
      case 'renameat2':
        push(p, c, 'rename', name(p, c.args[0], c.args[1]), name(p, c.args[2], c.args[3]));
        break;
    }
  }
  if (first === undefined) return [];
  const real = new Map<string, string>();
  const ops: TracedOp[] = [];
  for (const o of out) {
    if (!o.exePath || !o.comm) throw new Error(`strace: pid ${o.pid} made ${o.syscall} before any execve was seen`);
    if (!real.has(o.exePath)) real.set(o.exePath, await fsp.realpath(o.exePath));
    const { exePath, ...rest } = o;
    ops.push({ ...rest, exe: real.get(exePath)! });
  }
  return ops;

  /** A name argument made absolute: against a dirfd argument, or the process's cwd when there is none. */
  function name(p: Proc, dirTok: string | null, nameTok: string): string {
    return joinName(dirTok === null ? p.cwd : fdArg(dirTok, p.cwd), strArg(nameTok));
  }

  function push(p: Proc, c: RawCall, kind: TracedOp['kind'], path: string, path2?: string): void {
    const ok = c.ret >= 0 && c.errno === null;
    out.push({ pid: p.tgid, comm: p.comm ?? '', exePath: p.exePath, syscall: c.name, kind, path, ...(path2 ? { path2 } : {}), ok, errno: c.errno });
  }
}

/** What lstat said about one path just before the traced run. */
export interface Before {
  inode: number;
  dev: string;
  type: ObjectType;
}

/** The truth type of an lstat result. */
export function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): ObjectType {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** lstat of every object under the roots (real paths, symlinks not followed). */
export async function lstatTree(roots: string[]): Promise<Map<string, Before>> {
  const map = new Map<string, Before>();
  const walk = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    map.set(p, { inode: st.ino, dev: formatDev(st.dev), type: typeOf(st) });
    if (st.isDirectory()) for (const name of await fsp.readdir(p)) await walk(path.join(p, name));
  };
  for (const r of roots) await walk(r);
  return map;
}

const inside = (p: string, roots: string[]) => roots.some((r) => p === r || p.startsWith(r + '/'));

/**
 * Turns traced operations into truth items by replaying them on the lstat map: a deletion takes the inode the path
 * held at that moment, a rename moves it (and everything below a renamed folder). An object the tool created itself
 * during the run (rsync's temp file) gets its inode from where it ends up after the run. Only operations touching
 * the roots become items; any deletion whose object the map cannot name is a recorder error, never a guess.
 */
export async function truthFromTrace(ops: TracedOp[], before: Map<string, Before>, roots: string[]): Promise<TruthItem[]> {
  type Obj = Before | { later: symbol };
  const state = new Map<string, Obj>(before);
  const items: { item: TruthItem; obj: Obj }[] = [];
  const base = (o: TracedOp, p: string, obj: Obj | undefined, role: TruthItem['role']): TruthItem => {
    const b = obj && 'inode' in obj ? obj : null;
    return {
      path: p,
      inode: b ? b.inode : null,
      dev: b ? b.dev : null,
      type: b ? b.type : null,
      action: o.kind === 'delete' ? 'deleted' : 'renamed',
      role,
      success: o.ok,
      errno: o.errno,
      seenAs: null,
      syscall: o.syscall,
      comm: o.comm,
      exe: o.exe,
      pid: o.pid,
    };
  };
  for (const o of ops) {
    if (!inside(o.path, roots) && !(o.path2 && inside(o.path2, roots))) continue;
    if (o.kind === 'delete') {
      const obj = state.get(o.path);
      if (!obj && o.errno !== 'ENOENT') throw new Error(`strace: ${o.syscall} of ${o.path} by pid ${o.pid}, which the recorder never saw`);
      if (obj && !('inode' in obj)) throw new Error(`strace: ${o.path} was created and deleted during the run: its inode is unknowable`);
      items.push({ item: base(o, o.path, obj, 'deleted'), obj: obj ?? { later: Symbol('none') } });
      if (o.ok) state.delete(o.path);
      continue;
    }
    const to = o.path2!;
    const src: Obj = state.get(o.path) ?? { later: Symbol(o.path) };
    const replaced = o.ok ? state.get(to) : undefined;
    items.push({ item: base(o, o.path, src, 'source'), obj: src });
    items.push({ item: base(o, to, src, 'destination'), obj: src });
    if (replaced) items.push({ item: base(o, to, replaced, 'replaced'), obj: replaced });
    if (o.ok) {
      for (const [p, v] of [...state]) {
        if (p === o.path || p.startsWith(o.path + '/')) {
          state.delete(p);
          state.set(to + p.slice(o.path.length), v);
        }
      }
      state.set(to, src);
    }
  }
  // The file system must agree with the replay: what it deleted is gone, what it moved is where it went.
  for (const { item, obj } of items) {
    if (!item.success || !('inode' in obj)) continue;
    const st = await fsp.lstat(item.path).catch(() => null);
    const now = state.get(item.path);
    if (item.role === 'deleted' && st && st.ino === obj.inode && now === undefined) throw new Error(`strace replay: ${item.path} is still there`);
    if (item.role === 'destination' && now === obj && (!st || st.ino !== obj.inode)) throw new Error(`strace replay: ${item.path} does not hold inode ${obj.inode}`);
  }
  // Objects born during the run: their inode is where they ended up.
  for (const { item, obj } of items) {
    if ('inode' in obj || item.role === 'deleted') continue;
    const final = [...state].find(([, v]) => v === obj)?.[0];
    if (!final) throw new Error(`strace: ${item.path} was created during the run and did not survive it: its inode is unknowable`);
    const st = await fsp.lstat(final);
    Object.assign(item, { inode: st.ino, dev: formatDev(st.dev), type: typeOf(st) });
  }
  return items.map((x) => x.item);
}
