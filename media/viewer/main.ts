/**
 * The Audit Lens viewer's webview: renders only the rows on screen, owns its scrollbar, asks the host for lines by
 * byte offset, and shows searches, filters and jumps the host runs. Log text is hostile: it is only ever assigned
 * to `textContent` (and `title`), never parsed as HTML. Protocol: src/editor/protocol.ts.
 */
import { explainValue, interpretedSegments, lineContext, rawSegments, type IdNames, type Segment } from '../../src/core/explain';
import { parseLine } from '../../src/core/tokenize';
import { regexRanges } from '../../src/editor/ranges';
import type { HostMessage, LinesPage, LogLine, SearchHit, SearchMode, ViewerStrings, ViewMessage } from '../../src/editor/protocol';

interface State {
  offset: number;
}

/** Wall-clock time (comparable with the host's Date.now()). */
const wallNow = (): number => performance.timeOrigin + performance.now();
/** When the steps of the first screen happened here; sent to the host once the first rows are painted. */
const marks: Record<string, number> = { navigation: performance.timeOrigin, script: wallNow() };

declare function acquireVsCodeApi(): { postMessage(m: ViewMessage): void; getState(): State | undefined; setState(s: State): void };
const vscode = acquireVsCodeApi();
const post = (m: ViewMessage): void => vscode.postMessage(m);

/** Lines asked for per page, and the most kept in the window around the screen. */
const PAGE = 400;
const MAX_WINDOW = 4000;
/** Lines cached for a filtered view. */
const MAX_CACHE = 6000;

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers: elements are built here, text goes in through textContent only.

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, title: string, onClick: () => void, cls = ''): HTMLButtonElement {
  const b = el('button', cls, label);
  b.title = title;
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function fmt(template: string, ...args: (string | number)[]): string {
  return args.reduce<string>((s, a, i) => s.replace(`{${i}}`, String(a)), template);
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

// ---------------------------------------------------------------------------------------------------------------
// State

let S: ViewerStrings;
let ids: IdNames = { users: new Map(), groups: new Map() };
let size = 0;
let fileName = '';
let interpreted = false;
let following = false;
let indexedLines = 0;
let indexedBytes = 0;
let indexDone = false;

/** The window of consecutive lines around the screen (file view). */
let lines: LogLine[] = [];
let atStart = true;
let atEnd = true;
/** Line number of lines[0] (1-based), when known. */
let firstLine: number | null = null;
/** Index in `lines` of the top row. */
let top = 0;
/** Bumped on every jump: answers to older requests are dropped. */
let generation = 0;
let loadingBack = false;
let loadingFwd = false;
/** The row to flash after a jump. */
let target: number | null = null;
/** Rows of context to show above a revealed line once the lines before it have come. */
let contextRows = 0;
const CONTEXT_ROWS = 3;

/** A filtered view: the matching lines' offsets, in file order. */
let filter: { id: number; offsets: number[]; top: number; done: boolean; scanned: number; total: number } | null = null;
const cache = new Map<number, LogLine>();
/** Line numbers of the cached lines (filtered view), where the host's index had them. */
const cacheLineNos = new Map<number, number>();
let cacheWanted = new Set<number>();
let cacheLoading = false;

/** The current search. */
let search: { id: number; query: string; mode: SearchMode; caseSensitive: boolean; hits: SearchHit[]; done: boolean; capped: boolean; scanned: number; total: number; current: number; error?: string } | null = null;
/** Offsets of the current search's hits. */
const hitOffsets = new Set<number>();
let nextId = 1;
const pending = new Map<number, (m: HostMessage) => void>();

function request<T extends HostMessage>(m: ViewMessage & { reqId: number }, onAnswer: (a: T) => void): void {
  pending.set(m.reqId, onAnswer as (a: HostMessage) => void);
  post(m);
}

// ---------------------------------------------------------------------------------------------------------------
// Layout

const app = document.getElementById('app')!;
const bar1 = el('div', 'toolbar');
const bar2 = el('div', 'toolbar');
const status = el('div', 'status');
const main = el('div', 'main');
const viewport = el('div', 'viewport');
const rowsBox = el('div', 'rows');
const scrollbar = el('div', 'scrollbar');
const thumb = el('div', 'thumb');
const results = el('div', 'results hidden');
const resultsHead = el('div', 'results-head');
const resultsList = el('div', 'results-list');
const errorBox = el('div', 'error hidden');
viewport.tabIndex = 0;
viewport.append(rowsBox);
scrollbar.append(thumb);
main.append(viewport, scrollbar);
results.append(resultsHead, resultsList);
app.append(errorBox, bar1, bar2, status, main, results);

const searchInput = el('input', 'search-input');
const modeSelect = el('select', 'mode');
const caseBox = el('input');
caseBox.type = 'checkbox';
const keysInput = el('input', 'filter-keys');
const typesInput = el('input', 'filter-types');
const gotoInput = el('input', 'goto-input');
const followBox = el('input');
followBox.type = 'checkbox';
let rawBtn: HTMLButtonElement;
let interpBtn: HTMLButtonElement;

let rowHeight = 18;
let rowsOnScreen = 20;

function buildToolbars(): void {
  searchInput.placeholder = S.searchPlaceholder;
  searchInput.setAttribute('aria-label', S.search);
  for (const [v, label] of [
    ['text', S.modeText],
    ['regex', S.modeRegex],
    ['field', S.modeField],
  ] as const) {
    const o = el('option', '', label);
    o.value = v;
    modeSelect.append(o);
  }
  const caseLabel = el('label', 'check');
  caseLabel.append(caseBox, document.createTextNode(S.matchCase));
  bar1.append(
    searchInput,
    modeSelect,
    caseLabel,
    button(S.search, S.search, startSearch, 'primary search-btn'),
    button(S.cancel, S.cancel, cancelSearch, 'cancel-btn'),
    button('↑', S.previousHit, () => stepHit(-1), 'prev-hit'),
    button('↓', S.nextHit, () => stepHit(1), 'next-hit'),
    el('span', 'sep'),
  );
  rawBtn = button(S.raw, S.raw, () => setInterpreted(false), 'seg raw-btn');
  interpBtn = button(S.interpreted, S.interpreted, () => setInterpreted(true), 'seg interp-btn');
  bar1.append(rawBtn, interpBtn);
  // The placeholders are also tooltips: a narrow editor cuts them.
  for (const [input, text] of [[searchInput, searchInput.placeholder], [keysInput, S.filterKeys], [typesInput, S.filterTypes], [gotoInput, S.goToPlaceholder]] as const) {
    input.placeholder = text;
    input.title = text;
  }
  const followLabel = el('label', 'check');
  followLabel.append(followBox, document.createTextNode(S.follow));
  bar2.append(
    keysInput,
    typesInput,
    button(S.applyFilter, S.applyFilter, startFilter, 'filter-btn'),
    button(S.clearFilter, S.clearFilter, clearFilter, 'clear-filter-btn'),
    el('span', 'sep'),
    gotoInput,
    button(S.goTo, S.goTo, jump, 'goto-btn'),
    el('span', 'sep'),
    button(S.top, S.top, () => revealOffset(0), 'top-btn'),
    button(S.end, S.end, goEnd, 'end-btn'),
    followLabel,
  );
  searchInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.shiftKey ? stepHit(-1) : search && search.query === searchInput.value ? stepHit(1) : startSearch();
    if (e.key === 'Escape') cancelSearch();
  });
  gotoInput.addEventListener('keydown', (e) => e.key === 'Enter' && jump());
  for (const i of [keysInput, typesInput]) i.addEventListener('keydown', (e) => e.key === 'Enter' && startFilter());
  followBox.addEventListener('change', () => setFollow(followBox.checked));
  updateModeButtons();
}

function updateModeButtons(): void {
  rawBtn.classList.toggle('on', !interpreted);
  interpBtn.classList.toggle('on', interpreted);
  rawBtn.setAttribute('aria-pressed', String(!interpreted));
  interpBtn.setAttribute('aria-pressed', String(interpreted));
}

function measure(): void {
  const probe = el('div', 'row', 'Xg');
  rowsBox.append(probe);
  rowHeight = Math.max(12, probe.getBoundingClientRect().height || 18);
  probe.remove();
  measuredHeight = viewport.clientHeight;
  rowsOnScreen = Math.max(1, Math.floor(measuredHeight / rowHeight));
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const rowPool: HTMLDivElement[] = [];

/** Classes and text pieces for one line; matched search ranges are marked. */
function renderLine(row: HTMLDivElement, line: LogLine | undefined, lineNo: number | null, prevId: string | null): string | null {
  row.className = 'row';
  row.replaceChildren();
  const gutter = el('span', 'gutter', lineNo === null ? '' : String(lineNo));
  const text = el('span', 'text');
  row.append(gutter, text);
  if (!line) {
    row.classList.add('loading');
    text.textContent = '…';
    row.removeAttribute('data-offset');
    return prevId;
  }
  row.dataset.offset = String(line.offset);
  const h = parseLine(line.text).header;
  const id = h ? `${h.node ?? ''}:${h.timeText}:${h.serial}` : null;
  if (h) {
    if (id !== prevId) row.classList.add('ev-start');
    if (h.serial % 2 === 1) row.classList.add('band');
  }
  if (target === line.offset) row.classList.add('target');
  if (search && search.hits.length > 0 && search.hits[search.current]?.offset === line.offset) row.classList.add('current-hit');
  const segs: Segment[] = (interpreted ? interpretedSegments(line.text, ids) : rawSegments(line.text)).map((s) =>
    // The ENRICHED separator (\x1d) has no glyph: show a thin bar in its place (one character, so offsets hold).
    s.kind === 'separator' ? { text: '\u2502', kind: s.kind } : s,
  );
  const shown = segs.map((s) => s.text).join('');
  // A field=value search may match through a decoded or interpreted value: mark only rows the host found.
  const marks = search?.mode === 'field' && !hitOffsets.has(line.offset) ? [] : matchRanges(shown);
  // Hover titles (what a value means) are made when the pointer first enters the row (addTitles), not here.
  rowLine.set(row, interpreted || !h ? null : line);
  let at = 0;
  let mi = 0;
  for (const s of segs) {
    const start = at;
    const end = at + s.text.length;
    at = end;
    // Split the segment where search matches begin and end.
    let p = start;
    while (p < end) {
      while (mi < marks.length && marks[mi][1] <= p) mi++;
      const m = marks[mi];
      let q = end;
      let hit = false;
      if (m && m[0] <= p) {
        hit = true;
        q = Math.min(end, m[1]);
      } else if (m && m[0] < end) q = m[0];
      const span = el('span', s.kind ? `tk-${s.kind}` : '', shown.slice(p, q));
      if (hit) span.classList.add('match');
      text.append(span);
      p = q;
    }
  }
  return id;
}

/** The raw line a row shows, until its hover titles are made (null: nothing to explain). */
const rowLine = new WeakMap<HTMLDivElement, LogLine | null>();

/**
 * Hover titles (raw view): what a value means, e.g. the argv of a hex proctitle. Made for a row when the pointer
 * first enters it: explaining every field of every row would cost the first screen a few ms per screenful.
 */
function addTitles(row: HTMLDivElement): void {
  const line = rowLine.get(row);
  if (!line) return;
  rowLine.set(row, null);
  const ctx = lineContext(line.text);
  const titles: [number, number, string][] = [];
  for (const f of ctx.parsed.fields) {
    if (f.name === '' || f.enriched) continue;
    const e = explainValue(f.name, line.text.slice(f.valueStart, f.valueEnd), ctx, ids);
    if (e) titles.push([f.valueStart, f.valueEnd, e.detail.join('\n')]);
  }
  if (titles.length === 0) return;
  // Raw segments keep the line's string indexes (the separator is replaced one character for one).
  let at = 0;
  for (const span of Array.from(row.querySelectorAll<HTMLSpanElement>('.text > span'))) {
    const t = titles.find(([s, e]) => at >= s && at < e);
    if (t) span.title = t[2];
    at += span.textContent?.length ?? 0;
  }
}

/** The search's matches in displayed text (string indexes), for highlighting rows. */
let markRe: RegExp | null = null;
function matchRanges(text: string): [number, number][] {
  return markRe ? regexRanges(markRe, text) : [];
}

function setMarks(query: string, mode: SearchMode, caseSensitive: boolean): void {
  const flags = caseSensitive ? 'g' : 'gi';
  try {
    if (mode === 'text') markRe = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags);
    else if (mode === 'regex') markRe = new RegExp(query, flags);
    else {
      const names = [...query.matchAll(/([A-Za-z0-9_\-[\]]+)=/g)].map((m) => m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      markRe = names.length ? new RegExp(`(?<![\\w-])(?:${names.join('|')})=("[^"]*"|[^ ]*)`, 'gi') : null;
    }
  } catch {
    markRe = null;
  }
}

function render(): void {
  const n = rowsOnScreen;
  while (rowPool.length < n) {
    const r = el('div', 'row');
    rowPool.push(r);
  }
  if (rowsBox.childElementCount !== n) rowsBox.replaceChildren(...rowPool.slice(0, n));
  if (filter) {
    const want: number[] = [];
    for (let i = 0; i < n; i++) {
      const off = filter.offsets[filter.top + i];
      const row = rowPool[i];
      if (off === undefined) {
        row.className = 'row empty';
        row.replaceChildren();
        row.removeAttribute('data-offset');
        continue;
      }
      const line = cache.get(off);
      if (!line) want.push(off);
      renderLine(row, line, cacheLineNos.get(off) ?? null, null);
    }
    if (want.length) loadCache(want);
  } else {
    let prevId: string | null = null;
    if (top > 0 && lines[top - 1]) {
      const h = parseLine(lines[top - 1].text).header;
      prevId = h ? `${h.node ?? ''}:${h.timeText}:${h.serial}` : null;
    }
    for (let i = 0; i < n; i++) {
      const idx = top + i;
      const line = lines[idx];
      const row = rowPool[i];
      if (!line) {
        row.className = 'row empty';
        row.replaceChildren();
        row.removeAttribute('data-offset');
        continue;
      }
      prevId = renderLine(row, line, firstLine === null ? null : firstLine + idx, prevId);
    }
  }
  renderScrollbar();
  renderStatus();
}

function renderScrollbar(): void {
  const track = scrollbar.clientHeight;
  let frac: number;
  let visible: number;
  if (filter) {
    const count = Math.max(1, filter.offsets.length);
    frac = filter.top / count;
    visible = rowsOnScreen / count;
  } else {
    const off = lines[top]?.offset ?? 0;
    frac = size > 0 ? off / size : 0;
    const avg = lines.length > 1 ? (lines[lines.length - 1].end - lines[0].offset) / lines.length : 300;
    visible = size > 0 ? (rowsOnScreen * avg) / size : 1;
    if (atEnd && top >= lines.length - rowsOnScreen) frac = 1 - Math.min(1, visible);
  }
  const h = Math.max(24, Math.min(track, visible * track));
  thumb.style.height = `${h}px`;
  thumb.style.top = `${Math.max(0, Math.min(track - h, frac * track))}px`;
  scrollbar.classList.toggle('hidden', visible >= 1 && !filter && atStart && atEnd);
}

function renderStatus(): void {
  const parts: string[] = [fileName, fmtBytes(size)];
  if (filter) {
    parts.push(fmt(S.filtered, filter.offsets.length.toLocaleString()) + (filter.done ? '' : ` · ${fmt(S.filtering, pct(filter.scanned, filter.total))}`));
  } else {
    const l = lines[top];
    if (l) parts.push(`@${l.offset} (${size > 0 ? ((100 * l.offset) / size).toFixed(1) : '0'}%)`);
    if (firstLine !== null) parts.push(fmt(S.line, firstLine + top));
  }
  if (indexDone) parts.push(fmt(S.lines, indexedLines.toLocaleString()));
  else if (size > 0) parts.push(fmt(S.indexing, pct(indexedBytes, size)));
  status.textContent = parts.join(' · ');
}

function pct(a: number, b: number): number {
  return b > 0 ? Math.floor((100 * a) / b) : 100;
}

// ---------------------------------------------------------------------------------------------------------------
// The file view: a window of lines, paged in both directions.

function setWindow(page: LinesPage): void {
  lines = page.lines;
  atStart = page.atStart;
  atEnd = page.atEnd;
  firstLine = page.firstLine;
  top = 0;
}

function clampTop(): void {
  const max = Math.max(0, lines.length - (atEnd ? rowsOnScreen : 1));
  top = Math.max(0, Math.min(top, max));
}

/** Loads more lines around the screen when it nears the window's edges. */
function ensure(): void {
  const gen = generation;
  if (!loadingBack && !atStart && top < rowsOnScreen * 2 && lines.length > 0) {
    loadingBack = true;
    const reqId = nextId++;
    request<Extract<HostMessage, { type: 'lines' }>>({ type: 'getLines', reqId, offset: lines[0].offset, direction: 'backward', count: PAGE }, (a) => {
      loadingBack = false;
      if (gen !== generation) return;
      const fresh = a.lines.filter((l) => l.end <= lines[0].offset);
      lines = fresh.concat(lines);
      top += fresh.length;
      if (contextRows > 0) {
        top = Math.max(0, top - contextRows);
        contextRows = 0;
      }
      atStart = a.atStart;
      firstLine = firstLine !== null ? firstLine - fresh.length : a.firstLine;
      if (lines.length > MAX_WINDOW) {
        lines.length = MAX_WINDOW;
        atEnd = false;
      }
      render();
      ensure();
    });
  }
  if (!loadingFwd && !atEnd && top + rowsOnScreen * 3 > lines.length && lines.length > 0) {
    loadingFwd = true;
    const reqId = nextId++;
    const last = lines[lines.length - 1];
    request<Extract<HostMessage, { type: 'lines' }>>({ type: 'getLines', reqId, offset: last.end, direction: 'forward', count: PAGE }, (a) => {
      loadingFwd = false;
      if (gen !== generation) return;
      const lastEnd = lines[lines.length - 1]?.end ?? 0;
      lines = lines.concat(a.lines.filter((l) => l.offset >= lastEnd));
      atEnd = a.atEnd;
      if (lines.length > MAX_WINDOW) {
        const drop = lines.length - MAX_WINDOW;
        lines.splice(0, drop);
        top -= drop;
        atStart = false;
        if (firstLine !== null) firstLine += drop;
      }
      render();
      ensure();
    });
  }
}

/** Moves the screen by `n` rows (negative: up). */
function scrollRows(n: number): void {
  if (n < 0 && following) setFollow(false);
  if (filter) {
    filter.top = Math.max(0, Math.min(filter.top + n, Math.max(0, filter.offsets.length - rowsOnScreen)));
  } else {
    top += n;
    clampTop();
    ensure();
  }
  render();
  saveState();
}

/** Shows the line holding byte `offset` at the top (a little below, so what precedes it shows too). */
function revealOffset(offset: number, flash = false): void {
  if (filter) clearFilter(false);
  generation++;
  const gen = generation;
  target = flash ? offset : null;
  contextRows = flash ? CONTEXT_ROWS : 0;
  const reqId = nextId++;
  request<Extract<HostMessage, { type: 'lines' }>>({ type: 'getLines', reqId, offset, direction: 'forward', count: PAGE }, (a) => {
    if (gen !== generation) return;
    setWindow(a);
    if (flash && a.lines[0]) target = a.lines[0].offset;
    loadingBack = loadingFwd = false;
    render();
    ensure();
    saveState();
  });
}

function goEnd(): void {
  if (filter) {
    filter.top = Math.max(0, filter.offsets.length - rowsOnScreen);
    render();
    return;
  }
  generation++;
  const gen = generation;
  const reqId = nextId++;
  request<Extract<HostMessage, { type: 'lines' }>>({ type: 'getLines', reqId, offset: size, direction: 'backward', count: Math.max(PAGE, rowsOnScreen * 2) }, (a) => {
    if (gen !== generation) return;
    setWindow(a);
    atEnd = true;
    top = Math.max(0, lines.length - rowsOnScreen);
    loadingBack = loadingFwd = false;
    render();
    ensure();
    saveState();
  });
}

function setFollow(on: boolean): void {
  following = on;
  followBox.checked = on;
  post({ type: 'follow', on });
  if (on) goEnd();
}

function setInterpreted(on: boolean): void {
  interpreted = on;
  updateModeButtons();
  post({ type: 'interpreted', on });
  render();
}

let saveTimer: number | undefined;
function saveState(): void {
  if (saveTimer !== undefined) return;
  saveTimer = window.setTimeout(() => {
    saveTimer = undefined;
    const off = filter ? filter.offsets[filter.top] : lines[top]?.offset;
    if (off !== undefined) vscode.setState({ offset: off });
  }, 300);
}

// ---------------------------------------------------------------------------------------------------------------
// Filtered view

function loadCache(offsets: number[]): void {
  for (const o of offsets) cacheWanted.add(o);
  if (cacheLoading) return;
  const batch = [...cacheWanted].slice(0, 400);
  cacheWanted = new Set([...cacheWanted].slice(400));
  if (batch.length === 0) return;
  cacheLoading = true;
  const reqId = nextId++;
  request<Extract<HostMessage, { type: 'linesAt' }>>({ type: 'getLinesAt', reqId, offsets: batch }, (a) => {
    cacheLoading = false;
    a.lines.forEach((l, i) => {
      cache.set(l.offset, l);
      const n = a.lineNos[i];
      if (n !== null && n !== undefined) cacheLineNos.set(l.offset, n);
    });
    while (cache.size > MAX_CACHE) {
      const old = cache.keys().next().value as number;
      cache.delete(old);
      cacheLineNos.delete(old);
    }
    render();
    if (cacheWanted.size > 0) loadCache([]);
  });
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function startFilter(): void {
  const keys = splitList(keysInput.value);
  const types = splitList(typesInput.value).map((t) => t.toUpperCase());
  if (keys.length === 0 && types.length === 0) {
    clearFilter();
    return;
  }
  if (filter) post({ type: 'cancelFilter', filterId: filter.id });
  filter = { id: nextId++, offsets: [], top: 0, done: false, scanned: 0, total: size };
  cache.clear();
  cacheLineNos.clear();
  post({ type: 'filter', filterId: filter.id, keys, types });
  app.classList.add('filtered');
  render();
}

function clearFilter(rerender = true): void {
  if (!filter) return;
  const at = filter.offsets[filter.top];
  post({ type: 'cancelFilter', filterId: filter.id });
  filter = null;
  app.classList.remove('filtered');
  if (rerender) revealOffset(at ?? lines[top]?.offset ?? 0);
}

function mergeSorted(a: number[], b: number[]): number[] {
  if (b.length === 0) return a;
  if (a.length === 0 || a[a.length - 1] < b[0]) return a.concat(b);
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (out[out.length - 1] !== x) out.push(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Search

function startSearch(): void {
  const query = searchInput.value;
  if (!query) return;
  if (search && !search.done) post({ type: 'cancelSearch', searchId: search.id });
  let mode = modeSelect.value as SearchMode;
  let q = query;
  // /…/ is a regex, as the placeholder says: in text mode, and in regex mode the slashes are not part of it.
  if ((mode === 'text' || mode === 'regex') && q.length > 2 && q.startsWith('/') && q.endsWith('/')) {
    mode = 'regex';
    q = q.slice(1, -1);
  }
  search = { id: nextId++, query, mode, caseSensitive: caseBox.checked, hits: [], done: false, capped: false, scanned: 0, total: size, current: -1 };
  setMarks(q, mode, caseBox.checked);
  hitOffsets.clear();
  resultsList.replaceChildren();
  results.classList.remove('hidden');
  post({ type: 'search', searchId: search.id, query: q, mode, caseSensitive: caseBox.checked });
  renderResultsHead();
  relayout();
  render();
}

function cancelSearch(): void {
  if (!search) return;
  if (!search.done) {
    post({ type: 'cancelSearch', searchId: search.id });
    search.done = true;
    renderResultsHead();
  } else {
    search = null;
    markRe = null;
    results.classList.add('hidden');
    relayout();
    render();
  }
}

/** Stops the search (if running) and closes its results. */
function closeResults(): void {
  if (!search) return;
  if (!search.done) post({ type: 'cancelSearch', searchId: search.id });
  search.done = true;
  cancelSearch();
}

function renderResultsHead(): void {
  if (!search) return;
  resultsHead.replaceChildren(button('×', S.closeResults, closeResults, 'close-results'));
  const count = search.hits.length;
  let text = search.error ?? (count === 0 && search.done ? S.noResults : fmt(S.results, count.toLocaleString() + (search.capped ? '+' : '')));
  if (!search.done) text += ` · ${fmt(S.searching, pct(search.scanned, search.total))}`;
  resultsHead.append(el('span', search.error ? 'error-text' : 'count', text));
  if (!search.done) {
    const bar = el('span', 'progress');
    const fill = el('span', 'fill');
    fill.style.width = `${pct(search.scanned, search.total)}%`;
    bar.append(fill);
    resultsHead.append(bar);
  }
}

function addHits(hits: SearchHit[]): void {
  if (!search) return;
  const frag = document.createDocumentFragment();
  for (const hit of hits) {
    const i = search.hits.length;
    search.hits.push(hit);
    hitOffsets.add(hit.offset);
    const row = el('div', 'hit');
    row.dataset.offset = String(hit.offset);
    row.dataset.index = String(i);
    // The hit's text with its matches marked (the first 400 characters: enough to recognise a record).
    const text = hit.text.slice(0, 400).replace(/\x1d/g, '\u2502');
    let at = 0;
    for (const [s, e] of hit.ranges) {
      if (s >= text.length) break;
      if (s > at) row.append(el('span', '', text.slice(at, s)));
      row.append(el('span', 'match', text.slice(s, Math.min(e, text.length))));
      at = Math.min(e, text.length);
    }
    if (at < text.length) row.append(el('span', '', text.slice(at)));
    row.addEventListener('click', () => gotoHit(i));
    frag.append(row);
  }
  resultsList.append(frag);
}

function gotoHit(i: number): void {
  if (!search || i < 0 || i >= search.hits.length) return;
  resultsList.querySelector('.hit.current')?.classList.remove('current');
  search.current = i;
  const row = resultsList.querySelector(`.hit[data-index="${i}"]`);
  row?.classList.add('current');
  row?.scrollIntoView({ block: 'nearest' });
  revealOffset(search.hits[i].offset, true);
}

function stepHit(d: number): void {
  if (!search || search.hits.length === 0) return;
  gotoHit((search.current + d + search.hits.length) % search.hits.length);
}

// ---------------------------------------------------------------------------------------------------------------
// Jumps

function jump(): void {
  const t = gotoInput.value.trim();
  if (!t) return;
  const reqId = nextId++;
  request<Extract<HostMessage, { type: 'jumpResult' }>>({ type: 'jump', reqId, target: t }, (a) => {
    gotoInput.classList.toggle('invalid', a.offset === null);
    gotoInput.title = a.error ?? '';
    if (a.offset !== null) revealOffset(a.offset, true);
    else status.textContent = a.error ?? '';
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Input: wheel, keys, the scrollbar.

viewport.addEventListener(
  'wheel',
  (e) => {
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) return; // horizontal: let the viewport scroll sideways
    e.preventDefault();
    const rows = e.deltaMode === 1 ? e.deltaY : e.deltaMode === 2 ? e.deltaY * rowsOnScreen : e.deltaY / rowHeight;
    wheelRest += rows;
    const whole = Math.trunc(wheelRest);
    wheelRest -= whole;
    if (whole !== 0) scrollRows(whole);
  },
  { passive: false },
);
let wheelRest = 0;

viewport.addEventListener('keydown', (e) => {
  const page = Math.max(1, rowsOnScreen - 1);
  const keys: Record<string, () => void> = {
    ArrowDown: () => scrollRows(1),
    ArrowUp: () => scrollRows(-1),
    PageDown: () => scrollRows(page),
    PageUp: () => scrollRows(-page),
    Home: () => (filter ? scrollRows(-filter.top) : revealOffset(0)),
    End: () => goEnd(),
    F3: () => stepHit(e.shiftKey ? -1 : 1),
  };
  if (keys[e.key]) {
    e.preventDefault();
    keys[e.key]();
  }
});

document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'f') {
    e.preventDefault();
    searchInput.focus();
    searchInput.select();
  }
});

rowsBox.addEventListener('pointerover', (e) => {
  const row = (e.target as HTMLElement).closest('.row') as HTMLDivElement | null;
  if (row) addTitles(row);
});

rowsBox.addEventListener('dblclick', (e) => {
  // In a filtered view, a double click shows the record in the whole log.
  const row = (e.target as HTMLElement).closest('.row') as HTMLElement | null;
  if (filter && row?.dataset.offset) {
    const off = Number(row.dataset.offset);
    clearFilter(false);
    revealOffset(off, true);
  }
});

let dragging: { startY: number; startTop: number } | null = null;
let dragTimer: number | undefined;
thumb.addEventListener('pointerdown', (e) => {
  e.preventDefault();
  thumb.setPointerCapture(e.pointerId);
  dragging = { startY: e.clientY, startTop: thumb.offsetTop };
});
thumb.addEventListener('pointermove', (e) => {
  if (!dragging) return;
  const track = scrollbar.clientHeight - thumb.offsetHeight;
  const y = Math.max(0, Math.min(track, dragging.startTop + e.clientY - dragging.startY));
  thumb.style.top = `${y}px`;
  const frac = track > 0 ? y / track : 0;
  window.clearTimeout(dragTimer);
  dragTimer = window.setTimeout(() => scrollToFraction(frac), 30);
});
thumb.addEventListener('pointerup', () => {
  dragging = null;
});
scrollbar.addEventListener('pointerdown', (e) => {
  if (e.target !== scrollbar) return;
  const page = Math.max(1, rowsOnScreen - 1);
  scrollRows(e.offsetY < thumb.offsetTop ? -page : page);
});

function scrollToFraction(frac: number): void {
  if (frac >= 0.999) {
    goEnd();
    return;
  }
  if (following && frac < 0.999) setFollow(false);
  if (filter) {
    filter.top = Math.floor(frac * Math.max(0, filter.offsets.length - rowsOnScreen));
    render();
  } else revealOffset(Math.floor(frac * size));
}

function relayout(): void {
  measure();
  clampTop();
  render();
  ensure();
}
// The first notification comes with the first layout: nothing changed if init has already measured this size.
let measuredHeight = -1;
new ResizeObserver(() => {
  if (marks.init !== undefined && viewport.clientHeight === measuredHeight) return;
  relayout();
}).observe(viewport);

// ---------------------------------------------------------------------------------------------------------------
// Messages from the host

window.addEventListener('message', (ev: MessageEvent<HostMessage>) => {
  const m = ev.data;
  if ('reqId' in m && pending.has(m.reqId)) {
    const cb = pending.get(m.reqId)!;
    pending.delete(m.reqId);
    cb(m);
    return;
  }
  switch (m.type) {
    case 'init': {
      // The host posts `init` before `ready` reaches it and answers `ready` too: the first one wins.
      if (marks.init !== undefined) break;
      marks.init = wallNow();
      S = m.strings;
      fileName = m.fileName;
      size = m.size;
      ids = { users: new Map(m.users), groups: new Map(m.groups) };
      interpreted = m.interpreted;
      if (bar1.childElementCount === 0) buildToolbars();
      updateModeButtons();
      document.title = m.fileName;
      measure();
      const restore = vscode.getState()?.offset;
      setWindow(m.page);
      if (m.reveal !== null && m.page.lines[0]) {
        target = m.page.lines[0].offset;
        contextRows = CONTEXT_ROWS;
      }
      render();
      ensure();
      if (m.reveal === null && restore !== undefined && restore > 0) revealOffset(restore);
      app.classList.add('ready');
      viewport.focus();
      if (marks.rendered === undefined) {
        marks.rendered = wallNow();
        // A timer set in an animation frame runs once that frame is painted.
        requestAnimationFrame(() =>
          setTimeout(() => {
            marks.painted = wallNow();
            post({ type: 'marks', marks });
          }, 0),
        );
      }
      break;
    }
    case 'error': {
      errorBox.replaceChildren(el('div', 'error-message', m.message), el('div', 'error-detail', m.detail ?? ''));
      errorBox.classList.remove('hidden');
      main.classList.add('hidden');
      break;
    }
    case 'size': {
      const old = size;
      const grew = m.size > old;
      size = m.size;
      if (grew && following) goEnd();
      else if (grew && atEnd && !filter) {
        // The last line may have been cut mid-write: fetch it again with what follows.
        const last = lines[lines.length - 1];
        if (last && last.end >= old && lines.length > 1) lines.pop();
        atEnd = false;
        ensure();
      }
      render();
      break;
    }
    case 'reset': {
      size = m.size;
      status.textContent = m.reason === 'rotated' ? S.rotated : S.truncated;
      if (following || m.reason === 'truncated') goEnd();
      break;
    }
    case 'index':
      indexedLines = m.lines;
      indexedBytes = m.bytes;
      indexDone = m.done;
      if (firstLine === null && lines.length > 0 && !filter) {
        // Line numbers become known as the index passes the screen: ask again for the screen's first line.
        if (m.bytes >= lines[0].offset && (m.done || m.bytes > (lines[lines.length - 1]?.end ?? 0))) refreshLineNumbers();
      }
      renderStatus();
      break;
    case 'reveal':
      revealOffset(m.offset, true);
      break;
    case 'searchHits': {
      if (!search || m.searchId !== search.id) return;
      search.scanned = m.scanned;
      search.total = m.total;
      search.done = m.done || search.done;
      search.capped = m.capped;
      if (m.error) search.error = m.error;
      addHits(m.hits);
      renderResultsHead();
      if (search.current < 0 && search.hits.length > 0) gotoHit(0);
      else render();
      break;
    }
    case 'filterHits': {
      if (!filter || m.filterId !== filter.id) return;
      filter.offsets = mergeSorted(filter.offsets, m.offsets);
      filter.done = m.done;
      filter.scanned = m.scanned;
      filter.total = m.total;
      render();
      break;
    }
  }
});

let refreshing = false;
function refreshLineNumbers(): void {
  if (refreshing || lines.length === 0) return;
  refreshing = true;
  const gen = generation;
  const reqId = nextId++;
  request<Extract<HostMessage, { type: 'lines' }>>({ type: 'getLines', reqId, offset: lines[0].offset, direction: 'forward', count: 1 }, (a) => {
    refreshing = false;
    if (gen !== generation || a.firstLine === null || a.lines[0]?.offset !== lines[0]?.offset) return;
    firstLine = a.firstLine;
    render();
  });
}

marks.readySent = wallNow();
post({ type: 'ready' });
