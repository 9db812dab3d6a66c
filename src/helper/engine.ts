/**
 * The watch engine: what the privileged helper and `sudo audit-lens watch` run, as root, in-process.
 *
 * Per watched folder F it installs the rules (rules.ts, and io_uring's list 7 through uringRules.ts), takes F's inode
 * snapshot, and feeds one streaming Analyzer (key-filtered, unsettled) from a single live tail of audit.log
 * (tail.ts). Events leave in batches; when F itself is deleted or moved away (the kernel drops the dir= rule) the
 * watch says by whom and re-arms the moment F exists again. `auditctl -s` is read every few seconds for lost events
 * and auditd's health. Everything installed is removed by `unwatch`/`stopAll`, which the callers run on stop,
 * signals, hang-up and parent death, also while a watch is still being armed (it stops adding and removes what it
 * added); rules of a crashed earlier run are found by key and offered for removal.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, watch as fsWatch, writeFileSync, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { Analyzer, isDefaultInteresting } from '../core/analyzer';
import { takeSnapshot } from '../core/snapshot';
import type { AuditEvent, Diagnostic, SnapshotEntry, WatchState } from '../core/types';
import { programName, userName } from '../views/eventRows';
import type { HealthIssue } from '../views/sink';
import { adviseOnStatus, parseAuditctlStatus, processName } from './auditdStatus';
import { ContainerCache } from './container';
import { isHelperKey } from './protocol';
import { Auditctl, folderRules, helperKeysIn, mountPointsUnder, prefixSafe, type SyscallRule } from './rules';
import { firstLine, run, systemProgram } from './system';
import { auditLogPath, AuditLogTail } from './tail';
import { findPython, uringRule } from './uringRules';

/** What the engine reports; the helper sends it over the channel, the CLI prints it. */
export interface EngineListener {
  /** New or updated events of one watch (deletions, renames, failed attempts, folder removals). */
  events(key: string, items: { kind: 'event' | 'update'; event: AuditEvent }[]): void;
  diagnostics(key: string, diagnostics: Diagnostic[]): void;
  state(state: WatchState): void;
  health(issues: HealthIssue[]): void;
  /** Human-readable status (terminal, log). */
  note(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface EngineOptions {
  logFile?: string;
  /** Quiet time after which open events are closed (ms). */
  idleMs?: number;
  /** How often `auditctl -s` is read (ms). */
  statusIntervalMs?: number;
  /** Where live helpers register their keys (so one never calls another's rules leftovers). */
  registryDir?: string;
  /** Disable io_uring coverage (tests of the syscall path alone). */
  noUring?: boolean;
}

/**
 * Quiet time after which open events are closed. The core closes a syscall event as soon as it is complete (SYSCALL,
 * every PATH, PROCTITLE), so this only delays events that never complete that way (io_uring's URINGOP events, events
 * missing a record). It must outlast auditd's pauses inside one event: on a loaded 2-core machine with a full
 * backlog, 200 ms split events (their last records came "late"); 1 s did not.
 */
const IDLE_MS = 1000;
/**
 * …and under pressure (the kernel backlog filling up, or a record seen arriving late), much longer: then the kernel
 * makes the deleting process wait for backlog space between the records of one event.
 */
const IDLE_UNDER_PRESSURE_MS = 8000;
const PRESSURE_HOLD_MS = 30_000;
/** A backlog at or above this share of backlog_limit is a warning: the next burst may be dropped. */
const BACKLOG_WARN_SHARE = 0.8;
/** Events per batch sent at once; more wait for the next flush (a few ms later). */
const MAX_BATCH = 500;
const FLUSH_MS = 30;
const MAX_DIAGNOSTICS_PER_WATCH = 200;

interface Watch {
  key: string;
  folder: string;
  ino: string | null;
  analyzer: Analyzer;
  rules: SyscallRule[];
  /** Syscall rules currently believed to be in the kernel (dir= ones vanish with the folder). */
  armed: Set<SyscallRule>;
  uring: ('dir' | 'path')[];
  uringProblem?: string;
  mountWarning?: string;
  state: WatchState;
  batch: { kind: 'event' | 'update'; event: AuditEvent }[];
  diagnostics: Diagnostic[];
  diagnosticCount: number;
  lostBase: number;
  /** Set while the folder is gone: watches its parent for the folder's return. */
  recheck?: { timer: NodeJS.Timeout; watcher?: FSWatcher };
  recreatedBy?: string;
  /** The rule changes in flight (a re-arm, the removal of a gone folder's dir= rules), run one after another. */
  changing?: Promise<void>;
  /** Set by unwatch: nothing adds rules to the watch any more, and a second unwatch waits for the first. */
  closing?: Promise<void>;
}

/** A watch() still getting ready (snapshot, rules): unwatch and stopAll cancel it and wait for it to undo itself. */
interface Start {
  folder: string;
  cancelled: boolean;
  run: Promise<WatchState>;
}

/** `rm (pid 123) · alice as root`: who did it, in a status line. */
export function who(ev: AuditEvent): string {
  const pid = ev.process.pid !== null ? ` (pid ${ev.process.pid})` : '';
  const prog = ev.uringOp && !ev.process.exe ? `io_uring ${ev.uringOp}` : programName(ev);
  return `${prog}${pid} · ${userName(ev)}`;
}

/** The lost-events issue for a status reading, or null. `baseLost` is `lost` when watching began. */
export function lostEventsIssue(status: Map<string, string>, baseLost: number): Extract<HealthIssue, { kind: 'lost-events' }> | null {
  const lost = Number(status.get('lost') ?? 0) - baseLost;
  const backlog = Number(status.get('backlog') ?? 0);
  const limit = Number(status.get('backlog_limit') ?? 0);
  const near = limit > 0 && backlog >= limit * BACKLOG_WARN_SHARE;
  if (lost <= 0 && !near) return null;
  const what =
    lost > 0
      ? `The kernel dropped ${lost} audit record${lost === 1 ? '' : 's'} while watching (backlog_limit ${limit}): deletions may be missing.`
      : `The kernel's audit backlog is nearly full (${backlog} of ${limit}): a burst of deletions may be dropped.`;
  return { kind: 'lost-events', lost: Math.max(0, lost), backlog, backlogLimit: limit, message: `${what} Raise the backlog with \`auditctl -b 8192\`.` };
}

/** The start time of a process (clock ticks since boot, field 22 of /proc/PID/stat): a pid plus this names one process. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export class WatchEngine {
  private readonly watches = new Map<string, Watch>();
  private readonly containers = new ContainerCache();
  private tail: AuditLogTail | undefined;
  private needles: Buffer[] = [];
  private statusTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private issues: { auditd: HealthIssue | null; lost: HealthIssue | null; leftovers: HealthIssue | null } = { auditd: null, lost: null, leftovers: null };
  private leftoverKeys: string[] = [];
  private lastHealth = '[]';
  /** Until when open events get the long quiet time (backlog pressure or late records seen). */
  private pressureUntil = 0;
  private baseLost = 0;
  private readonly python: string | undefined;
  private readonly logFile: string;
  private readonly registryDir: string;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly starting = new Map<string, Start>();

  private constructor(
    private readonly listener: EngineListener,
    private readonly auditctl: Auditctl | undefined,
    private readonly o: EngineOptions,
  ) {
    this.logFile = o.logFile ?? auditLogPath();
    this.registryDir = o.registryDir ?? '/run/audit-lens';
    this.python = o.noUring ? undefined : findPython();
  }

  /** Finds auditctl, checks auditd, looks for leftover rules and starts the status poll. Needs root. */
  static async open(listener: EngineListener, o: EngineOptions = {}): Promise<WatchEngine> {
    const path = systemProgram('auditctl');
    const engine = new WatchEngine(listener, path ? new Auditctl(path) : undefined, o);
    await engine.checkAuditd();
    await engine.findLeftovers();
    engine.statusTimer = setInterval(() => void engine.poll(), o.statusIntervalMs ?? 5000);
    engine.statusTimer.unref?.();
    return engine;
  }

  /** Keys of the watches running now. */
  keys(): string[] {
    return [...this.watches.keys()];
  }

  /** The state of every watch. */
  states(): WatchState[] {
    return [...this.watches.values()].map((w) => ({ ...w.state }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // auditd and health

  /** Whether auditd can record: sets the auditd health issue and returns its message when it cannot. */
  private async checkAuditd(): Promise<string | null> {
    if (!this.auditctl) {
      this.issues.auditd = {
        kind: 'auditd-missing',
        message: 'auditd is not installed (no auditctl in /usr/sbin or /sbin): install it with `apt-get install auditd` (Debian, Ubuntu) or `dnf install audit` (Fedora, RHEL), then watch again.',
      };
      this.emitHealth();
      return this.issues.auditd.message;
    }
    const r = await this.auditctl.status();
    const status = parseAuditctlStatus(r.stdout);
    const error = adviseOnStatus(r.stdout + r.stderr, r.code ?? 1, processName).find((a) => a.severity === 'error');
    this.issues.auditd = error ? { kind: 'auditd-stopped', message: `${error.text} Audit Lens can start it: run "Start auditd" (it does mkdir -p ${path.dirname(this.logFile)} and starts auditd through systemctl, service or auditd itself).` } : null;
    if (!error && this.watches.size === 0) this.baseLost = Number(status.get('lost') ?? 0);
    this.emitHealth();
    return error ? error.text : null;
  }

  /** Reads `auditctl -s`: lost events, backlog, auditd still running; and checks every watched folder is still there. */
  private async poll(): Promise<void> {
    if (this.stopped || !this.auditctl) return;
    const r = await this.auditctl.status();
    const status = parseAuditctlStatus(r.stdout);
    if (r.code === 0 && status.has('lost')) {
      const limit = Number(status.get('backlog_limit') ?? 0);
      if (limit > 0 && Number(status.get('backlog') ?? 0) >= limit / 4) this.pressureUntil = Date.now() + PRESSURE_HOLD_MS;
      const issue = lostEventsIssue(status, this.baseLost);
      this.issues.lost = issue;
      const lost = Math.max(0, Number(status.get('lost')) - this.baseLost);
      for (const w of this.watches.values()) {
        const own = Math.max(0, Number(status.get('lost')) - w.lostBase);
        if (own !== w.state.lost) {
          w.state.lost = own;
          this.emitState(w);
        }
      }
      if (issue && lost > 0) this.listener.note('warn', issue.message);
    }
    await this.checkAuditd();
    for (const w of this.watches.values()) this.verifyFolder(w);
  }

  private emitHealth(): void {
    const issues = [this.issues.auditd, this.issues.lost, this.issues.leftovers].filter((i): i is HealthIssue => i !== null);
    const text = JSON.stringify(issues);
    if (text === this.lastHealth) return;
    this.lastHealth = text;
    this.listener.health(issues);
  }

  /** Rules with a helper key that no live helper (this one or another) owns: left by a crash. */
  async findLeftovers(): Promise<string[]> {
    if (!this.auditctl) return [];
    let listing: string;
    try {
      listing = await this.auditctl.list();
    } catch (err) {
      this.listener.note('warn', (err as Error).message);
      return [];
    }
    const live = new Set([...this.keys(), ...this.liveRegisteredKeys()]);
    this.leftoverKeys = helperKeysIn(listing).filter((k) => !live.has(k));
    this.issues.leftovers =
      this.leftoverKeys.length > 0
        ? {
            kind: 'leftover-rules',
            keys: [...this.leftoverKeys],
            message: `${this.leftoverKeys.length} audit rule key${this.leftoverKeys.length === 1 ? '' : 's'} (${this.leftoverKeys.join(', ')}) left by an Audit Lens helper that did not stop cleanly.`,
          }
        : null;
    this.emitHealth();
    return this.leftoverKeys;
  }

  /** Removes the rules of leftover keys (only keys found as leftovers: never a key someone merely names). */
  async removeLeftovers(keys: string[]): Promise<string[]> {
    const ac = this.requireAuditctl();
    await this.findLeftovers();
    const removed: string[] = [];
    for (const key of keys.filter((k) => isHelperKey(k) && this.leftoverKeys.includes(k))) {
      const listing = await ac.list();
      if (!prefixSafe(listing, key)) {
        this.listener.note('warn', `not removing ${key}: another rule's key starts with it (auditctl -D -k matches prefixes)`);
        continue;
      }
      await ac.deleteAllWithKey(key);
      removed.push(key);
      this.listener.note('info', `removed the leftover rules of ${key}`);
    }
    await this.findLeftovers();
    return removed;
  }

  /** `auditctl -b limit`. */
  async raiseBacklog(limit: number): Promise<number> {
    if (!Number.isInteger(limit) || limit < 64 || limit > 1 << 20) throw new Error(`backlog limit out of range: ${limit}`);
    await this.requireAuditctl().setBacklog(limit);
    this.listener.note('info', `kernel audit backlog raised to ${limit}`);
    const r = await this.requireAuditctl().status();
    const status = parseAuditctlStatus(r.stdout);
    this.baseLost = Number(status.get('lost') ?? this.baseLost);
    for (const w of this.watches.values()) w.lostBase = this.baseLost - w.state.lost;
    this.issues.lost = null;
    this.emitHealth();
    return Number(status.get('backlog_limit') ?? limit);
  }

  /** The classic steps: the log directory, then systemctl, service or auditd itself; waits until it runs. */
  async startAuditd(): Promise<{ started: boolean; how: string }> {
    const auditd = systemProgram('auditd');
    if (!this.auditctl || !auditd) throw new Error('auditd is not installed: install it with `apt-get install auditd` or `dnf install audit`.');
    mkdirSync(path.dirname(this.logFile), { recursive: true, mode: 0o700 });
    const systemctl = systemProgram('systemctl');
    const service = systemProgram('service');
    let how: string;
    let r;
    if (systemctl && statSafe('/run/systemd/system')) {
      how = `${systemctl} start auditd`;
      r = await run(systemctl, ['start', 'auditd'], { timeoutMs: 30_000 });
    } else if (service) {
      how = `${service} auditd start`;
      r = await run(service, ['auditd', 'start'], { timeoutMs: 30_000 });
    } else {
      how = auditd;
      r = await run(auditd, [], { timeoutMs: 30_000 });
    }
    if (r.code !== 0) throw new Error(`${how}: ${firstLine(r)}`);
    for (let i = 0; i < 50; i++) {
      if ((await this.checkAuditd()) === null) {
        this.listener.note('info', `auditd started (${how})`);
        return { started: true, how };
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`${how} ran, but auditd is still not running: see \`journalctl -u auditd\` or ${path.dirname(this.logFile)}`);
  }

  private requireAuditctl(): Auditctl {
    if (!this.auditctl) throw new Error('auditctl was not found in /usr/sbin or /sbin: install auditd.');
    return this.auditctl;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Registry of live helpers (so concurrent helpers never take each other's rules for leftovers)

  private registryFile(): string {
    return path.join(this.registryDir, `${process.pid}.json`);
  }

  private register(): void {
    try {
      mkdirSync(this.registryDir, { recursive: true, mode: 0o700 });
      const file = this.registryFile();
      if (this.watches.size === 0) rmSync(file, { force: true });
      else writeFileSync(file, JSON.stringify({ pid: process.pid, start: startTime(process.pid), keys: this.keys() }), { mode: 0o600 });
    } catch (err) {
      this.listener.note('warn', `could not record the watch keys in ${this.registryDir}: ${(err as Error).message}`);
    }
  }

  private liveRegisteredKeys(): string[] {
    const keys: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.registryDir);
    } catch {
      return keys;
    }
    for (const name of names) {
      const file = path.join(this.registryDir, name);
      try {
        const e = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; start: string | null; keys: string[] };
        if (e.pid !== process.pid && (startTime(e.pid) === null || startTime(e.pid) !== e.start)) {
          rmSync(file, { force: true });
          continue;
        }
        keys.push(...e.keys.filter(isHelperKey));
      } catch {
        // a file being written; it is someone's
      }
    }
    return keys;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The tail

  private ensureTail(): void {
    if (this.tail) return;
    this.tail = new AuditLogTail(this.logFile, {
      idleMs: () => this.idleMs(),
      onChunk: (buf, n) => this.containers.scan(buf, n, this.needles),
      onLine: (buf, start, end, file, line, offset, truncated) => {
        for (const w of this.watches.values()) w.analyzer.pushBytes(buf, start, end, file, line, offset, truncated);
      },
      onIdle: () => {
        for (const w of this.watches.values()) w.analyzer.idle();
        this.flush();
      },
      onDiagnostic: (d) => {
        for (const w of this.watches.values()) this.diagnose(w, d);
      },
      onNote: (m) => this.listener.note('info', m),
    });
    this.tail.start();
  }

  /** How long the tail waits before closing open events: longer while the kernel backlog is under pressure. */
  private idleMs(): number {
    const base = this.o.idleMs ?? IDLE_MS;
    return Date.now() < this.pressureUntil ? Math.max(base, IDLE_UNDER_PRESSURE_MS) : base;
  }

  /** Bytes read from the log since the tail started, and rotations followed. */
  tailStats(): { bytes: number; rotations: number } {
    return { bytes: this.tail?.bytes ?? 0, rotations: this.tail?.rotations ?? 0 };
  }

  private diagnose(w: Watch, d: Diagnostic): void {
    // A record that came after its event was closed: the quiet time was too short for this machine's load.
    if (d.kind === 'late-record') this.pressureUntil = Date.now() + PRESSURE_HOLD_MS;
    w.diagnosticCount++;
    if (w.diagnostics.length < MAX_DIAGNOSTICS_PER_WATCH) w.diagnostics.push(d);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  /** Sends what is batched. */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    for (const w of this.watches.values()) this.flushWatch(w);
  }

  private flushWatch(w: Watch): void {
    while (w.batch.length > 0) this.listener.events(w.key, w.batch.splice(0, MAX_BATCH));
    if (w.diagnostics.length > 0) this.listener.diagnostics(w.key, w.diagnostics.splice(0));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Watches

  /**
   * Watches a folder: rules installed and verified, snapshot taken, capturing. Rejects with a clear message when
   * the folder cannot be watched (not a directory, auditd not running, auditctl refusing the rule).
   */
  async watch(folderInput: string, key: string): Promise<WatchState> {
    if (this.stopped) throw new Error('the helper is stopping');
    if (!isHelperKey(key)) throw new Error(`not a watch key: ${JSON.stringify(key)}`);
    if (typeof folderInput !== 'string' || !folderInput.startsWith('/')) throw new Error(`not an absolute path: ${JSON.stringify(folderInput)}`);
    const ac = this.requireAuditctl();
    let folder: string;
    try {
      folder = realpathSync(folderInput);
      if (!lstatSync(folder).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(`cannot watch ${folderInput}: ${e.code === 'ENOENT' ? 'it does not exist' : e.code === 'ENOTDIR' || e.message === 'not a directory' ? 'not a directory (Watch Deletions watches folders)' : e.message}`);
    }
    if (folder === '/') throw new Error('cannot watch /: its rules would record every write on the machine; pick the folder whose deletions you want to see');
    // One start per key and folder: a second request gets the first one's outcome, and each start can be cancelled.
    const pending = this.starting.get(key) ?? [...this.starting.values()].find((s) => s.folder === folder);
    if (pending) return pending.run;
    const existing = this.watches.get(key) ?? [...this.watches.values()].find((w) => w.folder === folder);
    if (existing) return { ...existing.state };
    const start = { folder, cancelled: false } as Start;
    this.starting.set(key, start);
    start.run = this.start(start, ac, folderInput, folder, key).finally(() => this.starting.delete(key));
    return start.run;
  }

  /**
   * The body of watch(). After every step that waits it checks whether unwatch or stopAll cancelled it; once rules
   * may exist it removes what it added before rejecting, so a stop never leaves a half-armed watch behind.
   */
  private async start(start: Start, ac: Auditctl, folderInput: string, folder: string, key: string): Promise<WatchState> {
    const stopped = `stopped before ${folder} was watched`;
    const notYet = (): void => {
      if (start.cancelled) throw new Error(stopped);
    };
    const problem = await this.checkAuditd();
    if (problem) throw new Error(problem);
    notYet();

    const snapshot: SnapshotEntry[] = [];
    let unreadable = 0;
    for await (const e of takeSnapshot(folder, () => unreadable++)) {
      if (start.cancelled) break;
      snapshot.push(e);
    }
    notYet();
    const rules = folderRules(folder, key);
    const w: Watch = {
      key,
      folder,
      ino: snapshot[0]?.inode ?? null,
      analyzer: undefined as unknown as Analyzer,
      rules,
      armed: new Set(),
      uring: [],
      state: { folder, key, state: 'starting', events: 0, lost: 0, since: Date.now() },
      batch: [],
      diagnostics: [],
      diagnosticCount: 0,
      lostBase: this.baseLost,
    };
    w.analyzer = new Analyzer((item) => this.onItem(w, item), { settle: false, snapshot, filter: { keys: [key], all: true } });
    const status = parseAuditctlStatus((await ac.status()).stdout);
    notYet();
    w.lostBase = Number(status.get('lost') ?? 0);
    if (folderInput !== folder) this.listener.note('info', `${folderInput} is ${folder}: watching the real path`);
    // Registered before the rules exist: the tail must hand it every record the rules produce.
    this.ensureTail();
    this.watches.set(key, w);
    this.refreshNeedles();
    const armed = await this.arm(w, () => !start.cancelled);
    if (armed.ok && !start.cancelled) {
      const mounts = mountPointsUnder(folder);
      if (mounts.length > 0) {
        w.mountWarning = `${mounts.length} mount point${mounts.length === 1 ? '' : 's'} inside (${mounts.slice(0, 3).join(', ')}${mounts.length > 3 ? ', …' : ''}): deletions on ${mounts.length === 1 ? 'it' : 'them'} are not covered`;
      }
      if (unreadable > 0) this.listener.note('warn', `${unreadable} entries of ${folder} could not be read for the inode snapshot`);
      this.register();
      await this.findLeftovers();
    }
    if (!armed.ok || start.cancelled) {
      // Refused or stopped part-way: what was added goes, and no "armed" is reported for a watch that never held.
      const added = w.armed.size + w.uring.length;
      const errors = await this.removeRules(w);
      this.dropWatch(w);
      const removal = errors.length > 0 ? `; removing its rules failed: ${errors.join('; ')}` : added > 0 ? `; ${added === 1 ? 'the rule it had added was' : `the ${added} rules it had added were`} removed` : '';
      if (!armed.ok) throw new Error(`cannot watch ${folder}: auditctl refused the rule: ${armed.error}${removal}`);
      this.listener.note(errors.length > 0 ? 'warn' : 'info', `${stopped} (key ${key})${removal}`);
      throw new Error(`${stopped}${removal}`);
    }
    this.setState(w, 'armed', this.detail(w));
    this.listener.note('info', `watching ${folder} (key ${key}): ${w.state.message}`);
    return { ...w.state };
  }

  /** The standing facts of a watch: which rules, what is not covered. */
  private detail(w: Watch, lead?: string): string {
    const parts: string[] = [];
    if (lead) parts.push(lead);
    parts.push(`${w.armed.size} syscall rule${w.armed.size === 1 ? '' : 's'}${w.uring.length > 0 ? ` + ${w.uring.length} io_uring` : ''}`);
    if (w.uringProblem) parts.push(`io_uring deletions not covered: ${w.uringProblem}`);
    if (w.mountWarning) parts.push(w.mountWarning);
    return parts.join('; ');
  }

  /**
   * Adds every rule of the watch that is not in the kernel (identical rules already there count as added). Stops
   * adding as soon as `live()` turns false (the watch is being stopped): the caller then removes what was added.
   */
  private async arm(w: Watch, live: () => boolean): Promise<{ ok: true } | { ok: false; error: string }> {
    const ac = this.requireAuditctl();
    for (const rule of w.rules) {
      if (!live()) return { ok: true };
      const r = await ac.add(rule.args);
      if (!r.ok) return r;
      w.armed.add(rule);
    }
    if (!this.python) {
      w.uringProblem = this.o.noUring ? 'disabled' : 'no python3 to send the netlink rule (auditctl cannot add io_uring rules)';
      return { ok: true };
    }
    for (const field of ['path', 'dir'] as const) {
      if (!live()) return { ok: true };
      if (w.uring.includes(field)) continue;
      const r = await uringRule(this.python, 'add', field, w.folder, w.key);
      if (r.ok) {
        w.uring.push(field);
        w.uringProblem = undefined;
      } else {
        w.uringProblem = `the kernel refused the io_uring rule (${r.error})`;
      }
    }
    return { ok: true };
  }

  /** Deletes the rules the watch added (all, or one field's); rules the kernel already dropped are fine. */
  private async disarm(w: Watch, only?: SyscallRule['field']): Promise<string[]> {
    const errors: string[] = [];
    const ac = this.auditctl;
    if (!ac) return errors;
    for (const rule of [...w.rules].reverse()) {
      if ((only && rule.field !== only) || !w.armed.has(rule)) continue;
      const r = await ac.delete(rule.args);
      if (r.ok) w.armed.delete(rule);
      else errors.push(r.error);
    }
    for (const field of [...w.uring].reverse()) {
      if ((only && field !== only) || !this.python) continue;
      const r = await uringRule(this.python, 'del', field, w.folder, w.key);
      if (r.ok) w.uring = w.uring.filter((f) => f !== field);
      else errors.push(r.error);
    }
    return errors;
  }

  /** Deletes every rule of the watch and checks none with its key is left (else removes them by key). */
  private async removeRules(w: Watch): Promise<string[]> {
    const errors = await this.disarm(w);
    const left = await this.remainingRules(w.key);
    if (left > 0 && this.auditctl) {
      // Should not happen (every rule added is deleted above), but nothing of ours may stay behind.
      const listing = await this.auditctl.list();
      if (prefixSafe(listing, w.key)) await this.auditctl.deleteAllWithKey(w.key);
      errors.push(`${left} rule(s) with key ${w.key} survived their exact deletion and were removed by key`);
    }
    return errors;
  }

  /** Forgets a watch whose rules are gone; the tail stops with the last one. */
  private dropWatch(w: Watch): void {
    this.stopRecheck(w);
    this.watches.delete(w.key);
    this.refreshNeedles();
    this.register();
    this.stopTailIfIdle();
  }

  private stopTailIfIdle(): void {
    if (this.watches.size > 0 || !this.tail) return;
    this.tail.stop();
    this.tail = undefined;
  }

  /**
   * Stops one watch: its rules removed (and checked gone), its last events sent. A watch still starting is cancelled
   * and removes what it added itself; a re-arm in flight stops at its next rule and is waited for, so every rule
   * added is deleted exactly once. A second call for the same watch waits for the first.
   */
  async unwatch(key: string): Promise<void> {
    const start = this.starting.get(key);
    if (start) {
      start.cancelled = true;
      await start.run.catch(() => undefined);
    }
    const w = this.watches.get(key);
    if (!w) return;
    await (w.closing ??= this.close(w));
  }

  private async close(w: Watch): Promise<void> {
    this.stopRecheck(w);
    while (w.changing) await w.changing;
    const errors = await this.removeRules(w);
    w.analyzer.idle();
    w.analyzer.finish();
    this.flushWatch(w);
    this.dropWatch(w);
    this.setState(w, 'stopped', errors.length > 0 ? errors.join('; ') : 'rules removed');
    this.listener.note(errors.length > 0 ? 'warn' : 'info', `stopped watching ${w.folder} (key ${w.key})${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
  }

  /** How many rules with exactly this key the kernel still has. */
  async remainingRules(key: string): Promise<number> {
    if (!this.auditctl) return 0;
    try {
      const listing = await this.auditctl.list();
      return listing.split('\n').filter((l) => l.endsWith(`-F key=${key}`) || l.includes(`-F key=${key} `)).length;
    } catch {
      return 0;
    }
  }

  /**
   * Removes every rule of every watch, those still starting included, and stops. Every caller (signals may race)
   * gets the same promise: it resolves once nothing of ours is left in the kernel.
   */
  stopAll(): Promise<void> {
    return (this.stopping ??= this.stopEverything());
  }

  private async stopEverything(): Promise<void> {
    this.stopped = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    const starts = [...this.starting.values()];
    for (const s of starts) s.cancelled = true;
    await Promise.all(starts.map((s) => s.run.catch(() => undefined)));
    for (const key of [...this.watches.keys()]) {
      try {
        await this.unwatch(key);
      } catch (err) {
        this.listener.note('error', `could not remove the rules of ${key}: ${(err as Error).message}`);
      }
    }
    this.tail?.stop();
    this.tail = undefined;
    this.register();
  }

  private refreshNeedles(): void {
    this.needles = this.keys().map((k) => Buffer.from(`key="${k}"`, 'latin1'));
  }

  private setState(w: Watch, state: WatchState['state'], message?: string): void {
    w.state = { ...w.state, state, message, since: Date.now() };
    this.emitState(w);
  }

  private emitState(w: Watch): void {
    this.listener.state({ ...w.state });
  }

  private onItem(w: Watch, item: { kind: 'event' | 'update'; event: AuditEvent } | { kind: 'diagnostic'; diagnostic: Diagnostic }): void {
    if (item.kind === 'diagnostic') {
      this.diagnose(w, item.diagnostic);
      return;
    }
    const ev = item.event;
    const c = this.containers.lookup(ev.process.pid);
    ev.process.container = c.container;
    if (c.runtime) ev.process.containerRuntime = c.runtime;
    this.followFolder(w, ev);
    if (!isDefaultInteresting(ev)) return;
    w.batch.push({ kind: item.kind, event: ev });
    if (item.kind === 'event') w.state.events++;
    if (w.batch.length >= MAX_BATCH) this.flushWatch(w);
    else this.scheduleFlush();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The folder itself: deleted, moved away, recreated

  private followFolder(w: Watch, ev: AuditEvent): void {
    if (ev.success === false) return;
    const gone = ev.watchRemoved || ev.objects.some((o) => (o.role === 'deleted' || o.role === 'source' || o.role === 'replaced') && o.path === w.folder);
    if (gone && w.state.state !== 'folder-deleted') {
      const dest = ev.objects.find((o) => o.role === 'destination')?.path;
      const how = ev.action === 'renamed' && dest && dest !== w.folder ? `folder moved away to ${dest} by ${who(ev)}` : `folder deleted by ${who(ev)}`;
      this.folderGone(w, how);
      return;
    }
    const made = ev.objects.some((o) => (o.role === 'created' || o.role === 'destination') && o.path === w.folder);
    if (made) {
      w.recreatedBy = who(ev);
      if (w.state.state === 're-armed' && !w.state.message?.includes(' by ')) this.setState(w, 're-armed', this.detail(w, `folder recreated by ${w.recreatedBy}; rules re-armed`));
      else this.checkRecreated(w);
    }
  }

  /** The folder is gone: its dir= rules with it (the kernel drops them; a moved folder's are deleted here). */
  private folderGone(w: Watch, how: string): void {
    if (w.closing) return;
    w.recreatedBy = undefined;
    this.setState(w, 'folder-deleted', `${how}; waiting for it to be recreated`);
    this.listener.note('warn', `${w.folder}: ${how}`);
    // A moved folder keeps its dir= rule on the moved inode: remove it, it must watch the path again when re-armed.
    void this.change(w, async () => {
      const errors = await this.disarm(w, 'dir');
      if (errors.length > 0) this.listener.note('warn', `${w.folder}: ${errors.join('; ')}`);
    }).then(() => this.startRecheck(w));
  }

  /** Runs a change of the watch's rules after those before it: two never interleave, and unwatch waits for them. */
  private change(w: Watch, job: () => Promise<void>): Promise<void> {
    const next = (w.changing ?? Promise.resolve()).then(job).catch((err: unknown) => this.listener.note('error', `${w.folder}: ${(err as Error).message}`));
    w.changing = next;
    void next.finally(() => {
      if (w.changing === next) w.changing = undefined;
    });
    return next;
  }

  private startRecheck(w: Watch): void {
    if (w.recheck || w.closing || !this.watches.has(w.key)) return;
    const timer = setInterval(() => this.checkRecreated(w), 100);
    let watcher: FSWatcher | undefined;
    try {
      watcher = fsWatch(path.dirname(w.folder), { persistent: false }, () => this.checkRecreated(w));
      watcher.on('error', () => watcher?.close());
    } catch {
      // the parent is gone too: the poll waits for it
    }
    w.recheck = { timer, watcher };
    this.checkRecreated(w);
  }

  private stopRecheck(w: Watch): void {
    if (!w.recheck) return;
    clearInterval(w.recheck.timer);
    w.recheck.watcher?.close();
    w.recheck = undefined;
  }

  private checkRecreated(w: Watch): void {
    if (w.state.state !== 'folder-deleted' || w.changing || w.closing || !w.recheck) return;
    let isDir = false;
    try {
      isDir = lstatSync(w.folder).isDirectory();
    } catch {
      return;
    }
    if (!isDir) return;
    void this.change(w, () => this.rearm(w));
  }

  /** Adds the rules again; stops at the next rule once unwatch began (it removes what was added). */
  private async rearm(w: Watch): Promise<void> {
    this.stopRecheck(w);
    const live = (): boolean => !w.closing;
    const r = await this.arm(w, live);
    if (!live()) return;
    if (!r.ok) {
      this.setState(w, 'error', `folder recreated, but re-arming failed: ${r.error}`);
      this.listener.note('error', `${w.folder}: re-arming failed: ${r.error}`);
      return;
    }
    const entries: SnapshotEntry[] = [];
    for await (const e of takeSnapshot(w.folder, () => undefined)) entries.push(e);
    if (!live()) return;
    w.ino = entries[0]?.inode ?? null;
    w.analyzer.addSnapshot(entries);
    this.setState(w, 're-armed', this.detail(w, `folder recreated${w.recreatedBy ? ` by ${w.recreatedBy}` : ''}; rules re-armed`));
    this.listener.note('info', `${w.folder}: ${w.state.message}`);
  }

  /** Catches a folder deleted or replaced while its events were not seen (lost, or between polls). */
  private verifyFolder(w: Watch): void {
    if (w.state.state === 'folder-deleted' || w.changing || w.closing || w.state.state === 'stopped') return;
    let ino: string | null = null;
    try {
      const st = lstatSync(w.folder, { bigint: true });
      ino = st.isDirectory() ? st.ino.toString() : null;
    } catch {
      ino = null;
    }
    if (ino === null) this.folderGone(w, 'folder no longer exists (its deletion was not seen in the log)');
    else if (w.ino !== null && ino !== w.ino) {
      // Replaced behind our back: the old dir= rule went with the old folder.
      void this.change(w, () => this.rearm(w));
    }
  }
}

function statSafe(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
