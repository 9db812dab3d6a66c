import type { AuditRecord, SourceRef } from './types';

const GS = '\x1d';

/**
 * Parses a record's header only: `[node=N ]type=T msg=audit(SEC.MS:SERIAL): `. Fields are split later, and only
 * for records someone keeps. Returns null when the line is not an audit record.
 */
export function parseRecord(text: string, source: SourceRef, truncated = false): AuditRecord | null {
  let p = 0;
  let node: string | null = null;
  if (text.startsWith('node=')) {
    const sp = text.indexOf(' ', 5);
    if (sp < 0) return null;
    node = text.slice(5, sp);
    p = sp + 1;
  }
  if (!text.startsWith('type=', p)) return null;
  const sp = text.indexOf(' ', p + 5);
  if (sp < 0) return null;
  const type = text.slice(p + 5, sp);
  if (type.length === 0) return null;
  for (let i = 0; i < type.length; i++) {
    const c = type.charCodeAt(i);
    // auditd writes UNKNOWN[1420] for record types newer than its own table.
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 91 || c === 93)) return null;
  }
  if (!text.startsWith('msg=audit(', sp + 1)) return null;
  const ts = sp + 11;
  const dot = text.indexOf('.', ts);
  const colon = text.indexOf(':', ts);
  const close = text.indexOf(')', ts);
  if (dot < 0 || colon < 0 || close < 0 || !(dot < colon && colon < close)) return null;
  const sec = toInt(text, ts, dot);
  const ms = toInt(text, dot + 1, colon);
  const serial = toInt(text, colon + 1, close);
  if (sec < 0 || ms < 0 || serial < 0 || colon - dot - 1 > 3) return null;
  let bodyStart = close + 1;
  if (text.charCodeAt(bodyStart) === 58 /* : */) bodyStart++;
  if (text.charCodeAt(bodyStart) === 32) bodyStart++;
  const msDigits = colon - dot - 1;
  const msValue = msDigits === 3 ? ms : Math.round(ms * 10 ** (3 - msDigits));
  return new LazyRecord(type, node, sec * 1000 + msValue, serial, text, source, bodyStart, truncated);
}

/** A record whose body and ENRICHED part are cut from the line only when someone asks (most are never read). */
class LazyRecord implements AuditRecord {
  private gs = -2;
  constructor(
    readonly type: string,
    readonly node: string | null,
    readonly time: number,
    readonly serial: number,
    readonly raw: string,
    readonly source: SourceRef,
    private readonly bodyStart: number,
    readonly truncated: boolean,
  ) {}

  private get sep(): number {
    if (this.gs === -2) this.gs = this.raw.indexOf(GS, this.bodyStart);
    return this.gs;
  }

  get body(): string {
    const gs = this.sep;
    return gs < 0 ? this.raw.slice(this.bodyStart) : this.raw.slice(this.bodyStart, gs);
  }

  get enriched(): string | null {
    const gs = this.sep;
    return gs < 0 ? null : this.raw.slice(gs + 1);
  }
}

/** Parses decimal digits in text[from, to); -1 when empty or not all digits. */
function toInt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The event identity: records of one event share node, time and serial. */
export function eventKey(r: { node: string | null; time: number; serial: number }): string {
  return `${r.node ?? ''}\u0000${r.time}:${r.serial}`;
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
  const n = body.length;
  let i = 0;
  while (i < n) {
    while (i < n && body.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    const eq = body.indexOf('=', i);
    if (eq < 0) break;
    const sp = body.indexOf(' ', i);
    if (sp >= 0 && sp < eq) {
      // A token without '=' (free text): skip it.
      i = sp + 1;
      continue;
    }
    const key = body.slice(i, eq);
    let j = eq + 1;
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

  /** The raw token of a field (quotes kept), or undefined. */
  token(key: string): string | undefined {
    return this.raw.get(key);
  }

  /** A plain (trusted) field: quotes removed; `(null)`/`(none)`/`?` give null. */
  plain(key: string): string | null {
    return plainValue(this.raw.get(key));
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
    return untrustedBytes(this.raw.get(key));
  }

  /** The ENRICHED translation of a field (e.g. `UID` → "root"), or null. */
  translated(key: string): string | null {
    return plainValue(this.enriched.get(key));
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes to text: valid UTF-8 as is; otherwise each byte of an invalid sequence written `\xNN`. */
export function bytesToText(buf: Buffer): { text: string; valid: boolean } {
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return { text: buf.toString('latin1', 0, buf.length), valid: true };
  try {
    return { text: utf8.decode(buf), valid: true };
  } catch {
    return { text: escapeInvalidUtf8(buf), valid: false };
  }
}

function escapeInvalidUtf8(buf: Buffer): string {
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= buf.length) {
      try {
        out += utf8.decode(buf.subarray(i, i + len));
        i += len;
        continue;
      } catch {
        // fall through: not a valid sequence
      }
    }
    out += '\\x' + b.toString(16).padStart(2, '0').toUpperCase();
    i++;
  }
  return out;
}
