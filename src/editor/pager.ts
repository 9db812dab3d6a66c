/**
 * Lines of a log by byte offset, read on demand from a ByteSource: the lines from (the start of the line holding)
 * an offset onwards, the lines before an offset, the lines at given offsets. Nothing is scanned beyond what is
 * asked, so the first screen and the end of a 1 GiB log cost one small read each.
 */
import type { ByteSource } from '../helper/privileged';
import type { LogLine } from './protocol';

const CHUNK = 64 * 1024;
/** Lines are shown up to this many bytes (audit records are under ~10 KB; anything longer is cut for display). */
export const MAX_SHOWN_LINE = 64 * 1024;
/** How far back we look for the start of a line before treating the offset itself as one. */
const MAX_RESYNC = 1 << 20;

function decode(buf: Buffer, start: number, end: number, cut: boolean): string {
  let e = end;
  if (e > start && buf[e - 1] === 13) e--; // CRLF logs
  const text = buf.toString('utf8', start, Math.min(e, start + MAX_SHOWN_LINE));
  return cut || e - start > MAX_SHOWN_LINE ? `${text}…` : text;
}

/** The offset where the line holding `offset` starts (the byte after the previous newline). */
export async function lineStart(src: ByteSource, offset: number): Promise<number> {
  let pos = Math.max(0, offset);
  while (pos > 0 && offset - pos < MAX_RESYNC) {
    const from = Math.max(0, pos - CHUNK);
    const buf = await src.read(from, pos - from);
    const nl = buf.lastIndexOf(10);
    if (nl >= 0) return from + nl + 1;
    pos = from;
  }
  return pos === 0 ? 0 : offset;
}

/** Up to `count` lines starting with the line that holds `offset`; the last one may lack its newline (a live log). */
export async function linesForward(
  src: ByteSource,
  offset: number,
  count: number,
  size?: number,
  /** `offset` is known to start a line (no look back). */
  exact = false,
): Promise<{ lines: LogLine[]; atEnd: boolean }> {
  const total = size ?? (await src.size());
  let pos = exact ? Math.min(offset, total) : await lineStart(src, Math.min(offset, total));
  const lines: LogLine[] = [];
  while (lines.length < count && pos < total) {
    const buf = await src.read(pos, Math.min(CHUNK, total - pos));
    if (buf.length === 0) break;
    let s = 0;
    for (;;) {
      const nl = buf.indexOf(10, s);
      if (nl < 0) break;
      lines.push({ offset: pos + s, end: pos + nl + 1, text: decode(buf, s, nl, false) });
      s = nl + 1;
      if (lines.length >= count) break;
    }
    if (lines.length >= count) break;
    if (s === 0) {
      // A line longer than the chunk: show its start, then find where it ends.
      const end = await lineEnd(src, pos, total);
      lines.push({ offset: pos, end, text: decode(buf, 0, buf.length, end - pos > buf.length) });
      pos = end;
    } else if (pos + buf.length >= total && s < buf.length) {
      // The unfinished last line of a growing log.
      lines.push({ offset: pos + s, end: total, text: decode(buf, s, buf.length, false) });
      pos = total;
    } else {
      pos += s;
    }
  }
  const last = lines[lines.length - 1];
  return { lines, atEnd: last === undefined ? true : last.end >= total };
}

/** The offset just past the newline that ends the line starting at `start` (or `total`). */
async function lineEnd(src: ByteSource, start: number, total: number): Promise<number> {
  let pos = start;
  while (pos < total) {
    const buf = await src.read(pos, Math.min(1 << 20, total - pos));
    if (buf.length === 0) return total;
    const nl = buf.indexOf(10);
    if (nl >= 0) return pos + nl + 1;
    pos += buf.length;
  }
  return total;
}

/** Up to `count` lines that end at or before `offset` (a line start, or the size), in file order. */
export async function linesBackward(src: ByteSource, offset: number, count: number): Promise<{ lines: LogLine[]; atStart: boolean }> {
  let span = CHUNK;
  for (;;) {
    const from = Math.max(0, offset - span);
    const buf = await src.read(from, offset - from);
    // Line starts inside the buffer: after each newline, and the buffer start when it is the file start.
    const starts: number[] = [];
    if (from === 0) starts.push(0);
    for (let i = buf.indexOf(10); i >= 0 && i < buf.length - 1; i = buf.indexOf(10, i + 1)) starts.push(i + 1);
    const enough = starts.length >= count || from === 0 || span >= 8 * MAX_RESYNC;
    if (enough) {
      if (starts.length === 0 && buf.length > 0) starts.push(0); // one giant line: show its tail as a line
      const take = starts.slice(-count);
      const lines = take.map((s, k) => {
        const e = k + 1 < take.length ? take[k + 1] : buf.length;
        const contentEnd = buf[e - 1] === 10 ? e - 1 : e;
        return { offset: from + s, end: from + e, text: decode(buf, s, contentEnd, false) };
      });
      return { lines, atStart: lines.length === 0 || lines[0].offset === 0 };
    }
    span *= 4;
  }
}

/** The lines starting at each offset (for a filtered view), in the order asked. */
export async function linesAt(src: ByteSource, offsets: number[]): Promise<LogLine[]> {
  const total = await src.size();
  return Promise.all(
    offsets.map(async (offset) => {
      const { lines } = await linesForward(src, offset, 1, total, true);
      return lines[0] ?? { offset, end: offset, text: '' };
    }),
  );
}
