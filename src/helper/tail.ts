/**
 * A live tail of auditd's log that follows rotation and loses nothing across it.
 *
 * It starts at the current end of the log (line numbers counted, so records keep their true line). Woken by inotify
 * (fs.watch on the log's directory) and by a short poll in case inotify is unavailable or full, it reads what was
 * appended. When the name points at another inode (auditd renamed audit.log to audit.log.1 and opened a new one), the
 * old file is read to its end through the descriptor still open on it, then any file rotated in between (two
 * rotations before a wake-up), then the new file from its start. The consumer sees one continuous stream of lines:
 * `onIdle` is the only boundary it gets, when nothing new has arrived for `idleMs`.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { LineSplitter } from '../core/lines';
import type { Diagnostic } from '../core/types';

/** auditd's log file, from auditd.conf (`log_file`), else the default. */
export function auditLogPath(conf = '/etc/audit/auditd.conf'): string {
  try {
    const m = /^\s*log_file\s*=\s*(\S+)\s*$/m.exec(readFileSync(conf, 'utf8'));
    if (m && m[1].startsWith('/')) return m[1];
  } catch {
    // no readable config: auditd uses its default too
  }
  return '/var/log/audit/audit.log';
}

/** What the consumer receives: each line as a byte range, with its file, 1-based line number and byte offset. */
export type LineSink = (buf: Buffer, start: number, end: number, file: string, line: number, offset: number, truncated: boolean) => void;

export interface TailOptions {
  /** Lines as they are read. */
  onLine: LineSink;
  /** Each chunk as it is read, before its lines (for per-chunk scans such as reading /proc at once). */
  onChunk?: (buf: Buffer, length: number) => void;
  /** Nothing new for `idleMs`: close what is open. */
  onIdle: () => void;
  onDiagnostic: (d: Diagnostic) => void;
  /** Rotations and other notable moments, for the status. */
  onNote?: (message: string) => void;
  /** Quiet time before `onIdle`; a function is asked each time (the engine lengthens it under pressure). */
  idleMs?: number | (() => number);
  pollMs?: number;
}

const CHUNK = 1 << 20;

interface OpenFile {
  fd: number;
  ino: number;
  name: string;
  pos: number;
  splitter: LineSplitter;
}

/** Lines per file at start, by counting newlines (fast: memchr speed on an 8 MB log). */
function countLines(fd: number, size: number): number {
  const buf = Buffer.allocUnsafe(CHUNK);
  let lines = 0;
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
    if (n === 0) break;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    pos += n;
  }
  return lines;
}

export class AuditLogTail {
  private cur: OpenFile | undefined;
  /** Inodes of files read already, or that existed before the tail began: never read (again) on rotation. */
  private readonly seen = new Set<number>();
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private again = false;
  private stopped = false;
  /** Bytes read since start (for throughput reports). */
  bytes = 0;
  rotations = 0;

  constructor(
    readonly logFile: string,
    private readonly o: TailOptions,
  ) {}

  /** Opens the log at its current end and starts following it. Throws when the log cannot be opened. */
  start(): void {
    for (const f of this.chain()) this.seen.add(f.ino);
    const fd = openSync(this.logFile, 'r');
    const st = fstatSync(fd);
    this.seen.add(st.ino);
    this.cur = this.openAt(fd, st.ino, this.logFile, st.size, countLines(fd, st.size));
    try {
      // inotify on the directory sees both appends and the rename + create of a rotation.
      this.watcher = watch(path.dirname(this.logFile), { persistent: false }, () => this.wake());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // No inotify (limits, exotic file system): the poll below still follows the log.
    }
    // Referenced on purpose: a running tail keeps its process alive until stop().
    this.poller = setInterval(() => this.wake(), this.o.pollMs ?? 250);
  }

  private openAt(fd: number, ino: number, name: string, pos: number, line: number): OpenFile {
    const splitter = new LineSplitter(name, () => undefined, this.o.onDiagnostic, pos, line);
    splitter.onBytes = (buf, start, end, ln, offset, truncated) => this.o.onLine(buf, start, end, name, ln, offset, truncated);
    return { fd, ino, name, pos, splitter };
  }

  /** Reads whatever is new now (also called by the wake-ups). */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      let progressed = false;
      do {
        this.again = false;
        progressed = this.drain() || progressed;
      } while (this.again && !this.stopped);
      if (progressed) this.armIdle();
    } finally {
      this.draining = false;
    }
  }

  /** Reads the current file to its end, then follows a rotation if there was one; true when bytes were read. */
  private drain(): boolean {
    let progressed = false;
    for (;;) {
      const f = this.cur;
      if (!f) return progressed;
      if (this.readToEnd(f)) progressed = true;
      let st;
      try {
        st = statSync(this.logFile);
      } catch {
        // Between auditd's rename and its open of the new file the name is missing for a moment.
        return progressed;
      }
      if (st.ino !== f.ino) {
        this.rotate(f);
        progressed = true;
        continue;
      }
      if (st.size < f.pos) {
        this.o.onDiagnostic({ kind: 'unreadable-input', message: `${this.logFile} shrank from ${f.pos} to ${st.size} bytes (truncated by someone): reading it again from the start`, source: { file: f.name, line: 0, offset: st.size } });
        f.splitter.end();
        this.cur = this.openAt(f.fd, f.ino, f.name, 0, 0);
        continue;
      }
      return progressed;
    }
  }

  /** Reads `f` from its position to its end; true when anything was read. */
  private readToEnd(f: OpenFile): boolean {
    let any = false;
    for (;;) {
      // A fresh buffer per read: the analyzers keep byte ranges of lines (lazy records) beyond this call.
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(f.fd, buf, 0, CHUNK, f.pos);
      if (n <= 0) return any;
      any = true;
      f.pos += n;
      this.bytes += n;
      this.o.onChunk?.(buf, n);
      f.splitter.push(buf, n);
      if (n < CHUNK) return any;
    }
  }

  /** The old file is read to its end: read what was rotated in between, then switch to the new file. */
  private rotate(old: OpenFile): void {
    // auditd closes the old file before renaming it, but it may have written to it after our last read.
    this.readToEnd(old);
    old.splitter.end();
    const chain = this.chain();
    const at = chain.findIndex((c) => c.ino === old.ino);
    // Files newer than the old one (or, when it is gone from the chain, every file we have never seen), oldest first.
    const between = (at >= 0 ? chain.slice(at + 1) : chain).filter((c) => !this.seen.has(c.ino) && c.path !== this.logFile);
    closeSync(old.fd);
    this.cur = undefined;
    this.rotations++;
    for (const c of between) {
      let fd: number;
      try {
        fd = openSync(c.path, 'r');
      } catch {
        this.o.onDiagnostic({ kind: 'lost-events', message: `${c.path} was rotated away before it could be read`, count: 0 });
        continue;
      }
      const ino = fstatSync(fd).ino;
      this.seen.add(ino);
      const f = this.openAt(fd, ino, c.path, 0, 0);
      this.readToEnd(f);
      f.splitter.end();
      closeSync(fd);
    }
    let fd: number;
    try {
      fd = openSync(this.logFile, 'r');
    } catch {
      // Not there yet: the next wake-up opens it (this.cur stays unset until then).
      this.reopenLater();
      return;
    }
    const ino = fstatSync(fd).ino;
    this.seen.add(ino);
    this.cur = this.openAt(fd, ino, this.logFile, 0, 0);
    this.o.onNote?.(`audit log rotated (${old.name} → ${path.basename(this.logFile)}.1); following the new file`);
  }

  private reopenLater(): void {
    const retry = setInterval(() => {
      if (this.stopped) return clearInterval(retry);
      try {
        const fd = openSync(this.logFile, 'r');
        clearInterval(retry);
        const ino = fstatSync(fd).ino;
        this.seen.add(ino);
        this.cur = this.openAt(fd, ino, this.logFile, 0, 0);
        this.wake();
      } catch {
        // still missing
      }
    }, 50);
  }

  /** The rotation chain, oldest first: audit.log.N … audit.log.1, audit.log. */
  private chain(): { path: string; ino: number }[] {
    const dir = path.dirname(this.logFile);
    const base = path.basename(this.logFile);
    const out: { path: string; ino: number; n: number }[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    for (const name of names) {
      let n: number;
      if (name === base) n = 0;
      else if (name.startsWith(`${base}.`) && /^\d+$/.test(name.slice(base.length + 1))) n = Number(name.slice(base.length + 1));
      else continue;
      try {
        out.push({ path: path.join(dir, name), ino: statSync(path.join(dir, name)).ino, n });
      } catch {
        // rotated away while listing
      }
    }
    return out.sort((a, b) => b.n - a.n);
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.stopped) this.o.onIdle();
    }, typeof this.o.idleMs === 'function' ? this.o.idleMs() : (this.o.idleMs ?? 200));
  }

  /** Reads what is left, closes the idle window and stops following. */
  stop(): void {
    if (this.stopped) return;
    this.wake();
    this.stopped = true;
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.cur) {
      this.cur.splitter.end();
      closeSync(this.cur.fd);
      this.cur = undefined;
    }
  }
}
