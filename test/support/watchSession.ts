/**
 * Test side of a helper session run as the unprivileged test user (test/support/sessionDriver.ts): starts the driver
 * with runuser, collects what it reports, sends it requests, and waits for messages with deadlines.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { AuditEvent, WatchState } from '../../src/core/types';
import type { Method, Methods } from '../../src/helper/protocol';
import type { HealthIssue } from '../../src/views/sink';
import type { Sandbox, SudoUser } from './sudoUser';

/** One line the driver printed, with when it arrived. */
export interface Seen {
  at: number;
  msg: { t: string; [k: string]: unknown };
}

export class DriverSession {
  readonly seen: Seen[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  readonly proc: ChildProcess;
  exited: number | null | undefined;
  stderr = '';

  constructor(user: SudoUser, sandbox: Sandbox, opts: { wrongPassword?: boolean } = {}) {
    const cfg = { helper: sandbox.helper, password: user.password, wrongPassword: opts.wrongPassword };
    // runuser gives a clean login-less environment of that user: no root credentials leak into the session.
    this.proc = spawn('/usr/sbin/runuser', ['-u', user.name, '--', process.execPath, sandbox.scripts.driver, JSON.stringify(cfg)], {
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: user.home, LANG: 'C.UTF-8' },
    });
    let buf = '';
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line) continue;
        this.seen.push({ at: Date.now(), msg: JSON.parse(line) as Seen['msg'] });
      }
      this.wake();
    });
    this.proc.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.proc.on('exit', (code) => {
      this.exited = code;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pred` holds for some message seen from index `from` on; returns it (throws on timeout). */
  async waitFor(pred: (m: Seen['msg']) => boolean, timeoutMs = 20_000, from = 0, what = 'message'): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.seen.slice(from).find((s) => pred(s.msg));
      if (hit) return hit;
      if (this.exited !== undefined) throw new Error(`the session ended (${this.exited}) before ${what}; stderr: ${this.stderr}\nterminal: ${this.terminal()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; terminal: ${this.terminal()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Everything the terminal showed. */
  terminal(): string {
    return this.seen
      .filter((s) => s.msg.t === 'pty')
      .map((s) => s.msg.data as string)
      .join('');
  }

  /** Sends a request through the extension-side channel and waits for its result. */
  async request<M extends Method>(method: M, params: Methods[M]['params'], timeoutMs = 60_000): Promise<Methods[M]['result']> {
    const id = this.nextId++;
    const from = this.seen.length;
    this.send({ id, method, params });
    const r = (await this.waitFor((m) => m.t === 'result' && m.id === id, timeoutMs, from, `the reply to ${method}`)).msg as unknown as { ok: boolean; result?: unknown; error?: string };
    if (!r.ok) throw new Error(r.error);
    return r.result as Methods[M]['result'];
  }

  send(o: unknown): void {
    this.proc.stdin!.write(JSON.stringify(o) + '\n');
  }

  /** Events (and updates) seen for a key, latest version of each id, with when each first arrived. */
  events(key: string): { event: AuditEvent; at: number }[] {
    const byId = new Map<string, { event: AuditEvent; at: number }>();
    for (const s of this.seen) {
      if (s.msg.t !== 'events' || s.msg.key !== key) continue;
      for (const item of s.msg.items as { kind: string; event: AuditEvent }[]) {
        const prev = byId.get(item.event.id);
        byId.set(item.event.id, { event: item.event, at: prev?.at ?? s.at });
      }
    }
    return [...byId.values()];
  }

  /** The latest state of a watch. */
  state(key: string): WatchState | undefined {
    const states = this.seen.filter((s) => s.msg.t === 'state' && (s.msg.state as WatchState).key === key);
    return states.length > 0 ? (states[states.length - 1].msg.state as WatchState) : undefined;
  }

  /** The latest health issues the helper reported (lost events, auditd stopped, leftover rules). */
  health(): HealthIssue[] {
    const all = this.seen.filter((s) => s.msg.t === 'health');
    return all.length > 0 ? (all[all.length - 1].msg.issues as HealthIssue[]) : [];
  }

  /** Ends the session: closes its input (the driver closes the channel) and waits for it to exit. */
  async end(): Promise<void> {
    if (this.exited !== undefined) return;
    this.proc.stdin!.end();
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        r();
      }, 20_000);
      this.proc.on('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
}

/** The kernel's count of audit records it dropped (`auditctl -s` lost). */
export function kernelLost(): number {
  const m = /^lost (\d+)/m.exec(spawnSync('/usr/sbin/auditctl', ['-s'], { encoding: 'utf8' }).stdout);
  return m ? Number(m[1]) : 0;
}

/** Lines of `auditctl -l` that carry exactly this key. */
export function rulesWithKey(key: string): string[] {
  const r = spawnSync('/usr/sbin/auditctl', ['-l'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.endsWith(`-F key=${key}`));
}

/** Polls until `fn` is true or the time is up; returns its last value. */
export async function until(fn: () => boolean, timeoutMs = 10_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
