/**
 * Interpretation tables for the parsing core: audit arch codes, syscall / errno / io_uring op names, path-related
 * flag constants, and the data table that drives deletion analysis. The name tables themselves are generated
 * (tables.generated.ts, by scripts/gen-tables.ts); everything here is hand-written.
 */
import { ERRNO_NAMES, SYSCALLS, URING_OPS } from './tables.generated';

export { ERRNO_NAMES, SYSCALLS, URING_OPS };

/** A key of SYSCALLS. */
export type Arch = keyof typeof SYSCALLS;

/**
 * Audit `arch=` values (AUDIT_ARCH_*: ELF machine | 0x80000000 for 64-bit | 0x40000000 for little-endian).
 * Logs print them as lowercase hex without `0x`. 32-bit x86 processes, including 32-bit binaries on an x86_64
 * kernel, log `arch=40000003` with i386 numbers; i386 has the *at calls too (unlinkat is 301 there, unlink 10).
 */
export const AUDIT_ARCHES: ReadonlyMap<string, Arch> = new Map<string, Arch>([
  ['c000003e', 'x86_64'],
  ['40000003', 'i386'],
  ['c00000b7', 'aarch64'],
]);

/** The SYSCALLS key for an audit `arch=` hex value, or null for an arch we have no table for. */
export function archFromHex(archHex: string): Arch | null {
  // Exact match first: that is what logs contain; normalise only on a miss.
  return AUDIT_ARCHES.get(archHex) ?? AUDIT_ARCHES.get(archHex.toLowerCase().replace(/^0x/, '')) ?? null;
}

/** Syscall name for an arch hex and number, or null if the arch or the number is unknown. */
export function syscallName(archHex: string, nr: number): string | null {
  const arch = archFromHex(archHex);
  if (arch === null || !Number.isInteger(nr) || nr < 0) return null;
  return SYSCALLS[arch][nr] ?? null;
}

/** errno name for a syscall `exit=` value (a negative errno: -13 → "EACCES"); null for successes and unknowns. */
export function errnoName(exit: number): string | null {
  // Kernel-internal codes (ERESTARTSYS = 512, …) are not in the uapi headers and stay null.
  if (!Number.isInteger(exit) || exit >= 0) return null;
  return ERRNO_NAMES[-exit] ?? null;
}

/** io_uring op name for a URINGOP record's `uring_op=`; ops newer than the generating headers print as `op#N`. */
export function uringOpName(op: number): string {
  return (Number.isInteger(op) && op >= 0 && URING_OPS[op]) || `op#${op}`;
}

/**
 * AT_FDCWD (-100) as audit logs a dirfd argument: registers are printed as unsigned hex, and C callers pass
 * the int zero-extended. Callers that sign-extend it to 64 bits (Go's syscall package, for one) log AT_FDCWD_64.
 */
export const AT_FDCWD = 'ffffff9c';
export const AT_FDCWD_64 = 'ffffffffffffff9c';

/** Whether a logged dirfd argument (hex, no 0x) is AT_FDCWD in either width. */
export function isAtFdcwd(argHex: string): boolean {
  if (argHex === AT_FDCWD || argHex === AT_FDCWD_64) return true;
  const lower = argHex.toLowerCase();
  return lower === AT_FDCWD || lower === AT_FDCWD_64;
}

/** unlinkat flag: remove a directory (the call is an rmdir). */
export const AT_REMOVEDIR = 0x200;
/** renameat2 flags. */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

const RENAME_FLAGS: readonly (readonly [number, string])[] = [
  [RENAME_NOREPLACE, 'RENAME_NOREPLACE'],
  [RENAME_EXCHANGE, 'RENAME_EXCHANGE'],
  [RENAME_WHITEOUT, 'RENAME_WHITEOUT'],
];

/** Names of the renameat2 flags set in `flags`; bits we do not know are kept as one hex entry. */
export function renameFlagNames(flags: number): string[] {
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of RENAME_FLAGS) {
    if (rest & bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}

/** auid / ses value of a process that never logged in ((uint32)-1; ENRICHED logs show AUID="unset"). */
export const AUID_UNSET = 4294967295;

/** What a successful call does to the object it names. */
export type FileAction = 'deleted' | 'renamed' | 'created' | 'modified' | 'attributes' | 'other';

/**
 * How to read one syscall for file analysis. Argument indexes are 0..3 = a0..a3: the SYSCALL record carries only
 * those four, so anything in a4/a5 (renameat2 and linkat flags, fchownat flags) is not in the log.
 */
export interface SyscallSemantics {
  action: FileAction;
  /** Argument holding the dirfd the (first) path is resolved against; absent means AT_FDCWD or no path. */
  dirfdArg?: number;
  /** For two-path calls, the argument holding the dirfd of the second (new) path. */
  newDirfdArg?: number;
  /** Argument holding the call's flags; their meaning is per call (AT_* for *at calls, O_* for open/openat). */
  flagsArg?: number;
  /** The object is the open file in this argument rather than a path (f* calls). */
  fdArg?: number;
  /** The object is a directory. */
  directory?: true;
  /** The object is a directory when this bit is set in flagsArg (unlinkat with AT_REMOVEDIR is an rmdir). */
  directoryIfFlag?: number;
  /** Becomes 'created' when a PATH item has nametype=CREATE (open with O_CREAT made the file). */
  createdIfPathCreate?: true;
}

/** SyscallSemantics without argument positions: a URINGOP record carries no arguments. */
export type UringSemantics = Pick<SyscallSemantics, 'action' | 'directory' | 'createdIfPathCreate'>;

const ATTRIBUTES: SyscallSemantics = { action: 'attributes' };
const ATTRIBUTES_FD: SyscallSemantics = { action: 'attributes', fdArg: 0 };
const ATTRIBUTES_AT: SyscallSemantics = { action: 'attributes', dirfdArg: 0 };

/**
 * Syscall name → semantics, arch-independent (numbers differ per arch, names do not). Includes the i386-only
 * variants (chown32, truncate64, utimensat_time64, …) and calls newer than ausyscall 3.0.9 (fchmodat2,
 * setxattrat, removexattrat), which only resolve through an ENRICHED `SYSCALL=` name.
 */
export const SYSCALL_SEMANTICS: Readonly<Record<string, Readonly<SyscallSemantics>>> = Object.freeze({
  unlink: { action: 'deleted' },
  unlinkat: { action: 'deleted', dirfdArg: 0, flagsArg: 2, directoryIfFlag: AT_REMOVEDIR },
  rmdir: { action: 'deleted', directory: true },

  rename: { action: 'renamed' },
  renameat: { action: 'renamed', dirfdArg: 0, newDirfdArg: 2 },
  // Flags are in a4, which the SYSCALL record does not carry (a0..a3 only): the analysis has to infer
  // RENAME_EXCHANGE from the PATH items instead.
  renameat2: { action: 'renamed', dirfdArg: 0, newDirfdArg: 2 },

  creat: { action: 'created' },
  open: { action: 'modified', flagsArg: 1, createdIfPathCreate: true },
  openat: { action: 'modified', dirfdArg: 0, flagsArg: 2, createdIfPathCreate: true },
  // openat2's flags live in the struct open_how that a2 points to, so they are not logged.
  openat2: { action: 'modified', dirfdArg: 0, createdIfPathCreate: true },
  mkdir: { action: 'created', directory: true },
  mkdirat: { action: 'created', dirfdArg: 0, directory: true },
  mknod: { action: 'created' },
  mknodat: { action: 'created', dirfdArg: 0 },
  link: { action: 'created' },
  linkat: { action: 'created', dirfdArg: 0, newDirfdArg: 2 },
  symlink: { action: 'created' },
  // symlinkat(target, newdirfd, linkpath): the target is stored text, never resolved; only linkpath uses a1.
  symlinkat: { action: 'created', dirfdArg: 1 },

  truncate: { action: 'modified' },
  truncate64: { action: 'modified' },
  ftruncate: { action: 'modified', fdArg: 0 },
  ftruncate64: { action: 'modified', fdArg: 0 },

  chmod: ATTRIBUTES,
  fchmod: ATTRIBUTES_FD,
  fchmodat: ATTRIBUTES_AT,
  fchmodat2: { action: 'attributes', dirfdArg: 0, flagsArg: 3 },
  chown: ATTRIBUTES,
  chown32: ATTRIBUTES,
  fchown: ATTRIBUTES_FD,
  fchown32: ATTRIBUTES_FD,
  lchown: ATTRIBUTES,
  lchown32: ATTRIBUTES,
  fchownat: ATTRIBUTES_AT,
  setxattr: ATTRIBUTES,
  lsetxattr: ATTRIBUTES,
  fsetxattr: ATTRIBUTES_FD,
  setxattrat: { action: 'attributes', dirfdArg: 0, flagsArg: 2 },
  removexattr: ATTRIBUTES,
  lremovexattr: ATTRIBUTES,
  fremovexattr: ATTRIBUTES_FD,
  removexattrat: { action: 'attributes', dirfdArg: 0, flagsArg: 2 },
  utime: ATTRIBUTES,
  utimes: ATTRIBUTES,
  utimensat: { action: 'attributes', dirfdArg: 0, flagsArg: 3 },
  utimensat_time64: { action: 'attributes', dirfdArg: 0, flagsArg: 3 },
  futimesat: ATTRIBUTES_AT,
});

/**
 * io_uring op name (as in URING_OPS) → semantics. Without arguments an io_uring unlinkat cannot show
 * AT_REMOVEDIR: tell rmdir from the deleted PATH item's mode instead.
 */
export const URING_SEMANTICS: Readonly<Record<string, Readonly<UringSemantics>>> = Object.freeze({
  unlinkat: { action: 'deleted' },
  renameat: { action: 'renamed' },
  mkdirat: { action: 'created', directory: true },
  symlinkat: { action: 'created' },
  linkat: { action: 'created' },
  openat: { action: 'other', createdIfPathCreate: true },
  openat2: { action: 'other', createdIfPathCreate: true },
  setxattr: { action: 'attributes' },
  fsetxattr: { action: 'attributes' },
});

/** Semantics for a syscall name, or null; safe for hostile names such as "constructor". */
export function syscallSemantics(name: string): Readonly<SyscallSemantics> | null {
  return Object.hasOwn(SYSCALL_SEMANTICS, name) ? SYSCALL_SEMANTICS[name] : null;
}

/** Semantics for an io_uring op number, or null for ops that do not touch files (or that we do not know). */
export function uringSemantics(op: number): Readonly<UringSemantics> | null {
  const name = Number.isInteger(op) && op >= 0 ? URING_OPS[op] : null;
  return name && Object.hasOwn(URING_SEMANTICS, name) ? URING_SEMANTICS[name] : null;
}
