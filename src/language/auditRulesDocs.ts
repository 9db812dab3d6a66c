/**
 * What each auditctl option, rule field, list and action means (from auditctl(8) and audit.rules(7) of audit 3.0.9,
 * plus the facts in AUDIT-FACTS.md), and the explanation of the word under the cursor in a rules line.
 * No vscode import: the hover provider and the unit tests use it alike.
 */
import { errnoName } from '../core/tables';
import { SYSCALLS, type Arch } from '../core/tables';
import { syscallSemantics } from '../core/tables';
import type { IdNames } from '../core/explain';
import { idFieldKind } from '../core/explain';

/** Option → [syntax, meaning]. */
export const OPTION_DOCS: Readonly<Record<string, readonly [string, string]>> = {
  '-a': ['-a list,action', 'Append a rule to the end of a list (`exit`, `task`, `user`, `exclude`, `filesystem`) with an action (`always` or `never`). The two may be given in either order.'],
  '-A': ['-A list,action', 'Add a rule to the beginning of a list; the first matching rule decides, so suppressions (`never`) belong at the top.'],
  '-d': ['-d list,action', 'Delete a rule; it must match the syscalls and every field exactly.'],
  '-D': ['-D', 'Delete all rules and watches (with `-k KEY`: only those with that key).'],
  '-w': ['-w path', 'Watch a file system object. An existing directory becomes `-F dir=PATH` (recursive: everything below it, but not the directory’s own deletion); anything else, even a missing path, becomes `-F path=PATH` (that name only). Only `-p` and `-k` may follow.'],
  '-W': ['-W path', 'Remove a watch; it must match the watch exactly (path, permissions and key).'],
  '-p': ['-p [r|w|x|a]', 'The kind of access a watch triggers on: r=read, w=write, x=execute, a=attribute change. These select syscall classes (open flags for reads and writes), not file permission bits.'],
  '-k': ['-k key', 'A filter key on the rule: every event the rule logs carries it (`key=`), so `ausearch -k` and Audit Lens find them. The kernel allows 256 bytes; several keys on one rule are joined with \\x01.'],
  '-F': ['-F name op value', 'A rule field: name, operator (`=`, `!=`, `<`, `>`, `<=`, `>=`, `&`, `&=`), value. Up to 64 per rule, all ANDed. Fields that take a user or group ID accept names too.'],
  '-C': ['-C field op field', 'An inter-field comparison (`=` or `!=`) between two uid fields (auid, uid, euid, suid, fsuid, obj_uid) or two gid fields (gid, egid, sgid, fsgid, obj_gid).'],
  '-S': ['-S syscall', 'The system call(s) the rule matches: names or numbers, several `-S` or a comma-separated list, or `all`. Give `-F arch=b64` (and a `b32` twin on x86_64) before it, or the numbers are looked up for the native arch and applied to both.'],
  '-e': ['-e [0..2]', 'Enable flag: 0 disables auditing, 1 enables it, 2 locks the configuration until reboot (put it last in audit.rules).'],
  '-f': ['-f [0..2]', 'Failure mode for critical errors (backlog full, lost records): 0=silent, 1=printk (default), 2=panic.'],
  '-b': ['-b backlog', 'The maximum number of outstanding audit buffers (kernel default 64). When it is full the syscall waits up to backlog_wait_time, then records are lost; raise it (e.g. 8192) on busy machines.'],
  '-r': ['-r rate', 'Rate limit in messages per second (0 = none).'],
  '-R': ['-R file', 'Read rules from a file, one per line, `#` comments allowed; the file must be owned by root and not readable by others.'],
  '-l': ['-l', 'List the rules, one per line (with `-k KEY`: only those with that key). Watches print as `-w PATH -p … -k …` whether they are dir= or path= rules.'],
  '-s': ['-s', 'Report the kernel audit status: enabled, failure, pid of auditd (0: not running), rate_limit, backlog_limit, lost, backlog.'],
  '-m': ['-m text', 'Send a user-space message into the audit log (a USER record).'],
  '-i': ['-i', 'Alone: ignore errors when reading rules from a file. After `-s` or `-l`: interpret numbers as words.'],
  '-c': ['-c', 'Continue loading rules after an error, and summarize (the exit code still reports failures).'],
  '-q': ['-q mount-point,subtree', 'Make a bind- or move-mounted subtree equivalent to a watched directory, so watches follow it.'],
  '-t': ['-t', 'Trim the subtrees after a mount command.'],
  '-v': ['-v', 'Print the version of auditctl.'],
  '-h': ['-h', 'Help.'],
  '--backlog_wait_time': ['--backlog_wait_time wait_time', 'How long a task waits when the backlog is full before its record is dropped (kernel default 60*HZ).'],
  '--loginuid-immutable': ['--loginuid-immutable', 'Make login uids (auid) unchangeable once set; tamper-proof, but can break some containers.'],
  '--reset-lost': ['--reset-lost', 'Reset the lost record counter shown by `-s`.'],
  '--reset_backlog_wait_time_actual': ['--reset_backlog_wait_time_actual', 'Reset the actual backlog wait time counter shown by `-s`.'],
  '--signal': ['--signal signal', 'Send a signal to auditd: TERM, HUP (reload configuration), USR1 (rotate logs), USR2, CONT.'],
};

/** Field → meaning. */
export const FIELD_DOCS: Readonly<Record<string, string>> = {
  a0: 'The first syscall argument (numbers only: string arguments are pointers).',
  a1: 'The second syscall argument (numbers only).',
  a2: 'The third syscall argument (numbers only).',
  a3: 'The fourth syscall argument (numbers only).',
  arch: 'The CPU architecture of the syscall: `b64`, `b32`, or a name such as `x86_64`. Put it before `-S` so the names are looked up in the right table; write one rule per arch.',
  auid: 'The login uid (audit uid): who originally logged in, kept across sudo and su. `unset` or 4294967295 for processes that never logged in.',
  devmajor: 'Device major number.',
  devminor: 'Device minor number.',
  dir: 'A directory to watch recursively (exit list only). Logs everything below it, but not the directory’s own deletion: that is logged with key=(null) and a CONFIG_CHANGE remove_rule that carries the key.',
  egid: 'Effective group ID (number or group name).',
  euid: 'Effective user ID (number or user name).',
  exe: 'The absolute path of the program the rule applies to (`=` or `!=`, once per rule).',
  exit: 'The syscall’s exit value; errno names may be used (e.g. `-EACCES`).',
  fsgid: 'File system group ID.',
  fsuid: 'File system user ID.',
  filetype: 'The target file’s type: file, dir, socket, link, character, block or fifo.',
  gid: 'Group ID (number or group name).',
  inode: 'Inode number.',
  key: 'A filter key (the same as `-k`).',
  msgtype: 'The record type to match (exclude and user lists only).',
  obj_uid: 'The object’s (file’s) owner uid.',
  obj_gid: 'The object’s (file’s) group.',
  obj_user: 'The object’s SELinux user.',
  obj_role: 'The object’s SELinux role.',
  obj_type: 'The object’s SELinux type.',
  obj_lev_low: 'The object’s SELinux low level.',
  obj_lev_high: 'The object’s SELinux high level.',
  path: 'A file to watch (exit list only): that name only, followed through its parent, surviving delete and re-create; not recursive.',
  perm: 'Permission filter: r, w, x, a (see `-p`); the kernel then selects the syscalls of those classes.',
  pers: 'OS personality number.',
  pid: 'Process ID.',
  ppid: 'Parent process ID.',
  saddr_fam: 'Address family number (2 = IPv4, 10 = IPv6).',
  sessionid: 'The login session ID (`ses=` in records).',
  subj_user: 'The program’s SELinux user.',
  subj_role: 'The program’s SELinux role.',
  subj_type: 'The program’s SELinux type.',
  subj_sen: 'The program’s SELinux sensitivity.',
  subj_clr: 'The program’s SELinux clearance.',
  sgid: 'Saved group ID.',
  success: 'Whether the syscall succeeded (exit ≥ 0): 1 for yes, 0 for no.',
  suid: 'Saved user ID.',
  uid: 'User ID (number or user name).',
  fstype: 'File system type (filesystem list), e.g. to exclude tracefs or debugfs.',
  loginuid_set: 'Whether the login uid is set (1) or not (0).',
  uid_from_exe: 'Not a field: see exe.',
};

/** Lists and actions of `-a`/`-A`/`-d`. */
export const LIST_DOCS: Readonly<Record<string, string>> = {
  exit: 'list `exit`: checked when a system call returns; where file and syscall rules go.',
  task: 'list `task`: checked when a task is created (fork, clone); only fields known then (uid, gid, …).',
  user: 'list `user`: filters messages from user space (uid, auid, gid, pid, subj_*, msgtype, exe only).',
  exclude: 'list `exclude`: records never to log, by pid, uid, gid, auid, msgtype, subject or exe.',
  filesystem: 'list `filesystem`: applies to a whole file system (by `fstype`), usually to exclude tracefs or debugfs.',
  io_uring: 'list `io_uring`: io_uring operations, which bypass syscall rules (auditctl 3.0.9 refuses this list).',
  always: 'action `always`: log an event when the rule matches.',
  never: 'action `never`: never log matching events; put such rules first, as the first match decides.',
};

const PERM_NAMES: Readonly<Record<string, string>> = { r: 'read', w: 'write', x: 'execute', a: 'attribute change' };

/** One word of a rules line with its position. */
interface Word {
  text: string;
  start: number;
  end: number;
}

function words(line: string): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

const ARCHES: readonly Arch[] = ['x86_64', 'aarch64', 'i386'];

function syscallLines(name: string): string[] {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    const named = ARCHES.map((a) => (SYSCALLS[a][n] ? `${a}: ${SYSCALLS[a][n]}` : null)).filter(Boolean);
    return named.length ? [`syscall number ${n}: ${named.join(', ')} (numbers differ per arch: prefer names)`] : [`syscall number ${n}`];
  }
  if (name === 'all') return ['all system calls (slow: every call is checked against the rule)'];
  const nums = ARCHES.map((a) => {
    const i = SYSCALLS[a].indexOf(name);
    return i >= 0 ? `${a} ${i}` : null;
  }).filter(Boolean);
  const sem = syscallSemantics(name);
  const what = sem ? ` (${sem.action === 'deleted' ? 'deletes' : sem.action === 'renamed' ? 'renames' : sem.action === 'created' ? 'creates' : sem.action === 'attributes' ? 'changes attributes of' : 'opens or modifies'} files)` : '';
  return [nums.length ? `syscall ${name}${what}: number ${nums.join(', ')}` : `syscall ${name}: not in the x86_64, aarch64 or i386 tables (auditctl will refuse it on those)`];
}

function fieldValueLines(field: string, op: string, value: string, ids: IdNames): string[] {
  const out: string[] = [];
  if (field === 'perm') {
    const names = [...value].map((c) => PERM_NAMES[c] ?? `unknown "${c}"`);
    out.push(`perm ${value}: ${names.join(', ')}`);
  } else if (field === 'arch') {
    out.push(value === 'b64' ? 'b64: the 64-bit syscall table of this machine' : value === 'b32' ? 'b32: the 32-bit syscall table (on x86_64: i386 numbers)' : `arch ${value}`);
  } else if (field === 'success') {
    out.push(value === '1' || value === 'yes' ? 'only successful calls' : 'only failed calls');
  } else if (field === 'exit') {
    const n = Number(value);
    const name = Number.isInteger(n) ? errnoName(n < 0 ? n : -n) : null;
    if (name) out.push(`exit ${value}: ${name}`);
  } else if (idFieldKind(field) && /^\d+$/.test(value)) {
    const n = Number(value);
    if (n === 4294967295) out.push(`${value}: unset (never logged in)`);
    else {
      const name = (idFieldKind(field) === 'user' ? ids.users : ids.groups).get(n);
      if (name) out.push(`${value} = ${JSON.stringify(name)} on this machine`);
    }
  } else if (field === 'auid' && value === 'unset') out.push('unset: processes that never logged in');
  if (op === '!=') out.push('(`!=`: the rule matches when the field differs)');
  return out;
}

/**
 * Explains the word at `index` in an audit.rules line (or the arguments of an auditctl command line): an option, a
 * field, a syscall, a list or action, a permission set. Returns null when the cursor is on nothing known.
 * The result: a headline (code, shown as such) and lines of text.
 */
export function explainRuleAt(line: string, index: number, ids: IdNames = { users: new Map(), groups: new Map() }): { head: string; lines: string[]; start: number; end: number } | null {
  if (/^\s*#/.test(line)) return null;
  const ws = words(line);
  const i = ws.findIndex((w) => index >= w.start && index < w.end);
  if (i < 0) return null;
  const w = ws[i];
  const prev = i > 0 ? ws[i - 1].text : '';
  const opt = OPTION_DOCS[w.text] ?? (w.text.startsWith('--') ? OPTION_DOCS[w.text.split('=')[0]] : undefined);
  if (opt) return { head: opt[0], lines: [opt[1]], start: w.start, end: w.end };
  if (prev === '-F' || prev === '-C') {
    const m = /^([A-Za-z0-9_]+)(!=|<=|>=|&=|=|<|>|&)(.*)$/.exec(w.text);
    if (!m) return null;
    const [, field, op, value] = m;
    const inField = index < w.start + field.length + op.length;
    const doc = FIELD_DOCS[field] ?? 'unknown field: auditctl will refuse it';
    if (inField || prev === '-C') return { head: `-${prev === '-C' ? 'C' : 'F'} ${field}`, lines: [doc], start: w.start, end: w.start + field.length };
    const lines = fieldValueLines(field, op, value, ids);
    return { head: `${field}${op}${value}`, lines: lines.length ? lines : [doc], start: w.start + field.length + op.length, end: w.end };
  }
  if (prev === '-S') {
    const names = w.text.split(',');
    let at = w.start;
    for (const n of names) {
      if (index >= at && index < at + n.length) return { head: n, lines: syscallLines(n), start: at, end: at + n.length };
      at += n.length + 1;
    }
    return null;
  }
  if (prev === '-a' || prev === '-A' || prev === '-d') {
    const parts = w.text.split(',');
    return { head: w.text, lines: parts.map((p) => LIST_DOCS[p] ?? `unknown list or action "${p}"`), start: w.start, end: w.end };
  }
  if (prev === '-p') {
    return { head: `-p ${w.text}`, lines: [[...w.text].map((c) => PERM_NAMES[c] ?? `unknown "${c}"`).join(', ')], start: w.start, end: w.end };
  }
  if (prev === '-k') return { head: `key ${w.text}`, lines: ['Events this rule logs carry this key (`key=` in SYSCALL and CONFIG_CHANGE records).'], start: w.start, end: w.end };
  if (prev === '-w' || prev === '-W') {
    return { head: w.text, lines: ['The watched path: a directory is watched recursively (dir=), anything else by name (path=).'], start: w.start, end: w.end };
  }
  return null;
}
