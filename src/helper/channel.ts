/**
 * The extension host's end of the helper channel (plain Node, no `vscode`: the integration tests drive it as an
 * unprivileged user without VS Code). It creates a private directory (0700) holding a one-time token (0600) and a
 * Unix socket (0600) it listens on; the helper, started as root, reads the token, connects and says hello with it.
 * The first connection that presents the token is the helper; any other is dropped, and once the helper is in, the
 * token file is deleted and no further connection is accepted.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CHANNEL_SOCKET,
  CHANNEL_TOKEN,
  encode,
  MessageReader,
  PROTOCOL_VERSION,
  type ExtensionMessage,
  type HelperMessage,
  type Method,
  type Methods,
} from './protocol';

/** What the helper said about itself. */
export interface HelperHello {
  pid: number;
  uid: number;
  arch: string;
  node: string;
}

/** Longest socket path Linux takes (sun_path is 108 bytes, NUL included), with room to spare. */
const MAX_SOCKET_PATH = 100;

/** A directory only this user can enter: $XDG_RUNTIME_DIR when it is ours and private, else the temp dir. */
function channelParent(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) {
    try {
      const st = lstatSync(runtime);
      if (st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o077) === 0) return runtime;
    } catch {
      // not there: use the temp dir
    }
  }
  const tmp = tmpdir();
  return path.join(tmp, 'x').length + 40 < MAX_SOCKET_PATH ? tmp : '/tmp';
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class HelperChannel {
  private helper: Socket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly analyses = new Map<number, (items: Extract<HelperMessage, { t: 'analysis' }>['items']) => void>();
  private readonly listeners = new Set<(msg: HelperMessage) => void>();
  private closedReason: string | undefined;
  private resolveReady!: (h: HelperHello) => void;
  private rejectReady!: (e: Error) => void;
  private resolveClosed!: (reason: string) => void;
  /** Resolves when the helper has connected and proved it holds the token. */
  readonly ready: Promise<HelperHello>;
  /** Resolves (with why) when the channel is closed, from either side. */
  readonly closed: Promise<string>;

  private constructor(
    /** The private directory: pass it to the helper as `--channel DIR`. */
    readonly dir: string,
    private readonly token: Buffer,
    private readonly server: Server,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody may be left with an unhandled rejection when the helper never comes.
    this.ready.catch(() => undefined);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    server.on('connection', (s) => this.accept(s));
  }

  /** Creates the directory, the token and the listening socket. */
  static async create(parent = channelParent()): Promise<HelperChannel> {
    const dir = mkdtempSync(path.join(parent, 'audit-lens-'));
    chmodSync(dir, 0o700);
    const token = randomBytes(32);
    writeFileSync(path.join(dir, CHANNEL_TOKEN), token.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    const server = createServer();
    const sock = path.join(dir, CHANNEL_SOCKET);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => resolve());
    });
    chmodSync(sock, 0o600);
    return new HelperChannel(dir, token, server);
  }

  /** The path of the socket. */
  get socketPath(): string {
    return path.join(this.dir, CHANNEL_SOCKET);
  }

  private accept(s: Socket): void {
    if (this.helper || this.closedReason) {
      s.destroy();
      return;
    }
    let authenticated = false;
    const timer = setTimeout(() => s.destroy(), 30_000);
    const reader = new MessageReader<HelperMessage>(
      (msg) => {
        if (authenticated) {
          this.dispatch(msg);
          return;
        }
        clearTimeout(timer);
        if (msg.t !== 'hello' || typeof msg.token !== 'string' || !this.tokenMatches(msg.token)) {
          s.destroy();
          return;
        }
        if (msg.version !== PROTOCOL_VERSION) {
          s.end(encode({ t: 'refuse', reason: `protocol version ${msg.version}, expected ${PROTOCOL_VERSION}: reload the window after updating Audit Lens` }));
          this.rejectReady(new Error(`the helper speaks protocol version ${msg.version}, this extension ${PROTOCOL_VERSION}`));
          return;
        }
        authenticated = true;
        this.helper = s;
        // One helper per channel: the token is spent and nobody else may connect.
        rmSync(path.join(this.dir, CHANNEL_TOKEN), { force: true });
        this.server.close();
        s.on('close', () => this.close('the helper disconnected'));
        this.send({ t: 'welcome', version: PROTOCOL_VERSION });
        this.resolveReady({ pid: msg.pid, uid: msg.uid, arch: msg.arch, node: msg.node });
      },
      (err) => {
        s.destroy();
        if (authenticated) this.close(`the helper sent something unreadable (${err.message})`);
      },
    );
    s.on('data', (chunk) => reader.push(chunk));
    s.on('error', () => undefined);
    s.on('close', () => clearTimeout(timer));
  }

  private tokenMatches(hex: string): boolean {
    const given = Buffer.from(hex, 'hex');
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  private dispatch(msg: HelperMessage): void {
    if (msg.t === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
      return;
    }
    if (msg.t === 'analysis') {
      this.analyses.get(msg.id)?.(msg.items);
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  /** Receives every message that is not a reply (states, events, health, log lines). */
  onMessage(listener: (msg: HelperMessage) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private send(msg: ExtensionMessage): void {
    if (this.helper && !this.helper.destroyed) this.helper.write(encode(msg));
  }

  /**
   * Sends a request and resolves with its result (rejects with the helper's message, or when it goes away).
   * `onItems` receives the items an analysis streams; `signal` cancels it.
   */
  request<M extends Method>(
    method: M,
    params: Methods[M]['params'],
    opts: { onItems?: (items: Extract<HelperMessage, { t: 'analysis' }>['items']) => void; signal?: AbortSignal } = {},
  ): Promise<Methods[M]['result']> {
    if (this.closedReason) return Promise.reject(new Error(this.closedReason));
    if (!this.helper) return Promise.reject(new Error('the helper is not connected'));
    const id = this.nextId++;
    if (opts.onItems) this.analyses.set(id, opts.onItems);
    const onAbort = (): void => this.send({ t: 'cancel', id });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = new Promise<Methods[M]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    }).finally(() => {
      this.analyses.delete(id);
      opts.signal?.removeEventListener('abort', onAbort);
    });
    this.send({ t: 'request', id, method, params } as ExtensionMessage);
    return done;
  }

  /** Whether the helper is connected and the channel open. */
  get connected(): boolean {
    return this.helper !== undefined && this.closedReason === undefined;
  }

  /** Asks the helper to remove its rules and exit; resolves when it has disconnected (or after `timeoutMs`). */
  async shutdown(timeoutMs = 20_000): Promise<void> {
    if (!this.connected) return;
    this.send({ t: 'shutdown' });
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, timeoutMs).unref?.())]);
  }

  private close(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    this.rejectReady(new Error(reason));
    this.resolveClosed(reason);
  }

  /** Closes everything and removes the directory. The helper sees the socket close and removes its rules. */
  dispose(): void {
    this.close('the channel was closed');
    this.helper?.destroy();
    this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
