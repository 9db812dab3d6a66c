/**
 * Field access on a record's bytes, for the interpretation hot path: one left-to-right pass over the record tokenizes
 * `k=v` pairs and keeps the value ranges of the fields interpretation asks for (registered once, by name, as small
 * integer ids); values are decoded straight from the bytes. No line string, no Map and no per-field slice is made
 * for a record, so an event costs a few microseconds and little garbage.
 *
 * Semantics match `splitFields`: the first occurrence of a key wins; free text without `=` is skipped; `"…"` values run
 * to the closing quote; a single-quoted user-space payload (`msg='a=b c=d'`) is flattened into the same fields, but
 * a `key=` inside it is free text; in a truncated record the last value is not trusted (unless ENRICHED text follows).
 */
import { encodeNameText } from './names';
import type { LazyRecord } from './record';

const KEY_NAMES: string[] = [];
const KEY_BYTES: Uint8Array[] = [];
/** Direct-mapped: the low bits of a key's hash → field id + 1 (0 = no field we track). No Map, no heap numbers. */
const TABLE_BITS = 12;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const BY_HASH = new Int16Array(1 << TABLE_BITS);

/**
 * A key's slot from its length, first and last two bytes: no multiply per byte in the tokenizer's inner loop. The
 * names we track do not collide (fieldId checks); any other key that lands on a tracked slot fails `sameKey`.
 */
function slotOf(len: number, c0: number, c1: number, cl: number): number {
  return (len * 1021 + c0 * 257 + c1 * 67 + cl * 13) & TABLE_MASK;
}

function hashRange(buf: Uint8Array, s: number, e: number): number {
  return slotOf(e - s, buf[s], e - s > 1 ? buf[s + 1] : 0, buf[e - 1]);
}

/** Registers a field name and returns its id (call at module load, once per name). */
export function fieldId(name: string): number {
  const existing = KEY_NAMES.indexOf(name);
  if (existing >= 0) return existing;
  const bytes = Buffer.from(name, 'latin1');
  const slot = hashRange(bytes, 0, bytes.length) & TABLE_MASK;
  if (BY_HASH[slot] !== 0) throw new Error(`field hash collision: ${name} and ${KEY_NAMES[BY_HASH[slot] - 1]}`);
  const id = KEY_NAMES.length;
  KEY_NAMES.push(name);
  KEY_BYTES.push(bytes);
  BY_HASH[slot] = id + 1;
  return id;
}

// The fields interpretation reads. Ids index the scratch arrays below.
export const F = {
  arch: fieldId('arch'),
  syscall: fieldId('syscall'),
  success: fieldId('success'),
  exit: fieldId('exit'),
  a0: fieldId('a0'),
  a1: fieldId('a1'),
  a2: fieldId('a2'),
  a3: fieldId('a3'),
  pid: fieldId('pid'),
  ppid: fieldId('ppid'),
  uid: fieldId('uid'),
  euid: fieldId('euid'),
  gid: fieldId('gid'),
  auid: fieldId('auid'),
  ses: fieldId('ses'),
  tty: fieldId('tty'),
  comm: fieldId('comm'),
  exe: fieldId('exe'),
  key: fieldId('key'),
  cwd: fieldId('cwd'),
  item: fieldId('item'),
  name: fieldId('name'),
  inode: fieldId('inode'),
  dev: fieldId('dev'),
  mode: fieldId('mode'),
  nametype: fieldId('nametype'),
  proctitle: fieldId('proctitle'),
  op: fieldId('op'),
  dir: fieldId('dir'),
  path: fieldId('path'),
  uringOp: fieldId('uring_op'),
  // ENRICHED translations.
  ARCH: fieldId('ARCH'),
  SYSCALL: fieldId('SYSCALL'),
  UID: fieldId('UID'),
  EUID: fieldId('EUID'),
  GID: fieldId('GID'),
  AUID: fieldId('AUID'),
} as const;

const N = KEY_NAMES.length + 64;
/** Value start and end (exclusive) per field id, valid when `gen[id] === cur`. */
const vs = new Int32Array(N);
const ve = new Int32Array(N);
const gen = new Uint32Array(N);
let cur = 1;

/**
 * The current record's bytes. Views into a read buffer stay valid until the record's bytes are detached
 * (LazyRecord.detach), which the analyzer does before a buffer is reused.
 */
let B: Uint8Array = new Uint8Array(0);

/**
 * Tokenizes the raw part of a record (`part` 0) or its ENRICHED part (1); afterwards `has`/`int`/`text`… answer for
 * that part. A later scan replaces the results: read what you need before scanning the next record.
 */
export function scan(r: LazyRecord, part: 0 | 1 = 0, stopAfter = -1): boolean {
  const buf = r.buf!;
  let s: number;
  let e: number;
  if (part === 0) {
    s = r.start + r.bodyOffset;
    e = r.end;
  } else {
    const gs = r.gsIndex();
    if (gs < 0) return false;
    s = gs + 1;
    e = r.end;
  }
  cur = (cur + 1) >>> 0 || 1;
  B = buf;
  gsAt = -1;
  const last = tokenize(buf, s, e, false, part === 0 ? stopAfter : -1);
  if (part === 0 && gsAt >= 0) r.setGs(gsAt);
  else if (part === 0 && stopAfter < 0) r.setGs(-1);
  // A line cut short: its last value may be cut too (the ENRICHED part, when present, proves the raw part whole).
  if (r.truncated && (part === 1 || gsAt < 0) && last >= 0) gen[last] = 0;
  return true;
}

/** Where the raw part ended at the ENRICHED separator in the last tokenize (-1: not seen). */
let gsAt = -1;

/**
 * Tokenizes [s, e), stopping at the ENRICHED separator (0x1d) or once field `stopAfter` is seen; returns the id of
 * the last token if it is a field we track, else -1.
 */
function tokenize(buf: Uint8Array, s: number, e: number, inPayload: boolean, stopAfter: number): number {
  let i = s;
  let last = -1;
  while (i < e) {
    let c = buf[i];
    while (c === 32 && ++i < e) c = buf[i];
    if (i >= e) break;
    if (c === 29) {
      gsAt = i;
      break;
    }
    const k0 = i;
    while (c !== 61 /* = */ && c !== 32 && c !== 29) {
      if (++i >= e) break;
      c = buf[i];
    }
    if (i >= e) break;
    if (c !== 61) {
      // Free text without '=' (or the separator right after it).
      last = -1;
      continue;
    }
    const k1 = i;
    let j = i + 1;
    const q = j < e ? buf[j] : 0;
    let v0 = j;
    let v1: number;
    if (q === 34 /* " */) {
      let close = j + 1;
      while (close < e && buf[close] !== 34) close++;
      v1 = close < e ? close + 1 : e;
      j = v1;
    } else if (q === 39 /* ' */) {
      let close = j + 1;
      while (close < e && buf[close] !== 39) close++;
      const stop = close < e ? close : e;
      tokenize(buf, j + 1, stop, true, -1);
      v0 = j;
      v1 = Math.min(e, stop + 1);
      j = stop + 1;
    } else {
      while (j < e && (c = buf[j]) !== 32 && c !== 29) j++;
      v1 = j;
    }
    const klen = i - k0;
    const slot = klen > 0 ? BY_HASH[slotOf(klen, buf[k0], klen > 1 ? buf[k0 + 1] : 0, buf[i - 1])] : 0;
    last = -1;
    if (slot !== 0) {
      const id = slot - 1;
      if (!(inPayload && id === F.key) && gen[id] !== cur && sameKey(buf, k0, k1, id)) {
        gen[id] = cur;
        vs[id] = v0;
        ve[id] = v1;
        last = id;
        if (id === stopAfter) return -1;
      }
    }
    i = j;
  }
  return last;
}

function sameKey(buf: Uint8Array, s: number, e: number, id: number): boolean {
  const k = KEY_BYTES[id];
  if (k.length !== e - s) return false;
  for (let i = 0; i < k.length; i++) if (k[i] !== buf[s + i]) return false;
  return true;
}

/** Whether the field is in the scanned part (with any value). */
export function has(id: number): boolean {
  return gen[id] === cur;
}

/** Whether the field was seen (its value range is in vs/ve). */
function range(id: number): boolean {
  return gen[id] === cur;
}

function isNullToken(s: number, e: number, b: Uint8Array = B): boolean {
  const n = e - s;
  if (n === 1) return b[s] === 63; /* ? */
  if (n === 6 && b[s] === 40 && b[s + 5] === 41) {
    // (null) / (none)
    return (b[s + 1] === 110 && b[s + 2] === 117 && b[s + 3] === 108 && b[s + 4] === 108) || (b[s + 1] === 110 && b[s + 2] === 111 && b[s + 3] === 110 && b[s + 4] === 101);
  }
  return false;
}

/** A decimal integer field (optionally negative), or null. */
export function int(id: number): number | null {
  if (!range(id)) return null;
  let s = vs[id];
  const e = ve[id];
  if (B[s] === 34 && e - s >= 2 && B[e - 1] === 34) s++;
  const end = B[e - 1] === 34 ? e - 1 : e;
  let neg = false;
  if (B[s] === 45) {
    neg = true;
    s++;
  }
  if (s >= end || end - s > 20) return null;
  let v = 0;
  for (let i = s; i < end; i++) {
    const c = B[i] - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** A decimal field kept exact as a string (inode numbers above 2^53), without leading zeros; or null. */
export function digits(id: number): string | null {
  if (!range(id)) return null;
  let s = vs[id];
  const e = ve[id];
  if (s >= e) return null;
  for (let i = s; i < e; i++) if (B[i] < 48 || B[i] > 57) return null;
  while (s < e - 1 && B[s] === 48) s++;
  return latin1(s, e, false);
}

/** A hex field (syscall arguments a0..a3, no 0x) as a number (its low 53 bits for wider values), or null. */
export function hexInt(id: number): number | null {
  if (!range(id)) return null;
  const s = vs[id];
  const e = ve[id];
  if (s >= e || e - s > 16) return null;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = B[i];
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return null;
    v = v * 16 + d;
  }
  return e - s > 13 ? Number(BigInt('0x' + latin1(s, e, false)) & 0x1fffffffffffffn) : v;
}

/** Direct-mapped cache of short strings (types, devs, nametypes, archs, exe and comm names): one slot per hash. */
const INTERN_BITS = 13;
const interned: (string | undefined)[] = new Array(1 << INTERN_BITS);

/** latin1 text of a byte range; short strings are interned, so repeated values cost no allocation. */
function latin1(s: number, e: number, intern = true): string {
  const n = e - s;
  // Only values that recur are interned: a unique value parked in the cache would outlive young collections.
  if (!intern || n > 32 || n === 0) return Buffer.prototype.latin1Slice.call(B, s, e) as string;
  let h = n;
  for (let i = s; i < e; i++) h = Math.imul(h ^ B[i], 0x01000193);
  const slot = (h >>> 7) & ((1 << INTERN_BITS) - 1);
  const hit = interned[slot];
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.charCodeAt(i) !== B[s + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const str = Buffer.prototype.latin1Slice.call(B, s, e) as string;
  interned[slot] = str;
  return str;
}

/** A trusted field's text: quotes removed; `(null)`, `(none)` and `?` give null. */
export function plain(id: number): string | null {
  if (!range(id)) return null;
  let s = vs[id];
  let e = ve[id];
  if (isNullToken(s, e)) return null;
  if (e - s >= 1 && (B[s] === 34 || B[s] === 39)) {
    const q = B[s];
    s++;
    if (e > s && B[e - 1] === q) e--;
  }
  return latin1(s, e);
}

/** Whether the value is exactly the ASCII text `lit` (quotes not allowed). */
export function is(id: number, lit: string): boolean {
  if (!range(id)) return false;
  const s = vs[id];
  if (ve[id] - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (B[s + i] !== lit.charCodeAt(i)) return false;
  return true;
}

function hexVal(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : -1;
}

/** Where the last `decode` put the value's bytes: a range of the record itself, or of a scratch buffer. */
export let dBuf: Uint8Array = B;
export let dS = 0;
export let dE = 0;
let hexScratch = Buffer.allocUnsafe(4096);

/**
 * Decodes an untrusted string field (name, cwd, comm, exe, key, proctitle, dir, path) into dBuf[dS, dE): `"text"` is
 * its bytes, an unquoted even run of uppercase hex is decoded (into a scratch buffer, valid until the next decode),
 * anything else is taken as is. False for `(null)` / `(none)` or a missing field.
 */
export function decode(id: number): boolean {
  return range(id) && decodeRange(B, vs[id], ve[id]);
}

/** `decode` on a raw value kept elsewhere (a copy made with `rawCopy`): the result is in dBuf[dS, dE) the same way. */
export function decodeRange(b: Uint8Array, s: number, e: number): boolean {
  if (b[s] === 34) {
    dBuf = b;
    dS = s + 1;
    dE = e - s >= 2 && b[e - 1] === 34 ? e - 1 : e;
    return true;
  }
  if (isNullToken(s, e, b) && b[s] === 40) return false;
  const n = e - s;
  if (n > 0 && (n & 1) === 0) {
    if (hexScratch.length < n >> 1) hexScratch = Buffer.allocUnsafe(Math.max(n >> 1, hexScratch.length * 2));
    const out = hexScratch;
    let ok = true;
    for (let i = 0, k = s; k < e; k += 2, i++) {
      const x = hexVal(b[k]);
      const y = hexVal(b[k + 1]);
      if (x < 0 || y < 0) {
        ok = false;
        break;
      }
      out[i] = (x << 4) | y;
    }
    if (ok) {
      dBuf = out;
      dS = 0;
      dE = n >> 1;
      return true;
    }
  }
  dBuf = b;
  dS = s;
  dE = e;
  return true;
}

/** An untrusted field as a byte string (latin1, one char per byte): what the path index works with. */
export function bstr(id: number): string | null {
  if (!range(id)) return null;
  const s = vs[id];
  const e = ve[id];
  if (B[s] === 34) return latin1(s + 1, e - s >= 2 && B[e - 1] === 34 ? e - 1 : e, false);
  if (!decode(id)) return null;
  return Buffer.prototype.latin1Slice.call(dBuf, dS, dE) as string;
}

/** An untrusted field as output text (the documented name encoding). */
export function text(id: number): string | null {
  if (!range(id)) return null;
  const s = vs[id];
  const e = ve[id];
  if (B[s] === 34) {
    // Quoted values are printable ASCII (the kernel hex-encodes anything else); only a backslash needs the encoder.
    const end = e - s >= 2 && B[e - 1] === 34 ? e - 1 : e;
    let plainAscii = true;
    for (let i = s + 1; i < end; i++) {
      const c = B[i];
      if (c === 0x5c || c >= 0x80) {
        plainAscii = false;
        break;
      }
    }
    if (plainAscii) return latin1(s + 1, end);
  }
  return decode(id) ? encodeNameText(dBuf, dS, dE) : null;
}

/** Whether a dirfd argument field is AT_FDCWD (`ffffff9c`, or sign-extended `ffffffffffffff9c`); null when absent. */
export function isAtFdcwdArg(id: number): boolean | null {
  if (!range(id)) return null;
  const s = vs[id];
  const n = ve[id] - s;
  if (n !== 8 && n !== 16) return false;
  for (let i = 0; i < n - 2; i++) if ((B[s + i] | 0x20) !== 102 /* f */) return false;
  return B[s + n - 2] === 57 /* 9 */ && (B[s + n - 1] | 0x20) === 99 /* c */;
}

/** An octal field (a PATH `mode`), or null. */
export function octal(id: number): number | null {
  if (!range(id)) return null;
  const s = vs[id];
  const e = ve[id];
  if (s >= e || e - s > 11) return null;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = B[i] - 48;
    if (c < 0 || c > 7) return null;
    v = v * 8 + c;
  }
  return v;
}

/** The value's bytes equal those of `other` (another record's range): for caches keyed by a raw value. */
export function rawEquals(id: number, buf: Uint8Array | null, len: number): boolean {
  if (!range(id) || buf === null) return false;
  const s = vs[id];
  if (ve[id] - s !== len) return false;
  for (let i = 0; i < len; i++) if (B[s + i] !== buf[i]) return false;
  return true;
}

/** A copy of the value's raw bytes (for caches keyed by it). */
export function rawCopy(id: number): Uint8Array | null {
  if (!range(id)) return null;
  return copyOf(B, vs[id], ve[id]);
}

/** A plain Uint8Array copy of a range (slicing a Buffer would construct a Buffer through its species: far slower). */
function copyOf(b: Uint8Array, s: number, e: number): Uint8Array {
  const out = new Uint8Array(e - s);
  for (let i = s; i < e; i++) out[i - s] = b[i];
  return out;
}
