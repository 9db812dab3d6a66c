/**
 * The one refresh manager of the Audit Events tree: every change (a batch from a watch or an analysis, a filter,
 * a page loaded) asks for a render; renders are debounced (one per `delayMs`, never later than `maxDelayMs` after
 * the first request) and happen only while a view is visible. A hidden view keeps one pending render for when it
 * is shown again. No `vscode` import: the unit tests drive it with a fake clock.
 */
export interface RefreshOptions {
  delayMs: number;
  maxDelayMs: number;
  /** Timers (injectable for tests). */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
}

export class RefreshManager {
  private timer: unknown;
  private firstRequest = 0;
  private pending = false;
  private disposed = false;
  private readonly set: (fn: () => void, ms: number) => unknown;
  private readonly clear: (handle: unknown) => void;
  private readonly now: () => number;

  constructor(
    private readonly render: () => void,
    private readonly visible: () => boolean,
    private readonly opts: RefreshOptions,
  ) {
    this.set = opts.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clear = opts.clearTimeout ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.now = opts.now ?? Date.now;
  }

  /** Asks for a render soon. */
  request(): void {
    if (this.disposed) return;
    if (!this.pending) this.firstRequest = this.now();
    this.pending = true;
    if (!this.visible()) return;
    if (this.timer !== undefined) this.clear(this.timer);
    const wait = Math.max(0, Math.min(this.opts.delayMs, this.firstRequest + this.opts.maxDelayMs - this.now()));
    this.timer = this.set(() => this.flush(), wait);
  }

  /** Renders now if a render is pending (a view was shown, or a user action wants an immediate answer). */
  flush(): void {
    if (this.timer !== undefined) this.clear(this.timer);
    this.timer = undefined;
    if (!this.pending || this.disposed || !this.visible()) return;
    this.pending = false;
    this.render();
  }

  /** Whether a render is waiting (for a view to be shown, or for its timer). */
  get isPending(): boolean {
    return this.pending;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clear(this.timer);
    this.timer = undefined;
  }
}
