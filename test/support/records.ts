/**
 * Builders for hand-made audit records, for what the real auditd cannot be made to write on the test machine
 * (inode numbers above 2^53, a kernel placeholder cwd, other hosts' node= prefixes, damaged headers). Every record is
 * shaped like the RAW-format lines the kernel writes for the same syscall (field order and spelling copied from
 * test/fixtures/recorded), so the parser meets nothing it would not meet in a real log.
 */

/** AT_FDCWD as the kernel logs a dirfd argument. */
export const AT_FDCWD = 'ffffff9c';

export interface PathSpec {
  name: string | null;
  inode: string;
  /** octal mode as logged: 040755 for a folder, 0100644 for a file. */
  mode?: string;
  nametype: 'PARENT' | 'DELETE' | 'CREATE' | 'NORMAL';
  dev?: string;
}

export interface SyscallSpec {
  time: number;
  serial: number;
  node?: string;
  /** x86_64 syscall number: 263 unlinkat, 87 unlink, 84 rmdir, 316 renameat2, 257 openat. */
  syscall: number;
  success?: boolean;
  exit?: number;
  a0?: string;
  a2?: string;
  pid?: number;
  ppid?: number;
  comm?: string;
  exe?: string;
  key?: string | null;
  cwd: string;
  paths: PathSpec[];
  /** argv, written as a hex PROCTITLE like the kernel does. */
  argv?: string[];
}

function header(s: SyscallSpec, type: string): string {
  const sec = Math.floor(s.time / 1000);
  const ms = String(s.time % 1000).padStart(3, '0');
  return `${s.node ? `node=${s.node} ` : ''}type=${type} msg=audit(${sec}.${ms}:${s.serial}):`;
}

/** Quotes a name the way the kernel does: "text" when printable ASCII without spaces or quotes, else hex. */
export function auditString(v: string | Buffer): string {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  const plain = b.every((c) => c > 0x20 && c < 0x7f && c !== 0x22);
  return plain ? `"${b.toString('latin1')}"` : b.toString('hex').toUpperCase();
}

/** The lines of one syscall event: SYSCALL, CWD, PATH items, PROCTITLE. */
export function syscallEvent(s: SyscallSpec): string[] {
  const ok = s.success ?? true;
  const key = s.key === undefined ? '"k"' : s.key === null ? '(null)' : auditString(s.key);
  const lines = [
    `${header(s, 'SYSCALL')} arch=c000003e syscall=${s.syscall} success=${ok ? 'yes' : 'no'} exit=${s.exit ?? 0} a0=${s.a0 ?? AT_FDCWD} a1=55f714dd1030 a2=${s.a2 ?? '0'} a3=0 items=${s.paths.length} ppid=${s.ppid ?? 1000} pid=${s.pid ?? 2000} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=${auditString(s.comm ?? 'rm')} exe=${auditString(s.exe ?? '/usr/bin/rm')} key=${key}`,
    `${header(s, 'CWD')} cwd=${auditString(s.cwd)}`,
  ];
  s.paths.forEach((p, i) => {
    const mode = p.mode ?? (p.nametype === 'PARENT' ? '040755' : '0100644');
    lines.push(`${header(s, 'PATH')} item=${i} name=${p.name === null ? '(null)' : auditString(p.name)} inode=${p.inode} dev=${p.dev ?? 'fe:00'} mode=${mode} ouid=0 ogid=0 rdev=00:00 nametype=${p.nametype} cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`);
  });
  if (s.argv) lines.push(`${header(s, 'PROCTITLE')} proctitle=${Buffer.from(s.argv.join('\0'), 'utf8').toString('hex').toUpperCase()}`);
  return lines;
}

/** unlinkat(dirfd, name): the PARENT name is the CWD when `name` has no slash (the kernel's name_len 0 case). */
export function unlinkat(o: Omit<SyscallSpec, 'syscall' | 'paths'> & { dirfd?: string; parent: { name: string; inode: string }; child: { name: string; inode: string; mode?: string } }): string[] {
  return syscallEvent({
    ...o,
    syscall: 263,
    a0: o.dirfd ?? AT_FDCWD,
    a2: o.child.mode?.startsWith('04') ? '200' : '0',
    paths: [
      { name: o.parent.name, inode: o.parent.inode, nametype: 'PARENT' },
      { name: o.child.name, inode: o.child.inode, mode: o.child.mode, nametype: 'DELETE' },
    ],
  });
}

/** renameat2(AT_FDCWD, old, AT_FDCWD, new) within one folder, as mv logs it. */
export function renameat2(o: Omit<SyscallSpec, 'syscall' | 'paths'> & { dir: { name: string; inode: string }; from: string; to: string; inode: string; mode?: string }): string[] {
  return syscallEvent({
    ...o,
    syscall: 316,
    a2: AT_FDCWD,
    comm: o.comm ?? 'mv',
    exe: o.exe ?? '/usr/bin/mv',
    paths: [
      { name: o.dir.name, inode: o.dir.inode, nametype: 'PARENT' },
      { name: o.dir.name, inode: o.dir.inode, nametype: 'PARENT' },
      { name: o.from, inode: o.inode, mode: o.mode ?? '040755', nametype: 'DELETE' },
      { name: o.to, inode: o.inode, mode: o.mode ?? '040755', nametype: 'CREATE' },
    ],
  });
}

/** openat(AT_FDCWD, path, O_CREAT) of a new file: teaches the folder's path by an absolute name. */
export function create(o: Omit<SyscallSpec, 'syscall' | 'paths'> & { dir: { name: string; inode: string }; name: string; inode: string }): string[] {
  return syscallEvent({
    ...o,
    syscall: 257,
    a2: '241',
    comm: o.comm ?? 'touch',
    exe: o.exe ?? '/usr/bin/touch',
    paths: [
      { name: o.dir.name, inode: o.dir.inode, nametype: 'PARENT' },
      { name: o.name, inode: o.inode, nametype: 'CREATE' },
    ],
  });
}
