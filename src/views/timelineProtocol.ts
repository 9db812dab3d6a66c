/**
 * Messages between the extension host and the timeline webview (media/timeline/timeline.ts). Plain types, shared
 * by both bundles. Every text the webview shows comes in these messages (translated and formatted by the host,
 * in the host's time zone like the tree) and is set with textContent, never as HTML.
 */

/** One bar: its interval and its counts by kind (in the order of `TimelineData.kinds`). */
export interface TimelineBar {
  start: number;
  end: number;
  counts: number[];
  total: number;
  /** "2026-11-28 02:41:30 – 02:41:40: 12 deleted, 1 failed attempt" (for the tooltip and screen readers). */
  label: string;
}

/** What the chart draws. */
export interface TimelineData {
  /** Kinds that occur, in stacking order, with their legend text and a CSS background of theme colors. */
  kinds: { kind: string; label: string; color: string }[];
  bars: TimelineBar[];
  /** Text under the chart's left and right ends. */
  from: string;
  to: string;
  /** The heading: "240 events · 10 s per bar". */
  summary: string;
  /** Present while the tree is filtered to a time range: the reset button's label. */
  resetLabel?: string;
  /** Shown instead of a chart when there is nothing to draw. */
  empty?: string;
}

/** Host → webview. */
export type ToTimeline = { type: 'data'; data: TimelineData };

/** Webview → host. `ready` once its script runs; `select` when a bar is clicked; `reset` for the reset button. */
export type FromTimeline = { type: 'ready' } | { type: 'select'; since: number; until: number } | { type: 'reset' };
