/**
 * What a raw audit value means, for people: hex names and proctitles decoded, syscall numbers named per arch, exit
 * codes as errno names, uids and gids as names, epoch times as local time. Used by the editor's hovers and by the
 * viewer's interpreted mode (like `ausearch -i`). Pure string code (no Buffer, no Node): it also runs in the webview.
 */
import { visible } from './display';
import { archFromHex, AUID_UNSET, errnoName, isAtFdcwd, syscallName, syscallSemantics, uringOpName } from './tables';
import { isHexValue, parseLine, tokenizeLine, type FieldToken, type ParsedLine, type TokenKind } from './tokenize';

/** uid → user name and gid → group name, e.g. from /etc/passwd and /etc/group (the ENRICHED part wins). */
export interface IdNames {
  users: ReadonlyMap<number, string>;
  groups: ReadonlyMap<number, string>;
}

export const NO_ID_NAMES: IdNames = { users: new Map(), groups: new Map() };

/** Bytes of an uppercase or lowercase hex string (an odd last digit is dropped). */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

const utf8 = new TextDecoder('utf-8');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Length of the valid UTF-8 sequence starting at `i` (2 to 4 bytes), or 0 when none starts there. The strict decoder
 * applies UTF-8's rules (no overlongs, surrogates or code points above U+10FFFF) without Node's Buffer.
 */
function utf8SeqLen(b: Uint8Array, i: number): number {
  const c = b[i];
  const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (len === 0 || i + len > b.length) return 0;
  try {
    strictUtf8.decode(b.subarray(i, i + len));
    return len;
  } catch {
    return 0;
  }
}

const HEXDIGITS = '0123456789ABCDEF';

/**
 * Bytes as text in the project's one name encoding (src/core/names.ts): valid UTF-8 as is with `\` doubled, any
 * other byte `\xNN`. (names.ts's encoder needs Buffer; this one runs in the browser.)
 */
export function bytesText(b: Uint8Array): string {
  let out = '';
  let run = 0;
  const flush = (to: number): void => {
    if (to > run) out += utf8.decode(b.subarray(run, to)).replace(/\\/g, '\\\\');
  };
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = utf8SeqLen(b, i);
    if (len > 0) {
      i += len;
      continue;
    }
    flush(i);
    out += '\\x' + HEXDIGITS[c >> 4] + HEXDIGITS[c & 15];
    run = ++i;
  }
  flush(b.length);
  return out;
}

/** The bytes an untrusted-string value stands for: `"text"` is text, uppercase hex is bytes; null for `(null)`. */
export function untrustedValueBytes(field: string, value: string): Uint8Array | null {
  if (value === '(null)' || value === '(none)' || value === '?') return null;
  if (value.startsWith('"')) return new TextEncoder().encode(value.slice(1, value.endsWith('"') && value.length > 1 ? -1 : undefined));
  if (isHexValue(field, value)) return hexToBytes(value);
  return null;
}

/** A PROCTITLE's argv: the arguments are joined by NUL bytes (and cut at 128 bytes by the kernel). */
export function argvOf(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      if (i > start || i < bytes.length) out.push(bytesText(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

/** Decoded text for one display line: controls and bidi made visible, quoted when it has spaces or quotes. */
export function displayText(t: string): string {
  const v = visible(t);
  return /[\s"']/.test(v) || v === '' ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : v;
}

/**
 * A decoded name in quotes for a hover: bidi and control characters made visible, and the text's own escapes (`\xNN`
 * for a byte that is not UTF-8, `\\` for a real backslash) kept as they are, not escaped a second time.
 */
export function quotedText(t: string): string {
  return `"${visible(t).replace(/"/g, '\\"')}"`;
}

/** Shell-like quoting of one argument for display: bare when it is plain, else single-quoted. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Epoch milliseconds as local time: `2026-11-25 06:20:49.448 +01:00`. */
export function localTime(ms: number, withZone = true): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return withZone ? `${s} ${zone}` : s;
}

/** Short strerror texts for the errnos deletions and renames meet. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EROFS: 'Read-only file system',
  ENOTEMPTY: 'Directory not empty',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  EINTR: 'Interrupted system call',
  ENOSPC: 'No space left on device',
  EFAULT: 'Bad address',
  ETXTBSY: 'Text file busy',
  ESRCH: 'No such process',
  ECONNREFUSED: 'Connection refused',
  EINPROGRESS: 'Operation now in progress',
  ENOTSUP: 'Operation not supported',
  EOPNOTSUPP: 'Operation not supported',
};

/** `-13` → `EACCES (Permission denied)`; null for successes and unknown codes. */
export function exitText(exit: number): string | null {
  const name = errnoName(exit);
  if (!name) return null;
  return ERRNO_TEXT[name] ? `${name} (${ERRNO_TEXT[name]})` : name;
}

const UID_FIELD = /^(?:uid|euid|suid|fsuid|auid|ouid|sauid|obj_uid|inode_uid|iuid|(?:old|new)-?auid|(?:old|new)-?uid)$/;
const GID_FIELD = /^(?:gid|egid|sgid|fsgid|ogid|obj_gid|inode_gid|igid|(?:old|new)-?gid)$/;

/** Whether a field holds a uid (`user`) or gid (`group`), or neither. */
export function idFieldKind(field: string): 'user' | 'group' | null {
  return UID_FIELD.test(field) ? 'user' : GID_FIELD.test(field) ? 'group' : null;
}

const FILE_TYPES: Readonly<Record<number, string>> = {
  0o140000: 'socket',
  0o120000: 'symlink',
  0o100000: 'file',
  0o060000: 'block-device',
  0o040000: 'dir',
  0o020000: 'character-device',
  0o010000: 'fifo',
};

/** `040755` → `dir,755` (as ausearch -i writes it), with setuid/setgid/sticky bits named. */
export function modeText(octal: string): string | null {
  if (!/^[0-7]+$/.test(octal)) return null;
  const m = parseInt(octal, 8);
  const type = FILE_TYPES[m & 0o170000] ?? null;
  const extra = [m & 0o4000 ? 'suid' : '', m & 0o2000 ? 'sgid' : '', m & 0o1000 ? 'sticky' : ''].filter(Boolean);
  const perms = (m & 0o777).toString(8).padStart(3, '0');
  return [type, ...extra, perms].filter((p) => p !== null).join(',');
}

/** What one record type is, for the hover of its name. */
const RECORD_TYPES: Readonly<Record<string, string>> = {
  SYSCALL: 'A system call: who made it (pid, uid, comm, exe), the call, its first four arguments and its result.',
  PATH: 'One file name the system call used: its inode, device, mode and role (nametype: PARENT, DELETE, CREATE, NORMAL).',
  CWD: 'The current directory of the process when it made the call; relative names are relative to it.',
  PROCTITLE: 'The command line of the process (arguments joined by NUL, cut at 128 bytes).',
  EXECVE: 'The arguments of a program that was started (a0, a1, …; long ones split as a1[0], a1[1], …).',
  CONFIG_CHANGE: 'A change to the audit rules or configuration (auditctl, or the kernel removing a watch whose folder was deleted).',
  SOCKADDR: 'A socket address the call used (hex; the ENRICHED part decodes it).',
  URINGOP: 'An io_uring operation: no arguments, no exe or comm; its PATH items carry inodes.',
  EOE: 'End of event: the last record of a multi-record event (written by other collectors, not by auditd to its log).',
  USER_CMD: 'A command run through sudo.',
  USER_AUTH: 'A user authentication attempt (PAM).',
  USER_ACCT: 'An account check (PAM).',
  USER_START: 'A user session started (PAM).',
  USER_END: 'A user session ended (PAM).',
  USER_LOGIN: 'A user login.',
  USER_LOGOUT: 'A user logout.',
  CRED_ACQ: 'Credentials acquired (PAM).',
  CRED_DISP: 'Credentials disposed (PAM).',
  CRED_REFR: 'Credentials refreshed (PAM).',
  LOGIN: 'The login uid (auid) of a process was set.',
  USER: 'A user-space message (for example `auditctl -m`).',
  DAEMON_START: 'auditd started.',
  DAEMON_END: 'auditd stopped.',
  DAEMON_ROTATE: 'auditd rotated its log.',
  DAEMON_ABORT: 'auditd stopped because of an error.',
  SERVICE_START: 'A system service started.',
  SERVICE_STOP: 'A system service stopped.',
  AVC: 'A SELinux or AppArmor access decision (usually a denial).',
  USER_AVC: 'An access decision of a user-space object manager (usually a denial).',
  ANOM_ABEND: 'A process ended abnormally (a crash: core dump).',
  ANOM_PROMISCUOUS: 'A network interface entered or left promiscuous mode.',
  ANOM_LINK: 'A suspicious link was followed (protected_symlinks / protected_hardlinks).',
  MMAP: 'The file descriptor and flags of an mmap call.',
  BPRM_FCAPS: 'File capabilities used when a program started.',
  CAPSET: 'Process capabilities changed.',
  NETFILTER_CFG: 'A firewall table changed.',
  SECCOMP: 'A seccomp filter acted on a system call.',
  KERN_MODULE: 'A kernel module was loaded.',
  OBJ_PID: 'The target process of a signal.',
  TIME_INJOFFSET: 'The clock was stepped.',
  TIME_ADJNTPVAL: 'The clock adjustment changed.',
  FANOTIFY: 'A fanotify access decision.',
  SYSTEM_BOOT: 'The system booted.',
  SYSTEM_SHUTDOWN: 'The system shut down.',
  SYSTEM_RUNLEVEL: 'The run level changed.',
};

/** What a PATH item's nametype means. */
const NAMETYPES: Readonly<Record<string, string>> = {
  PARENT: 'the folder the name is in (for unlinkat with a dirfd this is the process cwd, not the folder: rebuild from the inode)',
  DELETE: 'the name removed (unlink, rmdir, the old name of a rename, a file replaced by a rename)',
  CREATE: 'the name created (open with O_CREAT, mkdir, link, the new name of a rename)',
  NORMAL: 'a name looked up and used as is',
  UNKNOWN: 'a name whose role the kernel did not record',
};

/** The decoded fields of one line, for the explanations of its values. */
export interface LineContext {
  text: string;
  parsed: ParsedLine;
  /** Raw values by field name (first occurrence), quotes kept. */
  raw: Map<string, string>;
  /** ENRICHED values by field name (quotes removed). */
  enriched: Map<string, string>;
}

/** Splits a line into the maps the explanations need. */
export function lineContext(text: string): LineContext {
  const parsed = parseLine(text);
  const raw = new Map<string, string>();
  const enriched = new Map<string, string>();
  for (const f of parsed.fields) {
    if (f.name === '') continue;
    const v = text.slice(f.valueStart, f.valueEnd);
    if (f.enriched) {
      if (!enriched.has(f.name)) enriched.set(f.name, v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
    } else if (!raw.has(f.name)) raw.set(f.name, v);
  }
  return { text, parsed, raw, enriched };
}

/** The syscall name a SYSCALL line names: ENRICHED `SYSCALL=` first, else the number and arch. */
export function lineSyscall(ctx: LineContext): string | null {
  const e = ctx.enriched.get('SYSCALL');
  if (e) return e;
  const nr = ctx.raw.get('syscall');
  const arch = ctx.raw.get('arch');
  if (nr === undefined || arch === undefined || !/^\d+$/.test(nr)) return null;
  return syscallName(arch, Number(nr));
}

/** The name of a uid or gid: the ENRICHED translation of the field, else the local passwd/group entry. */
function idName(field: string, value: string, ctx: LineContext, ids: IdNames): { name: string; source: 'enriched' | 'local' } | null {
  const kind = idFieldKind(field);
  if (!kind || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  if (n === AUID_UNSET) return { name: 'unset', source: 'enriched' };
  const e = ctx.enriched.get(field.toUpperCase());
  if (e) return { name: e, source: 'enriched' };
  const local = (kind === 'user' ? ids.users : ids.groups).get(n);
  return local === undefined ? null : { name: local, source: 'local' };
}

/** A value explained: a one-line reading for the interpreted view, and lines for a hover. */
export interface Explanation {
  /** The value as `ausearch -i` would show it. */
  short: string;
  /** Lines of plain text for a hover (first line is the headline). */
  detail: string[];
}

/** Explains the value of `field` in a line; null when there is nothing to add to the raw text. */
export function explainValue(field: string, value: string, ctx: LineContext, ids: IdNames = NO_ID_NAMES): Explanation | null {
  if (value === '(null)' || value === '(none)') return null;
  switch (field) {
    case 'arch': {
      const a = archFromHex(value);
      return a ? { short: a, detail: [`arch ${a} (audit arch 0x${value})`] } : null;
    }
    case 'syscall': {
      const arch = ctx.raw.get('arch');
      const name = (arch && /^\d+$/.test(value) ? syscallName(arch, Number(value)) : null) ?? ctx.enriched.get('SYSCALL') ?? null;
      if (!name) return null;
      const a = arch ? archFromHex(arch) : null;
      return { short: name, detail: [`syscall ${value} = ${name}${a ? ` on ${a}` : ''}`] };
    }
    case 'uring_op': {
      if (!/^\d+$/.test(value)) return null;
      const name = uringOpName(Number(value));
      return { short: name, detail: [`io_uring op ${value} = ${name}`] };
    }
    case 'exit': {
      if (!/^-?\d+$/.test(value)) return null;
      const n = Number(value);
      const t = exitText(n);
      if (t) return { short: errnoName(n)!, detail: [`exit ${value}: failed with ${t}`] };
      return n >= 0 ? { short: value, detail: [`exit ${value}: the call returned ${value}`] } : null;
    }
    case 'ses':
      return value === String(AUID_UNSET) ? { short: 'unset', detail: ['session id unset: the process never logged in (a service, cron, a container)'] } : null;
    case 'mode': {
      const m = modeText(value);
      return m ? { short: m, detail: [`mode ${value}: ${m}`] } : null;
    }
    case 'dev':
    case 'rdev': {
      const m = /^([0-9a-f]+):([0-9a-f]+)$/.exec(value);
      return m ? { short: value, detail: [`device ${parseInt(m[1], 16)}:${parseInt(m[2], 16)} (major:minor, written in hex)`] } : null;
    }
    case 'nametype':
      return NAMETYPES[value] ? { short: value, detail: [`${value}: ${NAMETYPES[value]}`] } : null;
    case 'proctitle': {
      const b = untrustedValueBytes(field, value);
      if (!b) return null;
      const argv = argvOf(b);
      return {
        short: argv.map((a) => shellQuote(visible(a))).join(' '),
        detail: [`command line (${argv.length} argument${argv.length === 1 ? '' : 's'}${b.length >= 128 ? ', cut at 128 bytes' : ''}):`, ...argv.map((a, i) => `argv[${i}] = ${quotedText(a)}`)],
      };
    }
    case 'key': {
      const b = untrustedValueBytes(field, value);
      if (!b) return null;
      const keys = bytesText(b).split('\x01').filter((k) => k.length > 0);
      return { short: keys.join(','), detail: keys.length > 1 ? [`keys: ${keys.map((k) => JSON.stringify(k)).join(', ')}`] : [`key ${JSON.stringify(keys[0] ?? '')}`] };
    }
    case 'saddr': {
      const e = ctx.enriched.get('SADDR');
      return e ? { short: e, detail: [`socket address ${e}`] } : null;
    }
    case 'res':
    case 'success':
      return null;
  }
  const id = idName(field, value, ctx, ids);
  if (id) {
    const how = id.source === 'local' ? ' (from this machine’s /etc/passwd or /etc/group; the log may come from another machine)' : '';
    const kind = idFieldKind(field) === 'user' ? 'user' : 'group';
    return { short: id.name, detail: [value === String(AUID_UNSET) ? `${field} unset (4294967295): no login user` : `${field} ${value} = ${kind} ${quotedText(id.name)}${how}`] };
  }
  if (/^a[0-3]$/.test(field) && isAtFdcwd(value)) {
    const sc = lineSyscall(ctx);
    const sem = sc ? syscallSemantics(sc) : null;
    const arg = Number(field[1]);
    if (sem && (sem.dirfdArg === arg || sem.newDirfdArg === arg)) return { short: 'AT_FDCWD', detail: [`${field} = AT_FDCWD: the name is relative to the current directory (CWD record)`] };
  }
  // A SYSCALL record's a0–a3 are the call's arguments in hex (pointers, flags), never text; EXECVE's a0… are argv.
  if (/^a[0-3]$/.test(field) && ctx.parsed.header?.type !== 'EXECVE') return null;
  const bytes = untrustedValueBytes(field, value);
  if (bytes && !value.startsWith('"')) {
    const t = bytesText(bytes);
    return { short: displayText(t), detail: [`${field} (hex-encoded: it has spaces, quotes, control or non-ASCII bytes):`, quotedText(t)] };
  }
  return null;
}

/** The explanation of a record's header parts: its type, time and serial. */
export function explainHeader(part: 'type' | 'time' | 'serial', ctx: LineContext): string[] {
  const h = ctx.parsed.header;
  if (!h) return [];
  if (part === 'type') return [`${h.type}: ${RECORD_TYPES[h.type] ?? 'an audit record type'}`];
  if (part === 'time') {
    return [`${localTime(h.time)} (local time)`, `${new Date(h.time).toISOString()} (UTC); epoch ${h.timeText}`];
  }
  return [`event serial ${h.serial}: every record with the same time and serial${h.node ? ` on node ${h.node}` : ''} belongs to one event`];
}

/** A piece of displayed text with its colour class (null: plain). */
export interface Segment {
  text: string;
  kind: TokenKind | null;
}

/** The line as tokens with the gaps between them: what the viewer renders in raw mode. */
export function rawSegments(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const t of tokenizeLine(text)) {
    if (t.start > at) out.push({ text: text.slice(at, t.start), kind: null });
    out.push({ text: text.slice(t.start, t.end), kind: t.kind });
    at = t.end;
  }
  if (at < text.length) out.push({ text: text.slice(at), kind: null });
  return out;
}

/**
 * The line as `ausearch -i` shows it: local time in the header, values interpreted, the ENRICHED part folded in
 * (dropped, its translations used). Lines that are not records are returned raw.
 */
export function interpretedSegments(text: string, ids: IdNames = NO_ID_NAMES): Segment[] {
  const ctx = lineContext(text);
  const h = ctx.parsed.header;
  if (!h) return rawSegments(text);
  const out: Segment[] = [];
  if (h.node !== null) out.push({ text: `node=${h.node}`, kind: 'node' }, { text: ' ', kind: null });
  out.push({ text: 'type=', kind: 'field' }, { text: h.type, kind: tokenizeLine(text)[h.node !== null ? 2 : 1]?.kind ?? 'type' });
  out.push({ text: ' ', kind: null }, { text: 'msg=audit(', kind: 'field' }, { text: localTime(h.time, false), kind: 'time' });
  out.push({ text: ':', kind: null }, { text: String(h.serial), kind: 'serial' }, { text: '):', kind: null });
  const raw = rawSegmentsOfFields(ctx);
  let openQuote = false;
  for (const { field, value, kind } of raw) {
    // msg='…' payloads: no space inside the quotes' edges.
    const closing = field === '' && value === "'";
    if (!openQuote && !closing) out.push({ text: ' ', kind: null });
    openQuote = value === "'" && field !== '';
    if (field !== '') out.push({ text: field, kind: 'field' }, { text: '=', kind: null });
    const e = field === '' ? null : explainValue(field, value, ctx, ids);
    if (e) out.push({ text: e.short, kind: kind === 'failure' || kind === 'key' ? kind : kind === 'hex' ? 'string' : kind === 'number' ? 'value' : kind });
    else out.push({ text: value, kind });
  }
  return out;
}

function rawSegmentsOfFields(ctx: LineContext): { field: string; value: string; kind: TokenKind }[] {
  const byStart = new Map<number, TokenKind>();
  for (const t of tokenizeLine(ctx.text)) byStart.set(t.start, t.kind);
  const out: { field: string; value: string; kind: TokenKind }[] = [];
  for (const f of ctx.parsed.fields) {
    if (f.enriched) continue;
    out.push({ field: f.name, value: ctx.text.slice(f.valueStart, f.valueEnd), kind: byStart.get(f.valueStart) ?? 'value' });
  }
  return out;
}

/** The field (name and value) at a character index of a line, if the index is on one. */
export function fieldAt(parsed: ParsedLine, index: number): FieldToken | null {
  for (const f of parsed.fields) if (index >= f.nameStart && index < f.valueEnd) return f;
  return null;
}
