import { encodeName } from './names';
import type { AuditRecord, SourceRef } from './types';


/**
 * Parses a record's header only: `[node=N ]type=T msg=audit(SEC.MS:SERIAL): `. Fields are split later, and only
 * for records someone keeps. Returns null when the line is not an audit record.
 */
export function parseRecord(text: string, source: SourceRef, truncated = false): AuditRecord | null {
  const buf = Buffer.from(text, 'latin1');
  return parseRecordBytes(buf, 0, buf.length, source.file, source.line, source.offset, truncated, text);
}

const NODE = Buffer.from('node=');
const TYPE = Buffer.from('type=');
const MSG = Buffer.from('msg=audit(');

function startsWithAt(buf: Buffer, at: number, end: number, lit: Buffer): boolean {
  if (at + lit.length > end) return false;
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
}

function indexOfByte(buf: Buffer, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

const interned = new Map<number, string[]>();

/** Short header words (types, node names) recur millions of times: reuse one string per distinct spelling. */
function intern(buf: Buffer, s: number, e: number): string {
  const len = e - s;
  const h = (len << 16) ^ (buf[s] << 8) ^ buf[e - 1];
  let list = interned.get(h);
  if (list) {
    for (const str of list) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (str.charCodeAt(i) !== buf[s + i]) {
          same = false;
          break;
        }
      }
      if (same) return str;
    }
  } else if (interned.size < 4096) interned.set(h, (list = []));
  const str = buf.toString('latin1', s, e);
  if (list && list.length < 8) list.push(str);
  return str;
}

/** A parsed header, filled in place so the hot path allocates nothing for lines it skips. */
export interface Header {
  node: string | null;
  type: string;
  time: number;
  serial: number;
  /** Index of the body's first byte. */
  bodyStart: number;
}

/** A fresh Header to fill with parseHeaderBytes. */
export function newHeader(): Header {
  return { node: null, type: '', time: 0, serial: 0, bodyStart: 0 };
}

/**
 * The header parser on bytes: reads `[node=N ]type=T msg=audit(SEC.MS:SERIAL): ` straight from the read buffer
 * into `h`; false when the line is not an audit record.
 */
export function parseHeaderBytes(buf: Buffer, start: number, end: number, h: Header): boolean {
  let p = start;
  h.node = null;
  if (startsWithAt(buf, p, end, NODE)) {
    const sp = indexOfByte(buf, 32, p + 5, end);
    if (sp < 0) return false;
    h.node = intern(buf, p + 5, sp);
    p = sp + 1;
  }
  if (!startsWithAt(buf, p, end, TYPE)) return false;
  const ts0 = p + 5;
  const sp = indexOfByte(buf, 32, ts0, end);
  if (sp <= ts0) return false;
  for (let i = ts0; i < sp; i++) {
    const c = buf[i];
    // auditd writes UNKNOWN[1420] for record types newer than its own table.
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 91 || c === 93)) return false;
  }
  if (!startsWithAt(buf, sp + 1, end, MSG)) return false;
  const ts = sp + 11;
  let i = ts;
  let sec = 0;
  while (i < end && buf[i] >= 48 && buf[i] <= 57 && i - ts < 15) sec = sec * 10 + (buf[i++] - 48);
  // Beyond 9999-12-31 no Date can hold it: a damaged header, counted as a malformed line, never a crash later.
  if (i === ts || buf[i] !== 46 /* . */ || sec > MAX_EPOCH_SEC) return false;
  const ms0 = ++i;
  let ms = 0;
  while (i < end && buf[i] >= 48 && buf[i] <= 57 && i - ms0 < 4) ms = ms * 10 + (buf[i++] - 48);
  const msDigits = i - ms0;
  if (msDigits === 0 || msDigits > 3 || buf[i] !== 58 /* : */) return false;
  const se0 = ++i;
  let serial = 0;
  while (i < end && buf[i] >= 48 && buf[i] <= 57 && i - se0 < 15) serial = serial * 10 + (buf[i++] - 48);
  if (i === se0 || buf[i] !== 41 /* ) */) return false;
  let bodyStart = i + 1;
  if (buf[bodyStart] === 58 /* : */ && bodyStart < end) bodyStart++;
  if (buf[bodyStart] === 32 && bodyStart < end) bodyStart++;
  h.type = intern(buf, ts0, sp);
  h.time = sec * 1000 + (msDigits === 3 ? ms : Math.round(ms * 10 ** (3 - msDigits)));
  h.serial = serial;
  h.bodyStart = bodyStart;
  return true;
}

/** 9999-12-31T23:59:59Z, the last second `Date#toISOString` can write with four year digits. */
const MAX_EPOCH_SEC = 253402300799;

const scratch = newHeader();

/** Parses a line held in a read buffer into a lazy record (no string is made until someone reads it). */
export function parseRecordBytes(
  buf: Buffer,
  start: number,
  end: number,
  file: string,
  line: number,
  offset: number,
  truncated = false,
  text?: string,
): AuditRecord | null {
  if (!parseHeaderBytes(buf, start, end, scratch)) return null;
  const h = scratch;
  const rec = new LazyRecord(h.type, h.node, h.time, h.serial, file, line, offset, h.bodyStart - start, truncated);
  if (text !== undefined) rec.setText(text);
  else rec.setBytes(buf, start, end);
  return rec;
}

/**
 * A record that keeps its bytes and makes its line string, body and ENRICHED part only when someone asks
 * (most records of a filtered run are never read).
 */
export class LazyRecord implements AuditRecord {
  private gs = -2;
  private text: string | undefined;
  /** The line's bytes: a range of a read buffer until `detach` copies them out (before that buffer is reused). */
  buf: Buffer | null = null;
  start = 0;
  end = 0;
  private src: SourceRef | undefined;
  constructor(
    readonly type: string,
    readonly node: string | null,
    readonly time: number,
    readonly serial: number,
    private readonly file: string,
    private readonly lineNo: number,
    private readonly offset: number,
    /** Where the body starts, relative to the line's first byte. */
    readonly bodyOffset: number,
    readonly truncated: boolean,
  ) {}

  setText(text: string): void {
    this.text = text;
    this.buf = Buffer.from(text, 'latin1');
    this.start = 0;
    this.end = this.buf.length;
  }

  /** Copies the line's bytes out of a read buffer that is about to be reused. */
  detach(): void {
    if (this.buf === null) return;
    this.buf = Buffer.from(this.buf.subarray(this.start, this.end));
    this.start = 0;
    this.end = this.buf.length;
  }

  /** Records where a field scan found the separator (or that there is none), sparing a second search. */
  setGs(at: number): void {
    this.gs = at;
  }

  /** Index of the ENRICHED separator (0x1d) in `buf`, or -1. */
  gsIndex(): number {
    if (this.gs === -2) {
      const buf = this.buf!;
      let g = -1;
      for (let i = this.start + this.bodyOffset; i < this.end; i++) {
        if (buf[i] === 0x1d) {
          g = i;
          break;
        }
      }
      this.gs = g;
    }
    return this.gs;
  }

  setBytes(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
  }

  get source(): SourceRef {
    return (this.src ??= { file: this.file, line: this.lineNo, offset: this.offset });
  }

  get raw(): string {
    return (this.text ??= this.buf!.toString('latin1', this.start, this.end));
  }

  get body(): string {
    const gs = this.gsIndex();
    return this.buf!.toString('latin1', this.start + this.bodyOffset, gs < 0 ? this.end : gs);
  }

  get enriched(): string | null {
    const gs = this.gsIndex();
    return gs < 0 ? null : this.buf!.toString('latin1', gs + 1, this.end);
  }
}

const ITEMS = Buffer.from(' items=');

/** The `items=` count of a SYSCALL record (how many PATH records follow), or -1 when it has none. */
export function itemsOf(r: AuditRecord): number {
  let buf: Buffer;
  let s: number;
  let e: number;
  if (r instanceof LazyRecord && r.buf) {
    buf = r.buf;
    s = r.start + r.bodyOffset;
    e = r.end;
  } else {
    buf = Buffer.from(r.raw, 'latin1');
    s = 0;
    e = buf.length;
  }
  outer: for (let i = s; i + ITEMS.length < e; i++) {
    if (buf[i] !== 32 || buf[i + 1] !== 105) continue;
    for (let k = 2; k < ITEMS.length; k++) if (buf[i + k] !== ITEMS[k]) continue outer;
    let v = 0;
    let j = i + ITEMS.length;
    if (j >= e || buf[j] < 48 || buf[j] > 57) return -1;
    for (; j < e && buf[j] >= 48 && buf[j] <= 57 && v < 1e6; j++) v = v * 10 + (buf[j] - 48);
    return v;
  }
  return -1;
}

/** Whether two records are the same line, compared without making strings where the bytes are at hand. */
export function sameRecord(a: AuditRecord, b: AuditRecord): boolean {
  if (a instanceof LazyRecord && b instanceof LazyRecord && a.buf && b.buf) {
    const len = a.end - a.start;
    if (len !== b.end - b.start) return false;
    return a.buf.compare(b.buf, b.start, b.end, a.start, a.end) === 0;
  }
  return a.raw === b.raw;
}

/** The event identity: records of one event share node, time and serial. */
export function eventKey(r: { node: string | null; time: number; serial: number }): string {
  // Packed into UTF-16 code units, not written in decimal: formatting the numbers made the records of open events
  // survive young-generation GCs (survived 229 MB -> 14 MB on a 295 MB log) and took half of assembly's time.
  const t = r.time;
  const s = r.serial;
  const id =
    t < 2 ** 48 && s < 2 ** 48
      ? String.fromCharCode(t % 65536, Math.floor(t / 65536) % 65536, Math.floor(t / 2 ** 32), s % 65536, Math.floor(s / 65536) % 65536, Math.floor(s / 2 ** 32))
      : `${t}:${s}`;
  return r.node === null ? id : `${r.node}\u0000${id}`;
}

/** The public, stable event id: `EPOCH.MS:SERIAL`, prefixed `node:` when a node is present. */
export function eventId(node: string | null, time: number, serial: number): string {
  const sec = Math.floor(time / 1000);
  const ms = String(time - sec * 1000).padStart(3, '0');
  return `${node === null ? '' : node + ':'}${sec}.${ms}:${serial}`;
}

/**
 * Splits `k=v k="v" k='a=b c=d'` into a map of raw tokens (quotes kept, so callers can tell quoted text from hex).
 * Single-quoted `msg='…'` payloads of user-space records are flattened into the same map.
 */
export function splitFields(body: string, into: Map<string, string> = new Map()): Map<string, string> {
  // One left-to-right pass: every character is looked at a bounded number of times, so a hostile 1 MB line of
  // free text or of thousands of fields costs linear time (a search for '=' from each token was quadratic).
  const n = body.length;
  let i = 0;
  while (i < n) {
    while (i < n && body.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    let k = i;
    let c = 0;
    while (k < n && (c = body.charCodeAt(k)) !== 61 /* = */ && c !== 32) k++;
    if (k >= n) break;
    if (c === 32) {
      // A token without '=' (free text): skip it.
      i = k + 1;
      continue;
    }
    const key = body.slice(i, k);
    let j = k + 1;
    const q = body.charCodeAt(j);
    let value: string;
    if (q === 34 /* " */) {
      const end = body.indexOf('"', j + 1);
      const stop = end < 0 ? n : end + 1;
      value = body.slice(j, stop);
      j = stop;
    } else if (q === 39 /* ' */) {
      const end = body.indexOf("'", j + 1);
      const stop = end < 0 ? n : end;
      // User-space payloads carry fields of their own; a `key=` among them is free text, never an audit key.
      const had = into.get('key');
      splitFields(body.slice(j + 1, stop), into);
      if (had === undefined) into.delete('key');
      value = body.slice(j, Math.min(n, stop + 1));
      j = stop + 1;
    } else {
      const end = body.indexOf(' ', j);
      const stop = end < 0 ? n : end;
      value = body.slice(j, stop);
      j = stop;
    }
    if (!into.has(key)) into.set(key, value);
    i = j;
  }
  return into;
}

/** Parsed fields of a record, raw and ENRICHED, cached on first use. */
export class Fields {
  private rawMap: Map<string, string> | null = null;
  private enrichedMap: Map<string, string> | null = null;
  constructor(readonly record: AuditRecord) {}

  get raw(): Map<string, string> {
    if (!this.rawMap) {
      this.rawMap = splitFields(this.record.body);
      // A line cut short: its last value may be cut too, so it is not trusted (unless the ENRICHED part follows).
      if (this.record.truncated && this.record.enriched === null) dropLast(this.rawMap);
    }
    return this.rawMap;
  }

  get enriched(): Map<string, string> {
    if (!this.enrichedMap) {
      this.enrichedMap = this.record.enriched ? splitFields(this.record.enriched) : new Map();
      if (this.record.truncated) dropLast(this.enrichedMap);
    }
    return this.enrichedMap;
  }

  private bodyText: string | null = null;
  private enrichedText: string | null | undefined = undefined;

  /** The raw token of a field (quotes kept), or undefined. */
  token(key: string): string | undefined {
    if (this.rawMap || this.record.truncated) return this.raw.get(key);
    const body = (this.bodyText ??= this.record.body);
    // Kernel records quote only text without spaces, so ` key=` always starts a field; user-space payloads
    // (msg='…') need the full split.
    if (body.indexOf("'") >= 0) return this.raw.get(key);
    return findField(body, key);
  }

  /** A plain (trusted) field: quotes removed; `(null)`/`(none)`/`?` give null. */
  plain(key: string): string | null {
    return plainValue(this.token(key));
  }

  /** An integer field (decimal), or null. */
  int(key: string): number | null {
    const v = this.plain(key);
    if (v === null || !/^-?\d+$/.test(v)) return null;
    return Number(v);
  }

  /** A hex field such as a0..a3 (no 0x), as a number (fits: syscall args are read as 64-bit hex, we keep low 53 bits). */
  hexInt(key: string): number | null {
    const v = this.plain(key);
    if (v === null || !/^[0-9a-fA-F]{1,16}$/.test(v)) return null;
    return v.length > 13 ? Number(BigInt('0x' + v) & 0x1fffffffffffffn) : parseInt(v, 16);
  }

  /** An untrusted string field (name, cwd, comm, exe, key, proctitle, EXECVE args): quoted text or hex bytes. */
  bytes(key: string): Buffer | null {
    return untrustedBytes(this.token(key));
  }

  /** The ENRICHED translation of a field (e.g. `UID` → "root"), or null. */
  translated(key: string): string | null {
    if (this.enrichedMap || this.record.truncated) return plainValue(this.enriched.get(key));
    if (this.enrichedText === undefined) this.enrichedText = this.record.enriched;
    return this.enrichedText === null ? null : plainValue(findField(this.enrichedText, key));
  }
}

const NEEDLES = new Map<string, string>();

/** The first `key=` token at a field boundary (start, or after a space), quotes kept; undefined when absent. */
function findField(text: string, key: string): string | undefined {
  let needle = NEEDLES.get(key);
  if (needle === undefined) NEEDLES.set(key, (needle = key + '='));
  for (let from = 0; ; ) {
    const i = text.indexOf(needle, from);
    if (i < 0) return undefined;
    if (i === 0 || text.charCodeAt(i - 1) === 32) {
      const v = i + needle.length;
      if (text.charCodeAt(v) === 34 /* " */) {
        const close = text.indexOf('"', v + 1);
        return text.slice(v, close < 0 ? text.length : close + 1);
      }
      const sp = text.indexOf(' ', v);
      return text.slice(v, sp < 0 ? text.length : sp);
    }
    from = i + 1;
  }
}

function dropLast(m: Map<string, string>): void {
  let last: string | undefined;
  for (const k of m.keys()) last = k;
  if (last !== undefined) m.delete(last);
}

/** Strips quotes; treats `(null)`, `(none)` and `?` as null. */
export function plainValue(tok: string | undefined): string | null {
  if (tok === undefined) return null;
  if (tok === '(null)' || tok === '(none)' || tok === '?') return null;
  if (tok.length >= 2 && (tok[0] === '"' || tok[0] === "'") && tok[tok.length - 1] === tok[0]) return tok.slice(1, -1);
  if (tok.length >= 1 && tok[0] === '"') return tok.slice(1);
  return tok;
}

const HEX_RE = /^(?:[0-9A-F]{2})+$/;

/** Decodes an untrusted-string token: `"text"` is text, an unquoted even-length uppercase hex run is bytes. */
export function untrustedBytes(tok: string | undefined): Buffer | null {
  if (tok === undefined || tok === '(null)' || tok === '(none)') return null;
  if (tok[0] === '"') return Buffer.from(tok.length >= 2 && tok.endsWith('"') ? tok.slice(1, -1) : tok.slice(1), 'latin1');
  if (HEX_RE.test(tok)) return Buffer.from(tok, 'hex');
  return Buffer.from(tok, 'latin1');
}

/** Bytes to text in the output name encoding (src/core/names.ts): valid UTF-8 as is with `\\` doubled, other bytes `\xNN`. */
export function bytesToText(buf: Buffer): { text: string; valid: boolean } {
  return encodeName(buf);
}
