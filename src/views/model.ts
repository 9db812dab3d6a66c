/**
 * The Audit Events tree's model: every event the producers sent (live watches, analyses, searches), the active
 * filter and grouping, an incrementally maintained index of the matching events, paging, counts and the
 * timeline's buckets. Pure (no `vscode` import): the unit tests and the bench drive it directly, and the
 * TreeDataProvider (provider.ts) is a thin adapter over `page()`.
 *
 * Costs: an upsert touches the entry's own index path (O(depth)); sorted children are built lazily, only for
 * levels VS Code asks for, and cached until that level changes; a filter or grouping change re-indexes in O(n).
 */
import type { AuditEvent, Diagnostic, DiagnosticKind, WatchState } from '../core/types';
import { primaryObject, ROW_KINDS, rowKind, splitPath, type RowKind } from './eventRows';
import { Interner } from './intern';
import { l10n } from './l10n';
import type { EventOrigin, HealthIssue } from './sink';

export type Grouping = 'folder' | 'process' | 'time';
export const GROUPINGS: readonly Grouping[] = ['folder', 'process', 'time'];

/** What the tree shows: every condition must hold. `until` is exclusive (a timeline bucket is [start, end)). */
export interface Filter {
  /** Words (case-insensitive) that must all occur in the path, the program or the user. */
  text: string;
  /** Only these kinds; null = all. */
  kinds: readonly RowKind[] | null;
  failedOnly: boolean;
  since: number | null;
  until: number | null;
}

export const NO_FILTER: Filter = { text: '', kinds: null, failedOnly: false, since: null, until: null };

/** Whether a filter hides anything. */
export function isFiltering(f: Filter): boolean {
  return f.text.trim() !== '' || f.kinds !== null || f.failedOnly || f.since !== null || f.until !== null;
}

/** Rows per page; a "Load more" node appends the next page. */
export const PAGE_SIZE = 500;

/** A source of events, as the tree keeps it. */
export interface OriginInfo {
  readonly key: string;
  origin: EventOrigin;
  /** Arrival order, for a stable display order. */
  readonly seq: number;
  /** Entries of this origin (matching or not). */
  events: number;
  diagnostics: Map<DiagnosticKind, { count: number; first: Diagnostic }>;
  watch?: WatchState;
  /** A short state for the origin's row: "analyzing… 40 %", "cancelled". */
  status?: string;
  /** Records read, once an analysis finished. */
  records?: number;
  /** Its matching events by kind. */
  readonly matched: Map<RowKind, number>;
}

/** One event in the tree. Entries are updated in place when a better version of the event arrives. */
export interface Entry {
  /** Unique in the tree: the origin's key and the event id. */
  readonly key: string;
  readonly origin: OriginInfo;
  event: AuditEvent;
  kind: RowKind;
  path: string | null;
  folder: string;
  name: string;
  /** Whether it passes the filter (and is indexed). */
  matched: boolean;
  /** Lower-cased text the text filter searches, built on first use. */
  hay?: string;
  /** Where the index holds it (its folder or process), so removing it is O(depth). */
  slot?: FolderIdx | PidIdx;
}

/** A folder of the folder grouping. */
export class FolderIdx {
  readonly folders = new Map<string, FolderIdx>();
  readonly events = new Set<Entry>();
  /** Matching entries in this folder and below. */
  count = 0;
  sorted: (FolderIdx | Entry)[] | null = null;
  constructor(
    readonly parent: FolderIdx | null,
    readonly name: string,
    readonly path: string,
  ) {}
}

/** A process (one pid of one program) of the process grouping. */
export class PidIdx {
  readonly events = new Set<Entry>();
  sorted: Entry[] | null = null;
  latest = 0;
  constructor(
    readonly key: string,
    readonly exe: ExeIdx,
    /** The event that named the process first (pid, argv, user). */
    readonly sample: AuditEvent,
  ) {}
}

/** A program of the process grouping. */
export class ExeIdx {
  readonly pids = new Map<string, PidIdx>();
  count = 0;
  sorted: PidIdx[] | null = null;
  constructor(readonly exe: string) {}
}

/** A row of the tree, as the provider renders it. Nodes are cached by id so VS Code can refresh one of them. */
export type ModelNode =
  | { type: 'issue'; id: string; issue: HealthIssue }
  | { type: 'diagnostic'; id: string; origin: OriginInfo; kind: DiagnosticKind; count: number; first: Diagnostic }
  | { type: 'origin'; id: string; origin: OriginInfo; count: number }
  | { type: 'folder'; id: string; origin: OriginInfo; idx: FolderIdx; label: string; depth: number; deleted: boolean }
  | { type: 'exe'; id: string; idx: ExeIdx }
  | { type: 'pid'; id: string; idx: PidIdx }
  | { type: 'event'; id: string; entry: Entry }
  /** A time interval of events (time grouping, or a busy process): `list[from, to)`, newest first. */
  | { type: 'bucket'; id: string; scope: string; width: number; start: number; end: number; list: Entry[]; from: number; to: number }
  | { type: 'chain'; id: string; entry: Entry; level: number }
  | { type: 'more'; id: string; parentId: string; remaining: number }
  | { type: 'noMatch'; id: string };

export type FolderNode = Extract<ModelNode, { type: 'folder' }>;
export type BucketNode = Extract<ModelNode, { type: 'bucket' }>;

/** Time bucket widths, coarsest first: day, hour, minute, second. */
export const BUCKET_WIDTHS = [86_400_000, 3_600_000, 60_000, 1000];

/** The key an origin is known by: one watch per audit key, one analysis per file list, one search per folder. */
export function originKey(o: EventOrigin): string {
  switch (o.kind) {
    case 'watch':
      return `watch:${o.key}`;
    case 'analysis':
      return `analysis:${o.files.join('\0')}`;
    case 'search':
      return `search:${o.folder}`;
  }
}

/** A counted diagnostic kind that the user should see at the top of the tree. */
const SHOWN_DIAGNOSTICS: readonly DiagnosticKind[] = ['lost-events', 'unreadable-input', 'malformed-line', 'invalid-utf8', 'truncated-line', 'oversized-line', 'duplicate-record', 'late-record'];

/** Events in one timeline bucket, by kind. */
export interface Bucket {
  start: number;
  end: number;
  counts: Partial<Record<RowKind, number>>;
  total: number;
}

export interface Timeline {
  /** Bucket width in ms (a "nice" step: 1 s, 5 s, … 1 day, 7 days). */
  width: number;
  buckets: Bucket[];
  /** The filter's time range, if any (the timeline then zooms into it). */
  since: number | null;
  until: number | null;
  /** Events drawn (matching every filter). */
  total: number;
}

// Down to 10 ms: an rm -rf of a few hundred files takes well under a second, and its bars should still tell apart.
const NICE_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000].map((s) => Math.round(s * 1000));

/** The smallest nice bucket width that covers `span` in at most `max` buckets. */
export function bucketWidth(span: number, max: number): number {
  for (const w of NICE_STEPS) if (span / w <= max) return w;
  return Math.ceil(span / max / NICE_STEPS[NICE_STEPS.length - 1]) * NICE_STEPS[NICE_STEPS.length - 1];
}

/** A sorted list of child nodes whose nodes are made on demand, a slice at a time. */
interface Seq {
  readonly length: number;
  slice(start: number, end: number): ModelNode[];
}

function fixed(nodes: ModelNode[]): Seq {
  return { length: nodes.length, slice: (start, end) => nodes.slice(start, end) };
}

function lazy(length: number, at: (i: number) => ModelNode): Seq {
  return {
    length,
    slice: (start, end) => {
      const out: ModelNode[] = [];
      for (let i = Math.max(0, start); i < Math.min(end, length); i++) out.push(at(i));
      return out;
    },
  };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const newestFirst = (a: Entry, b: Entry): number => b.event.timeMs - a.event.timeMs || b.event.serial - a.event.serial || byName(a.key, b.key);

/** The Audit Events tree's state. Every mutation bumps `version`; the refresh manager renders when it moved. */
export class TreeModel {
  version = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly origins = new Map<string, OriginInfo>();
  private originSeq = 0;
  private issues: readonly HealthIssue[] = [];
  private groupingValue: Grouping;
  private filterValue: Filter = NO_FILTER;
  private matchedCount = 0;
  private readonly matchedKinds = new Map<RowKind, number>();
  // Indexes of the matching entries for the current grouping (only one is filled).
  private readonly folderRoots = new Map<string, FolderIdx>();
  private readonly exes = new Map<string, ExeIdx>();
  private exesSorted: ExeIdx[] | null = null;
  private readonly timeSet = new Set<Entry>();
  private timeSorted: Entry[] | null = null;
  /** Paths of folders whose own deletion is an event, per origin: folder rows say so. */
  private readonly deletedFolders = new Map<string, Map<string, number>>();
  /** Rows shown per parent id (paging). */
  private readonly shown = new Map<string, number>();
  private readonly nodes = new Map<string, ModelNode>();
  private readonly interner = new Interner();

  constructor(grouping: Grouping = 'folder') {
    this.groupingValue = grouping;
  }

  get grouping(): Grouping {
    return this.groupingValue;
  }

  get filter(): Filter {
    return this.filterValue;
  }

  /** Events kept (matching or not). */
  get total(): number {
    return this.entries.size;
  }

  /** Events that pass the filter. */
  get matching(): number {
    return this.matchedCount;
  }

  /** Matching events by kind. */
  kindCounts(): Map<RowKind, number> {
    return new Map(ROW_KINDS.map((k) => [k, this.matchedKinds.get(k) ?? 0] as const).filter(([, n]) => n > 0));
  }

  /** Matching events of one origin by kind (in ROW_KINDS order). */
  kindCountsOf(origin: OriginInfo): Map<RowKind, number> {
    return new Map(ROW_KINDS.map((k) => [k, origin.matched.get(k) ?? 0] as const).filter(([, n]) => n > 0));
  }

  /** How many rows the root shows (0: the view shows its welcome). */
  rootCount(): number {
    return this.sequence().length;
  }

  /** Every origin, in arrival order. */
  originList(): OriginInfo[] {
    return [...this.origins.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The current health problems. */
  get healthIssues(): readonly HealthIssue[] {
    return this.issues;
  }

  private originFor(origin: EventOrigin): OriginInfo {
    const key = originKey(origin);
    let info = this.origins.get(key);
    if (!info) {
      info = { key, origin, seq: this.originSeq++, events: 0, diagnostics: new Map(), matched: new Map() };
      this.origins.set(key, info);
    } else {
      info.origin = origin;
    }
    return info;
  }

  /** Adds new events and replaces those with an id already present; returns how many were new. */
  upsert(origin: EventOrigin, events: readonly AuditEvent[]): { added: number; updated: number } {
    const info = this.originFor(origin);
    let added = 0;
    let updated = 0;
    for (const event of events) {
      const key = `${info.key}\u0000${event.id}`;
      const old = this.entries.get(key);
      if (old) {
        this.unindex(old);
        this.describe(old, event);
        this.index(old);
        updated++;
      } else {
        const e = { key, origin: info, matched: false } as Entry;
        this.describe(e, event);
        this.entries.set(key, e);
        info.events++;
        this.index(e);
        added++;
      }
    }
    if (events.length > 0) this.version++;
    return { added, updated };
  }

  /** Counts diagnostics of a source (the first of each kind is kept for its location). */
  diagnostics(origin: EventOrigin, diagnostics: readonly Diagnostic[]): void {
    const info = this.originFor(origin);
    for (const d of diagnostics) {
      const n = d.kind === 'lost-events' ? (d.count ?? 1) : 1;
      const cur = info.diagnostics.get(d.kind);
      if (cur) cur.count += n;
      else info.diagnostics.set(d.kind, { count: n, first: d });
    }
    if (diagnostics.length > 0) this.version++;
  }

  /** Records the totals of a finished analysis: records read and diagnostic counts (replacing those streamed). */
  finishOrigin(origin: EventOrigin, totals: { records: number; counts: Partial<Record<DiagnosticKind, number>>; firsts: readonly Diagnostic[] }): void {
    const info = this.originFor(origin);
    info.records = totals.records;
    const { counts, firsts } = totals;
    info.diagnostics.clear();
    for (const [kind, count] of Object.entries(counts) as [DiagnosticKind, number][]) {
      if (!count) continue;
      const first = firsts.find((d) => d.kind === kind) ?? { kind, message: kind };
      info.diagnostics.set(kind, { count, first });
    }
    this.version++;
  }

  /** Replaces the state of every watch: each gets an origin (so a watch without deletions still shows). */
  watches(states: readonly WatchState[]): void {
    const live = new Set<string>();
    for (const s of states) {
      const info = this.originFor({ kind: 'watch', folder: s.folder, key: s.key });
      info.watch = s;
      live.add(info.key);
    }
    for (const info of this.origins.values()) {
      if (info.origin.kind === 'watch' && !live.has(info.key)) {
        info.watch = undefined;
        if (info.events === 0 && info.diagnostics.size === 0) this.origins.delete(info.key);
      }
    }
    this.version++;
  }

  /** Replaces the health problems. */
  health(issues: readonly HealthIssue[]): void {
    this.issues = [...issues];
    this.version++;
  }

  /** Sets a short state text for an origin's row (progress of an analysis); undefined clears it. */
  setStatus(origin: EventOrigin, status: string | undefined): void {
    this.originFor(origin).status = status;
    this.version++;
  }

  /** Forgets the events of one origin, or of all. */
  clear(origin?: EventOrigin): void {
    if (!origin) {
      this.entries.clear();
      this.origins.clear();
      this.interner.clear();
      this.rebuild();
      return;
    }
    const key = originKey(origin);
    for (const [k, e] of this.entries) {
      if (e.origin.key === key) this.entries.delete(k);
    }
    this.origins.delete(key);
    this.rebuild();
  }

  /** Forgets every event (the user's Clear): watches stay, with no events. */
  clearEvents(): void {
    this.entries.clear();
    this.interner.clear();
    for (const [k, o] of this.origins) {
      if (o.watch) {
        o.events = 0;
        o.diagnostics.clear();
        o.status = undefined;
      } else this.origins.delete(k);
    }
    this.rebuild();
  }

  /** Events of an origin (matching or not). */
  eventsOf(origin: EventOrigin): number {
    return this.origins.get(originKey(origin))?.events ?? 0;
  }

  /** Forgets every origin of the given kinds (a new analysis replaces the previous analyses and searches). */
  clearKinds(kinds: readonly EventOrigin['kind'][]): void {
    for (const info of [...this.origins.values()]) if (kinds.includes(info.origin.kind)) this.clear(info.origin);
  }

  /** Changes the filter (re-indexes). */
  setFilter(filter: Filter): void {
    this.filterValue = { ...filter, text: filter.text.trim(), kinds: filter.kinds && filter.kinds.length < ROW_KINDS.length ? [...filter.kinds] : null };
    this.rebuild();
  }

  /** Changes the grouping (re-indexes). */
  setGrouping(grouping: Grouping): void {
    if (grouping === this.groupingValue) return;
    this.groupingValue = grouping;
    this.rebuild();
  }

  // ---- indexing -------------------------------------------------------------------------------------------------

  private describe(e: Entry, event: AuditEvent): void {
    e.event = this.interner.event(event);
    e.kind = rowKind(event);
    const p = primaryObject(event, e.kind)?.path ?? null;
    e.path = p;
    const parts = splitPath(p ?? '');
    e.folder = parts.folder;
    e.name = parts.name;
    e.hay = undefined;
  }

  /** Lower-cased program and user names, shared (they repeat across events). */
  private readonly lowered = new Map<string, string>();

  private lower(s: string | null | undefined): string {
    if (!s) return '';
    let l = this.lowered.get(s);
    if (l === undefined) this.lowered.set(s, (l = s.toLowerCase()));
    return l;
  }

  private hay(e: Entry): string {
    if (e.hay === undefined) {
      const p = e.event.process;
      let h = `${this.lower(p.exe)}\n${this.lower(p.comm)}\n${this.lower(p.user)}\n${this.lower(p.loginUser)}\n${this.lower(p.euser)}`;
      // The event's own paths; a parent folder's is already part of them.
      for (const o of e.event.objects) {
        if (o.role === 'parent') continue;
        if (o.path) h += `\n${o.path.toLowerCase()}`;
        if (o.seenAs) h += `\n${o.seenAs.toLowerCase()}`;
      }
      e.hay = h;
    }
    return e.hay;
  }

  /** Whether an entry passes the filter. */
  passes(e: Entry, f: Filter = this.filterValue): boolean {
    if (f.failedOnly && e.kind !== 'failed') return false;
    if (f.kinds && !f.kinds.includes(e.kind)) return false;
    const t = e.event.timeMs;
    if (f.since !== null && t < f.since) return false;
    if (f.until !== null && t >= f.until) return false;
    if (f.text) {
      const hay = this.hay(e);
      for (const word of f.text.toLowerCase().split(/\s+/)) if (!hay.includes(word)) return false;
    }
    return true;
  }

  private index(e: Entry): void {
    e.matched = this.passes(e);
    if (!e.matched) return;
    this.matchedCount++;
    this.matchedKinds.set(e.kind, (this.matchedKinds.get(e.kind) ?? 0) + 1);
    e.origin.matched.set(e.kind, (e.origin.matched.get(e.kind) ?? 0) + 1);
    if (e.kind === 'folderDeleted' && e.path) {
      let m = this.deletedFolders.get(e.origin.key);
      if (!m) this.deletedFolders.set(e.origin.key, (m = new Map()));
      m.set(e.path, (m.get(e.path) ?? 0) + 1);
    }
    switch (this.groupingValue) {
      case 'folder': {
        let root = this.folderRoots.get(e.origin.key);
        if (!root) this.folderRoots.set(e.origin.key, (root = new FolderIdx(null, '', '/')));
        let f = root;
        f.count++;
        f.sorted = null;
        for (const seg of e.folder.split('/')) {
          if (!seg) continue;
          let c = f.folders.get(seg);
          if (!c) {
            c = new FolderIdx(f, seg, f.path === '/' ? `/${seg}` : `${f.path}/${seg}`);
            f.folders.set(seg, c);
          }
          f = c;
          f.count++;
          f.sorted = null;
        }
        f.events.add(e);
        e.slot = f;
        break;
      }
      case 'process': {
        const p = e.event.process;
        const exeName = p.exe ?? p.comm ?? '?';
        let x = this.exes.get(exeName);
        if (!x) {
          this.exes.set(exeName, (x = new ExeIdx(exeName)));
          this.exesSorted = null;
        }
        x.count++;
        // A pid is reused over time and across machines: the node and the first argv keep two processes apart.
        const pidKey = `${e.event.node ?? ''}:${p.pid ?? '?'}:${p.ses ?? ''}:${p.argv?.join('\u0000') ?? ''}`;
        let pid = x.pids.get(pidKey);
        if (!pid) {
          x.pids.set(pidKey, (pid = new PidIdx(pidKey, x, e.event)));
        }
        pid.events.add(e);
        e.slot = pid;
        pid.sorted = null;
        pid.latest = Math.max(pid.latest, e.event.timeMs);
        x.sorted = null;
        this.exesSorted = null;
        break;
      }
      case 'time':
        this.timeSet.add(e);
        this.timeSorted = null;
        break;
    }
  }

  private unindex(e: Entry): void {
    if (!e.matched) return;
    e.matched = false;
    this.matchedCount--;
    this.matchedKinds.set(e.kind, (this.matchedKinds.get(e.kind) ?? 1) - 1);
    e.origin.matched.set(e.kind, (e.origin.matched.get(e.kind) ?? 1) - 1);
    if (e.kind === 'folderDeleted' && e.path) {
      const m = this.deletedFolders.get(e.origin.key);
      const n = (m?.get(e.path) ?? 1) - 1;
      if (n > 0) m!.set(e.path, n);
      else m?.delete(e.path);
    }
    const slot = e.slot;
    e.slot = undefined;
    if (slot instanceof FolderIdx) {
      slot.events.delete(e);
      for (let f: FolderIdx | null = slot; f; f = f.parent) {
        f.count--;
        f.sorted = null;
        // Drop emptied folders so a moved event leaves no husk behind.
        if (f.count === 0 && f.parent) f.parent.folders.delete(f.name);
        if (f.count === 0 && !f.parent) this.folderRoots.delete(e.origin.key);
      }
    } else if (slot instanceof PidIdx) {
      const x = slot.exe;
      slot.events.delete(e);
      slot.sorted = null;
      x.count--;
      x.sorted = null;
      if (slot.events.size === 0) x.pids.delete(slot.key);
      if (x.count === 0) this.exes.delete(x.exe);
      this.exesSorted = null;
    } else {
      this.timeSet.delete(e);
      this.timeSorted = null;
    }
  }

  private rebuild(): void {
    this.folderRoots.clear();
    this.exes.clear();
    this.exesSorted = null;
    this.timeSet.clear();
    this.timeSorted = null;
    this.deletedFolders.clear();
    this.matchedCount = 0;
    this.matchedKinds.clear();
    for (const o of this.origins.values()) o.matched.clear();
    this.shown.clear();
    this.nodes.clear();
    for (const e of this.entries.values()) {
      e.matched = false;
      this.index(e);
    }
    this.version++;
  }

  // ---- nodes ----------------------------------------------------------------------------------------------------

  private node<T extends ModelNode>(id: string, make: () => T, refresh?: (n: T) => void): T {
    let n = this.nodes.get(id) as T | undefined;
    if (!n) {
      n = make();
      this.nodes.set(id, n);
    } else if (refresh) refresh(n);
    return n;
  }

  /** Descends a chain of folders that hold one folder and no events ("compact folders"), returning the label. */
  private compact(start: FolderIdx, base: string): { idx: FolderIdx; label: string } {
    let idx = start;
    let label = base;
    while (idx.events.size === 0 && idx.folders.size === 1) {
      idx = idx.folders.values().next().value!;
      label = label === '/' ? `/${idx.name}` : label === '' ? idx.name : `${label}/${idx.name}`;
    }
    return { idx, label };
  }

  private folderNode(origin: OriginInfo, start: FolderIdx, base: string, depth: number): FolderNode {
    const { idx, label } = this.compact(start, base);
    const id = `folder\u0000${origin.key}\u0000${idx.path}`;
    const deleted = (this.deletedFolders.get(origin.key)?.get(idx.path) ?? 0) > 0;
    return this.node<FolderNode>(id, () => ({ type: 'folder', id, origin, idx, label, depth, deleted }), (n) => {
      n.label = label;
      n.depth = depth;
      n.deleted = deleted;
    });
  }

  private eventNode(e: Entry): ModelNode {
    const id = `${this.groupingValue}\u0000event\u0000${e.key}`;
    return this.node(id, () => ({ type: 'event', id, entry: e }));
  }

  /** Every child of a node (or of the root), sorted. The tree shows `page()` of it; this is for tests and actions. */
  children(parent?: ModelNode): ModelNode[] {
    const seq = this.sequence(parent);
    return seq.slice(0, seq.length);
  }

  /**
   * The children of a node as a sorted sequence whose nodes are made only for the slice asked for: a level of
   * 100 000 events costs a sort when it changes, and a page of nodes per page shown.
   */
  private sequence(parent?: ModelNode): Seq {
    if (!parent) return this.rootSequence();
    switch (parent.type) {
      case 'origin': {
        const root = this.folderRoots.get(parent.origin.key);
        return fixed(root ? [this.folderNode(parent.origin, root, '/', 0)] : []);
      }
      case 'folder': {
        const idx = parent.idx;
        if (!idx.sorted) {
          const folders = [...idx.folders.values()].sort((a, b) => byName(a.name, b.name));
          const events = [...idx.events].sort((a, b) => byName(a.name, b.name) || newestFirst(a, b));
          idx.sorted = [...folders, ...events];
        }
        const sorted = idx.sorted;
        return lazy(sorted.length, (i) => {
          const c = sorted[i];
          return c instanceof FolderIdx ? this.folderNode(parent.origin, c, c.name, parent.depth + 1) : this.eventNode(c);
        });
      }
      case 'exe': {
        const x = parent.idx;
        const sorted = (x.sorted ??= [...x.pids.values()].sort((a, b) => b.latest - a.latest || byName(a.key, b.key)));
        return lazy(sorted.length, (i) => {
          const p = sorted[i];
          const id = `pid\u0000${x.exe}\u0000${p.key}`;
          return this.node(id, () => ({ type: 'pid', id, idx: p }), (n) => (n.idx = p));
        });
      }
      case 'pid': {
        const sorted = (parent.idx.sorted ??= [...parent.idx.events].sort(newestFirst));
        return this.timeSequence(parent.id, sorted, 0, sorted.length, -1);
      }
      case 'bucket':
        return this.timeSequence(parent.scope, parent.list, parent.from, parent.to, parent.width);
      case 'event': {
        const chain = parent.entry.event.process;
        const levels = 1 + (chain.parents?.length ?? (chain.ppid !== null ? 1 : 0));
        return lazy(levels, (level) => {
          const id = `${parent.id}\u0000chain\u0000${level}`;
          return this.node(id, () => ({ type: 'chain', id, entry: parent.entry, level }), (n) => (n.entry = parent.entry));
        });
      }
      default:
        return fixed([]);
    }
  }

  private rootSequence(): Seq {
    const top: ModelNode[] = this.issues.map((issue, i) => {
      const id = `issue\u0000${issue.kind}\u0000${i}`;
      return this.node(id, () => ({ type: 'issue', id, issue }), (n) => (n.issue = issue));
    });
    const origins = this.originList();
    for (const o of origins) {
      for (const kind of SHOWN_DIAGNOSTICS) {
        const d = o.diagnostics.get(kind);
        if (!d) continue;
        const id = `diagnostic\u0000${o.key}\u0000${kind}`;
        top.push(
          this.node(id, () => ({ type: 'diagnostic', id, origin: o, kind, count: d.count, first: d.first }), (n) => {
            n.count = d.count;
            n.first = d.first;
          }),
        );
      }
    }
    const groups = this.groupSequence(origins);
    if (groups.length === 0 && this.entries.size > 0 && this.matchedCount === 0) {
      top.push(this.node('noMatch', () => ({ type: 'noMatch' as const, id: 'noMatch' })));
    }
    // Issues and problems first; a page can end inside either part.
    return {
      length: top.length + groups.length,
      slice: (start, end) => [...top.slice(start, end), ...groups.slice(Math.max(0, start - top.length), Math.max(0, end - top.length))],
    };
  }

  private groupSequence(origins: OriginInfo[]): Seq {
    switch (this.groupingValue) {
      case 'folder':
        return fixed(
          origins
            .filter((o) => this.folderRoots.has(o.key) || (o.watch !== undefined && !isFiltering(this.filterValue)))
            .map((o) => {
              const id = `origin\u0000${o.key}`;
              const count = this.folderRoots.get(o.key)?.count ?? 0;
              return this.node(id, () => ({ type: 'origin', id, origin: o, count }), (n) => (n.count = count));
            }),
        );
      case 'process': {
        const sorted = (this.exesSorted ??= [...this.exes.values()].sort((a, b) => byName(a.exe, b.exe)));
        return lazy(sorted.length, (i) => {
          const x = sorted[i];
          const id = `exe\u0000${x.exe}`;
          return this.node(id, () => ({ type: 'exe', id, idx: x }), (n) => (n.idx = x));
        });
      }
      case 'time': {
        const sorted = (this.timeSorted ??= [...this.timeSet].sort(newestFirst));
        return this.timeSequence('time', sorted, 0, sorted.length, -1);
      }
    }
  }

  /**
   * Events `list[from, to)` (newest first) as rows: the events themselves when they fit in a page, else buckets of
   * the coarsest time width finer than the parent's (`width`, an index into BUCKET_WIDTHS) that splits them in two
   * or more. A 100 000-event `rm -rf` becomes minutes, then seconds, so no level grows past a few pages (VS Code
   * fetches a whole level again after each "Load more").
   */
  private timeSequence(scope: string, list: Entry[], from: number, to: number, width: number): Seq {
    const events = (): Seq => lazy(to - from, (i) => this.eventNode(list[from + i]));
    if (to - from <= PAGE_SIZE) return events();
    for (let w = width + 1; w < BUCKET_WIDTHS.length; w++) {
      const size = BUCKET_WIDTHS[w];
      const ranges: [number, number][] = [];
      let start = from;
      let key = Math.floor(list[from].event.timeMs / size);
      for (let i = from + 1; i < to; i++) {
        const k = Math.floor(list[i].event.timeMs / size);
        if (k !== key) {
          ranges.push([start, i]);
          start = i;
          key = k;
        }
      }
      ranges.push([start, to]);
      if (ranges.length < 2) continue;
      return lazy(ranges.length, (i) => {
        const [a, b] = ranges[i];
        const t = Math.floor(list[a].event.timeMs / size) * size;
        const id = `bucket\u0000${scope}\u0000${w}\u0000${t}`;
        const fill = (n: BucketNode): void => {
          n.list = list;
          n.from = a;
          n.to = b;
        };
        return this.node<BucketNode>(id, () => ({ type: 'bucket', id, scope, width: w, start: t, end: t + size, list, from: a, to: b }), fill);
      });
    }
    return events();
  }

  /** What the tree shows under a node: the first pages of its children and, when more remain, a "Load more" node. */
  page(parent?: ModelNode): ModelNode[] {
    const seq = this.sequence(parent);
    const pid = parent?.id ?? '';
    const shown = this.shown.get(pid) ?? PAGE_SIZE;
    if (seq.length <= shown) return seq.slice(0, seq.length);
    const page = seq.slice(0, shown);
    const id = `more\u0000${pid}`;
    const remaining = seq.length - shown;
    page.push(this.node(id, () => ({ type: 'more' as const, id, parentId: pid, remaining }), (n) => (n.remaining = remaining)));
    return page;
  }

  /** Shows the next page under the parent of a "Load more" node; returns that parent (undefined for the root). */
  loadMore(more: Extract<ModelNode, { type: 'more' }>): ModelNode | undefined {
    this.shown.set(more.parentId, (this.shown.get(more.parentId) ?? PAGE_SIZE) + PAGE_SIZE);
    this.version++;
    return more.parentId ? this.nodes.get(more.parentId) : undefined;
  }

  /** Matching events in a subtree (what a folder, process or origin row counts). */
  countOf(node: ModelNode): number {
    switch (node.type) {
      case 'origin':
        return node.count;
      case 'folder':
        return node.idx.count;
      case 'exe':
        return node.idx.count;
      case 'pid':
        return node.idx.events.size;
      case 'bucket':
        return node.to - node.from;
      default:
        return 0;
    }
  }

  // ---- queries --------------------------------------------------------------------------------------------------

  /** The matching events, oldest first (what Export writes). */
  matchingEvents(): AuditEvent[] {
    const out: Entry[] = [];
    for (const e of this.entries.values()) if (e.matched) out.push(e);
    return out.sort((a, b) => -newestFirst(a, b)).map((e) => e.event);
  }

  /** The entries under a node (an event, or every event of a group), for actions on a group. */
  entriesUnder(node: ModelNode): Entry[] {
    if (node.type === 'event' || node.type === 'chain') return [node.entry];
    const out: Entry[] = [];
    const walkFolder = (f: FolderIdx): void => {
      for (const e of f.events) out.push(e);
      for (const c of f.folders.values()) walkFolder(c);
    };
    if (node.type === 'folder') walkFolder(node.idx);
    else if (node.type === 'origin') {
      const root = this.folderRoots.get(node.origin.key);
      if (root) walkFolder(root);
    } else if (node.type === 'pid') out.push(...node.idx.events);
    else if (node.type === 'bucket') out.push(...node.list.slice(node.from, node.to));
    else if (node.type === 'exe') for (const p of node.idx.pids.values()) out.push(...p.events);
    return out;
  }

  /** Whether any matching event is younger than `age` ms (relative times then need a slow re-render). */
  hasEventsSince(t: number): boolean {
    for (const e of this.entries.values()) if (e.matched && e.event.timeMs >= t) return true;
    return false;
  }

  /**
   * Counts of the matching events over time, by kind, in at most `max` buckets of a nice width. With a time filter
   * the buckets span its range (the chart zooms into the interval a bar click selected).
   */
  timeline(max = 60): Timeline {
    if (this.timelineCache?.version === this.version && this.timelineCache.max === max) return this.timelineCache.timeline;
    const timeline = this.computeTimeline(max);
    this.timelineCache = { version: this.version, max, timeline };
    return timeline;
  }

  private timelineCache: { version: number; max: number; timeline: Timeline } | undefined;

  private computeTimeline(max: number): Timeline {
    const f = this.filterValue;
    let lo = Infinity;
    let hi = -Infinity;
    let total = 0;
    for (const e of this.entries.values()) {
      if (!e.matched) continue;
      total++;
      const t = e.event.timeMs;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    const start0 = f.since ?? (total > 0 ? lo : 0);
    const end0 = f.until ?? (total > 0 ? hi + 1 : start0 + 1);
    const width = bucketWidth(Math.max(1, end0 - start0), max);
    // Buckets align to multiples of their width (local midnight for days would need a zone; UTC steps are enough).
    const first = Math.floor(start0 / width) * width;
    const n = Math.max(1, Math.ceil((end0 - first) / width));
    const buckets: Bucket[] = Array.from({ length: n }, (_, i) => ({ start: first + i * width, end: first + (i + 1) * width, counts: {}, total: 0 }));
    if (total > 0) {
      for (const e of this.entries.values()) {
        if (!e.matched) continue;
        const b = buckets[Math.min(n - 1, Math.floor((e.event.timeMs - first) / width))];
        if (!b) continue;
        b.counts[e.kind] = (b.counts[e.kind] ?? 0) + 1;
        b.total++;
      }
    }
    // The bucket edges are the filter's own where it sets them, so a click on a bar selects exactly that bar.
    if (f.since !== null) buckets[0].start = Math.max(buckets[0].start, f.since);
    if (f.until !== null) buckets[n - 1].end = Math.min(buckets[n - 1].end, f.until);
    return { width, buckets, since: f.since, until: f.until, total };
  }

  /** Origin rows' label: what the events came from. */
  static originLabel(o: OriginInfo): string {
    switch (o.origin.kind) {
      case 'watch':
        return o.origin.folder;
      case 'analysis':
        return o.origin.files.map((f) => splitPath(f).name || f).join(', ');
      case 'search':
        return l10n.t('deletions under {0}', o.origin.folder);
    }
  }
}
