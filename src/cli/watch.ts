/**
 * `sudo audit-lens watch DIR... [--format table|jsonl]`: the privileged helper's engine in this process, for servers
 * without VS Code (and for tests). Events print live on stdout, status on stderr, until Ctrl-C, SIGTERM or SIGHUP;
 * then every rule it added is removed.
 */
import { WatchEngine } from '../helper/engine';
import { newKey } from '../helper/rules';
import { eventJson, eventTable, visible } from './format';

/** What `audit-lens watch` runs with (parsed by main.ts with the other commands' options). */
export interface WatchOptions {
  folders: string[];
  format: 'table' | 'jsonl';
  utc: boolean;
  color: boolean;
  removeLeftovers: boolean;
}

/** Runs `audit-lens watch`; resolves with the exit status once stopped and cleaned up. */
export async function runWatch(o: WatchOptions): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`audit-lens: watch changes the kernel's audit rules and needs root: sudo audit-lens watch ${o.folders.map((f) => JSON.stringify(f)).join(' ')}\n`);
    return 1;
  }
  const say = (m: string): boolean => process.stderr.write(`audit-lens: ${visible(m)}\n`);
  process.stdout.on('error', () => undefined);
  let printed = 0;
  let captured = 0;
  const engine = await WatchEngine.open({
    events: (_key, items) => {
      const out: string[] = [];
      for (const { kind, event } of items) {
        if (kind === 'event') captured++;
        if (o.format === 'jsonl') out.push(JSON.stringify(eventJson(event)) + '\n');
        else out.push(`${printed++ === 0 ? '' : '\n'}${kind === 'update' ? '(path resolved) ' : ''}${eventTable(event, o.utc, o.color)}\n`);
      }
      process.stdout.write(out.join(''));
    },
    diagnostics: (key, ds) => {
      for (const d of ds) say(`${key}: ${d.kind}: ${d.message}`);
    },
    state: (s) => say(`${s.folder}: ${s.state}${s.message ? ` (${s.message})` : ''}${s.lost > 0 ? `, ${s.lost} lost` : ''}`),
    health: (issues) => {
      // The extension offers each fix as an action; here it is an option.
      for (const i of issues) say(`${i.kind}: ${i.message}${i.kind === 'leftover-rules' ? ' Run again with --remove-leftovers to remove them.' : ''}`);
    },
    note: (level, m) => {
      if (level !== 'info') say(m);
    },
  });

  let stopping: Promise<number> | undefined;
  const stop = (why: string): Promise<number> =>
    (stopping ??= (async () => {
      say(`${why}: removing the rules`);
      const { bytes, rotations } = engine.tailStats();
      await engine.stopAll();
      say(`stopped: ${captured} events captured from ${(bytes / 1e6).toFixed(1)} MB of log, ${rotations} log rotation${rotations === 1 ? '' : 's'} followed`);
      return 0;
    })());
  const finished = new Promise<number>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig).then(resolve));
  });

  try {
    if (o.removeLeftovers) {
      const keys = await engine.findLeftovers();
      if (keys.length > 0) say(`removed leftover rules: ${(await engine.removeLeftovers(keys)).join(', ') || 'none'}`);
    }
    for (const folder of o.folders) await engine.watch(folder, newKey());
  } catch (err) {
    say((err as Error).message);
    // A signal while folders were being armed: the watch in progress removed what it had added (said above); the stop
    // removes the rest.
    if (stopping) return stopping;
    await engine.stopAll();
    return 1;
  }
  if (stopping) return stopping;
  say(`watching ${o.folders.length} folder${o.folders.length === 1 ? '' : 's'}; Ctrl-C stops and removes the rules`);
  return finished;
}
