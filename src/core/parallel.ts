/**
 * Two threads on one log. The path index is sequential by nature (a folder learned early names a deletion much
 * later), so the log is not cut into independent halves. Instead both threads read from the start:
 *
 *   head: reports everything up to a boundary, then reads on only to finish what it owns (events open at the
 *         boundary, events held back for a folder's name), learning from the rest.
 *   tail: learns from everything before the boundary without reporting it (no paths resolved, no output), then
 *         reports from the boundary on, except the events that were open there (the head's).
 *
 * Each thread learns every event in the same order as one reader would, so every path and every parent chain comes
 * out as it would from one thread; only the order of the few events open across the boundary may differ. The tail's
 * reading ahead costs a fraction of full analysis, so the boundary sits past the middle.
 */
import { promises as fsp } from 'node:fs';
import type { Boundary } from './analyzer';
import { expandInputs } from './lines';
import { newHeader, parseHeaderBytes } from './record';

/**
 * Where to split the inputs so that both threads finish together: `headShare` of the bytes go to the head (the
 * tail also reads them, faster). The boundary is moved forward to the start of an event (a line whose event differs
 * from the line before), so an event rarely straddles it. Null when the inputs cannot be split (stdin, a pipe, nothing to read).
 */
export async function planSplit(inputs: string[], headShare: number): Promise<Boundary | null> {
  const { groups, errors } = await expandInputs(inputs);
  if (errors.length > 0) return null;
  const files = groups.flat();
  if (files.includes('-')) return null;
  const sizes: number[] = [];
  for (const f of files) {
    try {
      const st = await fsp.stat(f);
      if (!st.isFile()) return null;
      sizes.push(st.size);
    } catch {
      return null;
    }
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let target = Math.floor(total * headShare);
  let file = 0;
  while (file < files.length - 1 && target >= sizes[file]) target -= sizes[file++];
  const offset = await eventStartAfter(files[file], target);
  return offset === null ? null : { file, offset };
}

/** The offset of the first line at or after `from` that starts an event (its event differs from the line before). */
async function eventStartAfter(file: string, from: number): Promise<number | null> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(256 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    const h = newHeader();
    let prev: string | null = null;
    let start = from === 0 ? 0 : buf.indexOf(10) + 1;
    if (start === 0 && from !== 0) return null;
    while (start < bytesRead) {
      const nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= bytesRead) break;
      const key = parseHeaderBytes(buf, start, nl, h) ? `${h.node}|${h.time}|${h.serial}` : null;
      if (prev !== null && key !== null && key !== prev) return from + start;
      if (key !== null) prev = key;
      start = nl + 1;
    }
    return null;
  } finally {
    await fh.close();
  }
}
