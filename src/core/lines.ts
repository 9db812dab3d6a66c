import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, SourceRef } from './types';

/** One physical line of input as a latin1 string (one char per byte, so byte offsets stay exact). */
export interface Line {
  text: string;
  source: SourceRef;
  /** The input ended before this line's newline (a file copied while auditd was writing it). */
  truncated: boolean;
}

/** Audit records are at most ~9 KB (MAX_AUDIT_MESSAGE_LENGTH 8970 plus ENRICHED text); anything far longer is garbage. */
export const MAX_LINE_BYTES = 1 << 20;
const CHUNK = 1 << 20;

/**
 * Splits a byte stream into lines with their file, line number and byte offset.
 * Strips `\r\n`; a line longer than MAX_LINE_BYTES is skipped (reported, not buffered) so one hostile line cannot
 * exhaust memory.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryLen = 0;
  private skipping = false;
  private lineNo = 0;
  private offset = 0;
  private lineStart = 0;

  /**
   * When set, lines are handed over as byte ranges of the read buffer instead of strings (the fast path: the
   * caller must not assume the buffer is reused or freed; readLines allocates a fresh one per chunk for this).
   */
  onBytes: ((buf: Buffer, start: number, end: number, line: number, offset: number, truncated: boolean) => void) | null = null;

  constructor(
    private readonly file: string,
    private readonly onLine: (line: Line) => void,
    private readonly onDiagnostic: (d: Diagnostic) => void,
    startOffset = 0,
    startLine = 0,
  ) {
    this.offset = startOffset;
    this.lineStart = startOffset;
    this.lineNo = startLine;
  }

  /** Bytes consumed so far (the offset where the next byte would go). */
  get position(): number {
    return this.offset;
  }

  /** Feeds the next chunk of bytes. */
  push(buf: Buffer, len = buf.length): void {
    let start = 0;
    while (start < len) {
      const nl = buf.indexOf(10, start);
      const end = nl === -1 || nl >= len ? len : nl;
      if (end === len) {
        this.keep(buf, start, len);
        this.offset += len - start;
        return;
      }
      this.lineNo++;
      if (this.skipping || this.carryLen > 0) {
        this.keep(buf, start, end);
        this.finishCarried(false);
      } else if (end - start > MAX_LINE_BYTES) {
        this.onDiagnostic({
          kind: 'oversized-line',
          message: `line longer than ${MAX_LINE_BYTES} bytes skipped`,
          source: { file: this.file, line: this.lineNo, offset: this.lineStart },
        });
      } else {
        this.emitRange(buf, start, end, this.lineStart, false);
      }
      this.offset += end + 1 - start;
      this.lineStart = this.offset;
      start = end + 1;
    }
  }

  /** Flushes a final line that had no newline. */
  end(): void {
    if (this.carryLen > 0 || this.skipping) {
      this.lineNo++;
      this.finishCarried(true);
      this.lineStart = this.offset;
    }
  }

  private keep(buf: Buffer, start: number, end: number): void {
    if (this.skipping) return;
    if (this.carryLen + (end - start) > MAX_LINE_BYTES) {
      this.skipping = true;
      this.carry = [];
      this.carryLen = 0;
      return;
    }
    if (end > start) {
      this.carry.push(Buffer.from(buf.subarray(start, end)));
      this.carryLen += end - start;
    }
  }

  private finishCarried(truncated: boolean): void {
    const src = { file: this.file, line: this.lineNo, offset: this.lineStart };
    if (this.skipping) {
      this.onDiagnostic({ kind: 'oversized-line', message: `line longer than ${MAX_LINE_BYTES} bytes skipped`, source: src });
      this.skipping = false;
      return;
    }
    const whole = this.carry.length === 1 ? this.carry[0] : Buffer.concat(this.carry, this.carryLen);
    this.carry = [];
    this.carryLen = 0;
    this.emitRange(whole, 0, whole.length, this.lineStart, truncated);
  }

  private emitRange(buf: Buffer, start: number, end: number, offset: number, truncated: boolean): void {
    if (end > start && buf[end - 1] === 13) end--;
    if (end === start && !truncated) return;
    if (this.onBytes) this.onBytes(buf, start, end, this.lineNo, offset, truncated);
    else this.onLine({ text: buf.toString('latin1', start, end), source: { file: this.file, line: this.lineNo, offset }, truncated });
  }
}

/** Orders rotated logs oldest first: `audit.log.9` … `audit.log.1`, then `audit.log`. */
export function rotatedOrder(names: string[]): string[] {
  const re = /^(.*?)(?:\.(\d+))?$/;
  return names
    .filter((n) => /^audit\.log(\.\d+)?$/.test(n))
    .sort((a, b) => {
      const na = Number(re.exec(a)![2] ?? 0);
      const nb = Number(re.exec(b)![2] ?? 0);
      return nb - na;
    });
}

/**
 * Expands CLI inputs into files: a directory becomes its rotated audit logs, oldest first; `-` is stdin. Files of one
 * rotated set named one by one (`audit.log*` expands to audit.log, audit.log.1, audit.log.2: newest first) are read
 * as that set, oldest first: read newest first, folders would be learned after the deletions that needed them, and
 * an event split by the rotation would not be joined.
 */
export async function expandInputs(inputs: string[]): Promise<{ groups: string[][]; errors: string[] }> {
  const groups: string[][] = [];
  const errors: string[] = [];
  /** Explicit files by rotated set (`dir/base` without its `.N`), with the group that holds them. */
  const sets = new Map<string, string[]>();
  for (const input of inputs) {
    if (input === '-') {
      groups.push(['-']);
      continue;
    }
    try {
      const st = await fsp.stat(input);
      if (st.isDirectory()) {
        const names = rotatedOrder(await fsp.readdir(input));
        if (names.length === 0) errors.push(`${input}: no audit.log files in this directory`);
        else groups.push(names.map((n) => path.join(input, n)));
      } else {
        const set = path.resolve(input).replace(/\.\d+$/, '');
        const group = sets.get(set);
        if (group) {
          // Named twice (`audit.log ./audit.log`): read once.
          if (!group.some((f) => path.resolve(f) === path.resolve(input))) group.push(input);
        } else {
          const g = [input];
          sets.set(set, g);
          groups.push(g);
        }
      }
    } catch (err) {
      errors.push(`${input}: ${describeFsError(err)}`);
    }
  }
  const generation = (f: string): number => Number(/\.(\d+)$/.exec(f)?.[1] ?? 0);
  for (const g of sets.values()) g.sort((a, b) => generation(b) - generation(a));
  return { groups, errors };
}

/** A one-line explanation of a file-system error, without a stack. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (audit logs are usually readable by root only: try sudo)';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e?.message ?? String(err);
  }
}

/** Reads one file (or stdin for `-`) through a LineSplitter, chunk by chunk; memory does not grow with the file. */
export async function readLines(
  file: string,
  onLine: (line: Line) => void,
  onDiagnostic: (d: Diagnostic) => void,
  opts: {
    start?: number;
    signal?: AbortSignal;
    onBytes?: LineSplitter['onBytes'];
    /** With onBytes: called before a read buffer is reused, so whoever kept ranges of it copies them out. */
    beforeReuse?: (buf: Buffer) => void;
    /**
     * Asked after each chunk: a promise holds the next chunk back until it settles (the consumer's output is full:
     * a slow pipe reader must slow the reading down, not fill memory with output waiting to be written).
     */
    throttle?: () => Promise<void> | undefined;
  } = {},
): Promise<number> {
  const splitter = new LineSplitter(file, onLine, onDiagnostic, opts.start ?? 0);
  splitter.onBytes = opts.onBytes ?? null;
  if (file === '-') {
    for await (const chunk of process.stdin) {
      splitter.push(chunk as Buffer);
      if (opts.signal?.aborted) break;
      const wait = opts.throttle?.();
      if (wait) await wait;
    }
    splitter.end();
    return splitter.position;
  }
  const fh = await fsp.open(file, 'r');
  try {
    // A pipe or FIFO (`<(zcat audit.log.1.gz)`) is read as a stream: it has no positions (and no start offset).
    const seekable = (await fh.stat()).isFile();
    // Byte consumers keep ranges of recent chunks (lazy records): rotate a small ring of buffers and let them copy
    // out what they still hold before one is reused. Fresh buffers per chunk would make V8 collect far more often.
    // Two buffers at least: one being read into while the other is split.
    const ring = opts.onBytes ? [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] : [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let turn = 0;
    let pos = opts.start ?? 0;
    // Read ahead: the next chunk is being read (on the thread pool) while this one is split and analysed, so the
    // thread never sits idle waiting for the disk or the page cache.
    const readInto = (): { buf: Buffer; done: Promise<{ bytesRead: number }> } => {
      const buf = ring[turn++ % ring.length];
      if (turn > ring.length) opts.beforeReuse?.(buf);
      // One read at a time: the next is issued only once this one is done, so a stream's chunks stay in order.
      const done = fh.read(buf, 0, CHUNK, seekable ? pos : null);
      return { buf, done };
    };
    let next = readInto();
    for (;;) {
      const { buf, done } = next;
      const { bytesRead } = await done;
      if (bytesRead === 0) break;
      pos += bytesRead;
      if (!opts.signal?.aborted) next = readInto();
      splitter.push(buf, bytesRead);
      const wait = opts.throttle?.();
      if (wait) await wait;
      if (opts.signal?.aborted) {
        // The read already under way (if any) must finish before the handle closes.
        await next.done.catch(() => undefined);
        break;
      }
    }
    splitter.end();
    return splitter.position;
  } finally {
    await fh.close();
  }
}
