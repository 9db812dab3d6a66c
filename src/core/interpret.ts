import type { RawEvent } from './assembler';
import { basenameB, dirnameB, inodeKey, joinB, normalizeB, type BPath, type InodeKey, type PathIndex, type Waiter } from './pathIndex';
import * as FB from './fields';
import { F } from './fields';
import { decodeName, encodeNameText } from './names';
import { bytesToText, eventId, Fields, LazyRecord, plainValue, untrustedBytes } from './record';
import {
  AUID_UNSET,
  archFromHex,
  errnoName,
  syscallName,
  syscallSemantics,
  uringOpName,
  uringSemantics,
  type SyscallSemantics,
} from './tables';
import type { Action, AuditEvent, AuditObject, AuditRecord, ObjectRole, ObjectType, ProcessInfo, SourceRef } from './types';

/** A PATH item, decoded. */
interface PathItem {
  item: number;
  name: BPath | null;
  key: InodeKey | null;
  /** Decimal string: inode numbers above 2^53 (NFS, FUSE, overlayfs xino) must stay exact. */
  inode: string | null;
  dev: string | null;
  type: ObjectType | null;
  nametype: string;
}

/** A process seen in earlier events, for parent chains. */
export interface ProcSeen {
  /** Log time of the event it was last seen in: pids are reused, so an old sighting says nothing. */
  time: number;
  ppid: number | null;
  comm: string | null;
  exe: string | null;
  argv: string[] | null;
  /** The PROCTITLE value as logged, when argv is not decoded yet (reading ahead decodes it only if a chain needs it). */
  title: Uint8Array | null;
}

/** State shared across events: the inode index and what we know of processes. */
export interface InterpretContext {
  index: PathIndex;
  /** Per node (null: the local machine), by pid: pids of different machines are different processes. */
  procs: Map<string | null, Map<number, ProcSeen>>;
  /** Called when an object of the event is left waiting for its folder's path. */
  onWait?(event: AuditEvent): void;
  /** Called when a pending object of an already-emitted event gets its path. */
  onResolved(event: AuditEvent): void;
}

const MAX_PROCS = 1024;
/** A parent seen longer ago than this (log time) is not trusted to be the same process: pids are reused. */
const PROC_TTL_MS = 10 * 60_000;

let isoSec = NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, with the part up to the second reused (events come in bursts within a second). */
function isoTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSec) {
    isoSec = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, -4);
  }
  const r = ms - sec * 1000;
  return `${isoPrefix}${r < 10 ? '00' : r < 100 ? '0' : ''}${r}Z`;
}

/** Decodes a byte string for output; invalid UTF-8 becomes `\xNN` and the object also gets `pathHex`. */
function outPath(b: BPath): { path: string; pathHex?: string } {
  let plainAscii = true;
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c >= 0x80 || c === 0x5c) {
      plainAscii = false;
      break;
    }
  }
  if (plainAscii) return { path: b };
  const buf = Buffer.from(b, 'latin1');
  const { text, valid } = bytesToText(buf);
  return valid ? { path: text } : { path: text, pathHex: buf.toString('hex') };
}

function text(buf: Buffer | null): string | null {
  return buf === null ? null : bytesToText(buf).text;
}

function modeBitsType(m: number | null): ObjectType | null {
  if (m === null) return null;
  switch (m & 0o170000) {
    case 0o040000:
      return 'dir';
    case 0o100000:
      return 'file';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

function idOrNull(n: number | null): number | null {
  return n === null || n === AUID_UNSET ? null : n;
}

/** Adds the keys of the scanned record's `key=` field (`(null)`, `"k"`, or hex of several keys joined by \x01). */
function addKeys(into: string[]): void {
  if (!FB.decode(F.key)) return;
  const b = FB.dBuf;
  let start = FB.dS;
  const end = FB.dE;
  for (let i = start; i <= end; i++) {
    if (i < end && b[i] !== 1) continue;
    if (i > start) {
      const k = encodeNameText(b, start, i);
      if (!into.includes(k)) into.push(k);
    }
    start = i + 1;
  }
}

/** argv from EXECVE records (possibly split as a1_len / a1[0] …): the rare slow path, on the records' text. */
function argvOfExecve(execve: AuditRecord[]): string[] {
  const all = new Map<string, string>();
  for (const r of execve) for (const [k, v] of new Fields(r).raw) if (!all.has(k)) all.set(k, v);
  const argc = Number(plainValue(all.get('argc')) ?? NaN);
  const out: string[] = [];
  for (let i = 0; Number.isFinite(argc) ? i < argc : all.has(`a${i}`) || all.has(`a${i}[0]`); i++) {
    const whole = all.get(`a${i}`);
    if (whole !== undefined) {
      out.push(text(untrustedBytes(whole)) ?? '');
      continue;
    }
    const parts: Buffer[] = [];
    for (let j = 0; all.has(`a${i}[${j}]`); j++) parts.push(untrustedBytes(all.get(`a${i}[${j}]`)) ?? Buffer.alloc(0));
    if (parts.length === 0) break;
    out.push(bytesToText(Buffer.concat(parts)).text);
  }
  return out;
}

/** The last PROCTITLE value and its argv: an rm -rf writes the same one on every event. */
let lastProctitle: Uint8Array | null = null;
let lastArgv: string[] | null = null;

/** Whether the scanned PROCTITLE record's value is the same bytes as the last one decoded. */
function sameProctitle(): boolean {
  return lastProctitle !== null && FB.rawEquals(F.proctitle, lastProctitle, lastProctitle.length);
}

/** argv of the scanned PROCTITLE record, reusing the last one's when the value is the same bytes. */
function proctitleArgv(): string[] | null {
  if (sameProctitle()) return lastArgv;
  const argv = FB.decode(F.proctitle) ? argvOfProctitle(FB.dBuf, FB.dS, FB.dE) : null;
  lastProctitle = FB.rawCopy(F.proctitle);
  lastArgv = argv;
  return argv;
}

/** The argv a process was seen with, decoding its PROCTITLE value on first use. */
function argvOf(p: ProcSeen): string[] | null {
  if (p.title !== null) {
    p.argv = FB.decodeRange(p.title, 0, p.title.length) ? argvOfProctitle(FB.dBuf, FB.dS, FB.dE) : null;
    p.title = null;
  }
  return p.argv;
}

/** argv from a PROCTITLE value (argv joined by NUL, cut at 128 bytes by the kernel). */
function argvOfProctitle(b: Uint8Array, s: number, e: number): string[] {
  const parts: string[] = [];
  let start = s;
  for (let i = s; i <= e; i++) {
    if (i === e || b[i] === 0) {
      if (i > start || i < e) parts.push(encodeNameText(b, start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** The scanned PATH record as an item. */
function pathItem(node: string | null): PathItem {
  const inode = FB.digits(F.inode);
  const dev = FB.plain(F.dev);
  return {
    item: FB.int(F.item) ?? 0,
    name: FB.bstr(F.name),
    key: inode !== null && dev !== null ? inodeKey(dev, inode, node) : null,
    inode,
    dev,
    type: modeBitsType(FB.octal(F.mode)),
    nametype: FB.plain(F.nametype) ?? 'UNKNOWN',
  };
}

/** What the event's SYSCALL (or URINGOP) record says of the call and the process, read in one scan. */
interface MainRecord {
  uring: boolean;
  archHex: string | null;
  nr: number | null;
  uringOp: number | null;
  success: boolean | null;
  exit: number | null;
  /** Whether a0..a3 are AT_FDCWD (null: the argument is not in the record): the dirfd arguments of *at calls. */
  atFdcwd: (boolean | null)[];
  pid: number | null;
  ppid: number | null;
  uid: number | null;
  euid: number | null;
  gid: number | null;
  auid: number | null;
  ses: number | null;
  tty: string | null;
  comm: string | null;
  exe: string | null;
  tArch: string | null;
  tSyscall: string | null;
  tUid: string | null;
  tEuid: string | null;
  tGid: string | null;
  tAuid: string | null;
}

/**
 * Reads the SYSCALL (or URINGOP) record. Reading ahead (`learnOnly`) needs only the call and the process: the scan
 * stops after `exe`, and the ENRICHED part is read only when the tables cannot name the syscall.
 */
function readMain(r: LazyRecord, uring: boolean, keys: string[], learnOnly = false): MainRecord {
  // A line cut short is scanned whole: its last value must be dropped the same way in both modes.
  FB.scan(r, 0, learnOnly && !r.truncated ? F.exe : -1);
  const m: MainRecord = {
    uring,
    archHex: FB.plain(F.arch),
    nr: FB.int(F.syscall),
    uringOp: uring ? FB.int(F.uringOp) : null,
    success: FB.is(F.success, 'yes') ? true : FB.is(F.success, 'no') ? false : null,
    exit: FB.int(F.exit),
    atFdcwd: [FB.isAtFdcwdArg(F.a0), FB.isAtFdcwdArg(F.a1), FB.isAtFdcwdArg(F.a2), FB.isAtFdcwdArg(F.a3)],
    pid: FB.int(F.pid),
    ppid: FB.int(F.ppid),
    uid: FB.int(F.uid),
    euid: FB.int(F.euid),
    gid: FB.int(F.gid),
    auid: FB.int(F.auid),
    ses: FB.int(F.ses),
    tty: FB.plain(F.tty),
    comm: FB.text(F.comm),
    exe: FB.text(F.exe),
    tArch: null,
    tSyscall: null,
    tUid: null,
    tEuid: null,
    tGid: null,
    tAuid: null,
  };
  if (learnOnly) {
    if (!uring && (m.archHex === null || m.nr === null || syscallName(m.archHex, m.nr) === null) && FB.scan(r, 1)) {
      m.tArch = FB.plain(F.ARCH);
      m.tSyscall = FB.plain(F.SYSCALL);
    }
    return m;
  }
  addKeys(keys);
  if (FB.scan(r, 1)) {
    m.tArch = FB.plain(F.ARCH);
    m.tSyscall = FB.plain(F.SYSCALL);
    m.tUid = FB.plain(F.UID);
    m.tEuid = FB.plain(F.EUID);
    m.tGid = FB.plain(F.GID);
    m.tAuid = FB.plain(F.AUID);
  }
  return m;
}

interface Target {
  role: ObjectRole;
  child: PathItem | null;
  parent: PathItem | null;
  /** Whether the name is relative to the CWD (AT_FDCWD or a non-*at call); null when unknown (io_uring). */
  atCwd: boolean | null;
}

/** The PARENT item whose name is the directory part of the child's name, when the name has one. */
function parentByPrefix(child: PathItem | null, parents: PathItem[]): PathItem | null {
  if (child?.name == null || !child.name.includes('/')) return null;
  const dir = child.name.slice(0, child.name.lastIndexOf('/') + 1);
  return parents.find((p) => p.name === dir) ?? null;
}

/** Picks the PARENT item that goes with a child: by directory prefix when the name has one, else by position. */
function parentFor(child: PathItem, parents: PathItem[], position: number): PathItem | null {
  if (parents.length === 0) return null;
  return parentByPrefix(child, parents) ?? parents[Math.min(position, parents.length - 1)];
}

/**
 * The old and new folders of a rename. Item order is not fixed (mv's renameat2 with a dirfd logs the new folder
 * first, under the CWD's name), so match by name prefix where a name has one and give the other side the other folder.
 */
function renameParents(source: PathItem | null, dest: PathItem | null, parents: PathItem[]): [PathItem | null, PathItem | null] {
  let sp = parentByPrefix(source, parents);
  let dp = parentByPrefix(dest, parents);
  const other = (p: PathItem): PathItem => parents.find((q) => q !== p && q.key !== p.key) ?? p;
  if (!sp && !dp) {
    sp = parents[0] ?? null;
    dp = sp ? other(sp) : null;
  } else if (!sp) sp = other(dp!);
  else if (!dp) dp = other(sp);
  return [sp, dp];
}

/**
 * A rename onto an existing file of the same name in another folder (`mv a/f b/f` over an existing b/f) logs four
 * items, not five: the kernel writes one DELETE with the source's name but the replaced file's inode, and the CREATE
 * with the moved inode. Split it back into the moved source and the replaced file.
 */
function sameNameOverwrite(deletes: PathItem[], creates: PathItem[]): { source: PathItem; replaced: PathItem } | null {
  if (deletes.length !== 1 || creates.length !== 1) return null;
  const d = deletes[0];
  const c = creates[0];
  if (d.key === null || c.key === null || d.key === c.key || d.name === null || c.name === null) return null;
  if (basenameB(d.name) !== basenameB(c.name)) return null;
  return {
    source: { ...d, key: c.key, inode: c.inode, dev: c.dev, type: c.type },
    replaced: { ...c, key: d.key, inode: d.inode, dev: d.dev, type: d.type, nametype: 'DELETE' },
  };
}

/** Whether the name in argument `arg`'s dirfd is relative to the CWD: true for non-*at calls, null for io_uring. */
function atCwdOf(arg: number | undefined, args: (boolean | null)[] | null, isUring: boolean): boolean | null {
  if (isUring) return null;
  if (arg === undefined) return true;
  return args?.[arg] ?? null;
}

function targetsOf(action: Action, items: PathItem[], sem: Readonly<SyscallSemantics> | null, args: (boolean | null)[] | null, isUring: boolean): Target[] {
  const parents: PathItem[] = [];
  const children: PathItem[] = [];
  let victims = 0;
  for (const i of items) {
    if (i.nametype === 'PARENT') parents.push(i);
    else {
      children.push(i);
      if (i.nametype === 'DELETE') victims++;
    }
  }
  const atCwd = (arg: number | undefined): boolean | null => atCwdOf(arg, args, isUring);
  const out: Target[] = [];
  if (action === 'deleted') {
    // Every DELETE item is a victim; without any, every other item is (a failed call may log only NORMAL items).
    const cwdRel = atCwdOf(sem?.dirfdArg, args, isUring);
    for (const c of children) {
      if (victims === 0 || c.nametype === 'DELETE') out.push({ role: 'deleted', child: c, parent: parentFor(c, parents, 0), atCwd: cwdRel });
    }
    if (children.length === 0 && parents.length > 0) out.push({ role: 'deleted', child: null, parent: parents[0], atCwd: cwdRel });
    return out;
  } else if (action === 'renamed') {
    const deletes = children.filter((c) => c.nametype === 'DELETE');
    // io_uring logs the destination twice: once negative (no inode), once with the moved inode.
    const allCreates = children.filter((c) => c.nametype === 'CREATE');
    const keyed = allCreates.filter((c) => c.key !== null);
    const creates = keyed.length > 0 ? keyed : allCreates.slice(0, 1);
    const moved = new Set(creates.map((c) => c.key).filter((k) => k !== null));
    let source = deletes.find((d) => d.key !== null && moved.has(d.key)) ?? deletes[0] ?? null;
    let replaced = deletes.filter((d) => d !== source);
    const quirk = sameNameOverwrite(deletes, creates);
    if (quirk) [source, replaced] = [quirk.source, [quirk.replaced]];
    const [sp, dp] = renameParents(source, creates[0] ?? replaced[0] ?? null, parents);
    if (source) out.push({ role: 'source', child: source, parent: sp, atCwd: atCwd(sem?.dirfdArg) });
    for (const c of creates) out.push({ role: 'destination', child: c, parent: dp, atCwd: atCwd(sem?.newDirfdArg) });
    for (const d of replaced) out.push({ role: 'replaced', child: d, parent: dp, atCwd: atCwd(sem?.newDirfdArg) });
    if (out.length === 0 && children.length > 0) {
      out.push({ role: 'source', child: children[0], parent: parentFor(children[0], parents, 0), atCwd: atCwd(sem?.dirfdArg) });
    }
    if (out.length === 0) {
      // A failed rename may log only the folders; name them by the command line later (source first).
      parents.forEach((p, i) => out.push({ role: i === 0 ? 'source' : 'destination', child: null, parent: p, atCwd: atCwd(i === 0 ? sem?.dirfdArg : sem?.newDirfdArg) }));
      if (parents.length === 1) out.push({ role: 'destination', child: null, parent: parents[0], atCwd: atCwd(sem?.newDirfdArg) });
    }
  } else {
    const role: ObjectRole = action === 'created' ? 'created' : action === 'modified' || action === 'attributes' ? 'modified' : 'other';
    for (const c of children) {
      const r: ObjectRole = c.nametype === 'CREATE' ? 'created' : c.nametype === 'DELETE' ? 'deleted' : role;
      out.push({ role: r, child: c, parent: parentFor(c, parents, 0), atCwd: atCwd(sem?.dirfdArg) });
    }
  }
  return out;
}

/** Turns one assembled event into the analysed form, learning from it and resolving what waited on it. */
export function interpret(raw: RawEvent, ctx: InterpretContext, id = eventId(raw.node, raw.time, raw.serial)): AuditEvent {
  return analyse(raw, ctx, id, false)!;
}

/**
 * Only what the event teaches the index and the process table, exactly as `interpret` would, without resolving its
 * objects or building it: for reading ahead of (or behind) the part of a log another thread reports.
 */
export function learnFrom(raw: RawEvent, ctx: InterpretContext): void {
  analyse(raw, ctx, '', true);
}

function analyse(raw: RawEvent, ctx: InterpretContext, id: string, learnOnly: boolean): AuditEvent | null {
  // What the index knew before this event: links learned earlier are the ones that can have gone stale.
  const since = ctx.index.now;
  let main: MainRecord | null = null;
  let cwdText: BPath | null | undefined;
  let argv: string[] | null | undefined;
  let execve: AuditRecord[] | null = null;
  const items: PathItem[] = [];
  const keys: string[] = [];
  let watchRemoved = false;
  let rulesRemoved = 0;
  const recordTypes: string[] = [];
  const records: SourceRef[] = [];
  let title: Uint8Array | null = null;
  for (const r of raw.records) {
    if (!learnOnly) {
      recordTypes.push(r.type);
      records.push(r.source);
    }
    if (!(r instanceof LazyRecord)) continue;
    switch (r.type) {
      case 'SYSCALL':
      case 'URINGOP':
        if (main === null || (main.uring && r.type === 'SYSCALL')) {
          main = readMain(r, r.type === 'URINGOP', keys, learnOnly);
          continue;
        }
        break;
      case 'CWD':
        if (cwdText === undefined) {
          FB.scan(r, 0, F.cwd);
          cwdText = FB.bstr(F.cwd);
          continue;
        }
        break;
      case 'PATH':
        // The kernel writes nametype after everything we read; the capability fields after it are not needed.
        FB.scan(r, 0, F.nametype);
        items.push(pathItem(raw.node));
        continue;
      case 'PROCTITLE':
        if (argv === undefined) {
          FB.scan(r, 0, F.proctitle);
          if (learnOnly && !sameProctitle()) {
            // Reading ahead: argv is kept as logged and decoded only if a parent chain ever shows it.
            title = FB.rawCopy(F.proctitle);
            argv = null;
          } else argv = proctitleArgv();
          continue;
        }
        break;
      case 'EXECVE':
        (execve ??= []).push(r);
        continue;
      case 'CONFIG_CHANGE':
        if (learnOnly) continue;
        FB.scan(r);
        // The kernel's own remove_rule (a watched folder vanished) names the dir/path; auditctl -d/-W does not.
        if (FB.is(F.op, 'remove_rule') && (FB.has(F.dir) || FB.has(F.path))) {
          watchRemoved = true;
          rulesRemoved++;
        }
        addKeys(keys);
        continue;
    }
    // Any other record may carry a key (user-space records, a second SYSCALL).
    if (learnOnly) continue;
    FB.scan(r);
    if (FB.has(F.key)) addKeys(keys);
  }
  // The kernel writes items in order; sort only what is not (a reordered or merged log).
  for (let i = 1; i < items.length; i++) {
    if (items[i].item < items[i - 1].item) {
      items.sort((x, y) => x.item - y.item);
      break;
    }
  }

  let syscall: string | null = null;
  let arch: string | null = null;
  let uringOp: string | null | undefined;
  let sem: Readonly<SyscallSemantics> | null = null;
  if (main !== null && !main.uring) {
    const archHex = main.archHex;
    arch = main.tArch ?? (archHex ? archFromHex(archHex) ?? archHex : null);
    const nr = main.nr;
    syscall = main.tSyscall ?? (archHex && nr !== null ? syscallName(archHex, nr) : null) ?? (nr !== null ? String(nr) : null);
    sem = syscall ? syscallSemantics(syscall) : null;
  } else if (main !== null) {
    const op = main.uringOp;
    uringOp = op === null ? null : uringOpName(op);
    sem = op === null ? null : (uringSemantics(op) as SyscallSemantics | null);
  }
  let action: Action = sem?.action ?? 'other';
  if (sem?.createdIfPathCreate && items.some((i) => i.nametype === 'CREATE')) action = 'created';

  const success = main?.success ?? null;
  const exit = main?.exit ?? null;
  const errno = success === false && exit !== null && exit < 0 ? errnoName(exit) ?? `E#${-exit}` : null;

  cwdText ??= null;
  // Only an absolute cwd can resolve names: the kernel writes placeholders such as "<too_long>" when d_path fails.
  const cwd: BPath | null = cwdText !== null && cwdText.startsWith('/') ? cwdText : null;
  if (execve !== null) {
    argv = argvOfExecve(execve);
    title = null;
  }
  argv ??= null;
  const pid = main?.pid ?? null;
  const ppid = main?.ppid ?? null;
  if (learnOnly) {
    if (pid !== null) rememberProcess(ctx, raw, pid, ppid, main?.comm ?? null, main?.exe ?? null, argv, title);
    const targets = targetsOf(action, items, sem, main?.atFdcwd ?? null, main?.uring === true);
    learnParents(targets, cwd, ctx.index);
    learnOutcome(success !== false, targets, ctx.index);
    return null;
  }
  const auid = idOrNull(main?.auid ?? null);
  const process: ProcessInfo = {
    pid,
    ppid,
    comm: main?.comm ?? null,
    exe: main?.exe ?? null,
    cwd: cwdText === null ? null : outPath(cwdText).path,
    argv,
    uid: main?.uid ?? null,
    user: main?.tUid ?? null,
    euid: main?.euid ?? null,
    euser: main?.tEuid ?? null,
    gid: main?.gid ?? null,
    group: main?.tGid ?? null,
    auid,
    loginUser: auid === null ? null : main?.tAuid ?? null,
    tty: main?.tty ?? null,
    ses: idOrNull(main?.ses ?? null),
  };
  if (pid !== null) {
    const parents = parentChain(raw.node, ppid, raw.time, ctx.procs);
    if (parents.length > 0) process.parents = parents;
    rememberProcess(ctx, raw, pid, ppid, process.comm, process.exe, argv);
  }

  const event: AuditEvent = {
    id,
    serial: raw.serial,
    time: isoTime(raw.time),
    timeMs: raw.time,
    node: raw.node,
    keys,
    recordTypes,
    syscall,
    arch,
    success,
    exit,
    errno,
    action,
    watchRemoved,
    ...(rulesRemoved > 0 ? { rulesRemoved } : {}),
    ...(uringOp !== undefined ? { uringOp } : {}),
    process,
    objects: [],
    source: records[0],
    records,
  };

  const targets = targetsOf(action, items, sem, main?.atFdcwd ?? null, main?.uring === true);
  learnParents(targets, cwd, ctx.index);
  const guessed: BPath[] = [];
  for (const t of targets) event.objects.push(resolveTarget(t, cwd, event, ctx, guessed, since));
  if (action === 'renamed' && targets.every((t) => t.child === null)) orderGuessedRename(event);
  if (action === 'renamed') nameDestinationByReplaced(event);
  learnOutcome(success !== false, targets, ctx.index);
  return event;
}

/** Records a process for the parent chains of later events (bounded per node, oldest forgotten). */
function rememberProcess(
  ctx: InterpretContext,
  raw: RawEvent,
  pid: number,
  ppid: number | null,
  comm: string | null,
  exe: string | null,
  argv: string[] | null,
  title: Uint8Array | null = null,
): void {
  let procs = ctx.procs.get(raw.node);
  if (procs === undefined) ctx.procs.set(raw.node, (procs = new Map()));
  const seen = procs.get(pid);
  if (seen !== undefined && seen.ppid === ppid) {
    // The same process again (an rm -rf writes thousands of events): refresh it in place.
    seen.time = raw.time;
    seen.comm = comm;
    seen.exe = exe;
    seen.argv = argv;
    seen.title = title;
    return;
  }
  procs.delete(pid);
  procs.set(pid, { time: raw.time, ppid, comm, exe, argv, title });
  if (procs.size > MAX_PROCS) procs.delete(procs.keys().next().value!);
}

/**
 * The absolute path a name stands for, when the text alone says it: an absolute name without `..`, or a name
 * relative to the (absolute) cwd whose `..` components all come first. The kernel writes the cwd as a real path,
 * so its parents are real; a `..` after a named component may climb out of a symlink (`/tmp/lnk/../x` with
 * `lnk -> /etc/sub` is `/etc/x`, not `/tmp/x`), so such names are not facts about any inode.
 */
function safeAbs(name: BPath, atCwd: boolean | null, cwd: BPath | null): BPath | null {
  if (name.startsWith('/')) return hasDotDot(name) ? null : normalizeB(name);
  if (atCwd !== true || cwd === null) return null;
  let named = false;
  for (const seg of name.split('/')) {
    if (seg === '..') {
      if (named) return null;
    } else if (seg !== '' && seg !== '.') named = true;
  }
  return normalizeB(joinB(cwd, name));
}

function hasDotDot(name: BPath): boolean {
  return name.includes('..') && name.split('/').includes('..');
}

/** The folder a PARENT item names, when its name really is that folder (not the CWD stand-in). */
function dirOfParent(p: PathItem, atCwd: boolean | null, cwd: BPath | null): BPath | null {
  if (p.name === null) return null;
  if (p.name.endsWith('/')) return safeAbs(p.name, atCwd, cwd);
  return atCwd === true && p.name.startsWith('/') && !hasDotDot(p.name) ? normalizeB(p.name) : null;
}

/** The first command-line argument not yet used that names an entry directly inside `dir`, or null. */
function guessFromArgv(dir: BPath, argv: string[] | null, cwd: BPath | null, used: BPath[]): BPath | null {
  if (!argv) return null;
  for (const abs of argvPaths(argv, cwd)) {
    if (abs !== dir && dirnameB(abs) === dir && !used.includes(abs)) return abs;
  }
  return null;
}

/** Tools whose deletions all lie at, under, beside or above the paths they are given. */
const PATH_TOOLS = new Set(['rm', 'rmdir', 'unlink', 'find', 'shred']);

/**
 * Whether the command line says `p` cannot be what it deleted: an `rm`, `find`… whose path arguments are all
 * unrelated to `p`. Other programs (a script, a file manager) compute their paths: nothing to check against.
 */
function commandDisagrees(p: BPath, argv: string[] | null, cwd: BPath | null): boolean {
  if (!argv || argv.length < 2) return false;
  const tool = argv[0].slice(argv[0].lastIndexOf('/') + 1);
  if (!PATH_TOOLS.has(tool)) return false;
  // PROCTITLE keeps 128 bytes: a long command line may be cut inside its last argument.
  if (argv.reduce((n, a) => n + a.length + 1, 0) >= 120) return false;
  // An argument through `..` may have crossed a symlink: its text says nothing certain about where it leads.
  if (argv.some((a, i) => i > 0 && !a.startsWith('-') && a.split('/').includes('..'))) return false;
  const args = argvPaths(argv, cwd);
  if (args.length === 0) return false;
  const pd = dirnameB(p);
  return !args.some((a) => p === a || p.startsWith(a === '/' ? '/' : a + '/') || a.startsWith(p + '/') || pd === dirnameB(a));
}

/** The command line's path-like arguments, absolute, in order. */
function argvPaths(argv: string[], cwd: BPath | null): BPath[] {
  const out: BPath[] = [];
  for (const arg of argv.slice(1)) {
    if (arg === '' || arg.startsWith('-')) continue;
    const b = decodeName(arg).toString('latin1');
    const abs = b.startsWith('/') ? normalizeB(b) : cwd ? normalizeB(joinB(cwd, b)) : null;
    if (abs !== null) out.push(abs);
  }
  return out;
}

/** An io_uring rename onto an existing file names nothing, but the destination is where the replaced file was. */
function nameDestinationByReplaced(event: AuditEvent): void {
  const dest = event.objects.find((o) => o.role === 'destination');
  const replaced = event.objects.find((o) => o.role === 'replaced');
  if (!dest || !replaced || dest.confidence !== 'uncertain' || replaced.confidence === 'uncertain' || replaced.path === null) return;
  dest.path = replaced.path;
  if (replaced.pathHex) dest.pathHex = replaced.pathHex;
  dest.confidence = 'rebuilt';
  dest.note = 'the file it replaced was there';
}

/** For a failed rename named only from the command line: the earlier argument is the source. */
function orderGuessedRename(event: AuditEvent): void {
  const argv = event.process.argv ?? [];
  const pos = (p: string | null): number => {
    const i = argv.findIndex((a) => p !== null && (a === p || p.endsWith('/' + a.replace(/\/+$/, ''))));
    return i < 0 ? Infinity : i;
  };
  const objs = event.objects.filter((o) => o.path !== null && !o.path.endsWith('<unknown name>'));
  objs.sort((a, b) => pos(a.path) - pos(b.path));
  objs.forEach((o, i) => (o.role = i === 0 ? 'source' : 'destination'));
  event.objects = objs;
}

function parentChain(node: string | null, ppid: number | null, time: number, all: Map<string | null, Map<number, ProcSeen>>): NonNullable<ProcessInfo['parents']> {
  const procs = all.get(node);
  const out: NonNullable<ProcessInfo['parents']> = [];
  if (procs === undefined) return out;
  let p = ppid;
  // At most 16 ancestors; a cycle (reused pids in a garbled log) stops at the first pid seen again.
  while (p !== null && p > 0 && out.length < 16 && !out.some((x) => x.pid === p)) {
    const info = procs.get(p);
    if (!info || info.time > time || time - info.time > PROC_TTL_MS) break;
    out.push({ pid: p, comm: info.comm, exe: info.exe, argv: argvOf(info) });
    p = info.ppid;
  }
  return out;
}

/**
 * Learns directories from PARENT items, but only where the name really is that directory: the kernel writes the
 * process CWD as the PARENT name when the child name has no `/` (name_len 0), which is the parent only for AT_FDCWD.
 */
function learnParents(targets: Target[], cwd: BPath | null, index: PathIndex): void {
  for (const t of targets) {
    const p = t.parent;
    if (!p || p.key === null || p.name === null) continue;
    const childName = t.child?.name ?? null;
    if (childName !== null && childName.includes('/')) {
      const dir = safeAbs(p.name, p.name.startsWith('/') ? true : t.atCwd, cwd);
      if (dir !== null) index.learnAbs(p.key, dir, 'dir');
    } else if (childName !== null && t.atCwd === true && cwd !== null && p.name === cwd) {
      // A bare name relative to AT_FDCWD: the PARENT name is the cwd, and here the cwd really is the folder.
      index.learnAbs(p.key, normalizeB(p.name), 'dir');
    }
  }
}

function resolveTarget(t: Target, cwd: BPath | null, event: AuditEvent, ctx: InterpretContext, guessed: BPath[], since: number): AuditObject {
  const c = t.child;
  const obj: AuditObject = {
    role: t.role,
    path: null,
    confidence: 'uncertain',
    inode: c?.inode ?? null,
    dev: c?.dev ?? null,
    type: c?.type ?? null,
  };
  const index = ctx.index;
  const name = c?.name ?? null;

  // What the process itself named, when the record says it exactly.
  const seen: BPath | null = name !== null ? safeAbs(name, t.atCwd, cwd) : null;

  // The watcher's view. The snapshot's own entry for the inode counts when its name and type agree with the log;
  // an entry found by the parent folder's inode alone is weaker: it may be stale (the folder renamed since) or the
  // other side of a bind mount, so it never overrides a name the kernel wrote.
  const base = name !== null ? basenameB(name) : null;
  let snapPath: BPath | null = null;
  let snapByParent: BPath | null = null;
  if (c?.key && t.role !== 'destination') {
    const own = index.snapshotEntry(c.key);
    if (own && (base === null || basenameB(own.path) === base) && (c.type === null || own.type === null || own.type === c.type)) snapPath = own.path;
  }
  if (snapPath === null && t.parent?.key && base !== null && base !== '..' && base !== '.') {
    const dir = index.pathOf(t.parent.key, true);
    if (dir) snapByParent = joinB(dir.path, base);
  }

  const set = (p: BPath, confidence: AuditObject['confidence'], seenAs: BPath | null, note?: string): void => {
    const o = outPath(p);
    obj.path = o.path;
    if (o.pathHex) obj.pathHex = o.pathHex;
    else delete obj.pathHex;
    obj.confidence = confidence;
    if (seenAs !== null && seenAs !== p) obj.seenAs = outPath(seenAs).path;
    if (note) obj.note = note;
    else delete obj.note;
  };
  /** A path rebuilt from inodes: a guess when it goes through a folder the log named in two ways. */
  const rebuilt = (p: BPath, ambiguous: BPath | undefined, note: string): void => {
    if (ambiguous === undefined || ambiguous === p) set(p, 'rebuilt', null, note);
    else set(p, 'uncertain', null, `${note}; a folder on the way was also named ${outPath(ambiguous).path} (bind mount, symlink, mount namespace or an unlogged rename)`);
  };

  if (seen !== null) {
    if (snapPath !== null && snapPath !== seen) set(snapPath, 'rebuilt', seen, 'reached through another path (bind mount, symlink or mount namespace)');
    else if (snapByParent !== null && snapByParent !== seen) {
      set(seen, 'exact', null, `the inode snapshot places its folder at ${outPath(dirnameB(snapByParent)).path} (a bind mount, another mount namespace, or a snapshot older than a rename)`);
    } else set(seen, 'exact', null);
    return obj;
  }
  if (snapPath !== null || snapByParent !== null) {
    // A name the text alone cannot place (`lnk/../x`) is kept as what the process used.
    const literal = name === null ? null : name.startsWith('/') ? name : cwd !== null && t.atCwd === true ? joinB(cwd, name) : null;
    set((snapPath ?? snapByParent)!, 'rebuilt', literal, 'rebuilt from the inode snapshot');
    return obj;
  }
  if (name !== null && t.parent?.key) {
    // Relative to a real dirfd (the PARENT name is the CWD, not the directory), or a name whose text cannot be
    // trusted (`..` after a symlink): rebuild from the parent's inode.
    const rel = name.includes('/') ? basenameB(name) : name;
    // The name as the process gave it (`/v/lnk/../x`), when it has an absolute form: shown as seenAs.
    const literal = name.startsWith('/') ? name : cwd !== null && t.atCwd === true ? joinB(cwd, name) : null;
    const parentKey = t.parent.key;
    const r = index.lookup(parentKey);
    // A chain learned from the log can be stale: the folder was deleted unseen and its inode number reused. When the
    // event's own command line (rm -rf P, find P …) names other folders, the oldest link of the chain is doubted and
    // the object waits for the folder to be named again (rm -rf names each folder as it removes it).
    const doubt = (path: BPath, viaSnapshot: boolean, from: InodeKey): { key: InodeKey; suffix: BPath } | null => {
      if (viaSnapshot || !commandDisagrees(path, event.process.argv, cwd)) return null;
      const stale = index.staleLinkIn(from, since);
      if (stale === null) return null;
      const suffix = index.suffixFrom(from, stale);
      index.distrust(stale);
      return { key: stale, suffix };
    };
    const waiter = (suffix: BPath): Waiter => ({
      suffix,
      resolve: (p, viaSnapshot, ambiguous, waitedOn, below) => {
        const again = doubt(p, viaSnapshot, waitedOn);
        if (again !== null && index.wait(again.key, waiter(joinB(again.suffix, below)), event.timeMs)) return;
        rebuilt(p, ambiguous, 'rebuilt from the parent directory inode, learned later in the log');
        if (literal !== null && literal !== p) obj.seenAs = outPath(literal).path;
        ctx.onResolved(event);
      },
    });
    let waitOn: { key: InodeKey; suffix: BPath } | null = r && 'waitOn' in r ? { key: r.waitOn, suffix: joinB(r.suffix, rel) } : null;
    if (r && 'path' in r) {
      const p = joinB(r.path, rel);
      const doubted = doubt(p, r.viaSnapshot, parentKey);
      if (doubted === null) {
        rebuilt(p, r.ambiguous === undefined ? undefined : joinB(r.ambiguous, rel), 'rebuilt from the parent directory inode');
        if (literal !== null && literal !== obj.path) obj.seenAs = outPath(literal).path;
        return obj;
      }
      waitOn = { key: doubted.key, suffix: joinB(doubted.suffix, rel) };
    }
    // Until the folder is known: the literal name, uncertain (never its textual normalisation, which may be a decoy).
    if (literal !== null) {
      obj.note = `the name goes through '..' and may have crossed a symlink; folder inode ${t.parent.inode} not yet known`;
      obj.path = outPath(literal).path;
    } else {
      obj.note = `folder not yet known (inode ${t.parent.inode}); the kernel logged the CWD as parent`;
      obj.path = outPath(joinB(`<folder inode ${t.parent.inode}>`, rel)).path;
    }
    if (waitOn !== null && index.wait(waitOn.key, waiter(waitOn.suffix), event.timeMs)) ctx.onWait?.(event);
    return obj;
  }
  if (name === null && c?.key) {
    // io_uring writes no names: only the inode can say which file it was.
    const own = index.pathOf(c.key);
    if (own && t.role !== 'destination') {
      rebuilt(own.path, own.ambiguous, 'rebuilt from the inode (io_uring records carry no names)');
      return obj;
    }
    const dir = t.parent?.key ? index.pathOf(t.parent.key) : null;
    obj.note = `no name in the record (io_uring); inode ${c.inode}${dir ? ` in ${outPath(dir.path).path}` : ''}`;
    if (dir) obj.path = outPath(joinB(dir.path, `<inode ${c.inode}>`)).path;
    return obj;
  }
  if (t.parent?.name) {
    // A failed call on a missing name logs only the folder (the name never became a dentry). The command line
    // often holds it: a best guess, marked uncertain.
    const dir = dirOfParent(t.parent, t.atCwd, cwd);
    const guess = dir !== null ? guessFromArgv(dir, event.process.argv, cwd, guessed) : null;
    if (guess !== null) {
      guessed.push(guess);
      set(guess, 'uncertain', null, 'name not in the record; taken from the command line');
    } else {
      obj.note = 'no name in the record';
      if (dir !== null) obj.path = outPath(joinB(dir, '<unknown name>')).path;
    }
  }
  return obj;
}

/** Updates the index with what the event did: creations and rename targets are learned, deletions retired. */
function learnOutcome(ok: boolean, targets: Target[], index: PathIndex): void {
  // Targets come in order source, destination, replaced: a moved inode ends up linked at its destination.
  for (const t of targets) {
    const c = t.child;
    if (!c?.key) continue;
    const type = c.type ?? index.typeOf(c.key);
    const exists = ok || (t.role !== 'destination' && t.role !== 'created');
    if (!exists) continue;
    // The PARENT item's inode is the real directory even when its name is the CWD, so the link is always right;
    // linking also hands over whatever waited on this inode (rm -rf deletes children before their folder).
    const base = c.name !== null ? basenameB(c.name) : '';
    if (base !== '' && base !== '.' && base !== '..' && t.parent?.key) index.learnLink(c.key, t.parent.key, base, type);
    else if (c.name !== null && c.name.startsWith('/') && !hasDotDot(c.name)) index.learnAbs(c.key, normalizeB(c.name), type);
    if (ok && (t.role === 'deleted' || t.role === 'replaced')) index.retire(c.key);
  }
}
