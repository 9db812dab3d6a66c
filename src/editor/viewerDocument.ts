/**
 * One open log in the Audit Lens viewer: its ByteSource (one handle), the background line index, and a size watch
 * that tells the panels when the log grows (tail), shrinks (truncated) or is rotated away (followed when asked).
 */
import * as vscode from 'vscode';
import type { ByteSource, PrivilegedAccess } from '../helper/privileged';
import { errorText, log } from '../log';
import { LocalByteSource, openLog, OpenError } from './byteSource';
import { LineIndex } from './lineIndex';

/** How long after the first screen the line index starts. */
const INDEX_DELAY_MS = 1000;
/** How often the size of an open log is checked (growth, truncation, rotation). */
const WATCH_MS = 1000;

/** What a panel hears from its document. */
export interface DocumentListener {
  onSize(size: number): void;
  onReset(size: number, reason: 'rotated' | 'truncated'): void;
  onIndex(lines: number, bytes: number, done: boolean): void;
  /** Whether this panel follows the end of the log (and so wants rotation followed). */
  readonly following: boolean;
}

export class ViewerDocument implements vscode.CustomDocument {
  private source: ByteSource | null = null;
  private openError: OpenError | null = null;
  index: LineIndex | null = null;
  size = 0;
  private readonly listeners = new Set<DocumentListener>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private disposed = false;
  /** When VS Code asked for the document, and when it was open (Date.now(), for the first screen's marks). */
  readonly openedAtWall = Date.now();
  readyAtWall = 0;

  private constructor(readonly uri: vscode.Uri) {}

  /** Opens the log; an error to open is kept and shown by the panels (never thrown at VS Code). */
  static async open(uri: vscode.Uri, privileged: PrivilegedAccess | undefined): Promise<ViewerDocument> {
    const doc = new ViewerDocument(uri);
    try {
      doc.attach(await openLog(uri.fsPath, privileged));
      doc.size = await doc.source!.size();
    } catch (err) {
      doc.openError = err instanceof OpenError ? err : new OpenError(errorText(err), (err as NodeJS.ErrnoException).code);
      log.warn(`viewer: cannot open ${uri.fsPath}: ${errorText(err)}`);
    }
    doc.readyAtWall = Date.now();
    return doc;
  }

  /** The open source, or the reason there is none. */
  get bytes(): ByteSource | null {
    return this.source;
  }

  get error(): OpenError | null {
    return this.openError;
  }

  private attach(src: ByteSource): void {
    this.source = src;
    this.index?.stop();
    this.index = new LineIndex(src, (lines, bytes, done) => {
      for (const l of this.listeners) l.onIndex(lines, bytes, done);
    });
    // Indexing starts when a panel has its first screen (startIndex), so it never delays that screen.
    if (this.listeners.size > 0) void this.index.update();
  }

  /** Starts (or resumes) the background line index, a moment after the first screen so it does not slow it down. */
  startIndex(): void {
    setTimeout(() => {
      if (!this.disposed) void this.index?.update();
    }, INDEX_DELAY_MS);
  }

  /** Adds a panel; the size watch runs while any panel is open. */
  listen(l: DocumentListener): vscode.Disposable {
    this.listeners.add(l);
    this.timer ??= setInterval(() => void this.check(), WATCH_MS);
    return new vscode.Disposable(() => {
      this.listeners.delete(l);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
  }

  /** Checks the size now (also called when a panel starts following). */
  async check(): Promise<void> {
    if (!this.source || this.checking || this.disposed) return;
    this.checking = true;
    try {
      const following = [...this.listeners].some((l) => l.following);
      if (following && this.source instanceof LocalByteSource && (await this.source.replaced())) {
        // Rotated (audit.log → audit.log.1): the followed log is the new file at the same path.
        const next = await LocalByteSource.open(this.uri.fsPath);
        const old = this.source;
        this.attach(next);
        void old.close();
        this.size = await next.size();
        log.info(`viewer: ${this.uri.fsPath} was rotated; following the new file`);
        for (const l of this.listeners) l.onReset(this.size, 'rotated');
        return;
      }
      const size = await this.source.size();
      if (size < this.size) {
        this.size = size;
        this.index?.reset();
        void this.index?.update();
        for (const l of this.listeners) l.onReset(size, 'truncated');
      } else if (size > this.size) {
        this.size = size;
        void this.index?.update();
        for (const l of this.listeners) l.onSize(size);
      }
    } catch (err) {
      log.warn(`viewer: checking ${this.uri.fsPath}: ${errorText(err)}`);
    } finally {
      this.checking = false;
    }
  }

  /** The byte offset of a 1-based line, waiting for the index to get there; null past the end. */
  async offsetOfLine(line: number): Promise<number | null> {
    const index = this.index;
    if (!index) return null;
    for (;;) {
      const at = await index.offsetOf(line);
      if (at !== null) return at;
      if (index.indexedBytes >= this.size) return null;
      await index.update();
      if (index.indexedBytes >= this.size && (await index.offsetOf(line)) === null) return null;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.index?.stop();
    void this.source?.close().catch(() => undefined);
    this.source = null;
  }
}
