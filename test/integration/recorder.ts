/**
 * Fixture recorder: performs real deletions and renames under real auditd rules and saves, per case,
 * the audit log slice, an inode snapshot of the tree and the ground truth (test/fixtures/recorded/<case>/).
 *
 *   node --import tsx test/integration/recorder.ts [--out DIR] [--list] [case ...]
 *
 * Needs root, a running auditd, gcc + liburing-dev (io_uring cases), python3, runuser, unshare, chattr, mount.
 * A missing capability fails the case loudly; nothing is skipped. The truth is taken from lstat/realpath before
 * each operation and checked against the file system after it; it never comes from parsing the log.
 * Every command gets an argument vector (execFile), never a shell string: file names here contain quotes,
 * newlines and backslashes on purpose.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc, promises as fsp, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDev, takeSnapshot } from '../../src/core/snapshot';
import { processName } from '../../src/helper/auditdStatus';
import type { ObjectType } from '../../src/core/types';
import type { NoiseRule, ProcessField, Truth, TruthItem, TruthRole } from '../support/truth';
import { lstatTree, parseStrace, straceArgs, tracedOps, truthFromTrace, typeOf } from './strace';

const HERE = __dirname;
const URING_DIR = path.join(HERE, 'uring');
const DEFAULT_OUT = path.resolve(HERE, '..', 'fixtures', 'recorded');
const MARKER = 'audit-lens-recorder';

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** The outcome of one command. */
export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The child's pid: the pid of the program itself unless that program forks. */
  pid: number | null;
  /** Real path of the program run (what the kernel writes as exe=, unless the program execs another). */
  exe: string;
}

const exeCache = new Map<string, string>();

/** Real path of the program `file` names, found through PATH as execvp does. */
export async function resolveExe(file: string, cwd = '/'): Promise<string> {
  const key = file.includes('/') ? path.resolve(cwd, file) : file;
  let exe = exeCache.get(key);
  if (exe) return exe;
  const candidates = file.includes('/') ? [key] : (process.env.PATH ?? '/usr/bin:/bin').split(':').map((d) => path.join(d || '.', file));
  for (const c of candidates) {
    try {
      await fsp.access(c, fsc.X_OK);
      if (!(await fsp.stat(c)).isFile()) continue;
      exe = await fsp.realpath(c);
      break;
    } catch {
      // not here
    }
  }
  if (!exe) throw new Error(`cannot run ${file}: not found in PATH`);
  exeCache.set(key, exe);
  return exe;
}

/** Runs FILE with an argument vector (no shell); rejects on a non-zero exit unless `allowFail`. */
export async function run(
  file: string,
  args: string[],
  opts: { cwd?: string; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  const exe = await resolveExe(file, opts.cwd);
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: opts.cwd ?? '/',
        // English messages, so a failure's stderr can be checked against the expected errno text.
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        maxBuffer: 16 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 60_000,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
        if (e && typeof e.code === 'string') {
          reject(new Error(`cannot run ${file}: ${e.message}`));
          return;
        }
        const res: RunResult = {
          code: e ? ((e.code as number | undefined) ?? null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          pid: child.pid ?? null,
          exe,
        };
        if (res.code !== 0 && !opts.allowFail) {
          reject(new Error(`${file} ${JSON.stringify(args)} exited ${res.code ?? res.signal}: ${stderr.trim()}`));
        } else {
          resolve(res);
        }
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Helper binaries (built at run time; binaries are never committed)

/** Paths of the compiled io_uring helpers. */
export interface Helpers {
  uringOps: string;
  uringRule: string;
}

let helpersPromise: Promise<Helpers> | null = null;

async function buildOne(name: string, libs: string[], cacheRoot: string): Promise<string> {
  const src = path.join(URING_DIR, `${name}.c`);
  const text = await fsp.readFile(src);
  const hash = createHash('sha256').update(text).update(libs.join(' ')).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot, hash);
  const out = path.join(dir, name);
  try {
    await fsp.access(out, fsc.X_OK);
    return out;
  } catch {
    // not built yet
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = `${out}.${process.pid}.tmp`;
  await run('gcc', ['-O2', '-Wall', '-Wextra', '-o', tmp, src, ...libs]).catch((err: Error) => {
    throw new Error(`building ${name} failed (need gcc${libs.length ? ' and liburing-dev' : ''}): ${err.message}`);
  });
  await fsp.rename(tmp, out);
  return out;
}

/** Compiles uring_ops and uring_rule into a cache directory keyed by their source hash. */
export function buildHelpers(): Promise<Helpers> {
  helpersPromise ??= (async () => {
    const cacheRoot = path.join(os.tmpdir(), 'audit-lens-recorder-bin');
    const [uringOps, uringRule] = await Promise.all([
      buildOne('uring_ops', ['-luring'], cacheRoot),
      buildOne('uring_rule', [], cacheRoot),
    ]);
    return { uringOps, uringRule };
  })();
  return helpersPromise;
}

let pythonPromise: Promise<{ exe: string; comm: string; realExe: string }> | null = null;

/**
 * The real python3 interpreter (not a pyenv shim): the path to run (`exe`), the comm the kernel gives it and the real
 * path of its binary (`realExe`, what the kernel writes as exe=).
 */
function python(): Promise<{ exe: string; comm: string; realExe: string }> {
  pythonPromise ??= (async () => {
    const r = await run('python3', ['-c', 'import sys; print(sys.executable); print(open("/proc/self/comm").read().strip())']);
    const [exe, comm] = r.stdout.trim().split('\n');
    if (!exe || !comm) throw new Error(`python3 did not report its executable: ${r.stdout}`);
    return { exe, comm, realExe: await fsp.realpath(exe) };
  })();
  return pythonPromise;
}

// Runs a JSON list of operations; paths arrive as JSON in argv, so any byte-safe UTF-8 name passes unharmed.
// A 'run' op reports its child's pid and program, so truth can name the process that made the call.
const PY_OPS = String.raw`
import errno, json, os, shutil, subprocess, sys
res = []
for op in json.loads(sys.argv[1]):
    kind = op[0]
    try:
        if kind == 'unlink':
            os.unlink(op[1])
        elif kind == 'rmdir':
            os.rmdir(op[1])
        elif kind in ('unlink_at', 'rmdir_at'):
            fd = os.open(op[1], os.O_RDONLY | os.O_DIRECTORY)
            try:
                (os.unlink if kind == 'unlink_at' else os.rmdir)(op[2], dir_fd=fd)
            finally:
                os.close(fd)
        elif kind == 'rmtree':
            shutil.rmtree(op[1])
        elif kind == 'rename':
            os.rename(op[1], op[2])
        elif kind == 'run':
            p = subprocess.Popen(op[1], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            out, err = p.communicate()
            exe = os.path.realpath(shutil.which(op[1][0]) or op[1][0])
            res.append({'op': kind, 'errno': None, 'code': p.returncode, 'stderr': err, 'pid': p.pid, 'exe': exe})
            continue
        else:
            raise SystemExit('unknown op ' + kind)
        res.append({'op': kind, 'errno': None})
    except OSError as e:
        res.append({'op': kind, 'errno': errno.errorcode.get(e.errno, str(e.errno))})
print(json.dumps({'comm': open('/proc/self/comm').read().strip(), 'pid': os.getpid(),
                  'exe': os.path.realpath('/proc/self/exe'), 'results': res}))
`;

/** One python operation: ['unlink', p] | ['rmdir', p] | ['unlink_at', dir, name] | ['rmdir_at', dir, name] | ['rmtree', p] | ['rename', a, b] | ['run', argv]. */
export type PyOp = [string, ...(string | string[])[]];

/** What a python run reports: its own process, and per op the errno (and for 'run' the child's pid and program). */
interface PyResult {
  comm: string;
  pid: number;
  exe: string;
  results: { op: string; errno: string | null; code?: number; stderr?: string; pid?: number; exe?: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// auditd: status, log position, slices

async function auditStatus(): Promise<Record<string, number>> {
  const r = await run('auditctl', ['-s']);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\w+) (\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

async function auditLogPath(): Promise<string> {
  try {
    const conf = await fsp.readFile('/etc/audit/auditd.conf', 'utf8');
    const m = /^\s*log_file\s*=\s*(\S+)/m.exec(conf);
    if (m) return m[1];
  } catch {
    // default below
  }
  return '/var/log/audit/audit.log';
}

/** Where the log was when a case started: its inode survives rotation (audit.log → audit.log.1). */
export interface LogMark {
  file: string;
  ino: number;
  size: number;
}

async function markLog(): Promise<LogMark> {
  const file = await auditLogPath();
  const st = await fsp.stat(file);
  return { file, ino: st.ino, size: st.size };
}

/** The rotation chain, oldest first: audit.log.N … audit.log.1, audit.log. */
async function rotationChain(file: string): Promise<{ path: string; ino: number }[]> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const out: { path: string; ino: number; n: number }[] = [];
  for (const name of await fsp.readdir(dir)) {
    let n: number;
    if (name === base) n = 0;
    else if (name.startsWith(base + '.') && /^\d+$/.test(name.slice(base.length + 1))) n = Number(name.slice(base.length + 1));
    else continue;
    try {
      out.push({ path: path.join(dir, name), ino: (await fsp.stat(path.join(dir, name))).ino, n });
    } catch {
      // rotated away while listing
    }
  }
  return out.sort((a, b) => b.n - a.n);
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** One log file's share of a slice. */
export interface SlicePart {
  /** The file's inode: stays with the file through renames. */
  ino: number;
  buf: Buffer;
}

/**
 * Reads every line written since `mark` up to and including the line holding `endText`, across rotations, one part
 * per log file (oldest first). auditd writes kernel and user records in the order the kernel queued them, so once
 * the end marker (sent after the last operation) is in the file, every record of the case is too.
 */
export async function readSliceParts(mark: LogMark, endText: string, timeoutMs = 20_000): Promise<SlicePart[]> {
  const needle = Buffer.from(endText);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const chain = await rotationChain(mark.file);
    const i = chain.findIndex((f) => f.ino === mark.ino);
    if (i < 0) throw new Error(`the audit log the case started in (inode ${mark.ino}) was rotated away`);
    const parts: SlicePart[] = [{ ino: chain[i].ino, buf: await readFrom(chain[i].path, mark.size) }];
    for (const f of chain.slice(i + 1)) parts.push({ ino: f.ino, buf: await readFrom(f.path, 0) });
    for (let k = 0; k < parts.length; k++) {
      const at = parts[k].buf.indexOf(needle);
      if (at < 0) continue;
      const nl = parts[k].buf.indexOf(0x0a, at);
      if (nl < 0) break;
      parts[k] = { ino: parts[k].ino, buf: parts[k].buf.subarray(0, nl + 1) };
      return parts.slice(0, k + 1);
    }
    if (Date.now() > deadline) throw new Error(`auditd did not write ${JSON.stringify(endText)} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** readSliceParts as one buffer (a rotation in the middle of a case is invisible to its fixture). */
export async function readSlice(mark: LogMark, endText: string, timeoutMs = 20_000): Promise<Buffer> {
  return Buffer.concat((await readSliceParts(mark, endText, timeoutMs)).map((p) => p.buf));
}

/** Sends a user message through auditctl -m; it lands in the log in order with kernel records. */
async function logMarker(text: string): Promise<void> {
  await run('auditctl', ['-m', text]);
}

// ---------------------------------------------------------------------------------------------------------------
// Rules

interface AddedRule {
  describe: string;
  remove: () => Promise<unknown>;
}

/** The rules of one case, removed in reverse order; removal is idempotent and verified. */
class RuleSet {
  private added: AddedRule[] = [];
  constructor(readonly key: string) {}

  /** `auditctl -w VOL -p wa -k KEY`: VOL is a directory, so this is a recursive dir= rule. */
  async addWatch(vol: string): Promise<void> {
    await run('auditctl', ['-w', vol, '-p', 'wa', '-k', this.key]);
    this.added.push({
      describe: `-w ${vol}`,
      remove: async () => {
        // -W stats the path to pick dir= or path=; a missing folder would make it look for a path= rule.
        await fsp.mkdir(vol, { recursive: true });
        return run('auditctl', ['-W', vol, '-p', 'wa', '-k', this.key], { allowFail: true });
      },
    });
  }

  /** An exit rule on VOL itself (`-F path=VOL`), which logs the folder's own deletion with the key. */
  async addPathRule(vol: string): Promise<void> {
    const args = ['always,exit', '-F', 'arch=b64', '-F', `path=${vol}`, '-F', 'perm=wa', '-k', this.key];
    await run('auditctl', ['-a', ...args]);
    this.added.push({ describe: `-F path=${vol}`, remove: () => run('auditctl', ['-d', ...args], { allowFail: true }) });
  }

  /**
   * The 32-bit twins of the watch and path rules (`-F arch=b32`), as the live watch installs them on x86_64: a 32-bit
   * process's calls are only matched by b32 rules, and each rule the kernel drops logs its own remove_rule record.
   */
  async addB32Rules(vol: string): Promise<void> {
    for (const field of [`dir=${vol}`, `path=${vol}`]) {
      const args = ['always,exit', '-F', 'arch=b32', '-F', field, '-F', 'perm=wa', '-k', this.key];
      await run('auditctl', ['-a', ...args]);
      this.added.push({ describe: `-F arch=b32 -F ${field}`, remove: () => run('auditctl', ['-d', ...args], { allowFail: true }) });
    }
  }

  /** A list-7 (io_uring exit) rule with dir=VOL, added through netlink since auditctl 3.0.9 refuses it. */
  async addUringRule(vol: string): Promise<void> {
    const { uringRule } = await buildHelpers();
    const args = ['--key', this.key, '--dir', vol];
    await run(uringRule, ['add', ...args]);
    this.added.push({ describe: `io_uring dir=${vol}`, remove: () => run(uringRule, ['del', ...args], { allowFail: true }) });
  }

  /** Lines of `auditctl -l` and `uring_rule list` that still carry the key. */
  async remaining(): Promise<string[]> {
    const lines = (await run('auditctl', ['-l'])).stdout.split('\n');
    const hasKey = (l: string) => {
      const t = l.split(/\s+/);
      return t.includes(`key=${this.key}`) || t.some((w, i) => w === '-k' && t[i + 1] === this.key);
    };
    const out = lines.filter(hasKey);
    if (this.added.some((r) => r.describe.startsWith('io_uring'))) {
      const { uringRule } = await buildHelpers();
      out.push(...(await run(uringRule, ['list'])).stdout.split('\n').filter(hasKey));
    }
    return out;
  }

  /** Removes every rule added (reverse order), then checks none with the key remains; `auditctl -D -k` as last resort. */
  async removeAll(): Promise<void> {
    while (this.added.length > 0) {
      const r = this.added.pop()!;
      await r.remove().catch(() => undefined);
    }
    let left = await this.remaining();
    if (left.length > 0) {
      await run('auditctl', ['-D', '-k', this.key], { allowFail: true });
      left = await this.remaining();
    }
    if (left.length > 0) throw new Error(`audit rules with key ${this.key} remain: ${left.join(' | ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Trees and truth

/** A tree to build: a string is a file's content, an object a folder, `{ symlink }` a symbolic link. */
export type TreeSpec = { [name: string]: string | TreeSpec | { symlink: string } };

async function buildTree(dir: string, spec: TreeSpec): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  for (const [name, v] of Object.entries(spec)) {
    const p = path.join(dir, name);
    if (typeof v === 'string') await fsp.writeFile(p, v);
    else if ('symlink' in v && typeof v.symlink === 'string') await fsp.symlink(v.symlink, p);
    else await buildTree(p, v as TreeSpec);
  }
}

async function lstatOrNull(p: string) {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const STRERROR: Record<string, RegExp> = {
  ENOENT: /No such file or directory/,
  EACCES: /Permission denied/,
  EBUSY: /Device or resource busy/,
  EPERM: /Operation not permitted/,
};

/** What a case says about one object before operating on it. */
interface ItemSpec {
  role?: TruthRole;
  action?: 'deleted' | 'renamed';
  syscall: string | null;
  uringOp?: string;
  comm: string;
  /** The program's real path and pid, when known before the operation; else perform() takes them from its result. */
  exe?: string;
  pid?: number | null;
  seenAs?: string | null;
  errno?: string | null;
  pathKnowable?: boolean;
  note?: string;
}

/** A process an operation ran as: what perform() reads from an action's result (RunResult, PyResult). */
interface ProcessResult {
  pid: number | null;
  exe: string;
}

function isProcessResult(r: unknown): r is ProcessResult {
  const x = r as Partial<ProcessResult> | null;
  return !!x && typeof x === 'object' && typeof x.exe === 'string' && typeof x.pid === 'number';
}

/** The per-case workbench: paths, truth items, cleanups and the operations that record truth as they go. */
export class CaseContext {
  readonly items: TruthItem[] = [];
  readonly notes: string[] = [];
  readonly noise: NoiseRule[] = [];
  /** Further folders watched with the case key and included in the snapshot (see watchAlso). */
  readonly alsoWatched: string[] = [];
  private cleanups: (() => Promise<unknown>)[] = [];
  /** Items whose process (exe, pid) is filled in from the result of the operation that follows. */
  private readonly pendingProcess = new WeakSet<TruthItem>();

  constructor(
    readonly name: string,
    /** Temp root (a real path), holding vol and any outside/bind/link folders. */
    readonly root: string,
    /** The watched folder. */
    readonly vol: string,
    readonly key: string,
  ) {}

  /** Registers an undo step (umount, chattr -i), run in reverse order before the tree is removed. */
  defer(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  async runCleanups(): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.cleanups.length > 0) {
      await this.cleanups.pop()!().catch((e: Error) => errors.push(e));
    }
    return errors;
  }

  /** Builds a tree under `dir` (default: the watched folder). */
  build(spec: TreeSpec, dir = this.vol): Promise<void> {
    return buildTree(dir, spec);
  }

  /** During setup: watches `ROOT/name` too (same key, same rules) and snapshots it with the watched folder. */
  async watchAlso(name: string, spec: TreeSpec = {}): Promise<string> {
    const dir = path.join(this.root, name);
    await buildTree(dir, spec);
    this.alsoWatched.push(dir);
    return dir;
  }

  /** Truth for one object at real path `p`, from lstat now (inode null when it does not exist). */
  async victim(p: string, spec: ItemSpec): Promise<TruthItem> {
    const dir = path.dirname(p);
    const real = await fsp.realpath(dir).catch(() => dir);
    if (real !== dir) throw new Error(`recorder bug: truth path ${JSON.stringify(p)} is not a real path (${real})`);
    const st = await lstatOrNull(p);
    const errno = spec.errno ?? null;
    if (!st && errno !== 'ENOENT') throw new Error(`recorder bug: ${JSON.stringify(p)} does not exist`);
    const item: TruthItem = {
      path: p,
      inode: st ? st.ino : null,
      dev: st ? formatDev(st.dev) : null,
      type: st ? typeOf(st) : null,
      action: spec.action ?? 'deleted',
      role: spec.role ?? 'deleted',
      success: errno === null,
      errno,
      seenAs: spec.seenAs ?? null,
      syscall: spec.syscall,
      comm: spec.comm,
      exe: spec.exe ?? '',
      pid: spec.pid ?? null,
    };
    if (spec.uringOp) {
      item.uringOp = spec.uringOp;
      // URINGOP records carry pid and uid but no comm or exe (the io_uring op is not a syscall of the program).
      item.notInLog = ['comm', 'exe'] satisfies ProcessField[];
    }
    if (spec.pathKnowable === false) item.pathKnowable = false;
    if (spec.note) item.note = spec.note;
    if (spec.exe === undefined || spec.pid === undefined) this.pendingProcess.add(item);
    return item;
  }

  /**
   * Truth for every object under (and including) real path `top`, children before parents as removal goes.
   * `syscallOf` names the syscall per object; `seenAsRoot` maps `top` to the alias the process used.
   */
  async tree(
    top: string,
    spec: Omit<ItemSpec, 'syscall' | 'seenAs'> & { syscallOf: (p: string, isTop: boolean, type: ObjectType) => string },
  ): Promise<TruthItem[]> {
    const out: TruthItem[] = [];
    const walk = async (p: string): Promise<void> => {
      const st = await fsp.lstat(p);
      if (st.isDirectory()) {
        for (const name of (await fsp.readdir(p)).sort()) await walk(path.join(p, name));
      }
      out.push(await this.victim(p, { ...spec, syscall: spec.syscallOf(p, p === top, typeOf(st)) }));
    };
    await walk(top);
    return out;
  }

  /** Truth for a rename of real `from` to real `to`: source, destination and, when `to` exists, replaced. */
  async rename(from: string, to: string, spec: ItemSpec & { destKnowable?: boolean; destNote?: string }): Promise<TruthItem[]> {
    const src = await this.victim(from, { ...spec, role: 'source', action: 'renamed' });
    const dstDir = path.dirname(to);
    if ((await fsp.realpath(dstDir)) !== dstDir) throw new Error(`recorder bug: ${to} is not a real path`);
    const dst: TruthItem = {
      ...src,
      path: to,
      role: 'destination',
      seenAs: null,
      ...(spec.destKnowable === false ? { pathKnowable: false } : {}),
      ...(spec.destNote ? { note: spec.destNote } : {}),
    };
    if (this.pendingProcess.has(src)) this.pendingProcess.add(dst);
    const items = [src, dst];
    if (await lstatOrNull(to)) items.push(await this.victim(to, { ...spec, role: 'replaced', action: 'renamed' }));
    return items;
  }

  /**
   * Runs `action`, then checks each item against the file system (deleted things are gone, failed ones are still
   * there, a destination holds the moved inode) and keeps the items as truth. Items whose process was not given
   * take the pid and program from the action's result (a RunResult or PyResult).
   */
  async perform(items: TruthItem[], action: () => Promise<unknown>): Promise<void> {
    const result = await action();
    for (const it of items) {
      const st = await lstatOrNull(it.path);
      const where = `${this.name}: after the operation, ${it.role} ${JSON.stringify(it.path)}`;
      if (!it.success) {
        if ((st === null) !== (it.inode === null)) throw new Error(`${where}: a failed attempt changed it`);
      } else if (it.role === 'destination') {
        if (!st || st.ino !== it.inode) throw new Error(`${where}: does not hold inode ${it.inode}`);
      } else if (st && st.ino === it.inode) {
        throw new Error(`${where}: still there`);
      }
    }
    this.fillProcess(items, result);
    this.items.push(...items);
  }

  /** Gives pending items the process of an operation's result. */
  private fillProcess(items: TruthItem[], result: unknown): void {
    for (const it of items) {
      if (!this.pendingProcess.has(it)) continue;
      if (!isProcessResult(result)) throw new Error(`recorder bug: ${this.name}: no process for ${it.path} (set exe and pid in the item spec)`);
      it.exe = result.exe;
      it.pid = result.pid;
      this.pendingProcess.delete(it);
    }
  }

  /** Names the process of an item explicitly (an operation whose result reports several processes). */
  setProcess(item: TruthItem, proc: { pid?: number; exe?: string }): void {
    if (proc.pid === undefined || !proc.exe) throw new Error(`recorder bug: ${this.name}: no process reported for ${item.path}`);
    item.pid = proc.pid;
    item.exe = proc.exe;
    this.pendingProcess.delete(item);
  }

  /** Keeps items the case built and verified itself (paths longer than PATH_MAX, which Node cannot lstat). */
  record(items: TruthItem[]): void {
    for (const it of items) if (!it.exe) throw new Error(`recorder bug: ${this.name}: ${it.path} has no exe`);
    this.items.push(...items);
  }

  /**
   * Runs a tool under strace and takes the truth from the trace replayed on an lstat map of the watched folders
   * (see strace.ts): for tools that fork or choose their own names. Every deletion and rename under the watched
   * folders becomes an item, with the pid and program that made it. Returns the new items and the run's result.
   */
  async performTraced(file: string, args: string[], opts: { cwd?: string; expect?: string } = {}): Promise<{ items: TruthItem[]; result: RunResult }> {
    const roots = [this.vol, ...this.alsoWatched];
    const before = await lstatTree(roots);
    const traceDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'al-rec-trace-'));
    try {
      const traceFile = path.join(traceDir, 'trace');
      const cwd = opts.cwd ?? '/';
      const exe = await resolveExe(file, cwd);
      const result = await this.exec('strace', [...straceArgs(traceFile), exe, ...args], { cwd, expect: opts.expect });
      const ops = await tracedOps(parseStrace(await fsp.readFile(traceFile, 'utf8')), cwd);
      // The replay checks the file system afterwards agrees (deleted objects gone, moved ones in place).
      const items = await truthFromTrace(ops, before, roots);
      this.items.push(...items);
      return { items, result };
    } finally {
      await fsp.rm(traceDir, { recursive: true, force: true });
    }
  }

  /** Runs a command; with `expect` it must fail with that errno's message, else it must succeed. */
  async exec(file: string, args: string[], opts: { cwd?: string; expect?: string } = {}): Promise<RunResult> {
    const r = await run(file, args, { cwd: opts.cwd, allowFail: true });
    if (opts.expect) {
      if (r.code === 0 || !STRERROR[opts.expect].test(r.stderr)) {
        throw new Error(`${file} ${JSON.stringify(args)} should fail with ${opts.expect}, got ${r.code}: ${r.stderr.trim()}`);
      }
    } else if (r.code !== 0) {
      throw new Error(`${file} ${JSON.stringify(args)} exited ${r.code}: ${r.stderr.trim()}`);
    }
    return r;
  }

  /** Runs python operations (optionally behind a prefix such as unshare); each result must have the expected errno. */
  async python(ops: PyOp[], opts: { cwd?: string; expect?: (string | null)[]; prefix?: string[] } = {}): Promise<PyResult> {
    const py = await python();
    const argv = [...(opts.prefix ?? []), py.exe, '-c', PY_OPS, JSON.stringify(ops)];
    const r = await run(argv[0], argv.slice(1), { cwd: opts.cwd });
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as PyResult;
    out.results.forEach((res, i) => {
      const want = opts.expect?.[i] ?? null;
      if (res.errno !== want) throw new Error(`python op ${JSON.stringify(ops[i])}: errno ${res.errno}, want ${want}`);
      if (res.op === 'run' && res.code !== 0) throw new Error(`python run ${JSON.stringify(ops[i])}: ${res.code} ${res.stderr}`);
    });
    return out;
  }

  /** Runs a python script (argv after the script) and returns its last stdout line as JSON. */
  async pythonScript<T>(script: string, args: string[], opts: { cwd?: string } = {}): Promise<T> {
    const py = await python();
    const r = await run(py.exe, ['-c', script, ...args], { cwd: opts.cwd, timeoutMs: 120_000 });
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  }

  /** Runs uring_ops with the given op words; every result must have the expected errno (default success). */
  async uring(args: string[], expect: (string | null)[] = []): Promise<RunResult> {
    const { uringOps } = await buildHelpers();
    const r = await run(uringOps, args);
    const res = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { op: string; res: number; errno: string | null });
    res.forEach((x, i) => {
      const want = expect[i] ?? null;
      if (x.errno !== want) throw new Error(`uring_ops ${x.op} #${i}: ${x.errno} (res ${x.res}), want ${want}`);
    });
    return r;
  }

  /** Mounts (argv after `mount`) and registers the unmount. */
  async mount(args: string[], target: string): Promise<void> {
    await run('mount', args);
    this.defer(() => run('umount', [target]));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

/** One recorded scenario. */
export interface CaseDef {
  name: string;
  description: string;
  /** Adds the io_uring (list 7) rule. */
  uring?: boolean;
  /** Adds b32 twins of the dir= and path= rules (the live watch's rule set on x86_64). */
  b32?: boolean;
  /** Builds the tree before the snapshot is taken. */
  setup(ctx: CaseContext): Promise<void>;
  /** Performs the operations, taking truth before each. */
  run(ctx: CaseContext): Promise<void>;
  /**
   * Keeps the log files as auditd rotated them (audit.log.1, audit.log, …) instead of one joined audit.log, and
   * requires a keyed event whose records the rotation split between two files.
   */
  keepRotation?: boolean;
}

const FILE = 'x\n';

/** mv's first attempt, renameat2(RENAME_NOREPLACE), fails when the target exists; the log shows it, truth does not. */
const MV_PROBE: NoiseRule = {
  comm: 'mv',
  syscall: 'renameat2',
  errno: 'EEXIST',
  reason: "mv's RENAME_NOREPLACE probe of an existing target (a folder to move into, or a file it then replaces with renameat)",
};

/** What a traced operation must have produced (a check of the trace replay against what the case intended). */
interface ExpectedItem {
  /** A path, or a pattern for names the tool picks itself (temp files). */
  path: string | RegExp;
  role: TruthRole;
  syscall: string;
  comm: string;
  errno?: string | null;
}

/** Awaits a traced operation and checks its items are exactly the expected ones, in any order. */
async function expectItems(ctx: CaseContext, traced: Promise<{ items: TruthItem[] }>, want: ExpectedItem[]): Promise<TruthItem[]> {
  const { items } = await traced;
  const left = [...items];
  const missing: string[] = [];
  for (const w of want) {
    const i = left.findIndex(
      (it) =>
        (typeof w.path === 'string' ? it.path === w.path : w.path.test(it.path)) &&
        it.role === w.role &&
        it.syscall === w.syscall &&
        it.comm === w.comm &&
        it.errno === (w.errno ?? null),
    );
    if (i < 0) missing.push(`${w.role} ${w.path} ${w.syscall} ${w.comm} ${w.errno ?? 'ok'}`);
    else left.splice(i, 1);
  }
  if (missing.length > 0 || left.length > 0) {
    const show = (it: TruthItem) => `${it.role} ${it.path} ${it.syscall} ${it.comm} ${it.errno ?? 'ok'}`;
    throw new Error(`${ctx.name}: the trace and the case disagree\n  expected, not traced: ${missing.join('; ')}\n  traced, not expected: ${left.map(show).join('; ')}`);
  }
  return items;
}

const rmSyscall = () => 'unlinkat';

/** A tree `levels` deep with `files` files per level and a side folder. */
function deepTree(levels: number, files: number, tag: string): TreeSpec {
  const level = (n: number): TreeSpec => {
    const spec: TreeSpec = {};
    for (let i = 1; i <= files; i++) spec[`${tag}${n}-file${i}.txt`] = FILE;
    if (n < levels) spec[`level${n + 1}`] = level(n + 1);
    if (n === 2) spec['side'] = { 'side-a.txt': FILE, 'side-b.log': FILE };
    return spec;
  };
  return level(1);
}

/** A deletion a python script made, with what lstat said just before. */
interface PyDeleted {
  path: string;
  inode: number;
  dev: number;
  mode: number;
}

/** A truth item for a deletion a python script made and reported (it verified the unlink itself). */
function pyItem(
  d: PyDeleted,
  spec: { syscall: string; comm: string; exe: string; pid: number; pathKnowable?: boolean; note?: string },
): TruthItem {
  const fmt = d.mode & 0o170000;
  const type: ObjectType = fmt === 0o040000 ? 'dir' : fmt === 0o100000 ? 'file' : fmt === 0o120000 ? 'symlink' : 'other';
  return {
    path: d.path,
    inode: d.inode,
    dev: formatDev(d.dev),
    type,
    action: 'deleted',
    role: 'deleted',
    success: true,
    errno: null,
    seenAs: null,
    syscall: spec.syscall,
    comm: spec.comm,
    exe: spec.exe,
    pid: spec.pid,
    ...(spec.pathKnowable === false ? { pathKnowable: false } : {}),
    ...(spec.note ? { note: spec.note } : {}),
  };
}

// --- rotation-mid-event -----------------------------------------------------------------------------------------

const MiB = 1024 * 1024;
/** auditd rotates once its log reaches max_log_file MiB; the case sets 1. */
const ROTATE_AT = MiB;
const ROTATION_FILES = 400;

/** One round of PY_ROTATE: the deletions made (in order) and the inode of audit.log when the round began. */
interface RotationRound {
  pid: number;
  logIno: number;
  fills: number;
  deleted: PyDeleted[];
}

// Brings audit.log near the limit with keyed opens for writing (modify events, not items), then deletes files one
// at a time (lstat first) until auditd has rotated, and a few more so the split event is not the last one.
const PY_ROTATE = String.raw`
import json, os, sys, time
vol, log, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
ino = os.stat(log).st_ino
filler = os.path.join(vol, 'filler')
fills = 0
# Fast while far from the limit, then one event at a time: auditd writes a little behind the kernel.
for margin, batch, pause in ((256 * 1024, 20, 0), (16 * 1024, 1, 0.002)):
    while True:
        st = os.stat(log)
        if st.st_ino != ino or st.st_size >= limit - margin:
            break
        for _ in range(batch):
            os.close(os.open(filler, os.O_WRONLY))
            fills += 1
        time.sleep(pause)
time.sleep(0.1)
deleted, after = [], 0
names = sorted(os.listdir(os.path.join(vol, 'del')))
while names and after < 3:
    p = os.path.join(vol, 'del', names.pop(0))
    st = os.lstat(p)
    os.unlink(p)
    deleted.append({'path': p, 'inode': st.st_ino, 'dev': st.st_dev, 'mode': st.st_mode})
    time.sleep(0.004)
    if os.stat(log).st_ino != ino:
        after += 1
print(json.dumps({'pid': os.getpid(), 'logIno': ino, 'fills': fills, 'deleted': deleted}))
`;

/**
 * After a rotation: the keyed deletion (unlink, syscall 87) whose records sit both at the end of the rotated file
 * (inode `oldIno`) and at the start of its successor, if any.
 */
async function liveSplit(logFile: string, oldIno: number, key: string): Promise<{ serial: number; inodes: string[] } | null> {
  const chain = await rotationChain(logFile);
  const i = chain.findIndex((f) => f.ino === oldIno);
  if (i < 0 || i + 1 >= chain.length) return null;
  const oldSize = (await fsp.stat(chain[i].path)).size;
  const tail = await readFrom(chain[i].path, Math.max(0, oldSize - 64 * 1024));
  const head = (await readFrom(chain[i + 1].path, 0)).subarray(0, 64 * 1024);
  for (const s of splitEvents([tail, head], ['old', 'new'], key)) {
    const lines = [tail, head].flatMap((b) => b.toString('latin1').split('\n')).filter((l) => l.includes(`:${s.serial}):`));
    if (!s.keyed || !lines.some((l) => l.startsWith('type=SYSCALL') && l.includes(' syscall=87 '))) continue;
    const inodes = lines.flatMap((l) => [...l.matchAll(/ inode=(\d+) /g)].map((m) => m[1]));
    return { serial: s.serial, inodes };
  }
  return null;
}

/** The value of `key = value` in an auditd.conf text, or null. */
function confValue(text: string, key: string): string | null {
  return new RegExp(`^\\s*${key}\\s*=\\s*(\\S+)`, 'mi').exec(text)?.[1] ?? null;
}

function setConf(text: string, key: string, value: string): string {
  const re = new RegExp(`^\\s*${key}\\s*=.*$`, 'mi');
  return re.test(text) ? text.replace(re, `${key} = ${value}`) : `${text.replace(/\n?$/, '\n')}${key} = ${value}\n`;
}

/** Waits until auditd has logged the op=reconfigure record of a reload this process asked for at `since` (ms). */
async function waitReconfigured(logFile: string, since: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  const mine = ` pid=${process.pid} `;
  for (;;) {
    for (const f of (await rotationChain(logFile)).slice(-2)) {
      const size = (await fsp.stat(f.path)).size;
      const text = (await readFrom(f.path, Math.max(0, size - 256 * 1024))).toString('latin1');
      for (const line of text.split('\n')) {
        const m = /^type=DAEMON_CONFIG msg=audit\((\d+)\.(\d+):\d+\): op=reconfigure /.exec(line);
        if (m && line.includes(mine) && Number(m[1]) * 1000 + Number(m[2]) >= since - 1000) return;
      }
    }
    if (Date.now() > deadline) throw new Error('auditd did not log op=reconfigure after SIGHUP');
    await sleep(50);
  }
}

/**
 * Runs `fn` with auditd rotating at 1 MiB (max_log_file = 1, num_logs >= 2, max_log_file_action = ROTATE), then
 * puts auditd.conf back byte for byte (and its times) and reloads, also when `fn` fails or the recorder is
 * interrupted. auditd is shared: the window is kept to the seconds the case needs.
 */
async function withSmallLogs(fn: (logFile: string) => Promise<void>): Promise<void> {
  const conf = '/etc/audit/auditd.conf';
  const original = await fsp.readFile(conf);
  const times = await fsp.stat(conf);
  const text = original.toString('utf8');
  const logFile = await auditLogPath();
  let small = setConf(text, 'max_log_file', '1');
  if (Number(confValue(text, 'num_logs') ?? '0') < 2) small = setConf(small, 'num_logs', '2');
  small = setConf(small, 'max_log_file_action', 'ROTATE');
  const pid = (await auditStatus()).pid;
  if (!pid || processName(pid) !== 'auditd') throw new Error('auditd is not running');
  const restoreSync = (): void => {
    writeFileSync(conf, original);
    utimesSync(conf, times.atime, times.mtime);
    process.kill(pid, 'SIGHUP');
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    restoreSync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await fsp.writeFile(conf, small);
    const t = Date.now();
    process.kill(pid, 'SIGHUP');
    await waitReconfigured(logFile, t);
    await fn(logFile);
  } finally {
    const t = Date.now();
    restoreSync();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await waitReconfigured(logFile, t);
    if (!(await fsp.readFile(conf)).equals(original)) throw new Error(`${conf} was not restored`);
  }
}

// --- cwd-too-long -----------------------------------------------------------------------------------------------

/** How long the deep cwd gets: beyond PATH_MAX + 11, where the kernel's d_path gives up. */
const DEEP_CWD_LEN = 4300;

interface DeepRun {
  dirs: string[];
  deleted: (PyDeleted & { name: string; syscall: string; comm: string; exe: string; pid: number })[];
}

// mkdir + chdir one level at a time until the cwd is longer than the limit, then deletes by relative names: python's
// unlink, an rm child, python's rmdir, and unlinkat through a dirfd on ".". Each object is lstat'd just before.
const PY_DEEP_CWD = String.raw`
import json, os, shutil, subprocess, sys
vol, limit = sys.argv[1], int(sys.argv[2])
os.chdir(vol)
dirs, length = [], len(vol.encode())
while length <= limit:
    name = 'deep%02d-' % len(dirs) + 'd' * 190
    os.mkdir(name)
    os.chdir(name)
    dirs.append(name)
    length += 1 + len(name)
for f in ('f1.txt', 'f2.txt', 'f3.txt'):
    open(f, 'w').close()
os.mkdir('emptydir')
me = {'comm': open('/proc/self/comm').read().strip(), 'exe': os.path.realpath('/proc/self/exe'), 'pid': os.getpid()}
deleted = []
def took(name, syscall, who):
    st = os.lstat(name)
    deleted.append(dict(who, name=name, syscall=syscall, path=name, inode=st.st_ino, dev=st.st_dev, mode=st.st_mode))
def gone(name):
    try:
        os.lstat(name)
    except FileNotFoundError:
        return
    raise SystemExit(name + ' still there')
took('f1.txt', 'unlink', me)
os.unlink('f1.txt')
gone('f1.txt')
rm = os.path.realpath(shutil.which('rm'))
st = os.lstat('f2.txt')
p = subprocess.Popen(['rm', 'f2.txt'])
if p.wait() != 0:
    raise SystemExit('rm failed')
deleted.append({'comm': 'rm', 'exe': rm, 'pid': p.pid, 'name': 'f2.txt', 'syscall': 'unlinkat', 'path': 'f2.txt', 'inode': st.st_ino, 'dev': st.st_dev, 'mode': st.st_mode})
gone('f2.txt')
took('emptydir', 'rmdir', me)
os.rmdir('emptydir')
gone('emptydir')
took('f3.txt', 'unlinkat', me)
fd = os.open('.', os.O_RDONLY | os.O_DIRECTORY)
os.unlink('f3.txt', dir_fd=fd)
os.close(fd)
gone('f3.txt')
print(json.dumps({'dirs': dirs, 'deleted': deleted}))
`;

// --- inode-reuse ------------------------------------------------------------------------------------------------

interface ReuseRun {
  chained: boolean;
  attempts: number;
  deleted: (PyDeleted & { syscall: string; comm: string; exe: string; pid: number; note?: string })[];
}

// Chains of three files sharing one inode number within a second: a/orig (absolute unlink), b/newN (created and
// unlinked through a dirfd by python), c/nextN (created through a dirfd, deleted by find -delete, another process).
const PY_INODE_REUSE = String.raw`
import json, os, shutil, subprocess, sys, time
vol = sys.argv[1]
a, b, c = (os.path.join(vol, x) for x in 'abc')
me = {'comm': open('/proc/self/comm').read().strip(), 'exe': os.path.realpath('/proc/self/exe'), 'pid': os.getpid()}
find = os.path.realpath(shutil.which('find'))
deleted = []
def rec(path, st, syscall, who, note=None):
    d = dict(who, path=path, syscall=syscall, inode=st.st_ino, dev=st.st_dev, mode=st.st_mode)
    if note:
        d['note'] = note
    deleted.append(d)
def create_at(dirpath, name):
    fd = os.open(dirpath, os.O_RDONLY | os.O_DIRECTORY)
    os.close(os.open(name, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    return fd, st
chained = False
for attempt in range(50):
    t0 = time.monotonic()
    first = os.path.join(a, 'orig.txt' if attempt == 0 else 'orig%d.txt' % attempt)
    if attempt:
        open(first, 'w').close()
    st0 = os.lstat(first)
    os.unlink(first)
    rec(first, st0, 'unlink', me, 'in the snapshot' if attempt == 0 else None)
    fd, st1 = create_at(b, 'new%d.txt' % attempt)
    os.unlink('new%d.txt' % attempt, dir_fd=fd)
    os.close(fd)
    rec(os.path.join(b, 'new%d.txt' % attempt), st1, 'unlinkat', me)
    fd, st2 = create_at(c, 'next%d.txt' % attempt)
    os.close(fd)
    p = subprocess.Popen([find, c, '-name', 'next%d.txt' % attempt, '-delete'])
    if p.wait() != 0:
        raise SystemExit('find failed')
    rec(os.path.join(c, 'next%d.txt' % attempt), st2, 'unlinkat', {'comm': 'find', 'exe': find, 'pid': p.pid})
    if st0.st_ino == st1.st_ino == st2.st_ino and time.monotonic() - t0 < 1.0:
        chained = True
        n = len(deleted)
        for d in deleted[n - 3:]:
            d['note'] = (d.get('note', '') + '; ' if d.get('note') else '') + 'inode %d reused within one second' % st0.st_ino
        break
print(json.dumps({'chained': chained, 'attempts': attempt + 1, 'deleted': deleted}))
`;

// --- dense-mixed ------------------------------------------------------------------------------------------------

const DENSE_WORKERS = 4;
const DENSE_OPS = 1400;

interface DenseItem {
  path: string;
  inode: number | null;
  dev: number | null;
  mode: number | null;
  role: TruthRole;
  action: 'deleted' | 'renamed';
  errno: string | null;
  syscall: string;
  comm: string;
  exe: string;
  pid: number;
}

interface DenseRun {
  items: DenseItem[];
  counts: Record<string, number>;
  sideDeletions: number;
}

// Forks workers that each own one subtree of VOL and run a seeded random mix of operations, taking lstat before
// every one: deletions by absolute name and through dirfds, creations, writes, renames (some onto existing files,
// some of folders), failed attempts (ENOENT, ENOTEMPTY, and EACCES as user nobody), shutil.rmtree, and rm -rf,
// find -delete and mv as child processes. One more worker deletes in SIDE, watched under another key.
const PY_DENSE = String.raw`
import errno, json, os, random, shutil, subprocess, sys, tempfile
vol, side, nworkers, nops = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tools = {t: os.path.realpath(shutil.which(t)) for t in ('rm', 'find', 'mv')}
out_dir = tempfile.mkdtemp()

def me():
    return {'comm': open('/proc/self/comm').read().strip(), 'exe': os.path.realpath('/proc/self/exe'), 'pid': os.getpid()}

def stat_or_none(p):
    try:
        return os.lstat(p)
    except FileNotFoundError:
        return None

def item(p, st, role, action, syscall, who, err=None):
    return dict(who, path=p, inode=st.st_ino if st else None, dev=st.st_dev if st else None,
                mode=st.st_mode if st else None, role=role, action=action, errno=err, syscall=syscall)

def tree_items(top, syscall_of, who):
    out = []
    def walk(p, is_top):
        st = os.lstat(p)
        if os.path.isdir(p) and not os.path.islink(p):
            for n in sorted(os.listdir(p)):
                walk(os.path.join(p, n), False)
        out.append(item(p, st, 'deleted', 'deleted', syscall_of(is_top, st), who))
    walk(top, True)
    return out

def worker(w, seed):
    rnd = random.Random(seed)
    base = os.path.join(vol, 'w%d' % w)
    items, counts = [], {}
    who = me()
    serial = [0]
    def fresh(prefix):
        serial[0] += 1
        return '%s%d-%d' % (prefix, w, serial[0])
    def files():
        out = []
        for d, ds, fs in os.walk(base):
            out.extend(os.path.join(d, f) for f in fs)
        return out
    def dirs(empty=None):
        out = []
        for d, ds, fs in os.walk(base):
            for x in ds:
                p = os.path.join(d, x)
                if empty is None or (not os.listdir(p)) == empty:
                    out.append(p)
        return out
    def bump(k):
        counts[k] = counts.get(k, 0) + 1
    for i in range(nops):
        r = rnd.random()
        fs = files()
        if r < 0.28 and fs:
            p = rnd.choice(fs); st = os.lstat(p); os.unlink(p)
            items.append(item(p, st, 'deleted', 'deleted', 'unlink', who)); bump('unlink')
        elif r < 0.42 and fs:
            p = rnd.choice(fs); st = os.lstat(p)
            fd = os.open(os.path.dirname(p), os.O_RDONLY | os.O_DIRECTORY)
            os.unlink(os.path.basename(p), dir_fd=fd); os.close(fd)
            items.append(item(p, st, 'deleted', 'deleted', 'unlinkat', who)); bump('unlinkat')
        elif r < 0.60:
            ds = dirs() + [base]
            d = rnd.choice(ds)
            if rnd.random() < 0.5:
                open(os.path.join(d, fresh('new') + '.txt'), 'w').close()
            else:
                fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
                os.close(os.open(fresh('at') + '.dat', os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)); os.close(fd)
            bump('create')
        elif r < 0.65:
            d = rnd.choice(dirs() + [base]); os.mkdir(os.path.join(d, fresh('dir'))); bump('mkdir')
        elif r < 0.70 and fs:
            with open(rnd.choice(fs), 'a') as f:
                f.write('more\n')
            bump('write')
        elif r < 0.79 and len(fs) > 1:
            a = rnd.choice(fs)
            if rnd.random() < 0.3:
                b = rnd.choice([x for x in fs if x != a])
            else:
                b = os.path.join(rnd.choice(dirs() + [base]), fresh('moved') + '.txt')
            sa, sb = os.lstat(a), stat_or_none(b)
            os.rename(a, b)
            items.append(item(a, sa, 'source', 'renamed', 'rename', who))
            items.append(item(b, sa, 'destination', 'renamed', 'rename', who))
            if sb:
                items.append(item(b, sb, 'replaced', 'renamed', 'rename', who))
            bump('rename')
        elif r < 0.81 and dirs():
            a = rnd.choice(dirs())
            b = os.path.join(os.path.dirname(a), fresh('rdir'))
            sa = os.lstat(a); os.rename(a, b)
            items.append(item(a, sa, 'source', 'renamed', 'rename', who))
            items.append(item(b, sa, 'destination', 'renamed', 'rename', who))
            bump('rename-dir')
        elif r < 0.84:
            p = os.path.join(base, fresh('missing') + '.txt')
            try:
                os.unlink(p)
                raise SystemExit('unlink of a missing file succeeded')
            except FileNotFoundError:
                items.append(item(p, None, 'deleted', 'deleted', 'unlink', who, 'ENOENT')); bump('enoent')
        elif r < 0.86 and dirs(empty=False):
            p = rnd.choice(dirs(empty=False)); st = os.lstat(p)
            try:
                os.rmdir(p)
                raise SystemExit('rmdir of a full folder succeeded')
            except OSError as e:
                items.append(item(p, st, 'deleted', 'deleted', 'rmdir', who, errno.errorcode[e.errno])); bump('enotempty')
        elif r < 0.88 and fs:
            # A child as user nobody: the folders are root's 0755, so the unlink itself is refused.
            p = rnd.choice(fs); st = os.lstat(p)
            rd, wr = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(rd)
                os.setgid(65534); os.setuid(65534)
                try:
                    os.unlink(p); res = 'ok'
                except OSError as e:
                    res = errno.errorcode[e.errno]
                os.write(wr, json.dumps({'res': res, 'who': me()}).encode()); os._exit(0)
            os.close(wr)
            data = json.loads(os.read(rd, 4096)); os.close(rd); os.waitpid(pid, 0)
            if data['res'] != 'EACCES':
                raise SystemExit('nobody could unlink: ' + data['res'])
            items.append(item(p, st, 'deleted', 'deleted', 'unlink', data['who'], 'EACCES')); bump('eacces')
        elif r < 0.91 and dirs():
            d = rnd.choice(dirs())
            items.extend(tree_items(d, lambda top, st: 'rmdir' if top else 'unlinkat', who))
            shutil.rmtree(d); bump('rmtree')
        elif r < 0.95 and dirs():
            d = rnd.choice(dirs())
            tool = rnd.choice(['rm', 'find'])
            argv = [tools['rm'], '-rf', d] if tool == 'rm' else [tools['find'], d, '-delete']
            its = tree_items(d, lambda top, st: 'unlinkat', {'comm': tool, 'exe': tools[tool], 'pid': 0})
            p = subprocess.Popen(argv)
            if p.wait() != 0:
                raise SystemExit(tool + ' failed')
            for x in its:
                x['pid'] = p.pid
            items.extend(its); bump(tool)
        elif fs:
            a = rnd.choice(fs)
            b = os.path.join(rnd.choice(dirs() + [base]), fresh('mv') + '.txt')
            sa = os.lstat(a)
            p = subprocess.Popen([tools['mv'], a, b])
            if p.wait() != 0:
                raise SystemExit('mv failed')
            mv_who = {'comm': 'mv', 'exe': tools['mv'], 'pid': p.pid}
            items.append(item(a, sa, 'source', 'renamed', 'renameat2', mv_who))
            items.append(item(b, sa, 'destination', 'renamed', 'renameat2', mv_who))
            bump('mv')
    return items, counts

def side_worker():
    n = 0
    for i in range(nops // 2):
        p = os.path.join(side, 's%d.txt' % i)
        open(p, 'w').close(); os.unlink(p); n += 1
    return n

pids = []
for w in range(nworkers + 1):
    pid = os.fork()
    if pid == 0:
        try:
            res = worker(w, 1000 + w) if w < nworkers else side_worker()
            with open(os.path.join(out_dir, '%d.json' % w), 'w') as f:
                json.dump(res, f)
            os._exit(0)
        except BaseException as e:
            sys.stderr.write('worker %d: %r\n' % (w, e)); os._exit(1)
    pids.append(pid)
for pid in pids:
    if os.waitpid(pid, 0)[1] != 0:
        raise SystemExit('a worker failed')
items, counts, side_n = [], {}, 0
for w in range(nworkers + 1):
    with open(os.path.join(out_dir, '%d.json' % w)) as f:
        res = json.load(f)
    if w < nworkers:
        items.extend(res[0])
        for k, v in res[1].items():
            counts[k] = counts.get(k, 0) + v
    else:
        side_n = res
shutil.rmtree(out_dir)
print(json.dumps({'items': items, 'counts': counts, 'sideDeletions': side_n}))
`;

/** A truth item from a dense-workload report (lstat before each operation, inode null for ENOENT). */
function denseItem(d: DenseItem): TruthItem {
  const known = d.inode !== null ? pyItem({ path: d.path, inode: d.inode, dev: d.dev!, mode: d.mode! }, d) : null;
  return {
    path: d.path,
    inode: known?.inode ?? null,
    dev: known?.dev ?? null,
    type: known?.type ?? null,
    action: d.action,
    role: d.role,
    success: d.errno === null,
    errno: d.errno,
    seenAs: null,
    syscall: d.syscall,
    comm: d.comm,
    exe: d.exe,
    pid: d.pid,
  };
}

const ODD_NAMES = [
  'with space.txt',
  "it's quoted.txt",
  'say "hi".txt',
  'new\nline.txt',
  'tab\there.txt',
  'back\\slash.txt',
  '中文文件.txt',
  'emoji 🎉 party.txt',
];

export const CASES: CaseDef[] = [
  {
    name: 'unlink-absolute',
    description: 'rm and unlink(1) of files (and a symlink) by absolute path, cwd outside the folder',
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, 'alink': { symlink: 'a.txt' }, sub: { 'b.txt': FILE } });
    },
    async run(ctx) {
      const { vol } = ctx;
      for (const name of ['a.txt', 'alink']) {
        const p = path.join(vol, name);
        await ctx.perform([await ctx.victim(p, { syscall: 'unlinkat', comm: 'rm' })], () => ctx.exec('rm', [p]));
      }
      const b = path.join(vol, 'sub', 'b.txt');
      await ctx.perform([await ctx.victim(b, { syscall: 'unlink', comm: 'unlink' })], () => ctx.exec('unlink', [b]));
    },
  },
  {
    name: 'unlink-relative',
    description: 'rm and unlink(1) with relative names, cwd inside the watched folder',
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, sub: { 'b.txt': FILE, 'd.txt': FILE, deeper: { 'c.txt': FILE } } });
    },
    async run(ctx) {
      const cwd = path.join(ctx.vol, 'sub');
      const ops: [string, string, string][] = [
        ['rm', 'b.txt', 'unlinkat'],
        ['rm', '../a.txt', 'unlinkat'],
        ['rm', './deeper/c.txt', 'unlinkat'],
        ['unlink', 'd.txt', 'unlink'],
      ];
      for (const [cmd, rel, syscall] of ops) {
        const real = path.resolve(cwd, rel);
        await ctx.perform([await ctx.victim(real, { syscall, comm: cmd })], () => ctx.exec(cmd, [rel], { cwd }));
      }
    },
  },
  {
    name: 'rm-rf-deep',
    description: 'rm -rf of a 5-level tree with several files per level, cwd / (unlinkat with dirfds)',
    async setup(ctx) {
      await ctx.build({ deep: deepTree(5, 3, 'l'), 'keep.txt': FILE });
    },
    async run(ctx) {
      const top = path.join(ctx.vol, 'deep');
      const items = await ctx.tree(top, { comm: 'rm', syscallOf: rmSyscall });
      await ctx.perform(items, () => ctx.exec('rm', ['-rf', top], { cwd: '/' }));
    },
  },
  {
    name: 'find-delete',
    description: 'find VOL/x -delete, cwd / (find removes relative to directory fds, the start point too)',
    async setup(ctx) {
      await ctx.build({ x: { 'f1.txt': FILE, y: { 'f2.txt': FILE, z: { 'f3.txt': FILE, empty: {} } } }, 'keep.txt': FILE });
    },
    async run(ctx) {
      const top = path.join(ctx.vol, 'x');
      const items = await ctx.tree(top, { comm: 'find', syscallOf: rmSyscall });
      await ctx.perform(items, () => ctx.exec('find', [top, '-delete'], { cwd: '/' }));
    },
  },
  {
    name: 'python-dir-fd-unlink',
    description: 'Python os.unlink/os.rmdir(name, dir_fd=fd), cwd in the temp root outside the folder',
    async setup(ctx) {
      await ctx.build({ pd: { 'f1.txt': FILE, 'f2.txt': FILE, emptydir: {}, sub: { 'f3.txt': FILE } } });
    },
    async run(ctx) {
      const { comm } = await python();
      const dir = path.join(ctx.vol, 'pd');
      const ops: [string, string][] = [
        ['unlink_at', 'f1.txt'],
        ['rmdir_at', 'emptydir'],
        // A name with a slash relative to the dirfd: the DELETE item is "sub/f3.txt", its parent is sub.
        ['unlink_at', 'sub/f3.txt'],
        ['unlink_at', 'f2.txt'],
      ];
      for (const [op, name] of ops) {
        const item = await ctx.victim(path.join(dir, name), { syscall: 'unlinkat', comm });
        await ctx.perform([item], () => ctx.python([[op, dir, name]], { cwd: ctx.root }));
      }
    },
  },
  {
    name: 'python-rmtree',
    description: 'shutil.rmtree (fd-based: unlinkat relative to dirfds, rmdir(2) for the top), cwd /',
    async setup(ctx) {
      await ctx.build({ pt: { 'a.txt': FILE, b: { 'b.txt': FILE, c: { 'c1.txt': FILE, 'c2.txt': FILE } } } });
    },
    async run(ctx) {
      const { comm } = await python();
      const top = path.join(ctx.vol, 'pt');
      const items = await ctx.tree(top, { comm, syscallOf: (_p, isTop) => (isTop ? 'rmdir' : 'unlinkat') });
      await ctx.perform(items, () => ctx.python([['rmtree', top]], { cwd: '/' }));
    },
  },
  {
    name: 'rmdir',
    description: 'rmdir(1) of empty folders by absolute and relative path',
    async setup(ctx) {
      await ctx.build({ empty1: {}, p: { q: {} }, empty2: {} });
    },
    async run(ctx) {
      for (const rel of ['empty1', 'p/q']) {
        const p = path.join(ctx.vol, rel);
        await ctx.perform([await ctx.victim(p, { syscall: 'rmdir', comm: 'rmdir' })], () => ctx.exec('rmdir', [p]));
      }
      const p = path.join(ctx.vol, 'empty2');
      await ctx.perform([await ctx.victim(p, { syscall: 'rmdir', comm: 'rmdir' })], () =>
        ctx.exec('rmdir', ['empty2'], { cwd: ctx.vol }),
      );
    },
  },
  {
    name: 'rename-out',
    description: 'mv of files and a folder from the watched folder to a folder outside it',
    async setup(ctx) {
      await ctx.build({ 'doc.txt': FILE, 'report.txt': FILE, folder: { 'inner.txt': FILE } });
      await ctx.build({}, path.join(ctx.root, 'outside'));
    },
    async run(ctx) {
      const out = path.join(ctx.root, 'outside');
      ctx.notes.push(
        'mv first tries renameat2(RENAME_NOREPLACE) with the target as given; when that is an existing folder it ' +
          'fails with EEXIST and mv retries into the folder through a dirfd. The EEXIST probes are in the log; they are not truth items.',
      );
      ctx.noise.push(MV_PROBE);
      // `mv FILE DIR/`: the new name is relative to a dirfd on DIR, which is outside the snapshot.
      const doc = path.join(ctx.vol, 'doc.txt');
      await ctx.perform(
        await ctx.rename(doc, path.join(out, 'doc.txt'), {
          syscall: 'renameat2',
          comm: 'mv',
          destKnowable: false,
          destNote:
            'mv renames into the folder through a dirfd: this record names only "doc.txt" under a PARENT named like the cwd, ' +
            'and the folder is outside the snapshot (another event may name it)',
        }),
        () => ctx.exec('mv', [doc, out + '/']),
      );
      // An explicit absolute destination: both names are absolute in the record.
      const rep = path.join(ctx.vol, 'report.txt');
      const repDst = path.join(out, 'report-moved.txt');
      await ctx.perform(await ctx.rename(rep, repDst, { syscall: 'renameat2', comm: 'mv' }), () => ctx.exec('mv', [rep, repDst]));
      const folder = path.join(ctx.vol, 'folder');
      const folderDst = path.join(out, 'folder-moved');
      await ctx.perform(await ctx.rename(folder, folderDst, { syscall: 'renameat2', comm: 'mv' }), () =>
        ctx.exec('mv', [folder, folderDst]),
      );
    },
  },
  {
    name: 'rename-over',
    description: 'renames onto an existing file inside the folder: mv -f and Python os.rename',
    async setup(ctx) {
      await ctx.build({ 'new.txt': 'new\n', 'old.txt': 'old\n', sub: { 'x.txt': 'x\n', 'y.txt': 'y\n' } });
    },
    async run(ctx) {
      const { comm } = await python();
      ctx.notes.push('mv -f first tries renameat2(RENAME_NOREPLACE), which fails with EEXIST, then renameat(2); the probe is not a truth item.');
      ctx.noise.push(MV_PROBE);
      const a = path.join(ctx.vol, 'new.txt');
      const b = path.join(ctx.vol, 'old.txt');
      await ctx.perform(await ctx.rename(a, b, { syscall: 'renameat', comm: 'mv' }), () => ctx.exec('mv', ['-f', a, b]));
      const x = path.join(ctx.vol, 'sub', 'x.txt');
      const y = path.join(ctx.vol, 'sub', 'y.txt');
      await ctx.perform(await ctx.rename(x, y, { syscall: 'rename', comm }), () => ctx.python([['rename', x, y]]));
    },
  },
  {
    name: 'fail-enoent',
    description: 'rm and rmdir of names that do not exist in the folder (ENOENT, no inode)',
    async setup(ctx) {
      await ctx.build({ 'present.txt': FILE });
    },
    async run(ctx) {
      const f = path.join(ctx.vol, 'missing.txt');
      await ctx.perform([await ctx.victim(f, { syscall: 'unlinkat', comm: 'rm', errno: 'ENOENT' })], () =>
        ctx.exec('rm', [f], { expect: 'ENOENT' }),
      );
      const d = path.join(ctx.vol, 'missing-dir');
      await ctx.perform([await ctx.victim(d, { syscall: 'rmdir', comm: 'rmdir', errno: 'ENOENT' })], () =>
        ctx.exec('rmdir', [d], { expect: 'ENOENT' }),
      );
    },
  },
  {
    name: 'fail-eacces',
    description: 'user nobody (runuser) tries rm -f and rmdir in a root-owned 0755 folder (EACCES)',
    async setup(ctx) {
      await ctx.build({ prot: { 'f.txt': FILE, d: {} } });
      // nobody must reach the folder to be refused at the deletion itself, not at the path walk.
      for (const p of [ctx.root, ctx.vol, path.join(ctx.vol, 'prot')]) await fsp.chmod(p, 0o755);
    },
    async run(ctx) {
      // runuser forks the command: the pid of rm and rmdir comes from the trace.
      const f = path.join(ctx.vol, 'prot', 'f.txt');
      await expectItems(ctx, ctx.performTraced('runuser', ['-u', 'nobody', '--', 'rm', '-f', f], { expect: 'EACCES' }), [
        { path: f, role: 'deleted', syscall: 'unlinkat', comm: 'rm', errno: 'EACCES' },
      ]);
      const d = path.join(ctx.vol, 'prot', 'd');
      await expectItems(ctx, ctx.performTraced('runuser', ['-u', 'nobody', '--', 'rmdir', d], { expect: 'EACCES' }), [
        { path: d, role: 'deleted', syscall: 'rmdir', comm: 'rmdir', errno: 'EACCES' },
      ]);
    },
  },
  {
    name: 'fail-ebusy',
    description: 'rmdir of a folder that is a tmpfs mount point (EBUSY); the record names the covered directory',
    async setup(ctx) {
      await ctx.build({ mnt: {}, 'keep.txt': FILE });
    },
    async run(ctx) {
      const mnt = path.join(ctx.vol, 'mnt');
      // Truth before mounting: rmdir looks the name up in the parent and sees the covered directory, not the tmpfs root.
      const item = await ctx.victim(mnt, {
        syscall: 'rmdir',
        comm: 'rmdir',
        errno: 'EBUSY',
        note: 'a mount point: the inode is that of the covered directory, taken before the mount',
      });
      await ctx.mount(['-t', 'tmpfs', '-o', 'size=1m', 'al-rec-tmpfs', mnt], mnt);
      await ctx.perform([item], () => ctx.exec('rmdir', [mnt], { expect: 'EBUSY' }));
    },
  },
  {
    name: 'fail-eperm',
    description: 'rm -f of an immutable file and of a file in an immutable folder (chattr +i, EPERM)',
    async setup(ctx) {
      await ctx.build({ 'imm.txt': FILE, immdir: { 'f.txt': FILE } });
    },
    async run(ctx) {
      const imm = path.join(ctx.vol, 'imm.txt');
      const immdir = path.join(ctx.vol, 'immdir');
      for (const p of [imm, immdir]) {
        await run('chattr', ['+i', p]);
        ctx.defer(() => run('chattr', ['-i', p]));
      }
      await ctx.perform([await ctx.victim(imm, { syscall: 'unlinkat', comm: 'rm', errno: 'EPERM' })], () =>
        ctx.exec('rm', ['-f', imm], { expect: 'EPERM' }),
      );
      const f = path.join(immdir, 'f.txt');
      await ctx.perform([await ctx.victim(f, { syscall: 'unlinkat', comm: 'rm', errno: 'EPERM' })], () =>
        ctx.exec('rm', ['-f', f], { expect: 'EPERM' }),
      );
    },
  },
  {
    name: 'odd-names',
    description: 'names with spaces, quotes, newline, tab, backslash, CJK and emoji, removed by rm -rf and by Python',
    async setup(ctx) {
      const files = Object.fromEntries(ODD_NAMES.map((n) => [n, FILE]));
      await ctx.build({
        odd: { ...files, "dir with 'quotes' and 空格": { 'inner "q".txt': FILE, 'ünïcödé\tname.txt': FILE } },
        odd2: files,
      });
    },
    async run(ctx) {
      const { comm } = await python();
      const odd = path.join(ctx.vol, 'odd');
      await ctx.perform(await ctx.tree(odd, { comm: 'rm', syscallOf: rmSyscall }), () => ctx.exec('rm', ['-rf', odd], { cwd: '/' }));
      const odd2 = path.join(ctx.vol, 'odd2');
      for (const name of ODD_NAMES) {
        const p = path.join(odd2, name);
        await ctx.perform([await ctx.victim(p, { syscall: 'unlink', comm })], () => ctx.python([['unlink', p]]));
      }
      await ctx.perform([await ctx.victim(odd2, { syscall: 'rmdir', comm })], () => ctx.python([['rmdir', odd2]]));
    },
  },
  {
    name: 'bind-mount',
    description: 'deletions through a bind mount of the watched folder, by absolute path (seenAs = the bind path)',
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, sub: { 'b.txt': FILE }, emptydir: {}, 'c.txt': FILE });
    },
    async run(ctx) {
      const { comm } = await python();
      const bind = path.join(ctx.root, 'bind');
      await fsp.mkdir(bind);
      await ctx.mount(['--bind', ctx.vol, bind], bind);
      const ops: [string, string, string, string][] = [
        ['rm', 'a.txt', 'unlinkat', 'rm'],
        ['unlink', 'sub/b.txt', 'unlink', 'unlink'],
        ['rmdir', 'emptydir', 'rmdir', 'rmdir'],
        ['python', 'c.txt', 'unlink', comm],
      ];
      for (const [cmd, rel, syscall, c] of ops) {
        const seen = path.join(bind, rel);
        const item = await ctx.victim(path.join(ctx.vol, rel), { syscall, comm: c, seenAs: seen });
        await ctx.perform([item], () => (cmd === 'python' ? ctx.python([['unlink', seen]]) : ctx.exec(cmd, [seen])));
      }
    },
  },
  {
    name: 'symlink-path',
    description: 'deletions through a symlink to the watched folder (ln -s VOL link; rm link/file)',
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, sub: { 'b.txt': FILE }, emptydir: {} });
    },
    async run(ctx) {
      const { comm } = await python();
      const link = path.join(ctx.root, 'link');
      await fsp.symlink(ctx.vol, link);
      const ops: [string, string, string, string][] = [
        ['rm', 'a.txt', 'unlinkat', 'rm'],
        ['rmdir', 'emptydir', 'rmdir', 'rmdir'],
        ['python', 'sub/b.txt', 'unlink', comm],
      ];
      for (const [cmd, rel, syscall, c] of ops) {
        const seen = path.join(link, rel);
        const item = await ctx.victim(path.join(ctx.vol, rel), { syscall, comm: c, seenAs: seen });
        await ctx.perform([item], () => (cmd === 'python' ? ctx.python([['unlink', seen]]) : ctx.exec(cmd, [seen])));
      }
    },
  },
  {
    name: 'mount-namespace',
    description: 'deletions from inside unshare -m, with the folder bind-mounted at a path that exists only there',
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, sub: { 'b.txt': FILE }, emptydir: {} });
    },
    async run(ctx) {
      const { comm } = await python();
      // The mount point exists (empty) in the root namespace; the bind lives only in the private namespace.
      const priv = await fsp.mkdtemp('/mnt/al-rec-ns-');
      ctx.defer(() => fsp.rmdir(priv));
      const seen = (rel: string) => path.join(priv, rel);
      const items = [
        await ctx.victim(path.join(ctx.vol, 'a.txt'), { syscall: 'unlinkat', comm: 'rm', seenAs: seen('a.txt') }),
        await ctx.victim(path.join(ctx.vol, 'emptydir'), { syscall: 'rmdir', comm: 'rmdir', seenAs: seen('emptydir') }),
        await ctx.victim(path.join(ctx.vol, 'sub', 'b.txt'), { syscall: 'unlink', comm, seenAs: seen('sub/b.txt') }),
      ];
      await ctx.perform(items, async () => {
        // unshare execs python (no --fork), so python's pid is the one execFile started; rm and rmdir are its children.
        const r = await ctx.python(
          [
            ['run', ['mount', '--bind', ctx.vol, priv]],
            ['run', ['rm', seen('a.txt')]],
            ['run', ['rmdir', seen('emptydir')]],
            ['unlink', seen('sub/b.txt')],
          ],
          { prefix: ['unshare', '--mount', '--propagation', 'private', '--'] },
        );
        ctx.setProcess(items[0], r.results[1]);
        ctx.setProcess(items[1], r.results[2]);
        ctx.setProcess(items[2], r);
      });
    },
  },
  {
    name: 'watched-folder-deleted',
    description: 'rm -rf of the watched folder itself (the dir= rule is dropped), then mkdir + create + delete in it',
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, sub: { 'b.txt': FILE, deeper: { 'c.txt': FILE } } });
    },
    async run(ctx) {
      const { vol } = ctx;
      ctx.notes.push(
        'The SYSCALL record of the folder’s own rmdir carries the key through the path= rule; in the same event the ' +
          'kernel logs CONFIG_CHANGE op=remove_rule for the dir= rule. After mkdir only the path= rule remains.',
      );
      await ctx.perform(await ctx.tree(vol, { comm: 'rm', syscallOf: rmSyscall }), () => ctx.exec('rm', ['-rf', vol], { cwd: '/' }));
      await ctx.exec('mkdir', [vol]);
      const f = path.join(vol, 'new.txt');
      await ctx.exec('touch', [f]);
      await ctx.perform([await ctx.victim(f, { syscall: 'unlinkat', comm: 'rm' })], () => ctx.exec('rm', [f]));
    },
  },
  {
    name: 'watched-folder-deleted-b32',
    description: 'rm -rf of a watched folder with b64 and b32 rules: the kernel drops both dir= rules (two remove_rule records)',
    b32: true,
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, sub: { 'b.txt': FILE } });
    },
    async run(ctx) {
      const { vol } = ctx;
      ctx.notes.push('Both dir= rules (b64 and b32) are dropped with the folder: two identical CONFIG_CHANGE op=remove_rule records under the rmdir\'s serial.');
      await ctx.perform(await ctx.tree(vol, { comm: 'rm', syscallOf: rmSyscall }), () => ctx.exec('rm', ['-rf', vol], { cwd: '/' }));
    },
  },
  {
    name: 'uring-unlink',
    description: 'IORING_OP_UNLINKAT of files and a folder (URINGOP records, PATH name=(null))',
    uring: true,
    async setup(ctx) {
      await ctx.build({ 'a.txt': FILE, emptydir: {}, sub: { 'b.txt': FILE } });
    },
    async run(ctx) {
      const { vol } = ctx;
      const spec = { syscall: null, uringOp: 'unlinkat', comm: 'uring_ops' };
      const a = path.join(vol, 'a.txt');
      const e = path.join(vol, 'emptydir');
      const sub = path.join(vol, 'sub');
      await ctx.perform([await ctx.victim(a, spec)], () => ctx.uring(['unlink', a]));
      await ctx.perform([await ctx.victim(e, spec)], () => ctx.uring(['rmdir', e]));
      await ctx.perform([await ctx.victim(path.join(sub, 'b.txt'), spec)], () => ctx.uring(['unlinkat', sub, 'b.txt']));
    },
  },
  {
    name: 'uring-rename',
    description: 'IORING_OP_RENAMEAT to a new name and onto an existing file',
    uring: true,
    async setup(ctx) {
      await ctx.build({ 'a.txt': 'a\n', 'c.txt': 'c\n', 'd.txt': 'd\n' });
    },
    async run(ctx) {
      const { vol } = ctx;
      const spec = { syscall: null, uringOp: 'renameat', comm: 'uring_ops' };
      const a = path.join(vol, 'a.txt');
      const b = path.join(vol, 'b.txt');
      await ctx.perform(
        await ctx.rename(a, b, { ...spec, destKnowable: false, destNote: 'io_uring PATH records have name=(null) and b.txt is a new name' }),
        () => ctx.uring(['rename', a, b]),
      );
      const c = path.join(vol, 'c.txt');
      const d = path.join(vol, 'd.txt');
      await ctx.perform(await ctx.rename(c, d, spec), () => ctx.uring(['rename', c, d]));
    },
  },
  {
    name: 'rotation-mid-event',
    description: 'auditd rotates (max_log_file = 1 MB for the case) between two records of a keyed deletion: audit.log.1 holds its first records, audit.log the rest',
    keepRotation: true,
    async setup(ctx) {
      const files: TreeSpec = {};
      for (let i = 0; i < ROTATION_FILES; i++) files[`f${String(i).padStart(3, '0')}.txt`] = FILE;
      await ctx.build({ filler: FILE, del: files });
    },
    async run(ctx) {
      const py = await python();
      ctx.notes.push(
        'auditd.conf had max_log_file = 1 (MB) during this case only (restored after). auditd adds each record it ' +
          'writes to the file size and rotates once the size reaches the limit, so the rotation can fall between two ' +
          'records of one event. Opening `filler` for writing (a keyed modify event, not an item) brings the log near ' +
          'the limit; then files are deleted one by one until auditd rotates. The DAEMON_CONFIG op=reconfigure records ' +
          'of the two reloads are in the slice.',
      );
      await withSmallLogs(async (logFile) => {
        for (let round = 1; ; round++) {
          const r = await ctx.pythonScript<RotationRound>(PY_ROTATE, [ctx.vol, logFile, String(ROTATE_AT)]);
          const items: TruthItem[] = [];
          for (const d of r.deleted) {
            if (await lstatOrNull(d.path)) throw new Error(`${ctx.name}: ${d.path} is still there after unlink`);
            items.push(pyItem(d, { syscall: 'unlink', comm: py.comm, exe: py.realExe, pid: r.pid }));
          }
          ctx.record(items);
          const split = await liveSplit(logFile, r.logIno, ctx.key);
          if (split) {
            const it = items.find((x) => split.inodes.includes(String(x.inode)));
            if (it) it.note = `auditd rotated the log between two records of this deletion (serial ${split.serial})`;
            return;
          }
          if (round >= 4) throw new Error(`${ctx.name}: ${round} rotations, none split a keyed deletion`);
        }
      });
    },
  },
  {
    name: 'dotdot-symlink',
    description: "rm VOL/lnk/../victim.txt with lnk -> OTHER/sub: the kernel's name has '..', the real path is OTHER/victim.txt (VOL/victim.txt is a decoy that survives); then dirfd deletions in OTHER and VOL",
    async setup(ctx) {
      const other = await ctx.watchAlso('other', { sub: {}, 'victim.txt': FILE, 'a.txt': FILE, 'b.txt': FILE });
      await ctx.build({ lnk: { symlink: path.join(other, 'sub') }, 'victim.txt': 'decoy\n', plain: {}, 'c.txt': FILE, 'x.txt': FILE });
    },
    async run(ctx) {
      const py = await python();
      const { vol } = ctx;
      const other = ctx.alsoWatched[0];
      ctx.notes.push(
        `OTHER (${other}) is watched with the same key and is in the snapshot. The kernel writes the names as the ` +
          "process gave them (PARENT name=\".../vol/lnk/../\" with OTHER's inode); resolving '..' as text gives the " +
          'decoy VOL/victim.txt, which is never deleted until the last operation.',
      );
      // A real absolute name in OTHER first, so a parser has learned OTHER's path before the '..' name can poison it.
      const a = path.join(other, 'a.txt');
      await ctx.perform([await ctx.victim(a, { syscall: 'unlinkat', comm: 'rm' })], () => ctx.exec('rm', [a]));
      const viaLink = `${vol}/lnk/../victim.txt`;
      const victim = path.join(other, 'victim.txt');
      const decoy = path.join(vol, 'victim.txt');
      await ctx.perform(
        [await ctx.victim(victim, { syscall: 'unlinkat', comm: 'rm', seenAs: viaLink, note: "the name goes through the symlink lnk, then '..'" })],
        () => ctx.exec('rm', [viaLink]),
      );
      if (!(await lstatOrNull(decoy))) throw new Error(`${ctx.name}: the decoy ${decoy} was deleted`);
      // Through dirfds: the PARENT record names the cwd, only its inode says where the file was.
      for (const [dir, name] of [
        [other, 'b.txt'],
        [vol, 'c.txt'],
      ]) {
        await ctx.perform([await ctx.victim(path.join(dir, name), { syscall: 'unlinkat', comm: py.comm })], () =>
          ctx.python([['unlink_at', dir, name]], { cwd: ctx.root }),
        );
      }
      // '..' without a symlink: here the text and the file system agree, so the name is no alias (seenAs stays null).
      const plain = `${vol}/plain/../x.txt`;
      await ctx.perform(
        [await ctx.victim(path.join(vol, 'x.txt'), { syscall: 'unlinkat', comm: 'rm', note: `removed as ${plain}: '..' without a symlink` })],
        () => ctx.exec('rm', [plain]),
      );
      await ctx.perform([await ctx.victim(decoy, { syscall: 'unlinkat', comm: py.comm })], () =>
        ctx.python([['unlink_at', vol, 'victim.txt']], { cwd: ctx.root }),
      );
    },
  },
  {
    name: 'rename-back-and-forth',
    description: 'mv proj proj-old, a deletion and a creation in proj-old/docs, mv proj-old proj, then deletions in proj/docs through dirfds',
    async setup(ctx) {
      await ctx.build({ proj: { docs: { 'old.md': FILE, 'scratch.md': FILE, 'keep.md': FILE }, 'README.md': FILE } });
    },
    async run(ctx) {
      const py = await python();
      const proj = path.join(ctx.vol, 'proj');
      const old = path.join(ctx.vol, 'proj-old');
      await ctx.perform(await ctx.rename(proj, old, { syscall: 'renameat2', comm: 'mv' }), () => ctx.exec('mv', [proj, old]));
      // Absolute names under the new name: a parser learns proj-old/docs here.
      const scratch = path.join(old, 'docs', 'scratch.md');
      await ctx.perform([await ctx.victim(scratch, { syscall: 'unlinkat', comm: 'rm' })], () => ctx.exec('rm', [scratch]));
      await ctx.exec('touch', [path.join(old, 'docs', 'new.md')]);
      await ctx.perform(await ctx.rename(old, proj, { syscall: 'renameat2', comm: 'mv' }), () => ctx.exec('mv', [old, proj]));
      const docs = path.join(proj, 'docs');
      await ctx.perform([await ctx.victim(path.join(docs, 'old.md'), { syscall: 'unlinkat', comm: py.comm })], () =>
        ctx.python([['unlink_at', docs, 'old.md']], { cwd: ctx.root }),
      );
      await ctx.perform(await ctx.tree(docs, { comm: 'rm', syscallOf: rmSyscall }), () => ctx.exec('rm', ['-rf', docs], { cwd: '/' }));
    },
  },
  {
    name: 'cwd-too-long',
    description: 'deletions by relative name (python, rm, rmdir, a dirfd on ".") in a cwd longer than PATH_MAX: the kernel writes cwd="<too_long>"',
    async setup(ctx) {
      await ctx.build({ 'keep.txt': FILE });
    },
    async run(ctx) {
      const py = await python();
      ctx.notes.push(
        'The deep folders are made during the case (the snapshot cannot hold paths longer than PATH_MAX), one mkdir ' +
          'and chdir at a time; their mkdir events (keyed, not items) name each parent absolutely until the cwd gets ' +
          'too long. In the deletions the kernel writes cwd="<too_long>" and PARENT name="<too_long>" (d_path fails ' +
          'with ENAMETOOLONG).',
      );
      const r = await ctx.pythonScript<DeepRun>(PY_DEEP_CWD, [ctx.vol, String(DEEP_CWD_LEN)]);
      const top = path.join(ctx.vol, r.dirs[0]);
      // Node's fs cannot take paths longer than PATH_MAX; python removes the tree through dirfds, after the rules are gone.
      ctx.defer(() => run(py.exe, ['-c', 'import shutil, sys; shutil.rmtree(sys.argv[1])', top]));
      const deep = path.join(ctx.vol, ...r.dirs);
      if (Buffer.byteLength(deep) <= 4096 + 11) throw new Error(`${ctx.name}: the cwd is only ${Buffer.byteLength(deep)} bytes`);
      ctx.record(
        r.deleted.map((d) =>
          pyItem(
            { ...d, path: path.join(deep, d.name) },
            {
              syscall: d.syscall,
              comm: d.comm,
              exe: d.exe,
              pid: d.pid,
              pathKnowable: false,
              note: 'cwd longer than PATH_MAX: no record names the folder (only the mkdir events of its ancestors do)',
            },
          ),
        ),
      );
    },
  },
  {
    name: 'hard-links',
    description: 'a file with two links deleted one link at a time (by name, then through a dirfd), and files linked from outside the watched folder',
    async setup(ctx) {
      const { vol } = ctx;
      await ctx.build({ 'a.txt': FILE, sub: {}, 'c.txt': FILE, 'e.txt': FILE, d: {} });
      await fsp.link(path.join(vol, 'a.txt'), path.join(vol, 'sub', 'b.txt'));
      const out = path.join(ctx.root, 'outside');
      await ctx.build({ 'f-out.txt': FILE }, out);
      await fsp.link(path.join(vol, 'c.txt'), path.join(out, 'c-out.txt'));
      await fsp.link(path.join(vol, 'e.txt'), path.join(out, 'e-out.txt'));
    },
    async run(ctx) {
      const py = await python();
      const { vol } = ctx;
      const out = path.join(ctx.root, 'outside');
      ctx.notes.push(
        'a.txt and sub/b.txt are one inode (the snapshot lists it twice). c.txt and e.txt have a second link in ' +
          `${out} (not watched): removing e-out.txt there is not logged. d/f.txt is made during the case with ` +
          'ln from outside (a keyed create event, not an item).',
      );
      const a = path.join(vol, 'a.txt');
      await ctx.perform([await ctx.victim(a, { syscall: 'unlinkat', comm: 'rm', note: 'the inode lives on as sub/b.txt' })], () => ctx.exec('rm', [a]));
      const sub = path.join(vol, 'sub');
      await ctx.perform([await ctx.victim(path.join(sub, 'b.txt'), { syscall: 'unlinkat', comm: py.comm, note: 'the last link of the inode a.txt had' })], () =>
        ctx.python([['unlink_at', sub, 'b.txt']], { cwd: ctx.root }),
      );
      const c = path.join(vol, 'c.txt');
      await ctx.perform([await ctx.victim(c, { syscall: 'unlink', comm: 'unlink', note: 'the file lives on outside as c-out.txt' })], () =>
        ctx.exec('unlink', [c]),
      );
      await ctx.exec('rm', [path.join(out, 'e-out.txt')]);
      await ctx.perform([await ctx.victim(path.join(vol, 'e.txt'), { syscall: 'unlinkat', comm: py.comm })], () =>
        ctx.python([['unlink_at', vol, 'e.txt']], { cwd: ctx.root }),
      );
      const d = path.join(vol, 'd');
      await ctx.exec('ln', [path.join(out, 'f-out.txt'), path.join(d, 'f.txt')]);
      await ctx.perform([await ctx.victim(path.join(d, 'f.txt'), { syscall: 'unlinkat', comm: py.comm, note: 'linked in from outside during the case' })], () =>
        ctx.python([['unlink_at', d, 'f.txt']], { cwd: ctx.root }),
      );
    },
  },
  {
    name: 'git-clean',
    description: 'git clean -fdx in a repository inside the watched folder (untracked and ignored files and folders; unlink/rmdir relative to the repo)',
    async setup(ctx) {
      const repo = path.join(ctx.vol, 'repo');
      await ctx.build({ 'tracked.txt': FILE, src: { 'main.c': FILE }, '.gitignore': 'build/\n*.o\n' }, repo);
      await run('git', ['init', '-q', '.'], { cwd: repo });
      await run('git', ['add', '.'], { cwd: repo });
      await run('git', ['-c', 'user.name=Audit Lens', '-c', 'user.email=recorder@audit-lens.invalid', 'commit', '-qm', 'init'], { cwd: repo });
      await ctx.build({ build: { 'out.o': FILE, sub: { 'p.o': FILE } }, 'untracked.txt': FILE, notes: { 'todo.md': FILE }, src: { 'gen.o': FILE } }, repo);
    },
    async run(ctx) {
      const repo = path.join(ctx.vol, 'repo');
      const r = (p: string) => path.join(repo, p);
      ctx.notes.push('git chdirs to the repository and removes by relative name; a folder is removed as rmdir("build/") with a trailing slash.');
      await expectItems(ctx, ctx.performTraced('git', ['clean', '-fdx'], { cwd: repo }), [
        { path: r('build/out.o'), role: 'deleted', syscall: 'unlink', comm: 'git' },
        { path: r('build/sub/p.o'), role: 'deleted', syscall: 'unlink', comm: 'git' },
        { path: r('build/sub'), role: 'deleted', syscall: 'rmdir', comm: 'git' },
        { path: r('build'), role: 'deleted', syscall: 'rmdir', comm: 'git' },
        { path: r('untracked.txt'), role: 'deleted', syscall: 'unlink', comm: 'git' },
        { path: r('notes/todo.md'), role: 'deleted', syscall: 'unlink', comm: 'git' },
        { path: r('notes'), role: 'deleted', syscall: 'rmdir', comm: 'git' },
        { path: r('src/gen.o'), role: 'deleted', syscall: 'unlink', comm: 'git' },
      ]);
    },
  },
  {
    name: 'rsync-delete',
    description: 'rsync -a --delete SRC/ VOL/dst/ (SRC outside): deletions by two rsync processes, and temp files renamed over and into place',
    async setup(ctx) {
      const src = path.join(ctx.root, 'src');
      const dst = path.join(ctx.vol, 'dst');
      await ctx.build({ 'same.txt': 'same\n', 'chg.txt': 'changed content\n', 'new.txt': 'new\n', keep: { 'k.txt': FILE } }, src);
      await ctx.build({ 'same.txt': 'same\n', 'chg.txt': 'old\n', 'extra.txt': FILE, gone: { deep: { 'f.txt': FILE } }, keep: { 'k.txt': FILE, 'old.k': FILE } }, dst);
      // Same size and time: rsync leaves these alone.
      const t = new Date('2024-01-01T00:00:00Z');
      for (const p of ['same.txt', 'keep/k.txt']) for (const base of [src, dst]) await fsp.utimes(path.join(base, p), t, t);
    },
    async run(ctx) {
      const dst = path.join(ctx.vol, 'dst');
      const d = (p: string) => path.join(dst, p);
      ctx.notes.push(
        'rsync forks: the generator deletes (unlinkat through dirfds, rmdir/unlink relative to its cwd), the receiver ' +
          'writes .NAME.XXXXXX temp files and renames them into place (renameat through dirfds). The temp names and ' +
          'pids come from an strace of the run; a temp file may reuse the inode of a folder deleted a moment before.',
      );
      const items = await expectItems(ctx, ctx.performTraced('rsync', ['-a', '--delete', `${path.join(ctx.root, 'src')}/`, `${dst}/`], { cwd: ctx.root }), [
        { path: d('extra.txt'), role: 'deleted', syscall: 'unlink', comm: 'rsync' },
        { path: d('gone/deep/f.txt'), role: 'deleted', syscall: 'unlinkat', comm: 'rsync' },
        { path: d('gone/deep'), role: 'deleted', syscall: 'unlinkat', comm: 'rsync' },
        { path: d('gone'), role: 'deleted', syscall: 'rmdir', comm: 'rsync' },
        { path: d('keep/old.k'), role: 'deleted', syscall: 'unlinkat', comm: 'rsync' },
        { path: /\/dst\/\.chg\.txt\.\w{6}$/, role: 'source', syscall: 'renameat', comm: 'rsync' },
        { path: d('chg.txt'), role: 'destination', syscall: 'renameat', comm: 'rsync' },
        { path: d('chg.txt'), role: 'replaced', syscall: 'renameat', comm: 'rsync' },
        { path: /\/dst\/\.new\.txt\.\w{6}$/, role: 'source', syscall: 'renameat', comm: 'rsync' },
        { path: d('new.txt'), role: 'destination', syscall: 'renameat', comm: 'rsync' },
      ]);
      if (new Set(items.map((i) => i.pid)).size < 2) throw new Error(`${ctx.name}: expected deletions and renames by two rsync processes`);
    },
  },
  {
    name: 'shred-u',
    description: 'shred -u (absolute and relative name): the file is renamed to ever shorter names of zeros, then unlinked',
    async setup(ctx) {
      await ctx.build({ a: { 'secret.txt': 'top secret\n' }, b: { 'notes.md': 'private\n' } });
    },
    async run(ctx) {
      const chain = (dir: string, name: string): ExpectedItem[] => {
        const names = [name];
        for (let n = Buffer.byteLength(name); n >= 1; n--) names.push('0'.repeat(n));
        const out: ExpectedItem[] = [];
        for (let i = 0; i + 1 < names.length; i++) {
          out.push({ path: path.join(dir, names[i]), role: 'source', syscall: 'renameat2', comm: 'shred' });
          out.push({ path: path.join(dir, names[i + 1]), role: 'destination', syscall: 'renameat2', comm: 'shred' });
        }
        out.push({ path: path.join(dir, '0'), role: 'deleted', syscall: 'unlink', comm: 'shred' });
        return out;
      };
      const a = path.join(ctx.vol, 'a');
      await expectItems(ctx, ctx.performTraced('shred', ['-u', path.join(a, 'secret.txt')]), chain(a, 'secret.txt'));
      const b = path.join(ctx.vol, 'b');
      await expectItems(ctx, ctx.performTraced('shred', ['-u', 'notes.md'], { cwd: b }), chain(b, 'notes.md'));
    },
  },
  {
    name: 'inode-reuse',
    description: 'within one second: delete a file, create one elsewhere that gets the same inode, delete it through a dirfd, and again in a third folder by another process',
    async setup(ctx) {
      await ctx.build({ a: { 'orig.txt': FILE }, b: {}, c: {} });
    },
    async run(ctx) {
      ctx.notes.push(
        'ext4 hands a freed inode number to the next file created. a/orig.txt (in the snapshot) is deleted by ' +
          'absolute name; b/newN.txt and c/nextN.txt are created and deleted through dirfds (no record names them ' +
          'absolutely), each with the inode number of the file deleted just before. The loop repeats until a full ' +
          'chain of three reuses happens within one second; every deletion of every attempt is an item.',
      );
      const r = await ctx.pythonScript<ReuseRun>(PY_INODE_REUSE, [ctx.vol]);
      if (!r.chained) throw new Error(`${ctx.name}: no inode reuse chain within one second after ${r.attempts} attempts`);
      const items: TruthItem[] = [];
      for (const d of r.deleted) {
        if (await lstatOrNull(d.path)) throw new Error(`${ctx.name}: ${d.path} is still there`);
        items.push(pyItem(d, { syscall: d.syscall, comm: d.comm, exe: d.exe, pid: d.pid, note: d.note }));
      }
      ctx.record(items);
    },
  },
  {
    name: 'rename-over-same-name',
    description: 'renames onto an existing file of the same name in another folder (mv -f a/f.txt b/f.txt, os.rename): the kernel logs one DELETE record, with the source name and the replaced inode',
    async setup(ctx) {
      await ctx.build({ a: { 'f.txt': 'new\n', 'x.txt': 'x\n' }, b: { 'f.txt': 'old\n', 'y.txt': 'y\n' }, c: { 'g.txt': 'new\n' }, d: { 'g.txt': 'old\n' } });
    },
    async run(ctx) {
      const py = await python();
      const p = (rel: string) => path.join(ctx.vol, rel);
      ctx.notes.push(
        'The kernel matches a rename target to the audit names it already holds by last component only: when source ' +
          'and target have the same name in different folders, the replaced file is recorded into the source’s DELETE ' +
          'record (source name, replaced inode) and no second DELETE record is written. The CREATE record holds the ' +
          'moved inode. a/x.txt onto b/y.txt (different names) shows the usual three records for comparison.',
      );
      ctx.noise.push(MV_PROBE);
      await ctx.perform(await ctx.rename(p('a/f.txt'), p('b/f.txt'), { syscall: 'renameat', comm: 'mv' }), () => ctx.exec('mv', ['-f', p('a/f.txt'), p('b/f.txt')]));
      await ctx.perform(await ctx.rename(p('c/g.txt'), p('d/g.txt'), { syscall: 'rename', comm: py.comm }), () => ctx.python([['rename', p('c/g.txt'), p('d/g.txt')]]));
      await ctx.perform(await ctx.rename(p('a/x.txt'), p('b/y.txt'), { syscall: 'rename', comm: py.comm }), () => ctx.python([['rename', p('a/x.txt'), p('b/y.txt')]]));
    },
  },
  {
    name: 'dense-mixed',
    description: 'a dense mixed workload: 4 processes, thousands of deletions, creations, writes and renames, failed attempts (ENOENT, ENOTEMPTY, EACCES), rmtree, rm -rf, find -delete, mv; plus deletions under another key',
    async setup(ctx) {
      const level: TreeSpec = {};
      for (let f = 0; f < 20; f++) level[`f${String(f).padStart(2, '0')}.txt`] = FILE;
      const worker: TreeSpec = {};
      for (let d = 0; d < 40; d++) worker[`d${String(d).padStart(2, '0')}`] = level;
      const spec: TreeSpec = {};
      for (let w = 0; w < DENSE_WORKERS; w++) spec[`w${w}`] = worker;
      await ctx.build(spec);
      // User nobody must reach the files to be refused at the unlink itself.
      for (const p of [ctx.root, ctx.vol]) await fsp.chmod(p, 0o755);
    },
    async run(ctx) {
      const side = path.join(ctx.root, 'side');
      await fsp.mkdir(side);
      const sideRules = new RuleSet(keyFor('dense-side'));
      ctx.defer(() => sideRules.removeAll());
      await sideRules.addWatch(side);
      const r = await ctx.pythonScript<DenseRun>(PY_DENSE, [ctx.vol, side, String(DENSE_WORKERS), String(DENSE_OPS)]);
      await sideRules.removeAll();
      ctx.notes.push(
        `${DENSE_WORKERS} forked python workers, each with its own subtree (w0…w${DENSE_WORKERS - 1}) and a seeded random mix ` +
          `of ${DENSE_OPS} operations: ${JSON.stringify(r.counts)}. Creations, mkdirs and writes are keyed events but not ` +
          'items. EACCES attempts are made by a forked child running as nobody. rm -rf, find -delete and mv run as ' +
          `child processes. A fifth worker created and deleted ${r.sideDeletions} files in ${side}, watched under another ` +
          'key: those events are in the log but are not items.',
      );
      const items = r.items.map(denseItem);
      for (const it of items) {
        if (it.success && it.role !== 'destination' && (await lstatOrNull(it.path))?.ino === it.inode) {
          throw new Error(`${ctx.name}: ${it.role} ${it.path} is still there`);
        }
      }
      ctx.record(items);
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Recording

const ERRNO_NUM: Record<string, number> = { EPERM: 1, ENOENT: 2, EACCES: 13, EBUSY: 16 };
// x86_64 numbers, to confirm the syscall each case claims; io_uring ops by their IORING_OP_* number.
const SYSCALL_NUM: Record<string, number> = { rename: 82, rmdir: 84, unlink: 87, unlinkat: 263, renameat: 264, renameat2: 316 };
const URING_OP_NUM: Record<string, number> = { renameat: 35, unlinkat: 36 };

/**
 * Checks the slice really holds the case (without interpreting it): every truth item's inode, or for a failure
 * without inode its exit code, appears in an event that carries the key and has the syscall (or io_uring op) the
 * case claims. Returns problems, empty when fine.
 */
export function verifySlice(slice: Buffer, truth: Truth): string[] {
  const text = slice.toString('latin1');
  const bySerial = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /msg=audit\((\d+\.\d+:\d+)\)/.exec(line);
    if (!m) continue;
    const lines = bySerial.get(m[1]) ?? [];
    lines.push(line);
    bySerial.set(m[1], lines);
  }
  // Keyed events by the inode/dev tokens and exit codes they hold, so thousands of items are checked quickly.
  const byToken = new Map<string, string[][]>();
  let keyed = 0;
  for (const lines of bySerial.values()) {
    if (!lines.some((l) => l.includes(`key="${truth.key}"`))) continue;
    keyed++;
    const tokens = new Set<string>();
    for (const l of lines) {
      for (const m of l.matchAll(/ inode=(\d+) dev=(\S+) /g)) tokens.add(`${m[1]} ${m[2]}`);
      const exit = / exit=(-\d+) /.exec(l);
      if (exit) tokens.add(`exit ${exit[1]}`);
    }
    for (const t of tokens) {
      const list = byToken.get(t) ?? [];
      list.push(lines);
      byToken.set(t, list);
    }
  }
  const x86 = process.arch === 'x64';
  const problems: string[] = [];
  if (keyed === 0) problems.push(`no record carries key="${truth.key}"`);
  for (const it of truth.items) {
    const token = it.inode !== null ? `${it.inode} ${it.dev}` : `exit -${ERRNO_NUM[it.errno ?? ''] ?? 'x'}`;
    const found = (byToken.get(token) ?? []).some((lines) => {
      const head = it.uringOp ? ` uring_op=${URING_OP_NUM[it.uringOp]} ` : ` syscall=${SYSCALL_NUM[it.syscall ?? '']} `;
      if (x86 && !lines.some((l) => l.includes(head))) return false;
      return it.pid === null || lines.some((l) => l.includes(` pid=${it.pid} `));
    });
    if (!found) problems.push(`no keyed event for ${it.role} ${JSON.stringify(it.path)} (inode ${it.inode}, ${it.errno ?? 'ok'}, pid ${it.pid})`);
  }
  return problems;
}

/** What one recording produced. */
export interface RecordResult {
  name: string;
  dir: string;
  truth: Truth;
  bytes: number;
  ms: number;
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the recorder must run as root (it adds audit rules and mounts)');
  const st = await auditStatus();
  if (!st.pid) throw new Error('auditd is not running (auditctl -s shows pid 0): bash scripts/setup.sh starts it');
  // The kernel keeps naming a killed auditd until it next fails to send it a record.
  if (processName(st.pid) === null) throw new Error(`auditd is not running (pid ${st.pid} in auditctl -s has ended): bash scripts/setup.sh starts it`);
  if (!st.enabled) throw new Error('auditing is disabled (auditctl -e 1)');
}

/** Mount points at or below `dir` in this namespace (mountinfo escapes space, tab, newline and backslash as octal). */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(dir + '/'));
}

function keyFor(name: string): string {
  return `al_${name.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 14)}_${randomBytes(3).toString('hex')}`;
}

/** Records one named case into `<outDir>/<case>/` (audit.log, snapshot.jsonl, truth.json); throws on any failure. */
export async function recordCase(name: string, outDir: string): Promise<RecordResult> {
  const def = CASES.find((c) => c.name === name);
  if (!def) throw new Error(`unknown case ${name}; cases: ${CASES.map((c) => c.name).join(', ')}`);
  return recordCaseDef(def, outDir);
}

/** Records any case definition (tests pass their own, e.g. one that fails on purpose). */
export async function recordCaseDef(def: CaseDef, outDir: string): Promise<RecordResult> {
  const name = def.name;
  await checkPrerequisites();
  if (def.uring) await buildHelpers();
  await python();
  const t0 = Date.now();
  const key = keyFor(name);
  const root = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'al-rec-')));
  const vol = path.join(root, 'vol');
  const ctx = new CaseContext(name, root, vol, key);
  const rules = new RuleSet(key);
  let parts: SlicePart[] | null = null;
  let snapshotText = '';
  let failure: unknown = null;
  try {
    await fsp.mkdir(vol);
    await def.setup(ctx);
    const lines: string[] = [];
    for (const top of [vol, ...ctx.alsoWatched]) {
      for await (const e of takeSnapshot(top, (p, err) => {
        throw new Error(`snapshot of ${p}: ${err.message}`);
      })) {
        lines.push(JSON.stringify(e));
      }
    }
    snapshotText = lines.join('\n') + '\n';

    const mark = await markLog();
    const lostBefore = (await auditStatus()).lost ?? 0;
    await rules.addWatch(vol);
    await rules.addPathRule(vol);
    for (const dir of ctx.alsoWatched) await rules.addWatch(dir);
    if (def.uring) await rules.addUringRule(vol);
    if (def.b32) await rules.addB32Rules(vol);
    const listed = await rules.remaining();
    const wanted = 2 + ctx.alsoWatched.length + (def.uring ? 1 : 0) + (def.b32 ? 2 : 0);
    if (listed.length < wanted) throw new Error(`rules for ${key} not all in place: ${listed.join(' | ')}`);

    const startText = `${MARKER} start case=${name} key=${key}`;
    await logMarker(startText);
    await readSlice(mark, startText);
    await def.run(ctx);
    await rules.removeAll();
    const endText = `${MARKER} end case=${name} key=${key}`;
    await logMarker(endText);
    parts = await readSliceParts(mark, endText);
    const lost = ((await auditStatus()).lost ?? 0) - lostBefore;
    if (lost > 0) throw new Error(`the kernel lost ${lost} audit records during the case; raise auditctl -b and re-record`);
  } catch (err) {
    failure = err;
  } finally {
    const errors: unknown[] = [];
    await rules.removeAll().catch((e) => errors.push(e));
    errors.push(...(await ctx.runCleanups()));
    // Never recurse into a mount that failed to come off: the tree stays for a person to look at.
    const stuck = await mountsUnder(root);
    if (stuck.length > 0) errors.push(new Error(`still mounted, ${root} left in place: ${stuck.join(', ')}`));
    else await fsp.rm(root, { recursive: true, force: true }).catch((e) => errors.push(e));
    if (failure === null && errors.length > 0) failure = errors[0];
    else if (errors.length > 0) console.error(`${name}: cleanup also failed:`, ...errors);
  }
  if (failure !== null) throw failure;

  const slice = Buffer.concat(parts!.map((p) => p.buf));
  // Oldest first, named as auditd names a rotated set: audit.log.N … audit.log.1, audit.log.
  const files = def.keepRotation ? parts!.map((_p, i) => (i === parts!.length - 1 ? 'audit.log' : `audit.log.${parts!.length - 1 - i}`)) : ['audit.log'];
  const splits = def.keepRotation ? splitEvents(parts!.map((p) => p.buf), files, key) : [];
  const truth: Truth = {
    case: name,
    key,
    watched: vol,
    ...(ctx.alsoWatched.length ? { alsoWatched: ctx.alsoWatched } : {}),
    kernel: os.release(),
    recordedAt: new Date(t0).toISOString(),
    ...(def.keepRotation ? { logFiles: files, splitEvents: splits } : {}),
    ...(ctx.notes.length ? { notes: ctx.notes } : {}),
    ...(ctx.noise.length ? { noise: ctx.noise } : {}),
    items: ctx.items,
  };
  for (const it of truth.items) {
    if (it.inode === null && it.pathKnowable === undefined) {
      it.pathKnowable = false;
      it.note ??= 'nothing by that name existed: the kernel writes only the PARENT record, the name is at most in PROCTITLE (argv)';
    }
  }
  const problems = verifySlice(slice, truth);
  for (const it of truth.items) if (!it.exe) problems.push(`recorder bug: no process recorded for ${it.role} ${JSON.stringify(it.path)}`);
  if (def.keepRotation && !splits.some((s) => s.keyed)) problems.push('no keyed event was split by a rotation');
  if (problems.length > 0) throw new Error(`${name}: the log slice is incomplete:\n  ${problems.join('\n  ')}`);
  for (const s of splits) delete (s as { keyed?: boolean }).keyed;

  const dir = path.join(outDir, name);
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true });
  if (def.keepRotation) {
    for (let i = 0; i < files.length; i++) await fsp.writeFile(path.join(dir, files[i]), parts![i].buf);
  } else {
    await fsp.writeFile(path.join(dir, 'audit.log'), slice);
  }
  await fsp.writeFile(path.join(dir, 'snapshot.jsonl'), snapshotText);
  await fsp.writeFile(path.join(dir, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
  return { name, dir, truth, bytes: slice.length, ms: Date.now() - t0 };
}

/**
 * Events whose records sit in more than one file of a rotated slice: serial, the files and how many records each
 * holds. `keyed` marks those whose records carry the key (what the rotation case needs).
 */
export function splitEvents(bufs: Buffer[], files: string[], key: string): (NonNullable<Truth['splitEvents']>[number] & { keyed: boolean })[] {
  const where = new Map<string, { serial: number; counts: number[]; keyed: boolean }>();
  bufs.forEach((buf, i) => {
    for (const line of buf.toString('latin1').split('\n')) {
      const m = /msg=audit\((\d+\.\d+):(\d+)\)/.exec(line);
      if (!m) continue;
      const id = `${m[1]}:${m[2]}`;
      const w = where.get(id) ?? { serial: Number(m[2]), counts: bufs.map(() => 0), keyed: false };
      w.counts[i]++;
      if (line.includes(`key="${key}"`)) w.keyed = true;
      where.set(id, w);
    }
  });
  return [...where.values()]
    .filter((w) => w.counts.filter((n) => n > 0).length > 1)
    .map((w) => ({
      serial: w.serial,
      files: files.filter((_f, i) => w.counts[i] > 0),
      records: w.counts.filter((n) => n > 0),
      keyed: w.keyed,
      note: 'auditd rotated the log between two records of this event',
    }));
}

/** Records several cases one after the other (auditd state is global, so never in parallel). */
export async function recordCases(names: string[], outDir: string, log: (s: string) => void = () => undefined): Promise<RecordResult[]> {
  const out: RecordResult[] = [];
  for (const name of names) {
    const r = await recordCase(name, outDir);
    log(`${name}: ${r.truth.items.length} items, ${r.bytes} bytes, ${r.ms} ms`);
    out.push(r);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let outDir = DEFAULT_OUT;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') outDir = path.resolve(argv[++i]);
    else if (argv[i] === '--list') {
      for (const c of CASES) console.log(`${c.name.padEnd(24)} ${c.description}`);
      return 0;
    } else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node --import tsx test/integration/recorder.ts [--out DIR] [--list] [case ...]');
      return 0;
    } else names.push(argv[i]);
  }
  const t0 = Date.now();
  const results = await recordCases(names.length ? names : CASES.map((c) => c.name), outDir, (s) => console.log(s));
  const total = results.reduce((n, r) => n + r.bytes, 0);
  console.log(`recorded ${results.length} cases into ${outDir}: ${total} bytes of log in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`recorder: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
