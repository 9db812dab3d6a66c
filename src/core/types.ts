/**
 * The data model shared by the CLI, the extension host, the helper and the webview.
 * Everything here is plain data (JSON-serialisable) so it can cross process and webview boundaries.
 */

/** Where a record came from: enough to "reveal raw record" in an editor. */
export interface SourceRef {
  /** File path, or `-` for stdin. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte in that file. */
  offset: number;
}

/** One audit record (one log line), parsed lazily: fields are split only on demand. */
export interface AuditRecord {
  type: string;
  node: string | null;
  /** Event time in milliseconds since the epoch. */
  time: number;
  serial: number;
  /** The raw part of the line after `msg=audit(...): ` and before the ENRICHED `\x1d`, as a latin1 string (one char per byte). */
  readonly body: string;
  /** The ENRICHED part after `\x1d`, latin1, or null. */
  readonly enriched: string | null;
  source: SourceRef;
  /** The whole line (latin1, without line terminator). */
  readonly raw: string;
  /** The input ended inside this line: its last value is not trusted. */
  readonly truncated?: boolean;
}

export type DiagnosticKind =
  | 'malformed-line'
  | 'duplicate-record'
  | 'late-record'
  | 'truncated-line'
  | 'invalid-utf8'
  | 'oversized-line'
  | 'lost-events'
  | 'unreadable-input';

/** A problem found in the input: counted and shown, never thrown. */
export interface Diagnostic {
  kind: DiagnosticKind;
  message: string;
  source?: SourceRef;
  /** For lost-events: how many serials are missing. */
  count?: number;
  node?: string | null;
}

export type Action = 'deleted' | 'renamed' | 'created' | 'modified' | 'attributes' | 'other';
export type ObjectRole = 'deleted' | 'source' | 'destination' | 'replaced' | 'created' | 'modified' | 'parent' | 'other';
export type Confidence = 'exact' | 'rebuilt' | 'uncertain';
export type ObjectType = 'file' | 'dir' | 'symlink' | 'other';

/** A file-system object an event touched, with its best absolute path and how sure we are of it. */
export interface AuditObject {
  role: ObjectRole;
  /** Best absolute path (in the watcher's view when a snapshot says so). Non-UTF-8 bytes are written `\xNN`. */
  path: string | null;
  confidence: Confidence;
  /** Decimal inode number as a string: NFS, CephFS, FUSE and overlayfs (xino) inodes exceed 2^53. */
  inode: string | null;
  dev: string | null;
  type: ObjectType | null;
  /** The path the process used, when it differs from `path` (bind mount, symlink, other mount namespace). */
  seenAs?: string;
  /** Hex of the raw path bytes, present only when the path is not valid UTF-8. */
  pathHex?: string;
  /** Why the path is uncertain or how it was rebuilt (short, for tooltips). */
  note?: string;
}

export interface ProcessInfo {
  pid: number | null;
  ppid: number | null;
  comm: string | null;
  exe: string | null;
  cwd: string | null;
  argv: string[] | null;
  uid: number | null;
  user: string | null;
  euid: number | null;
  euser: string | null;
  gid: number | null;
  group: string | null;
  /** null when unset (4294967295). */
  auid: number | null;
  loginUser: string | null;
  tty: string | null;
  /** null when unset (4294967295). */
  ses: number | null;
  /** Ancestors, nearest first, when the input holds their events. */
  parents?: { pid: number; comm: string | null; exe: string | null; argv: string[] | null }[];
  /**
   * Live captures only (read from /proc/PID/cgroup as the event arrives): the 64-hex container id, `host` when the
   * process ran in no container, `unknown` when it had exited before it could be read. Absent for logs read later.
   */
  container?: string;
  /** With `container`: docker, podman, containerd, kubernetes, lxc… when the cgroup path says so. */
  containerRuntime?: string;
}

/** One assembled and analysed event: what the tree, the CLI and the viewer show. */
export interface AuditEvent {
  /** `EPOCH.MS:SERIAL`, prefixed `node:` when a node is present. Stable across runs. */
  id: string;
  serial: number;
  /** ISO 8601 UTC. */
  time: string;
  timeMs: number;
  node: string | null;
  keys: string[];
  /** Record types in the event, in log order. */
  recordTypes: string[];
  syscall: string | null;
  arch: string | null;
  success: boolean | null;
  exit: number | null;
  errno: string | null;
  action: Action;
  watchRemoved: boolean;
  /** With watchRemoved: how many rules the kernel dropped with the folder (one per arch and rule kind). */
  rulesRemoved?: number;
  /** For URINGOP events: the io_uring op name. */
  uringOp?: string | null;
  process: ProcessInfo;
  objects: AuditObject[];
  source: SourceRef;
  /** Every record's location, for "reveal raw records". */
  records: SourceRef[];
}

/** What an analysing stream emits: new events, later improvements to events already emitted, and diagnostics. */
export type StreamItem =
  | { kind: 'event'; event: AuditEvent }
  | { kind: 'update'; event: AuditEvent }
  | { kind: 'diagnostic'; diagnostic: Diagnostic };

/** One line of an inode snapshot (`audit-lens snapshot DIR`). */
export interface SnapshotEntry {
  /** The machine (audit `node=`) for snapshots of remote hosts; absent for the local one. */
  node?: string;
  dev: string;
  /** Decimal inode number as a string (exact above 2^53). Readers also accept a JSON number from older snapshots. */
  inode: string;
  type: ObjectType;
  /** The path in the documented name encoding (see `encodeName` in src/core/names.ts). */
  path: string;
}

/** The state of one live watch, as the helper reports it and the Watches view shows it. */
export interface WatchState {
  /** The watched folder, absolute. */
  folder: string;
  /** The audit key of its rules (short ASCII, unique per watch). */
  key: string;
  state: 'starting' | 'armed' | 'folder-deleted' | 're-armed' | 'stopped' | 'error';
  /** Events captured for this watch since it started (including those restored from storage). */
  events: number;
  /** Events the kernel dropped while the watch ran (`auditctl -s` lost counter growth). */
  lost: number;
  /** Human-readable detail: who deleted the folder, why arming failed, a mount-point warning… */
  message?: string;
  /** Epoch ms of the last state change. */
  since: number;
}
