/**
 * The Audit Events tree as an `EventSink`: what producers (live watches, analyses, searches) call. Changes go to
 * the model and ask the refresh manager for a render; events that arrive while the view is hidden are counted for
 * its badge. No `vscode` import: unit tests drive it as the live watch will.
 */
import type { AuditEvent, Diagnostic, WatchState } from '../core/types';
import type { TreeModel } from './model';
import type { EventOrigin, EventSink, HealthIssue } from './sink';

/** What the sink needs of the view. */
export interface SinkView {
  readonly visible: boolean;
  /** Shows how many events arrived unseen (0: no badge). */
  showBadge(unseen: number): void;
}

export class TreeSink implements EventSink {
  private unseen = 0;

  constructor(
    private readonly model: TreeModel,
    private readonly view: SinkView,
    /** Asks for a (debounced) render. */
    private readonly request: () => void,
  ) {}

  upsert(origin: EventOrigin, events: readonly AuditEvent[]): void {
    const { added } = this.model.upsert(origin, events);
    // Better versions of events already counted are not news.
    if (added > 0 && !this.view.visible) {
      this.unseen += added;
      this.view.showBadge(this.unseen);
    }
    this.request();
  }

  diagnostics(origin: EventOrigin, diagnostics: readonly Diagnostic[]): void {
    this.model.diagnostics(origin, diagnostics);
    this.request();
  }

  watches(states: readonly WatchState[]): void {
    this.model.watches(states);
    this.request();
  }

  health(issues: readonly HealthIssue[]): void {
    this.model.health(issues);
    this.request();
  }

  clear(origin?: EventOrigin): void {
    this.model.clear(origin);
    this.request();
  }

  /** The view was shown: everything is seen. */
  seen(): void {
    this.unseen = 0;
    this.view.showBadge(0);
  }
}
