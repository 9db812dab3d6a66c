/**
 * What a live watch captured, kept in the extension's storage on the host (JSON Lines), so it survives window
 * reloads and the rotation of audit.log itself (auditd's defaults rotate a big `rm -rf` off the disk within seconds).
 * Bounded: past `maxEvents` the oldest events are dropped when the file is compacted. Plain Node, no `vscode`.
 *
 * One line per event version: `{"k":KEY,"f":FOLDER,"e":EVENT}`. A later line with the same key and event id
 * replaces an earlier one (a path resolved later).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { AuditEvent } from '../core/types';

export interface StoredWatch {
  key: string;
  folder: string;
  /** Events in capture order, one per id (the latest version). */
  events: AuditEvent[];
}

interface Line {
  k: string;
  f: string;
  e: AuditEvent;
}

export class EventStore {
  private lines = 0;
  private queue: Promise<void> = Promise.resolve();
  /** Set when a write failed: reported once, then the store keeps trying. */
  lastError: Error | undefined;

  constructor(
    readonly file: string,
    private maxEvents: number,
  ) {}

  /** Changes the bound (the setting changed); applied at the next compaction. */
  setMax(maxEvents: number): void {
    this.maxEvents = Math.max(0, Math.floor(maxEvents));
  }

  /** Reads everything stored, per watch; unreadable lines are skipped and counted. */
  async load(): Promise<{ watches: StoredWatch[]; badLines: number }> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch {
      return { watches: [], badLines: 0 };
    }
    const byKey = new Map<string, { folder: string; events: Map<string, AuditEvent> }>();
    let badLines = 0;
    let lines = 0;
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      lines++;
      let l: Line;
      try {
        l = JSON.parse(raw) as Line;
      } catch {
        badLines++;
        continue;
      }
      if (typeof l?.k !== 'string' || typeof l.f !== 'string' || typeof l.e?.id !== 'string') {
        badLines++;
        continue;
      }
      let w = byKey.get(l.k);
      if (!w) byKey.set(l.k, (w = { folder: l.f, events: new Map() }));
      w.events.set(l.e.id, l.e);
    }
    this.lines = lines;
    return { watches: [...byKey].map(([key, w]) => ({ key, folder: w.folder, events: [...w.events.values()] })), badLines };
  }

  /** Appends events of one watch (queued: writes never overlap). */
  append(key: string, folder: string, events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0 || this.maxEvents === 0) return this.queue;
    const text = events.map((e) => JSON.stringify({ k: key, f: folder, e })).join('\n') + '\n';
    return this.enqueue(async () => {
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      await fsp.appendFile(this.file, text, { mode: 0o600 });
      this.lines += events.length;
      // Compaction rewrites the file; doing it at twice the bound keeps its cost proportional to what was added.
      if (this.lines > this.maxEvents * 2 + 1000) await this.compact();
    });
  }

  /** Forgets one watch's events, or everything. */
  clear(key?: string): Promise<void> {
    return this.enqueue(async () => {
      if (key === undefined) {
        await fsp.rm(this.file, { force: true });
        this.lines = 0;
        return;
      }
      await this.rewrite((l) => l.k !== key);
    });
  }

  /** Waits for pending writes. */
  flush(): Promise<void> {
    return this.queue;
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(fn).catch((err: Error) => {
      this.lastError = err;
    });
    return this.queue;
  }

  /** Keeps the newest `maxEvents` events (latest version of each). */
  private async compact(): Promise<void> {
    const { watches } = await this.load();
    const all = watches.flatMap((w) => w.events.map((e) => ({ k: w.key, f: w.folder, e })));
    all.sort((a, b) => a.e.timeMs - b.e.timeMs || a.e.serial - b.e.serial);
    const keep = all.slice(Math.max(0, all.length - this.maxEvents));
    await this.writeAll(keep);
  }

  private async rewrite(pred: (l: Line) => boolean): Promise<void> {
    const { watches } = await this.load();
    await this.writeAll(watches.flatMap((w) => w.events.map((e) => ({ k: w.key, f: w.folder, e }))).filter(pred));
  }

  private async writeAll(lines: Line[]): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    await fsp.writeFile(tmp, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : ''), { mode: 0o600 });
    await fsp.rename(tmp, this.file);
    this.lines = lines.length;
  }
}
