/**
 * Watch Deletions in the extension host: the commands, the one helper session that serves every watch (one password
 * prompt), the watch list that survives a reload ("Resume watching?" once), the captured events kept in the
 * extension's storage and replayed on activation, and the health actions. Events go to the Audit Events tree
 * through its EventSink; root-only logs are served to the viewer and the tree through `privileged`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuditEvent, WatchState } from '../core/types';
import { Commands, ContextKeys, Settings } from '../constants';
import { errorText, log } from '../log';
import type { EventOrigin, EventSink, HealthIssue } from '../views/sink';
import { HelperChannel } from './channel';
import { EventStore } from './eventStore';
import { HelperAccess } from './helperAccess';
import { startHelperTerminal, type HelperTerminal } from './helperTerminal';
import { helperCommand } from './launch';
import type { PrivilegedAccess } from './privileged';
import type { HelperMessage } from './protocol';
import { newKey } from './rules';

/** Workspace state: the folders to watch, with their keys (kept so a resumed watch continues its history). */
const SAVED_WATCHES = 'auditLens.watch.folders';
const STORE_FILE = 'watch-events.jsonl';
const DEFAULT_MAX_STORED = 100_000;

interface SavedWatch {
  folder: string;
  key: string;
}

interface Entry {
  folder: string;
  key: string;
  state: WatchState;
  /** Events restored from storage (added to the helper's count). */
  restored: number;
}

/** What `register` returns: the feature, and the helper's services for the viewer and the tree. */
export interface WatchFeature extends vscode.Disposable {
  /** Root-only file reads and analyses through the helper (starting it, with its password prompt, on first use). */
  readonly privileged: PrivilegedAccess;
  /** Forgets the captured events kept in storage (the tree's Clear). */
  clearStored(): Promise<void>;
}

class Cancelled extends Error {}

/** A folder path from a command's arguments: the explorer's `(clicked, selected[])`, a Uri or a string. */
function folderFromArgs(args: unknown[]): string | undefined {
  const a = args[0];
  if (a instanceof vscode.Uri) return a.scheme === 'file' ? a.fsPath : undefined;
  if (typeof a === 'string' && path.isAbsolute(a)) return a;
  return undefined;
}

const RUNNING: WatchState['state'][] = ['starting', 'armed', 'folder-deleted', 're-armed'];
/** How soon the watches' counts follow a batch of events. */
const PUBLISH_DELAY_MS = 250;

export class WatchManager implements vscode.Disposable {
  private channel: HelperChannel | undefined;
  private term: HelperTerminal | undefined;
  private starting: Promise<HelperChannel> | undefined;
  private readonly entries = new Map<string, Entry>();
  private helperIssues: HealthIssue[] = [];
  private disconnected: HealthIssue | undefined;
  private stopping = false;
  private readonly store: EventStore;
  readonly access: HelperAccess;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly sink: EventSink,
  ) {
    const dir = (context.storageUri ?? context.globalStorageUri).fsPath;
    this.store = new EventStore(path.join(dir, STORE_FILE), this.maxStored());
    this.access = new HelperAccess(() => this.session());
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${Settings.Section}.${Settings.WatchMaxStoredEvents}`)) this.store.setMax(this.maxStored());
      }),
    );
  }

  private maxStored(): number {
    return vscode.workspace.getConfiguration(Settings.Section).get<number>(Settings.WatchMaxStoredEvents) ?? DEFAULT_MAX_STORED;
  }

  private saved(): SavedWatch[] {
    return this.context.workspaceState.get<SavedWatch[]>(SAVED_WATCHES) ?? [];
  }

  private async save(list: SavedWatch[]): Promise<void> {
    await this.context.workspaceState.update(SAVED_WATCHES, list);
  }

  /** Replays stored events into the tree and asks once whether to resume the watches of the last window. */
  async restore(): Promise<void> {
    const { watches, badLines } = await this.store.load();
    if (badLines > 0) log.warn(`${badLines} unreadable lines in ${this.store.file} skipped`);
    for (const w of watches) {
      this.sink.upsert({ kind: 'watch', folder: w.folder, key: w.key }, w.events);
      this.entries.set(w.key, {
        folder: w.folder,
        key: w.key,
        restored: w.events.length,
        state: { folder: w.folder, key: w.key, state: 'stopped', events: w.events.length, lost: 0, since: Date.now(), message: vscode.l10n.t('not watched now (captured earlier)') },
      });
    }
    if (watches.length > 0) log.info(`restored ${watches.reduce((n, w) => n + w.events.length, 0)} captured events of ${watches.length} watches from ${this.store.file}`);
    const saved = this.saved();
    for (const s of saved) {
      if (!this.entries.has(s.key)) {
        this.entries.set(s.key, { folder: s.folder, key: s.key, restored: 0, state: { folder: s.folder, key: s.key, state: 'stopped', events: 0, lost: 0, since: Date.now() } });
      }
    }
    this.publish();
    if (saved.length === 0) return;
    const resume = vscode.l10n.t('Resume Watching');
    const forget = vscode.l10n.t('Forget Them');
    const names = saved.map((s) => path.basename(s.folder)).join(', ');
    const choice = await vscode.window.showInformationMessage(
      // As root the helper starts without a password (see launch.ts).
      process.getuid?.() === 0
        ? vscode.l10n.t('Audit Lens was watching {0} folder(s) for deletions before this window reloaded ({1}). Resume watching?', saved.length, names)
        : vscode.l10n.t('Audit Lens was watching {0} folder(s) for deletions before this window reloaded ({1}). Resume watching? Your password is asked once.', saved.length, names),
      resume,
      forget,
    );
    if (choice === resume) await this.resume();
    else if (choice === forget) await this.save([]);
  }

  /** Starts every saved watch again (one helper session, one prompt). */
  async resume(): Promise<void> {
    for (const s of this.saved()) {
      const ok = await this.watch(s.folder, s.key);
      if (!ok) break;
    }
  }

  /** The helper session, started (with its password prompt) when there is none. */
  session(): Promise<HelperChannel> {
    if (this.channel?.connected) return Promise.resolve(this.channel);
    this.starting ??= this.startSession().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startSession(): Promise<HelperChannel> {
    const channel = await HelperChannel.create();
    const cmd = helperCommand({ execPath: process.execPath, script: this.context.asAbsolutePath(path.join('out', 'helper.js')), channelDir: channel.dir });
    if ('problem' in cmd) {
      channel.dispose();
      throw new Error(cmd.problem);
    }
    log.info(`starting the helper: ${cmd.elevation}, channel ${channel.dir}`);
    let term: HelperTerminal;
    try {
      term = startHelperTerminal(cmd.argv);
    } catch (err) {
      channel.dispose();
      throw err;
    }
    const title =
      cmd.elevation === 'root'
        ? vscode.l10n.t('Starting the Audit Lens helper…')
        : vscode.l10n.t('Type your password in the "Audit Lens helper" terminal to start watching…');
    try {
      const hello = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) =>
        Promise.race([
          channel.ready,
          term.exited.then((code) => {
            throw new Error(vscode.l10n.t('The helper did not start (exit code {0}): see the "Audit Lens helper" terminal.', code ?? '?'));
          }),
          new Promise<never>((_, reject) => token.onCancellationRequested(() => reject(new Cancelled()))),
        ]),
      );
      log.info(`helper connected: pid ${hello.pid}, uid ${hello.uid}, ${hello.arch}, node ${hello.node}, terminal ${term.mode}`);
    } catch (err) {
      channel.dispose();
      if (err instanceof Cancelled) term.dispose();
      throw err;
    }
    this.channel = channel;
    this.term = term;
    this.disconnected = undefined;
    channel.onMessage((msg) => this.onMessage(msg));
    void channel.closed.then((reason) => this.onClosed(channel, reason));
    void term.exited.then(() => {
      if (this.channel === channel) channel.dispose();
    });
    return channel;
  }

  private onMessage(msg: HelperMessage): void {
    switch (msg.t) {
      case 'state': {
        const e = this.entries.get(msg.state.key);
        if (!e) return;
        e.state = { ...msg.state, events: msg.state.events + e.restored };
        this.publish();
        break;
      }
      case 'events': {
        const e = this.entries.get(msg.key);
        if (!e) return;
        const events = msg.items.map((i) => i.event);
        this.sink.upsert(this.origin(e), events);
        void this.store.append(e.key, e.folder, events);
        // The helper counts the same new events, but says so only with its next state change: keep the count live.
        const added = msg.items.filter((i) => i.kind === 'event').length;
        if (added > 0) {
          e.state = { ...e.state, events: e.state.events + added };
          this.schedulePublish();
        }
        break;
      }
      case 'diagnostics': {
        const e = this.entries.get(msg.key);
        if (!e) return;
        this.sink.diagnostics(this.origin(e), msg.diagnostics);
        for (const d of msg.diagnostics.slice(0, 20)) log.warn(`${e.folder}: ${d.kind}: ${d.message}`);
        break;
      }
      case 'health':
        this.helperIssues = msg.issues;
        this.publishHealth();
        break;
      case 'log':
        log[msg.level](`helper: ${msg.message}`);
        break;
      default:
        break;
    }
  }

  private origin(e: Entry): EventOrigin {
    return { kind: 'watch', folder: e.folder, key: e.key };
  }

  private onClosed(channel: HelperChannel, reason: string): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    channel.dispose();
    const running = [...this.entries.values()].filter((e) => RUNNING.includes(e.state.state));
    for (const e of running) e.state = { ...e.state, state: 'stopped', since: Date.now(), message: vscode.l10n.t('the helper stopped: {0}', reason) };
    this.helperIssues = [];
    if (running.length > 0 && !this.stopping) {
      log.warn(`the helper stopped (${reason}) while ${running.length} folder(s) were watched`);
      this.disconnected = {
        kind: 'helper-disconnected',
        message: vscode.l10n.t('The Audit Lens helper stopped ({0}): {1} folder(s) are no longer watched. Resume Watching starts it again.', reason, running.length),
      };
    }
    this.publish();
  }

  private publishTimer: NodeJS.Timeout | undefined;

  /** Publishes soon, once for a burst of event batches (an `rm -rf` sends many). */
  private schedulePublish(): void {
    this.publishTimer ??= setTimeout(() => {
      this.publishTimer = undefined;
      this.publish();
    }, PUBLISH_DELAY_MS);
  }

  /** Sends every watch's state and the context keys. */
  private publish(): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    this.sink.watches([...this.entries.values()].map((e) => e.state));
    const running = [...this.entries.values()].filter((e) => RUNNING.includes(e.state.state));
    void vscode.commands.executeCommand('setContext', ContextKeys.Watching, running.length > 0);
    void vscode.commands.executeCommand('setContext', ContextKeys.WatchedFolders, running.map((e) => e.folder));
    this.publishHealth();
  }

  private publishHealth(): void {
    this.sink.health(this.disconnected ? [this.disconnected, ...this.helperIssues] : this.helperIssues);
  }

  /** Watches a folder (asking for one when none is given); true when it is watched. */
  async watch(folderArg?: string, keyArg?: string): Promise<boolean> {
    let folder = folderArg;
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Watch Deletions'),
        openLabel: vscode.l10n.t('Watch'),
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      if (!picked?.[0]) return false;
      if (picked[0].scheme !== 'file') {
        void vscode.window.showErrorMessage(vscode.l10n.t('Audit Lens watches folders on the machine it runs on; pick a local folder.'));
        return false;
      }
      folder = picked[0].fsPath;
    }
    const running = [...this.entries.values()].find((e) => e.folder === folder && RUNNING.includes(e.state.state));
    if (running) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is already watched.', folder));
      return true;
    }
    const key = keyArg ?? [...this.entries.values()].find((e) => e.folder === folder)?.key ?? newKey();
    try {
      const channel = await this.session();
      const prev = this.entries.get(key);
      const entry: Entry = prev ?? { folder, key, restored: 0, state: { folder, key, state: 'starting', events: 0, lost: 0, since: Date.now() } };
      this.entries.set(key, entry);
      const state = await channel.request('watch', { folder, key });
      // The helper watches the real path (symlinks resolved): the entry follows it.
      entry.folder = state.folder;
      entry.state = { ...state, events: state.events + entry.restored };
      await this.save([...this.saved().filter((s) => s.key !== key && s.folder !== folder), { folder: state.folder, key }]);
      this.publish();
      log.info(`watching ${state.folder} (key ${key}): ${state.message ?? ''}`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Watching {0}: deletions inside it (and of the folder itself) appear in Audit Events as they happen.', state.folder));
      return true;
    } catch (err) {
      const e = this.entries.get(key);
      if (e && e.state.state === 'starting') this.entries.delete(key);
      this.publish();
      if (err instanceof Cancelled) return false;
      // Stopped (Stop Watching, the window closing) while its rules were going in: the helper removed them; no error.
      if (/^stopped before /.test(errorText(err))) {
        log.info(`watch ${folder}: ${errorText(err)}`);
        return false;
      }
      log.error(`watch ${folder}: ${errorText(err)}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not watch {0}: {1}', folder, errorText(err)));
      return false;
    }
  }

  /** Stops watching a folder (asking which when none is given); removes exactly its rules. */
  async unwatch(folderArg?: string): Promise<void> {
    const running = [...this.entries.values()].filter((e) => RUNNING.includes(e.state.state));
    let entry = folderArg ? running.find((e) => e.folder === folderArg || e.key === folderArg) : undefined;
    if (!entry && !folderArg) {
      if (running.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No folder is watched.'));
        return;
      }
      const pick = await vscode.window.showQuickPick(
        running.map((e) => ({ label: e.folder, description: `${e.state.state} · ${e.key}`, entry: e })),
        { title: vscode.l10n.t('Stop Watching') },
      );
      entry = pick?.entry;
    }
    if (!entry) return;
    await this.save(this.saved().filter((s) => s.key !== entry!.key));
    try {
      if (this.channel?.connected) await this.channel.request('unwatch', { key: entry.key });
      entry.state = { ...entry.state, state: 'stopped', since: Date.now(), message: vscode.l10n.t('stopped; rules removed') };
      log.info(`stopped watching ${entry.folder} (key ${entry.key})`);
    } catch (err) {
      log.error(`stop watching ${entry.folder}: ${errorText(err)}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not stop watching {0}: {1}', entry.folder, errorText(err)));
    }
    this.publish();
    await this.stopIfIdle();
  }

  /** Ends the helper when nothing needs it any more: no root process lingers without a reason. */
  private async stopIfIdle(): Promise<void> {
    const running = [...this.entries.values()].some((e) => RUNNING.includes(e.state.state));
    if (running || this.access.busy > 0 || !this.channel) return;
    this.stopping = true;
    try {
      await this.channel.shutdown();
    } finally {
      this.stopping = false;
    }
  }

  /** Runs a health action that needs the helper. */
  async healthAction(action: 'removeLeftovers' | 'raiseBacklog' | 'startAuditd'): Promise<void> {
    try {
      if (action === 'raiseBacklog') {
        const ok = vscode.l10n.t('Raise to 8192');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t("Raise the kernel's audit backlog to 8192 records (auditctl -b 8192)? Bursts of deletions then wait instead of being dropped. The setting is system-wide and lasts until reboot."),
          { modal: true },
          ok,
        );
        if (answer !== ok) return;
        const r = await (await this.session()).request('raiseBacklog', { limit: 8192 });
        void vscode.window.showInformationMessage(vscode.l10n.t('The kernel audit backlog is now {0}.', r.backlogLimit));
      } else if (action === 'startAuditd') {
        const r = await (await this.session()).request('startAuditd', {});
        void vscode.window.showInformationMessage(vscode.l10n.t('auditd started ({0}).', r.how));
      } else {
        const issue = this.helperIssues.find((i): i is Extract<HealthIssue, { kind: 'leftover-rules' }> => i.kind === 'leftover-rules');
        if (!issue) return;
        const r = await (await this.session()).request('removeLeftovers', { keys: issue.keys });
        void vscode.window.showInformationMessage(vscode.l10n.t('Removed the leftover audit rules of {0}.', r.removed.join(', ') || '—'));
      }
    } catch (err) {
      if (err instanceof Cancelled) return;
      void vscode.window.showErrorMessage(errorText(err));
    }
  }

  /** Forgets every stored event (the tree's Clear): a reload must not bring back what the user cleared. */
  async clearStored(): Promise<void> {
    await this.store.clear();
    // The counts shown for each watch no longer include what was cleared.
    for (const e of this.entries.values()) {
      e.state = { ...e.state, events: Math.max(0, e.state.events - e.restored) };
      e.restored = 0;
    }
    this.publish();
  }

  /** The events stored so far (for tests and the tree). */
  async stored(): Promise<AuditEvent[]> {
    await this.store.flush();
    return (await this.store.load()).watches.flatMap((w) => w.events);
  }

  dispose(): void {
    this.stopping = true;
    clearTimeout(this.publishTimer);
    // Closing the channel is what makes the helper remove its rules and exit, however the window goes away.
    this.channel?.dispose();
    this.term?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

/** Registers Watch Deletions; `sink` is the Audit Events tree. */
export function register(context: vscode.ExtensionContext, sink: EventSink): WatchFeature {
  const manager = new WatchManager(context, sink);
  const disposable = vscode.Disposable.from(
    manager,
    vscode.commands.registerCommand(Commands.WatchStart, (...args: unknown[]) => manager.watch(folderFromArgs(args))),
    vscode.commands.registerCommand(Commands.WatchStop, (...args: unknown[]) => manager.unwatch(folderFromArgs(args) ?? (typeof args[0] === 'string' ? args[0] : undefined))),
    vscode.commands.registerCommand(Commands.WatchResume, () => manager.resume()),
    vscode.commands.registerCommand(Commands.WatchRemoveLeftovers, () => manager.healthAction('removeLeftovers')),
    vscode.commands.registerCommand(Commands.WatchRaiseBacklog, () => manager.healthAction('raiseBacklog')),
    vscode.commands.registerCommand(Commands.WatchStartAuditd, () => manager.healthAction('startAuditd')),
  );
  void manager.restore().catch((err: unknown) => log.error(`restoring watches: ${errorText(err)}`));
  return { privileged: manager.access, clearStored: () => manager.clearStored(), dispose: () => disposable.dispose() };
}
