/**
 * The one encoding of file names (and other untrusted byte strings) in everything Audit Lens writes: JSON, CSV,
 * tables, snapshots, the tree. Linux names are bytes, not text, so the encoding must be lossless and unambiguous:
 *
 * - valid UTF-8 is written as is, except that a backslash is doubled (`\` → `\\`);
 * - every byte that is not part of a valid UTF-8 sequence is written `\xNN` (two uppercase hex digits).
 *
 * So a real backslash followed by `xff` (`\\xff`) and a raw 0xFF byte (`\xFF`) never print the same, and
 * `decodeName(encodeName(b))` gives back `b` for any bytes. Objects whose name is not valid UTF-8 also carry the raw
 * bytes in hex (`pathHex`), for consumers that would rather not unescape.
 */

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function utf8SeqLen(buf: Uint8Array, i: number, end: number): number {
  const b = buf[i];
  if (b < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) len = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    len = 3;
    if (b === 0xe0) lo = 0xa0; // overlong
    else if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    len = 4;
    if (b === 0xf0) lo = 0x90; // overlong
    else if (b === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + len > end) return 0;
  const b1 = buf[i + 1];
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < len; k++) {
    const c = buf[i + k];
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return len;
}

/** Whether the bytes are valid UTF-8 (linear, no exceptions). */
export function isValidUtf8(buf: Uint8Array, start = 0, end = buf.length): boolean {
  for (let i = start; i < end; ) {
    if (buf[i] < 0x80) {
      i++;
      continue;
    }
    const n = utf8SeqLen(buf, i, end);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

const HEXCODES = Buffer.from('0123456789ABCDEF', 'latin1');

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const utf8Slice = Buffer.prototype.utf8Slice as (this: Uint8Array, start: number, end: number) => string;

/** Encodes name bytes for output (see the file comment); `valid` says whether they were valid UTF-8. */
export function encodeName(buf: Uint8Array, start = 0, end = buf.length): { text: string; valid: boolean } {
  const text = encodeNameText(buf, start, end);
  return { text, valid: lastValid };
}

let lastValid = true;
/** Reused for names that need escaping (4 bytes out per byte in at most). */
let scratch = Buffer.allocUnsafe(1024);

/**
 * `encodeName(…).text` without the result object, for the hot path; whether the bytes were valid UTF-8 is in
 * `lastNameValid()` until the next call. Plain ASCII and valid UTF-8 without a backslash are decoded in place.
 */
export function encodeNameText(buf: Uint8Array, start = 0, end = buf.length): string {
  let ascii = true;
  let backslash = false;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b >= 0x80) {
      ascii = false;
      break;
    }
    if (b === 0x5c) backslash = true;
  }
  lastValid = true;
  if (ascii) {
    const s = latin1Slice.call(buf, start, end);
    return backslash ? s.replace(/\\/g, '\\\\') : s;
  }
  if (!backslash && isValidUtf8(buf, start, end)) {
    let bs = false;
    for (let i = start; i < end; i++) {
      if (buf[i] === 0x5c) {
        bs = true;
        break;
      }
    }
    if (!bs) return utf8Slice.call(buf, start, end);
  }
  // One pass into a byte buffer, one decode at the end: valid sequences are copied, damaged bytes become the four
  // ASCII bytes of `\xNN`, backslashes two. The result is valid UTF-8 by construction.
  if (scratch.length < (end - start) * 4) scratch = Buffer.allocUnsafe(Math.max((end - start) * 4, scratch.length * 2));
  const out = scratch;
  let k = 0;
  for (let i = start; i < end; ) {
    const c = buf[i];
    if (c < 0x80) {
      if (c === 0x5c) out[k++] = 0x5c;
      out[k++] = c;
      i++;
      continue;
    }
    const n = utf8SeqLen(buf, i, end);
    if (n > 0) {
      for (let j = 0; j < n; j++) out[k++] = buf[i + j];
      i += n;
      continue;
    }
    lastValid = false;
    out[k++] = 0x5c;
    out[k++] = 0x78;
    out[k++] = HEXCODES[c >> 4];
    out[k++] = HEXCODES[c & 15];
    i++;
  }
  return out.toString('utf8', 0, k);
}

/** Whether the bytes of the last `encodeNameText` call were valid UTF-8. */
export function lastNameValid(): boolean {
  return lastValid;
}

/** Decodes the output encoding back to bytes; the inverse of `encodeName`. Unknown escapes are kept literally. */
export function decodeName(text: string): Buffer {
  if (!text.includes('\\')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && text[i + 1] === '\\') {
      run += '\\';
      i++;
    } else if (ch === '\\' && text[i + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      if (run) parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.from([parseInt(text.slice(i + 2, i + 4), 16)]));
      i += 3;
    } else run += ch;
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}
