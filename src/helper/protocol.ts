/**
 * The one protocol between the extension host and the privileged helper: JSON lines over a Unix socket that the
 * extension listens on in a private (0700) directory. The helper connects (it is root, so it can), says `hello`
 * with the one-time token it read from that directory, and only then is anything else accepted. The terminal the
 * helper runs in carries nothing but the password prompt and human-readable status: no event ever travels there.
 *
 * A discriminated union per direction (`t`), requests with ids answered by one `reply`, versioned by `hello`.
 * Plain data only (no `vscode` import): the helper, the extension host and the tests share this file.
 */
import type { AnalysisResult, EventFilter } from '../core/analyzer';
import type { AuditEvent, Diagnostic, StreamItem, WatchState } from '../core/types';
import type { HealthIssue } from '../views/sink';

/** Bumped whenever a message changes shape; both sides refuse a peer of another version. */
export const PROTOCOL_VERSION = 1;

/** Names of the files in the channel directory. */
export const CHANNEL_SOCKET = 'helper.sock';
export const CHANNEL_TOKEN = 'token';

/** What each request takes and what its reply carries. */
export interface Methods {
  /** Installs the rules for a folder and starts capturing; the reply is the watch's state once armed. */
  watch: { params: { folder: string; key: string }; result: WatchState };
  /** Removes a watch's rules (exactly those added) and stops capturing it. */
  unwatch: { params: { key: string }; result: null };
  /** Removes rules an earlier, crashed session left behind (keys as reported in a `leftover-rules` issue). */
  removeLeftovers: { params: { keys: string[] }; result: { removed: string[] } };
  /** `auditctl -b LIMIT`: raises the kernel's backlog so bursts wait instead of being dropped. */
  raiseBacklog: { params: { limit: number }; result: { backlogLimit: number } };
  /** Runs the classic steps to start auditd (mkdir -p /var/log/audit; systemctl, service or auditd). */
  startAuditd: { params: Record<string, never>; result: { started: boolean; how: string } };
  /** Opens a root-only audit log for reading; the handle is valid until `close` or the session ends. */
  open: { params: { path: string }; result: { handle: number; size: number } };
  size: { params: { handle: number }; result: { size: number } };
  /** Bytes as base64 (JSON has no bytes); at most 4 MiB per read. */
  read: { params: { handle: number; offset: number; length: number }; result: { data: string } };
  close: { params: { handle: number }; result: null };
  /** Runs the core analysis as root; items stream back as `analysis` messages with the same id before the reply. */
  analyze: { params: { inputs: string[]; filter: EventFilter }; result: Omit<AnalysisResult, 'events'> };
}
export type Method = keyof Methods;

/** Largest `read` the helper serves in one reply. */
export const MAX_READ = 4 << 20;

/** One request of any method, typed by its name. */
export type Request = { [M in Method]: { t: 'request'; id: number; method: M; params: Methods[M]['params'] } }[Method];

/** Extension host → helper. */
export type ExtensionMessage =
  /** The token matched and the versions agree: the helper may start. */
  | { t: 'welcome'; version: number }
  /** The hello was refused (wrong token, other version): the helper says why in its terminal and exits. */
  | { t: 'refuse'; reason: string }
  | Request
  /** Stops a running request (an analysis). */
  | { t: 'cancel'; id: number }
  /** Remove every rule and exit (Stop Watching the last folder, or the extension shutting down). */
  | { t: 'shutdown' };

/** Live events of one watch, batched. Updates replace an earlier event with the same id (a path resolved later). */
export interface EventBatch {
  t: 'events';
  key: string;
  items: { kind: 'event' | 'update'; event: AuditEvent }[];
}

/** Helper → extension host. */
export type HelperMessage =
  | { t: 'hello'; version: number; token: string; pid: number; uid: number; arch: string; node: string }
  | { t: 'reply'; id: number; ok: true; result: unknown }
  | { t: 'reply'; id: number; ok: false; error: string }
  | { t: 'state'; state: WatchState }
  | EventBatch
  | { t: 'diagnostics'; key: string; diagnostics: Diagnostic[] }
  /** The helper's current health problems (replaces the previous list). */
  | { t: 'health'; issues: HealthIssue[] }
  /** Items of a running `analyze` request. */
  | { t: 'analysis'; id: number; items: StreamItem[] }
  /** A line for the extension's log (the terminal shows the same for people). */
  | { t: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** Longest line either side accepts: a batch is capped well below it; anything longer is a broken peer. */
export const MAX_MESSAGE_BYTES = 32 << 20;

/** Serialises one message as a JSON line. */
export function encode(msg: ExtensionMessage | HelperMessage): string {
  return JSON.stringify(msg) + '\n';
}

/**
 * Splits a byte stream into JSON messages. Malformed lines and lines over the limit are errors (the peer is
 * broken or hostile: the connection is dropped by the caller), never silently skipped.
 */
export class MessageReader<T> {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly onMessage: (msg: T) => void,
    private readonly onError: (err: Error) => void,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      if (line.length === 0) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line.toString('utf8'));
      } catch {
        this.onError(new Error('malformed message from the peer'));
        return;
      }
      if (msg === null || typeof msg !== 'object' || typeof (msg as { t?: unknown }).t !== 'string') {
        this.onError(new Error('message without a type from the peer'));
        return;
      }
      this.onMessage(msg as T);
    }
    if (start < chunk.length) {
      this.size += chunk.length - start;
      if (this.size > this.maxBytes) {
        this.parts = [];
        this.size = 0;
        this.onError(new Error(`message longer than ${this.maxBytes} bytes from the peer`));
        return;
      }
      this.parts.push(Buffer.from(chunk.subarray(start)));
    }
  }
}

/** Helper keys: `al_` and 12 hex digits (15 bytes, within auditctl's 31). Other `al_…` keys are not ours. */
export const KEY_PATTERN = /^al_[0-9a-f]{12}$/;

/** True for a key the helper may have installed. */
export function isHelperKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_PATTERN.test(key);
}
