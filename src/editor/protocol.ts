/**
 * The Audit Lens viewer's webview protocol: one discriminated union per direction. Requests carry an id the answer
 * echoes; the webview starts with `ready`, the host answers with `init` (size, strings, settings) before any data.
 * Everything here is plain JSON (postMessage); log text travels as strings and is only ever set as textContent.
 */

/** A line of the log: its byte offset, its text (UTF-8 decoded, no newline) and the offset just past its newline. */
export interface LogLine {
  offset: number;
  end: number;
  text: string;
}

/** A run of consecutive lines. */
export interface LinesPage {
  lines: LogLine[];
  /** No lines before the first one returned. */
  atStart: boolean;
  /** No lines after the last one returned (at the current size). */
  atEnd: boolean;
  /** 1-based number of the first returned line, when the index already knows it. */
  firstLine: number | null;
}

export type SearchMode = 'text' | 'regex' | 'field';

/** One search hit: the line, and the matched ranges (string indexes into `text`). */
export interface SearchHit {
  offset: number;
  text: string;
  ranges: [number, number][];
}

/** UI strings, translated on the host (vscode.l10n) and handed over in `init`. */
export type ViewerStrings = Record<
  | 'search'
  | 'searchPlaceholder'
  | 'modeText'
  | 'modeRegex'
  | 'modeField'
  | 'matchCase'
  | 'cancel'
  | 'raw'
  | 'interpreted'
  | 'filterKeys'
  | 'filterTypes'
  | 'applyFilter'
  | 'clearFilter'
  | 'goTo'
  | 'goToPlaceholder'
  | 'follow'
  | 'top'
  | 'end'
  | 'results'
  | 'noResults'
  | 'closeResults'
  | 'searching'
  | 'filtering'
  | 'filtered'
  | 'indexing'
  | 'lines'
  | 'line'
  | 'previousHit'
  | 'nextHit'
  | 'rotated'
  | 'truncated'
  | 'badTime'
  | 'noRecordAtTime',
  string
>;

/** Host → webview. */
export type HostMessage =
  | {
      type: 'init';
      fileName: string;
      path: string;
      size: number;
      strings: ViewerStrings;
      /** uid → user, gid → group of this machine, for the interpreted view (ENRICHED names win). */
      users: [number, string][];
      groups: [number, string][];
      interpreted: boolean;
      /** Where to open: a byte offset (already resolved from a line number). */
      reveal: number | null;
      /** The first page (from `reveal`, else from the start), so the first screen needs no round trip. */
      page: LinesPage;
    }
  | { type: 'error'; message: string; detail?: string }
  | ({ type: 'lines'; reqId: number } & LinesPage)
  | { type: 'linesAt'; reqId: number; lines: LogLine[]; /** 1-based, aligned with `lines`; null where not indexed yet. */ lineNos: (number | null)[] }
  | { type: 'size'; size: number }
  | { type: 'reset'; size: number; reason: 'rotated' | 'truncated' }
  | { type: 'index'; lines: number; bytes: number; done: boolean }
  | { type: 'reveal'; offset: number }
  | { type: 'searchHits'; searchId: number; hits: SearchHit[]; scanned: number; total: number; done: boolean; capped: boolean; error?: string }
  | { type: 'filterHits'; filterId: number; offsets: number[]; scanned: number; total: number; done: boolean; error?: string }
  | { type: 'jumpResult'; reqId: number; offset: number | null; error?: string };

/** Webview → host. */
export type ViewMessage =
  | { type: 'ready' }
  /** When the steps of the first screen happened in the webview (performance.timeOrigin + now()), sent once. */
  | { type: 'marks'; marks: Record<string, number> }
  /** Lines starting with the line that contains `offset` (forward), or ending just before `offset` (backward). */
  | { type: 'getLines'; reqId: number; offset: number; direction: 'forward' | 'backward'; count: number }
  /** The lines starting at these offsets (a filtered view's rows). */
  | { type: 'getLinesAt'; reqId: number; offsets: number[] }
  | { type: 'search'; searchId: number; query: string; mode: SearchMode; caseSensitive: boolean }
  | { type: 'cancelSearch'; searchId: number }
  | { type: 'filter'; filterId: number; keys: string[]; types: string[] }
  | { type: 'cancelFilter'; filterId: number }
  /** A time (ISO 8601, `today`, `MM/DD/YYYY HH:MM:SS`, epoch seconds) or a byte offset (`@123` or `0x…`). */
  | { type: 'jump'; reqId: number; target: string }
  | { type: 'follow'; on: boolean }
  | { type: 'interpreted'; on: boolean };
