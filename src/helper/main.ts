/**
 * The privileged helper (out/helper.js), started as root by the extension through sudo, pkexec or directly:
 *
 *   sudo -- /usr/bin/env ELECTRON_RUN_AS_NODE=1 NODE helper.js --channel DIR
 *
 * DIR is the extension's private channel directory (0700, owned by the user who ran sudo): the helper reads the
 * one-time token there, connects to the socket there, says hello with the token and then serves requests (watch,
 * unwatch, root-only file reads and analyses, health actions). Its terminal shows only human-readable status.
 *
 * Everything it installs is removed when it is told to stop, when the socket closes (the extension host went away,
 * however it died), on SIGTERM, SIGINT and SIGHUP (the terminal closed or the remote connection dropped), when its
 * parent changes (the process that started it died), and when its terminal's input ends.
 */
import { constants as fsc, closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { analyzeInputs, type EventFilter } from '../core/analyzer';
import type { StreamItem } from '../core/types';
import { WatchEngine } from './engine';
import {
  CHANNEL_SOCKET,
  CHANNEL_TOKEN,
  encode,
  MAX_READ,
  MessageReader,
  PROTOCOL_VERSION,
  type ExtensionMessage,
  type HelperMessage,
  type Method,
  type Methods,
  type Request,
} from './protocol';

const out = (text: string): void => {
  try {
    process.stdout.write(text.replace(/\r?\n/g, '\r\n'));
  } catch {
    // the terminal is gone (hang-up): nothing to show it on
  }
};
const dim = (s: string): string => `\x1b[2m${s}\x1b[0m`;
const colour = { info: '', warn: '\x1b[33m', error: '\x1b[31m' } as const;
/** Shows a status line in the terminal; control characters in names cannot forge lines there. */
function status(level: 'info' | 'warn' | 'error', message: string): void {
  const safe = message.replace(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const time = new Date().toTimeString().slice(0, 8);
  out(`${dim(time)} ${colour[level]}${safe}${level === 'info' ? '' : '\x1b[0m'}\n`);
}

/** The user who started us: the channel directory must be theirs. */
function invokingUid(): number {
  const v = process.env.SUDO_UID ?? process.env.PKEXEC_UID;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

/**
 * Checks the channel directory before trusting anything in it: a real directory (no symlink), owned by the invoking
 * user, closed to everyone else. Returns the token read from it (never followed through a symlink).
 */
function readChannel(dir: string, uid: number): string {
  if (!path.isAbsolute(dir)) throw new Error('the channel directory must be an absolute path');
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== uid) throw new Error(`${dir} belongs to uid ${st.uid}, not to the user who started the helper (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) throw new Error(`${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)})`);
  const fd = openSync(path.join(dir, CHANNEL_TOKEN), fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const tst = fstatSync(fd);
    if (!tst.isFile() || tst.uid !== uid || (tst.mode & 0o077) !== 0 || tst.size > 256) throw new Error('the channel token file is not a private file of the user');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n).trim();
  } finally {
    closeSync(fd);
  }
}

/** A file opened for the extension: audit logs only (defence in depth: this reads as root). */
interface Opened {
  fd: number;
  path: string;
}

/** Audit logs start with `type=` or `node=`; anything else is not served (an empty file is). */
function looksLikeAuditLog(fd: number): boolean {
  const head = Buffer.alloc(5);
  const n = readSync(fd, head, 0, 5, 0);
  const s = head.toString('latin1', 0, n);
  return n === 0 || s === 'type=' || s === 'node=';
}

class Helper {
  private socket!: Socket;
  private engine!: WatchEngine;
  private readonly files = new Map<number, Opened>();
  private nextHandle = 1;
  private readonly analyses = new Map<number, AbortController>();
  private stopping: Promise<void> | undefined;
  private events = 0;
  /** Requests can arrive right after the welcome, before the engine has opened: they wait for it. */
  private engineReady!: Promise<void>;
  private engineOpened!: () => void;

  constructor(
    private readonly dir: string,
    private readonly token: string,
  ) {}

  send(msg: HelperMessage): void {
    if (!this.socket.destroyed) this.socket.write(encode(msg));
  }

  async run(): Promise<void> {
    this.socket = connect(path.join(this.dir, CHANNEL_SOCKET));
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.engineReady = new Promise((r) => (this.engineOpened = r));
    let welcomed = false;
    const welcome = new Promise<void>((resolve, reject) => {
      const reader = new MessageReader<ExtensionMessage>(
        (msg) => {
          if (!welcomed) {
            if (msg.t === 'welcome' && msg.version === PROTOCOL_VERSION) {
              welcomed = true;
              resolve();
            } else reject(new Error(msg.t === 'refuse' ? `the extension refused the helper: ${msg.reason}` : 'the extension did not welcome the helper'));
            return;
          }
          this.onMessage(msg);
        },
        (err) => {
          status('error', `${err.message}: stopping`);
          void this.stop('the channel broke');
        },
      );
      this.socket.on('data', (chunk) => reader.push(chunk));
      setTimeout(() => reject(new Error('the extension did not answer the hello within 15 s')), 15_000).unref();
    });
    this.socket.on('close', () => void this.stop('the extension host went away (channel closed)'));
    this.socket.on('error', () => undefined);
    this.send({ t: 'hello', version: PROTOCOL_VERSION, token: this.token, pid: process.pid, uid: process.getuid?.() ?? -1, arch: process.arch, node: process.version });
    await welcome;
    this.engine = await WatchEngine.open({
      events: (key, items) => {
        this.events += items.filter((i) => i.kind === 'event').length;
        this.send({ t: 'events', key, items });
      },
      diagnostics: (key, diagnostics) => this.send({ t: 'diagnostics', key, diagnostics }),
      state: (state) => {
        this.send({ t: 'state', state });
        status(state.state === 'error' || state.state === 'folder-deleted' ? 'warn' : 'info', `${state.folder}: ${state.state}${state.message ? ` (${state.message})` : ''}`);
      },
      health: (issues) => {
        this.send({ t: 'health', issues });
        for (const i of issues) status('warn', i.message);
      },
      note: (level, message) => {
        this.send({ t: 'log', level, message });
        if (level !== 'info') status(level, message);
      },
    });
    this.engineOpened();
    status('info', 'connected to the extension');
    out(`${dim('Keep this terminal open while watching: closing it stops the helper and removes its audit rules.')}\n`);
    // A count now and then, so the terminal shows life without printing every event.
    let shown = 0;
    setInterval(() => {
      if (this.events !== shown) {
        shown = this.events;
        status('info', `${this.events} event${this.events === 1 ? '' : 's'} captured`);
      }
    }, 10_000).unref();
  }

  private onMessage(msg: ExtensionMessage): void {
    switch (msg.t) {
      case 'request':
        void this.serve(msg);
        break;
      case 'cancel':
        this.analyses.get(msg.id)?.abort();
        break;
      case 'shutdown':
        void this.stop('asked to stop');
        break;
      default:
        break;
    }
  }

  private async serve(req: Request): Promise<void> {
    try {
      await this.engineReady;
      const result = await this.handle(req);
      this.send({ t: 'reply', id: req.id, ok: true, result });
    } catch (err) {
      this.send({ t: 'reply', id: req.id, ok: false, error: (err as Error).message ?? String(err) });
    }
  }

  /** Runs one request; parameters come from the extension and are checked before use (we are root). */
  private async handle(req: Request): Promise<Methods[Method]['result']> {
    const p = req.params as Record<string, unknown>;
    const str = (k: string): string => {
      if (typeof p[k] !== 'string') throw new Error(`${k} must be a string`);
      return p[k] as string;
    };
    const int = (k: string): number => {
      if (!Number.isSafeInteger(p[k]) || (p[k] as number) < 0) throw new Error(`${k} must be a non-negative integer`);
      return p[k] as number;
    };
    switch (req.method) {
      case 'watch':
        return this.engine.watch(str('folder'), str('key'));
      case 'unwatch':
        await this.engine.unwatch(str('key'));
        if (this.engine.keys().length === 0) status('info', 'no folder is watched now');
        return null;
      case 'removeLeftovers':
        return { removed: await this.engine.removeLeftovers(Array.isArray(p.keys) ? p.keys.filter((k): k is string => typeof k === 'string') : []) };
      case 'raiseBacklog':
        return { backlogLimit: await this.engine.raiseBacklog(int('limit')) };
      case 'startAuditd':
        return this.engine.startAuditd();
      case 'open':
        return this.open(str('path'));
      case 'size':
        return { size: fstatSync(this.file(int('handle')).fd).size };
      case 'read': {
        const f = this.file(int('handle'));
        const length = Math.min(int('length'), MAX_READ);
        const buf = Buffer.alloc(length);
        const n = readSync(f.fd, buf, 0, length, int('offset'));
        return { data: buf.toString('base64', 0, n) };
      }
      case 'close': {
        const h = int('handle');
        const f = this.files.get(h);
        if (f) closeSync(f.fd);
        this.files.delete(h);
        return null;
      }
      case 'analyze':
        return this.analyze(req.id, p.inputs, p.filter);
      default:
        throw new Error(`unknown request ${(req as { method: string }).method}`);
    }
  }

  private file(handle: number): Opened {
    const f = this.files.get(handle);
    if (!f) throw new Error(`no open file with handle ${handle}`);
    return f;
  }

  private open(file: string): { handle: number; size: number } {
    if (!path.isAbsolute(file)) throw new Error('the path must be absolute');
    // Opening a device can act on it (a tape rewinds): only regular files are opened at all.
    if (!lstatSync(file).isFile()) throw new Error(`${file} is not an audit log: the helper reads only audit logs as root`);
    const fd = openSync(file, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile() || !looksLikeAuditLog(fd)) {
      closeSync(fd);
      throw new Error(`${file} is not an audit log: the helper reads only audit logs as root`);
    }
    const handle = this.nextHandle++;
    this.files.set(handle, { fd, path: file });
    status('info', `reading ${file} for the extension`);
    return { handle, size: st.size };
  }

  private async analyze(id: number, inputs: unknown, filter: unknown): Promise<Methods['analyze']['result']> {
    if (!Array.isArray(inputs) || !inputs.every((i): i is string => typeof i === 'string' && path.isAbsolute(i))) throw new Error('inputs must be absolute paths');
    // Diagnostics quote the start of unreadable lines: only audit logs (or directories of rotated ones) are analysed.
    for (const input of inputs) {
      if (lstatSync(input).isDirectory()) continue;
      const { handle } = this.open(input);
      closeSync(this.file(handle).fd);
      this.files.delete(handle);
    }
    const f = (filter ?? {}) as EventFilter;
    const controller = new AbortController();
    this.analyses.set(id, controller);
    let batch: StreamItem[] = [];
    const flush = (): void => {
      if (batch.length > 0) this.send({ t: 'analysis', id, items: batch });
      batch = [];
    };
    status('info', `analyzing ${inputs.join(', ')} for the extension`);
    try {
      const r = await analyzeInputs(inputs, {
        keys: Array.isArray(f.keys) ? f.keys.filter((k) => typeof k === 'string') : undefined,
        since: typeof f.since === 'number' ? f.since : undefined,
        until: typeof f.until === 'number' ? f.until : undefined,
        pathPrefix: typeof f.pathPrefix === 'string' ? f.pathPrefix : undefined,
        all: f.all === true,
        signal: controller.signal,
        onItem: (item) => {
          batch.push(item);
          if (batch.length >= 500) flush();
        },
      });
      flush();
      const { events: _events, ...rest } = r;
      return rest;
    } finally {
      this.analyses.delete(id);
    }
  }

  /** Removes every rule and exits; idempotent (several triggers can fire together). */
  stop(why: string): Promise<void> {
    this.stopping ??= (async () => {
      status('info', `${why}: removing the rules`);
      // Never hang here: rules that cannot be removed in 20 s are reported as leftovers at the next start.
      const guard = setTimeout(() => process.exit(3), 20_000);
      try {
        if (this.engine) await this.engine.stopAll();
        for (const a of this.analyses.values()) a.abort();
      } catch (err) {
        status('error', `cleanup failed: ${(err as Error).message}`);
      }
      clearTimeout(guard);
      status('info', 'rules removed; the helper has stopped');
      this.socket?.end();
      process.exit(0);
    })();
    return this.stopping;
  }
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--channel');
  const dir = i >= 0 ? argv[i + 1] : undefined;
  if (!dir) {
    out('usage: helper.js --channel DIR (started by the Audit Lens extension)\n');
    process.exit(2);
  }
  if (process.getuid?.() !== 0) {
    status('error', 'the Audit Lens helper must run as root (through sudo or pkexec)');
    process.exit(1);
  }
  process.stdout.on('error', () => undefined);
  out(`\x1b[1mAudit Lens helper\x1b[0m (root, pid ${process.pid})\n`);
  let helper: Helper | undefined;
  const stop = (why: string): void => {
    if (helper) void helper.stop(why);
    else process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => stop('the terminal hung up'));
  process.on('uncaughtException', (err) => {
    status('error', `internal error: ${err.message}`);
    stop('internal error');
  });
  // The parent (sudo, or the extension host when root) died if we were re-parented.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('the process that started the helper died');
  }, 1000).unref();
  // A terminal whose other end closed ends our input: the same as a hang-up.
  if (process.stdin.isTTY) {
    process.stdin.on('end', () => stop('the terminal closed'));
    process.stdin.on('error', () => stop('the terminal closed'));
    process.stdin.resume();
  }
  try {
    const token = readChannel(dir, invokingUid());
    helper = new Helper(dir, token);
    await helper.run();
  } catch (err) {
    status('error', `cannot start: ${(err as Error).message}`);
    if (helper) await helper.stop('start failed');
    process.exit(1);
  }
}

void main(process.argv.slice(2));
