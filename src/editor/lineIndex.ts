/**
 * A sparse line index built in the background: the byte offset of every STEP-th line. The viewer never waits for it
 * (pages and jumps go by byte offset); it only gives line numbers and "go to line" once it has got that far.
 * Memory: one number per STEP lines (about 3 500 for a 1 GiB log).
 */
import type { ByteSource } from '../helper/privileged';

/** Lines between checkpoints. */
export const STEP = 1024;
const CHUNK = 1 << 20;
/** Pause between chunks: the index runs in the background and leaves the CPU to what the user is doing. */
const PAUSE_MS = 1;

export class LineIndex {
  /** checkpoints[k] = byte offset where line k*STEP (0-based) starts. */
  private readonly checkpoints: number[] = [0];
  /** Bytes scanned so far (always just past a newline, or 0). */
  private scanned = 0;
  /** Complete lines in the scanned bytes. */
  private lines = 0;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly src: ByteSource,
    private readonly onProgress: (lines: number, bytes: number, done: boolean) => void = () => undefined,
  ) {}

  /** Bytes indexed so far. */
  get indexedBytes(): number {
    return this.scanned;
  }

  /** Complete lines seen so far. */
  get indexedLines(): number {
    return this.lines;
  }

  /** Indexes up to the current size in the background (again after the log grew); resolves when caught up. */
  update(): Promise<void> {
    this.running ??= this.scan().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops indexing (the document closed). */
  stop(): void {
    this.stopped = true;
  }

  /** Forgets everything (the log was truncated or replaced). */
  reset(): void {
    this.checkpoints.length = 1;
    this.scanned = 0;
    this.lines = 0;
  }

  private async scan(): Promise<void> {
    let size = await this.src.size();
    while (!this.stopped && this.scanned < size) {
      const at = this.scanned;
      const buf = await this.src.read(at, Math.min(CHUNK, size - at));
      if (buf.length === 0 || at !== this.scanned) break;
      let lastNl = -1;
      for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) {
        lastNl = i;
        this.lines++;
        if (this.lines % STEP === 0) this.checkpoints.push(at + i + 1);
      }
      if (lastNl < 0) {
        // A line longer than a chunk (or the unfinished tail): wait for more, unless it is garbage we can skip.
        if (buf.length < CHUNK) break;
        this.scanned = at + buf.length;
        continue;
      }
      this.scanned = at + lastNl + 1;
      this.onProgress(this.lines, this.scanned, false);
      // Let page requests in between chunks, and the CPU to the workbench.
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      if (this.scanned >= size) size = await this.src.size();
    }
    this.onProgress(this.lines, this.scanned, true);
  }

  /** The 1-based number of the line starting at `offset`, or null when the index has not got there yet. */
  async lineOf(offset: number): Promise<number | null> {
    return (await this.linesOf([offset]))[0];
  }

  /**
   * The line numbers of many line starts at once (a filtered screen): in offset order, each counted on from the one
   * before it when that is nearer than its checkpoint, so a screen of nearby lines costs one short read, not one per
   * line. Null where the index has not got there yet.
   */
  async linesOf(offsets: readonly number[]): Promise<(number | null)[]> {
    const out: (number | null)[] = new Array(offsets.length).fill(null);
    const order = offsets.map((o, i) => [o, i] as const).sort((a, b) => a[0] - b[0]);
    let at = -1;
    let line = 0;
    for (const [offset, i] of order) {
      if (offset > this.scanned) break;
      const k = this.checkpointAt(offset);
      const cp = this.checkpoints[k];
      if (at < cp) {
        at = cp;
        line = k * STEP;
      }
      const buf = await this.src.read(at, offset - at);
      for (let j = buf.indexOf(10); j >= 0; j = buf.indexOf(10, j + 1)) line++;
      at = offset;
      out[i] = line + 1;
    }
    return out;
  }

  /** The index of the last checkpoint at or before `offset` (checkpoint k starts line k*STEP). */
  private checkpointAt(offset: number): number {
    let lo = 0;
    let hi = this.checkpoints.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.checkpoints[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The byte offset of 1-based line `line`, or null when the index has not got there yet. */
  async offsetOf(line: number): Promise<number | null> {
    const target = line - 1;
    if (target < 0) return 0;
    if (target > this.lines) return null;
    const k = Math.floor(target / STEP);
    let offset = this.checkpoints[k];
    let n = k * STEP;
    while (n < target) {
      const buf = await this.src.read(offset, Math.min(CHUNK, this.scanned - offset));
      if (buf.length === 0) return null;
      let i = -1;
      while (n < target) {
        i = buf.indexOf(10, i + 1);
        if (i < 0) break;
        n++;
      }
      if (n === target && i >= 0) return offset + i + 1;
      offset += buf.length;
    }
    return offset;
  }
}
