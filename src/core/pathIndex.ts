import { decodeName } from './names';
import type { ObjectType, SnapshotEntry } from './types';

/**
 * Paths inside the index are byte strings: latin1 JS strings, one char per byte, so names that are not UTF-8
 * survive joins unchanged. They become text only on output.
 */
export type BPath = string;

/** `dev/inode`, the identity of a file-system object. */
export type InodeKey = string;

/** The identity of an object: inode numbers are per machine, so a remote node's objects get their own keys. */
export function inodeKey(dev: string, inode: number | string, node: string | null = null): InodeKey {
  return node === null ? `${dev}/${inode}` : `${node}|${dev}/${inode}`;
}

interface Entry {
  /** Absolute path (for roots of what we know), or undefined when linked to a parent. */
  abs?: BPath;
  parent?: InodeKey;
  /** The name inside `parent`; several components (`docs/a`) when intermediate folders' inodes are unknown. */
  name?: BPath;
  type: ObjectType | null;
  /** When it was learned (the index's clock): knowledge older than an event may have gone stale by then. */
  at?: number;
  /**
   * The log named this folder by two different absolute paths with no rename between them: a bind mount, a
   * symlinked path, another mount namespace, or a rename that was not logged. Paths rebuilt through it are guesses.
   */
  ambiguous?: BPath;
}

/** A resolution that still waits on an unknown directory: `suffix` is the path below `waitOn`. */
export interface Waiter {
  /** The path below the inode waited on (grows a level each time that inode turns out to be inside another). */
  suffix: BPath;
  /**
   * Called once when the path becomes known; `viaSnapshot` says every link of the chain came from the snapshot,
   * `ambiguous` gives the other path when the chain goes through a folder the log named two ways.
   */
  resolve(path: BPath, viaSnapshot: boolean, ambiguous: BPath | undefined, waitedOn: InodeKey, suffix: BPath): void;
}

interface WaitEntry extends Waiter {
  key: InodeKey;
  time: number;
  done: boolean;
}

/** A resolved path says whether every link came from the snapshot, and names the other path of an ambiguous folder. */
export type Lookup = { path: BPath; viaSnapshot: boolean; ambiguous?: BPath } | { waitOn: InodeKey; suffix: BPath };

const MAX_DEPTH = 4096;
/** What a finished waiter's `resolve` becomes, so a finished entry holds nothing of its event. */
const DONE = (): void => {};

/** Joins a directory and a relative suffix (either may be empty). */
export function joinB(dir: BPath, rel: BPath): BPath {
  if (rel === '') return dir;
  if (dir === '') return rel;
  return dir.endsWith('/') ? dir + rel : `${dir}/${rel}`;
}

/** Normalises an absolute byte path: collapses `//`, `.` and `..`; no trailing slash (except `/`). */
export function normalizeB(p: BPath): BPath {
  // Most names are already normal: no `//`, no `.` or `..` segment, no trailing slash.
  if (p.length > 1 && p.charCodeAt(0) === 47 && p.charCodeAt(p.length - 1) !== 47 && p.indexOf('//') < 0 && p.indexOf('/.') < 0) return p;
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

export function basenameB(p: BPath): BPath {
  const t = p.endsWith('/') ? p.slice(0, -1) : p;
  return t.slice(t.lastIndexOf('/') + 1);
}

export function dirnameB(p: BPath): BPath {
  const t = p.endsWith('/') && p.length > 1 ? p.slice(0, -1) : p;
  const i = t.lastIndexOf('/');
  return i <= 0 ? '/' : t.slice(0, i);
}

/**
 * inode → path, learned from the log (absolute PATH names, CREATE items, renames) and seeded from an optional
 * snapshot. Entries are links (parent inode + name) wherever the parent is known, so a renamed directory carries
 * its children along. Deleted inodes are retired at once: ext4 reuses inode numbers immediately.
 * Waiters let an event deleted before its folder's path was known (rm -rf deletes children first) be finished later.
 */
export class PathIndex {
  private readonly snap = new Map<InodeKey, Entry>();
  private readonly learned = new Map<InodeKey, Entry>();
  /** Learned entries that hold an absolute path, by path: rewritten when an ancestor moves (see carryAlong). */
  private readonly absTrie = new PathTrie();
  private readonly waiting = new Map<InodeKey, WaitEntry[]>();
  /** Every live waiter in the order it began waiting, for expiry by log time. */
  private queue: WaitEntry[] = [];
  private queueStart = 0;
  private waiterCount = 0;

  constructor(
    snapshot: SnapshotEntry[] = [],
    private readonly maxLearned = 250_000,
    private readonly maxWaiters = 500_000,
  ) {
    this.addSnapshot(snapshot);
  }

  /**
   * Adds snapshot entries (the watcher's view of a tree), e.g. when a watched folder is recreated. Entries whose
   * parent folder is in the same batch are linked to it, so a later rename of the folder carries them along.
   */
  addSnapshot(snapshot: readonly SnapshotEntry[]): void {
    const byPath = new Map<string, InodeKey>();
    for (const e of snapshot) byPath.set(`${e.node ?? ''}\u0000${e.path}`, inodeKey(e.dev, e.inode, e.node ?? null));
    for (const e of snapshot) {
      const key = inodeKey(e.dev, e.inode, e.node ?? null);
      const bpath = decodeName(e.path).toString('latin1');
      const i = e.path.lastIndexOf('/');
      const parentKey = i > 0 ? byPath.get(`${e.node ?? ''}\u0000${e.path.slice(0, i)}`) : undefined;
      this.forget(key);
      this.snap.set(key, parentKey && parentKey !== key ? { parent: parentKey, name: basenameB(bpath), type: e.type } : { abs: normalizeB(bpath), type: e.type });
    }
  }

  get snapshotSize(): number {
    return this.snap.size;
  }

  get pendingCount(): number {
    return this.waiterCount;
  }

  /** True when the snapshot knows this inode (it is inside the watched tree as the user sees it). */
  inSnapshot(key: InodeKey): boolean {
    return this.snap.has(key);
  }

  typeOf(key: InodeKey): ObjectType | null {
    return (this.snap.get(key) ?? this.learned.get(key))?.type ?? null;
  }

  /** The snapshot's own entry for an inode (its path and type), when the snapshot still places it. */
  snapshotEntry(key: InodeKey): { path: BPath; type: ObjectType | null } | null {
    const e = this.snap.get(key);
    if (!e) return null;
    const r = this.pathOf(key, true);
    return r ? { path: r.path, type: e.type } : null;
  }

  /** Walks links up to an absolute root; when the chain breaks, says which inode it waits on. */
  lookup(key: InodeKey, snapshotOnly = false): Lookup | null {
    let suffix = '';
    let k = key;
    let viaSnapshot = true;
    let ambiguous: BPath | undefined;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      let e = this.snap.get(k);
      if (!e && !snapshotOnly) {
        e = this.learned.get(k);
        if (e) viaSnapshot = false;
      }
      if (!e) return depth === 0 && snapshotOnly ? null : { waitOn: k, suffix };
      if (e.ambiguous !== undefined && ambiguous === undefined) ambiguous = joinB(e.ambiguous, suffix);
      if (e.abs !== undefined) {
        const path = joinB(e.abs, suffix);
        return ambiguous === undefined ? { path, viaSnapshot } : { path, viaSnapshot, ambiguous };
      }
      suffix = joinB(e.name!, suffix);
      k = e.parent!;
    }
    return null;
  }

  /** The path of an inode when fully known, else null. */
  pathOf(key: InodeKey, snapshotOnly = false): { path: BPath; viaSnapshot: boolean; ambiguous?: BPath } | null {
    const r = this.lookup(key, snapshotOnly);
    return r && 'path' in r ? r : null;
  }

  /** Learns an absolute path for an inode (from an absolute name in the log). */
  learnAbs(key: InodeKey, abs: BPath, type: ObjectType | null = null): void {
    if (this.snap.has(key)) return; // the snapshot's (the watcher's) view wins over aliases
    const cur = this.learned.get(key);
    if (cur && cur.abs === abs) return;
    // Renames are logged and relink entries (see learnLink): another absolute path for a known folder is an alias.
    const known = cur ? this.pathOf(key) : null;
    if (known && known.path === abs) return;
    const ambiguous = known ? known.path : cur?.ambiguous;
    this.setLearned(key, ambiguous === undefined ? { abs, type: type ?? cur?.type ?? null } : { abs, type: type ?? cur?.type ?? null, ambiguous });
  }

  /** Learns that an inode is `name` inside the directory `parent`. */
  learnLink(key: InodeKey, parent: InodeKey, name: BPath, type: ObjectType | null = null): void {
    if (key === parent) return;
    const s = this.snap.get(key);
    if (s && s.parent === parent && s.name === name) return;
    const cur = this.learned.get(key);
    if (!s && cur && cur.parent === parent && cur.name === name) return;
    const t = type ?? cur?.type ?? s?.type ?? null;
    // A folder that moves takes along what was learned below it by absolute name (see carryAlong).
    const before = t !== 'file' && t !== 'symlink' && this.absTrie.size > 0 ? this.pathOf(key) : null;
    // Moved inside or out of the snapshot's tree (a rename): the old snapshot position is stale.
    if (s) this.snap.delete(key);
    this.setLearned(key, { parent, name, type: t });
    if (before) this.carryAlong(key, before.path);
  }

  /**
   * After folder `key` moved away from `oldPath`: entries learned by absolute name below `oldPath` become links
   * below `key`, so they follow it now and on every later rename.
   */
  private carryAlong(key: InodeKey, oldPath: BPath): void {
    const prefix = oldPath === '/' ? '/' : oldPath + '/';
    for (const k of this.absTrie.below(oldPath)) {
      if (k === key) continue;
      const e = this.learned.get(k);
      if (!e || e.abs === undefined || !e.abs.startsWith(prefix)) continue;
      this.setLearned(k, { parent: key, name: e.abs.slice(prefix.length), type: e.type });
    }
  }

  /** Forgets an inode that was deleted (its number may be reused at once). */
  retire(key: InodeKey): void {
    this.snap.delete(key);
    this.forget(key);
  }

  /** Removes a learned entry (and its place in the path trie). */
  private forget(key: InodeKey): void {
    const e = this.learned.get(key);
    if (e === undefined) return;
    this.learned.delete(key);
    if (e.abs !== undefined) this.absTrie.remove(e.abs, key);
  }

  /** Asks to be told when `key`'s path becomes known; `time` (log time) lets it expire. */
  wait(key: InodeKey, waiter: Waiter, time = 0): boolean {
    // Bounded: the oldest waiter gives up first (its object simply stays uncertain); a waiter holds its event.
    if (this.waiterCount >= this.maxWaiters) this.dropOldest();
    const e: WaitEntry = { suffix: waiter.suffix, resolve: waiter.resolve, key, time, done: false };
    this.enlist(e);
    this.queue.push(e);
    // Finished waiters leave the queue in sweeps: most resolve within a few events (rm -rf names the folder last),
    // and an entry kept until its expiry time would outlive young-generation collections by the thousand.
    if (this.queue.length - this.queueStart > 2 * this.waiterCount + 1024) this.sweep();
    this.waiterCount++;
    return true;
  }

  /** Gives up on waiters that began before `time`: their folder is not going to be named any more. */
  expire(time: number): void {
    while (this.queueStart < this.queue.length && this.queue[this.queueStart].time < time) this.give(this.queue[this.queueStart++]);
    this.compact();
  }

  private dropOldest(): void {
    while (this.queueStart < this.queue.length) {
      const e = this.queue[this.queueStart++];
      if (!e.done) {
        this.give(e);
        break;
      }
    }
    this.compact();
  }

  /** Ends one waiter without resolving it. */
  private give(e: WaitEntry): void {
    if (e.done) return;
    e.done = true;
    e.resolve = DONE;
    this.waiterCount--;
    // Long lists (thousands of files of one unknown folder) keep their finished entries until enlist sweeps them:
    // removing one by one would be quadratic.
    const list = this.waiting.get(e.key);
    if (list && list.length <= 64) {
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.waiting.delete(e.key);
    }
  }

  private sweep(): void {
    const live: WaitEntry[] = [];
    for (let i = this.queueStart; i < this.queue.length; i++) if (!this.queue[i].done) live.push(this.queue[i]);
    this.queue = live;
    this.queueStart = 0;
  }

  private compact(): void {
    if (this.queueStart > 4096 && this.queueStart * 2 > this.queue.length) {
      this.queue.splice(0, this.queueStart);
      this.queueStart = 0;
    }
  }

  private enlist(e: WaitEntry): void {
    let list = this.waiting.get(e.key);
    if (!list) this.waiting.set(e.key, (list = []));
    else if (list.length >= 128 && (list.length & (list.length - 1)) === 0) {
      const live = list.filter((w) => !w.done);
      this.waiting.set(e.key, (list = live));
    }
    list.push(e);
  }

  private setLearned(key: InodeKey, e: Entry): void {
    this.forget(key);
    e.at = ++this.clock;
    this.learned.set(key, e);
    if (e.abs !== undefined) this.absTrie.add(e.abs, key);
    // Bounded: the least recently learned entry goes (a folder not seen for a long time is relearned if needed).
    if (this.learned.size > this.maxLearned) this.forget(this.learned.keys().next().value!);
    this.wake(key);
  }

  private clock = 0;

  /** The clock: every entry learned after now has a later `at`. */
  get now(): number {
    return this.clock;
  }

  /**
   * The first link of `key`'s chain (from the inode up) learned from the log before `before`: the one to doubt
   * when the chain gives a path the event's own command line contradicts. Snapshot links are not doubted.
   */
  staleLinkIn(key: InodeKey, before: number): InodeKey | null {
    let k = key;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (this.snap.has(k)) return null;
      const e = this.learned.get(k);
      if (!e) return null;
      if ((e.at ?? 0) <= before) return k;
      if (e.abs !== undefined) return null;
      k = e.parent!;
    }
    return null;
  }

  /** The names from just below `ancestor` down to `key` (empty when they are the same), following learned links. */
  suffixFrom(key: InodeKey, ancestor: InodeKey): BPath {
    let suffix = '';
    let k = key;
    for (let depth = 0; depth < MAX_DEPTH && k !== ancestor; depth++) {
      const e = this.snap.get(k) ?? this.learned.get(k);
      if (!e || e.abs !== undefined) break;
      suffix = joinB(e.name!, suffix);
      k = e.parent!;
    }
    return suffix;
  }

  /** Forgets what was learned of an inode (its number was reused by a folder the log has not named yet). */
  distrust(key: InodeKey): void {
    this.forget(key);
  }

  /** Entries learned from the log (bounded by maxLearned). */
  get learnedCount(): number {
    return this.learned.size;
  }

  private wake(key: InodeKey): void {
    const list = this.waiting.get(key);
    if (!list) return;
    this.waiting.delete(key);
    const r = this.lookup(key);
    for (const w of list) {
      if (w.done) continue;
      if (!r) {
        w.done = true;
        w.resolve = DONE;
        this.waiterCount--;
      } else if ('path' in r) {
        w.done = true;
        this.waiterCount--;
        const resolve = w.resolve;
        // The entry stays in the expiry queue until its time comes: it must not keep the event alive that long.
        w.resolve = DONE;
        resolve(joinB(r.path, w.suffix), r.viaSnapshot, r.ambiguous === undefined ? undefined : joinB(r.ambiguous, w.suffix), w.key, w.suffix);
      } else {
        // The folder is known only as a child of another unknown folder: wait on that one, path grown by a level.
        w.key = r.waitOn;
        w.suffix = joinB(r.suffix, w.suffix);
        this.enlist(w);
      }
    }
  }
}

interface TrieNode {
  children: Map<string, TrieNode> | null;
  keys: InodeKey[] | null;
  /** Keys in this node and below. */
  count: number;
}

/**
 * Keys by absolute path, so "everything learned below /a/b" costs the size of the answer, not of the index: a folder
 * rename must not scan every folder ever named.
 */
class PathTrie {
  private readonly root: TrieNode = { children: null, keys: null, count: 0 };

  get size(): number {
    return this.root.count;
  }

  add(path: BPath, key: InodeKey): void {
    let n = this.root;
    n.count++;
    for (const seg of segments(path)) {
      n.children ??= new Map();
      let c = n.children.get(seg);
      if (c === undefined) n.children.set(seg, (c = { children: null, keys: null, count: 0 }));
      n = c;
      n.count++;
    }
    (n.keys ??= []).push(key);
  }

  remove(path: BPath, key: InodeKey): void {
    const trail: TrieNode[] = [this.root];
    let n: TrieNode | undefined = this.root;
    for (const seg of segments(path)) {
      n = n.children?.get(seg);
      if (n === undefined) return;
      trail.push(n);
    }
    const i = n.keys?.indexOf(key) ?? -1;
    if (i < 0) return;
    n.keys!.splice(i, 1);
    for (const t of trail) t.count--;
    // Prune emptied branches so the trie does not keep paths nothing refers to.
    const segs = segments(path);
    for (let d = trail.length - 1; d > 0; d--) {
      if (trail[d].count > 0) break;
      trail[d - 1].children!.delete(segs[d - 1]);
    }
  }

  /** Keys strictly below `path`. */
  below(path: BPath): InodeKey[] {
    let n: TrieNode | undefined = this.root;
    for (const seg of segments(path)) {
      n = n.children?.get(seg);
      if (n === undefined) return [];
    }
    const out: InodeKey[] = [];
    const walk = (t: TrieNode): void => {
      if (t.keys) out.push(...t.keys);
      if (t.children) for (const c of t.children.values()) walk(c);
    };
    if (n.children) for (const c of n.children.values()) walk(c);
    return out;
  }
}

function segments(path: BPath): string[] {
  return path.split('/').filter((s) => s !== '');
}
