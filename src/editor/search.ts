/**
 * Whole-log scans on the host for the viewer: search (text, regex, `field=value`), filters (by key, by record type)
 * and jumps to a time. Each reads the log in big chunks from one ByteSource, reports in batches with progress, and
 * stops when its AbortSignal fires. No vscode import: unit tests drive them on real files.
 */
import { bytesText, explainValue, lineContext, untrustedValueBytes } from '../core/explain';
import { parseLine } from '../core/tokenize';
import type { ByteSource } from '../helper/privileged';
import { linesForward, MAX_SHOWN_LINE } from './pager';
import type { SearchHit, SearchMode } from './protocol';
import { regexRanges } from './ranges';

/** Read size of whole-log scans: big enough to be fast, small enough to keep the host's memory flat. */
const CHUNK = 1 << 20;
/** The first read is small, so the first results of a search show at once. */
const FIRST_CHUNK = 256 << 10;
/** A search stops listing after this many hits (the count says so). */
export const MAX_HITS = 5000;
/** Batches go out at least this often while hits come in, so the first ones show at once. */
const BATCH_MS = 100;

/** Calls `onLines` for every complete line of the log (latin1 text, byte offset), chunk by chunk. */
async function scanLines(
  src: ByteSource,
  signal: AbortSignal,
  onChunk: (chunk: string, chunkOffset: number, lineStarts: number[]) => void,
  onProgress: (scanned: number, total: number) => void,
): Promise<void> {
  const total = await src.size();
  let pos = 0;
  let chunk = FIRST_CHUNK;
  while (pos < total && !signal.aborted) {
    const buf = await src.read(pos, Math.min(chunk, total - pos));
    chunk = CHUNK;
    if (buf.length === 0) break;
    let end = buf.lastIndexOf(10) + 1;
    // The last piece of the file, or a line longer than a chunk: take it whole.
    if (end === 0 || pos + buf.length >= total) end = buf.length;
    // latin1: one char per byte, so string indexes are byte offsets within the chunk.
    const text = buf.toString('latin1', 0, end);
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0 && i < end - 1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    onChunk(text, pos, starts);
    pos += end;
    onProgress(pos, total);
    await new Promise((r) => setImmediate(r));
  }
}

/** One `field=value` condition of a field search. */
interface FieldCondition {
  field: string;
  value: RegExp;
}

/** Parses `field=value field2=value2` (all must hold; `*` in a value is a wildcard); throws on bad syntax. */
export function parseFieldQuery(query: string): FieldCondition[] {
  const conds: FieldCondition[] = [];
  const re = /\s*([A-Za-z0-9_\-[\]]+)=("(?:[^"\\]|\\.)*"|\S*)/y;
  let at = 0;
  const q = query.trim();
  while (at < q.length) {
    re.lastIndex = at;
    const m = re.exec(q);
    if (!m) throw new Error(`expected field=value at "${q.slice(at, at + 20)}"`);
    let v = m[2];
    if (v.startsWith('"')) v = JSON.parse(v) as string;
    const pattern = v
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    conds.push({ field: m[1], value: new RegExp(`^${pattern}$`, 'i') });
    at = re.lastIndex;
    while (q[at] === ' ') at++;
  }
  if (conds.length === 0) throw new Error('expected field=value');
  return conds;
}

/** Whether a record line satisfies one field condition: raw value, decoded text, interpretation or ENRICHED value. */
function fieldMatches(text: string, c: FieldCondition): boolean {
  const ctx = lineContext(text);
  const h = ctx.parsed.header;
  if (!h) return false;
  const name = c.field;
  if (name === 'type') return c.value.test(h.type);
  if (name === 'node') return h.node !== null && c.value.test(h.node);
  const lower = name.toLowerCase();
  for (const f of ctx.parsed.fields) {
    if (f.name === '' || f.name.toLowerCase() !== lower) continue;
    const raw = text.slice(f.valueStart, f.valueEnd);
    const unquoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (c.value.test(raw) || c.value.test(unquoted)) return true;
    if (f.enriched) continue;
    const bytes = untrustedValueBytes(f.name, raw);
    if (bytes) {
      // Lines are latin1 here: decode the bytes of a quoted value or a hex one as UTF-8 text.
      const decoded = bytesText(raw.startsWith('"') ? Uint8Array.from(unquoted, (ch) => ch.charCodeAt(0)) : bytes);
      if (c.value.test(decoded)) return true;
      if (f.name === 'key' && decoded.split('\x01').some((k) => c.value.test(k))) return true;
    }
    const e = explainValue(f.name, raw, ctx);
    if (e && c.value.test(e.short)) return true;
  }
  return false;
}

/** A compiled search: the prefilter over a chunk and the ranges of a match within one line. */
interface Matcher {
  /** A global regex over latin1 chunk text that finds candidate positions. */
  find: RegExp;
  /** Ranges (latin1 indexes) of the match in the line, or null when the line does not match. */
  inLine(line: string): [number, number][] | null;
}

/** The latin1 spelling of a string's UTF-8 bytes (how non-ASCII text appears in a latin1-decoded chunk). */
function latin1Of(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function ranges(re: RegExp, line: string): [number, number][] | null {
  const out = regexRanges(re, line);
  return out.length > 0 ? out : null;
}

/** Compiles a query; throws an Error with a readable message on a bad regex or field query. */
export function compileSearch(query: string, mode: SearchMode, caseSensitive: boolean): Matcher {
  const flags = caseSensitive ? 'g' : 'gi';
  if (mode === 'field') {
    const conds = parseFieldQuery(query);
    // Candidate lines carry the first condition's field name (any case: ENRICHED fields are in capitals).
    const first = conds[0].field === 'type' ? 'type' : conds[0].field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const find = new RegExp(`(?:^|[ '\\x1d])${first}=`, 'gim');
    return {
      find,
      inLine(line) {
        const text = line;
        if (!conds.every((c) => fieldMatches(text, c))) return null;
        const out: [number, number][] = [];
        for (const c of conds) {
          const re = new RegExp(`(?:^|(?<=[ '\\x1d]))${c.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=("[^"]*"|\\S*)`, 'gi');
          out.push(...(ranges(re, text) ?? []));
        }
        return out.sort((a, b) => a[0] - b[0]);
      },
    };
  }
  if (query.length === 0) throw new Error('empty search');
  const source = mode === 'regex' ? latin1Of(query) : latin1Of(query).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let find: RegExp;
  try {
    find = new RegExp(source, flags + 'm');
  } catch (err) {
    throw new Error(`invalid regular expression: ${(err as Error).message}`);
  }
  const inLine = new RegExp(source, flags);
  return { find, inLine: (line) => ranges(inLine, line) };
}

/** Progress and results of a search, in batches. */
export interface SearchBatch {
  hits: SearchHit[];
  scanned: number;
  total: number;
  done: boolean;
  capped: boolean;
}

/** Converts latin1 ranges within a line to string indexes of the line's UTF-8 decoding. */
function utf8Ranges(latin1Line: string, rs: [number, number][]): [number, number][] {
  // Fast path: ASCII lines (nearly all audit records) index the same either way.
  if (!/[\x80-\xff]/.test(latin1Line)) return rs;
  const idx = (i: number): number => Buffer.from(latin1Line.slice(0, i), 'latin1').toString('utf8').length;
  return rs.map(([s, e]) => [idx(s), idx(e)]);
}

/** Searches the whole log, streaming hits in file order; resolves when done, capped or aborted. */
export async function searchLog(src: ByteSource, matcher: Matcher, signal: AbortSignal, onBatch: (b: SearchBatch) => void): Promise<void> {
  let pending: SearchHit[] = [];
  let count = 0;
  // The first hits go out as soon as a chunk has any.
  let lastSent = 0;
  let scanned = 0;
  let total = 0;
  const local = new AbortController();
  const stop = (): void => local.abort();
  signal.addEventListener('abort', stop, { once: true });
  const flush = (done: boolean): void => {
    onBatch({ hits: pending, scanned, total, done, capped: count >= MAX_HITS });
    pending = [];
    lastSent = Date.now();
  };
  await scanLines(
    src,
    local.signal,
    (chunk, chunkOffset, starts) => {
      const find = matcher.find;
      find.lastIndex = 0;
      let si = 0;
      for (let m = find.exec(chunk); m; m = find.exec(chunk)) {
        // The line holding the match: the last start at or before it.
        while (si + 1 < starts.length && starts[si + 1] <= m.index) si++;
        const ls = starts[si];
        const nl = chunk.indexOf('\n', ls);
        const le = nl < 0 ? chunk.length : nl;
        const line = chunk.slice(ls, le > ls && chunk.charCodeAt(le - 1) === 13 ? le - 1 : le);
        const rs = matcher.inLine(line);
        if (rs) {
          const shown = line.length > MAX_SHOWN_LINE ? line.slice(0, MAX_SHOWN_LINE) : line;
          const text = Buffer.from(shown, 'latin1').toString('utf8');
          pending.push({ offset: chunkOffset + ls, text, ranges: utf8Ranges(shown, rs.filter(([s]) => s < shown.length)) });
          if (++count >= MAX_HITS) {
            local.abort();
            return;
          }
        }
        find.lastIndex = nl < 0 ? chunk.length : nl + 1;
        if (m[0].length === 0 && find.lastIndex === m.index) find.lastIndex++;
      }
    },
    (s, t) => {
      scanned = s;
      total = t;
      if (pending.length > 0 && Date.now() - lastSent >= BATCH_MS) flush(false);
    },
  );
  signal.removeEventListener('abort', stop);
  if (!signal.aborted) flush(true);
}

/** Progress and results of a filter: line offsets, ascending within a batch (a later batch may add earlier lines). */
export interface FilterBatch {
  offsets: number[];
  scanned: number;
  total: number;
  done: boolean;
}

/** Records of one event are written within a few lines of each other; this many are kept to collect them. */
const EVENT_WINDOW = 256;

/**
 * Lines of records whose type is in `types` (when given) and that belong to an event carrying one of `keys` (when
 * given): a key is on the SYSCALL record only, so the event's other records are collected around it.
 */
export async function filterLog(src: ByteSource, keys: string[], types: string[], signal: AbortSignal, onBatch: (b: FilterBatch) => void): Promise<void> {
  const typeSet = new Set(types);
  const keySet = new Set(keys);
  const recent: { id: string; offset: number; typeOk: boolean; taken: boolean }[] = [];
  const matchedIds = new Set<string>();
  const matchedOrder: string[] = [];
  let pending: number[] = [];
  let lastSent = 0;
  const take = (offset: number): void => {
    pending.push(offset);
  };
  const flush = (scanned: number, total: number, done: boolean): void => {
    pending.sort((a, b) => a - b);
    onBatch({ offsets: pending, scanned, total, done });
    pending = [];
    lastSent = Date.now();
  };
  let scanned = 0;
  let total = 0;
  await scanLines(
    src,
    signal,
    (chunk, chunkOffset, starts) => {
      for (let k = 0; k < starts.length; k++) {
        const ls = starts[k];
        const le = k + 1 < starts.length ? starts[k + 1] - 1 : chunk.length;
        // Only the header and the key are needed: a line's first 200 bytes hold the header.
        const head = chunk.slice(ls, Math.min(le, ls + 200));
        const h = parseLine(head).header;
        if (!h) continue;
        const typeOk = typeSet.size === 0 || typeSet.has(h.type);
        const offset = chunkOffset + ls;
        if (keySet.size === 0) {
          if (typeOk) take(offset);
          continue;
        }
        const id = `${h.node ?? ''}:${h.timeText}:${h.serial}`;
        let hasKey = false;
        const line = chunk.slice(ls, le);
        const ki = line.lastIndexOf(' key=');
        // A key= inside a user-space msg='…' payload is free text, not the record's key.
        if (ki >= 0 && (line.slice(0, ki).split("'").length - 1) % 2 === 0) {
          const v = /^[^ \x1d]*/.exec(line.slice(ki + 5))![0];
          const b = untrustedValueBytes('key', v);
          if (b) hasKey = bytesText(b.length > 0 && v.startsWith('"') ? Uint8Array.from(v.slice(1, -1), (c) => c.charCodeAt(0)) : b).split('\x01').some((kk) => keySet.has(kk));
        }
        if (hasKey && !matchedIds.has(id)) {
          matchedIds.add(id);
          matchedOrder.push(id);
          if (matchedOrder.length > EVENT_WINDOW) matchedIds.delete(matchedOrder.shift()!);
          for (const r of recent) {
            if (r.id === id && r.typeOk && !r.taken) {
              r.taken = true;
              take(r.offset);
            }
          }
        }
        const isMatched = matchedIds.has(id);
        if (isMatched && typeOk) take(offset);
        recent.push({ id, offset, typeOk, taken: isMatched && typeOk });
        if (recent.length > EVENT_WINDOW) recent.shift();
      }
    },
    (s, t) => {
      scanned = s;
      total = t;
      if (pending.length > 0 && Date.now() - lastSent >= BATCH_MS) flush(s, t, false);
    },
  );
  if (!signal.aborted) flush(scanned, total, true);
}

/**
 * The offset of the first record at or after `ms` (epoch milliseconds), by bisecting the log on byte offsets
 * (records are written in time order, give or take the few milliseconds events interleave). Null when every record
 * is older.
 */
export async function offsetAtTime(src: ByteSource, ms: number): Promise<number | null> {
  const total = await src.size();
  const recordAt = async (offset: number): Promise<{ offset: number; time: number } | null> => {
    const { lines } = await linesForward(src, offset, 64, total);
    for (const l of lines) {
      const h = parseLine(l.text).header;
      if (h) return { offset: l.offset, time: h.time };
    }
    return null;
  };
  let lo = 0;
  let hi = total;
  // Invariant: records starting before lo are older than ms; the answer starts before hi.
  while (hi - lo > 64 * 1024) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await recordAt(mid);
    if (r === null || r.time >= ms) hi = mid;
    else lo = r.offset + 1;
  }
  // Finish with a linear pass over the last window.
  let at = lo;
  while (at < total) {
    const { lines } = await linesForward(src, at, 256, total);
    if (lines.length === 0) break;
    for (const l of lines) {
      const h = parseLine(l.text).header;
      if (h && h.time >= ms) return l.offset;
    }
    at = lines[lines.length - 1].end;
  }
  return null;
}
