/**
 * `sudo audit-lens watch DIR... [--format table|jsonl]`: the privileged helper's engine in this process, for servers
 * without VS Code (and for tests). Events print live on stdout, status on stderr, until Ctrl-C, SIGTERM or SIGHUP;
 * then every rule it added is removed.
 */
import * as path from 'node:path';
import { WatchEngine } from '../helper/engine';
import { newKey } from '../helper/rules';
import { eventJson, eventTable, visible } from './format';

export const WATCH_USAGE = `Usage:
  sudo audit-lens watch DIR... [--format table|jsonl] [--utc] [--remove-leftovers]

Installs audit rules for each folder (its contents and the folder itself), prints every deletion, rename and failed
attempt as it happens, and removes exactly its rules on Ctrl-C, SIGTERM or SIGHUP.
  --format table|jsonl   jsonl: one event per line; a later line with the same id replaces it (a path resolved later)
  --remove-leftovers     first remove rules left by an Audit Lens helper that did not stop cleanly
Needs root (it changes the kernel's audit rules).
`;

class WatchUsageError extends Error {}

interface WatchOptions {
  folders: string[];
  format: 'table' | 'jsonl';
  utc: boolean;
  color: boolean;
  removeLeftovers: boolean;
}

function parseWatchArgs(argv: string[]): WatchOptions {
  const o: WatchOptions = { folders: [], format: 'table', utc: false, color: process.stdout.isTTY === true && !process.env.NO_COLOR, removeLeftovers: false };
  let onlyFolders = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyFolders || !a.startsWith('-')) {
      o.folders.push(path.resolve(a));
      continue;
    }
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    switch (flag) {
      case '--':
        onlyFolders = true;
        break;
      case '--format':
      case '-f': {
        const v = inline ?? argv[++i];
        if (v !== 'table' && v !== 'jsonl') throw new WatchUsageError('--format must be table or jsonl');
        o.format = v;
        break;
      }
      case '--utc':
        o.utc = true;
        break;
      case '--color':
        o.color = true;
        break;
      case '--no-color':
        o.color = false;
        break;
      case '--remove-leftovers':
        o.removeLeftovers = true;
        break;
      default:
        throw new WatchUsageError(`unknown option '${a}'`);
    }
  }
  if (o.folders.length === 0) throw new WatchUsageError('watch needs at least one folder');
  return o;
}

/** Runs `audit-lens watch`; resolves with the exit status once stopped and cleaned up. */
export async function runWatch(argv: string[]): Promise<number> {
  let o: WatchOptions;
  try {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(WATCH_USAGE);
      return 0;
    }
    o = parseWatchArgs(argv);
  } catch (err) {
    process.stderr.write(`audit-lens: ${(err as Error).message}\n${WATCH_USAGE}`);
    return 2;
  }
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
      for (const i of issues) say(`${i.kind}: ${i.message}`);
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
    await engine.stopAll();
    return 1;
  }
  say(`watching ${o.folders.length} folder${o.folders.length === 1 ? '' : 's'}; Ctrl-C stops and removes the rules`);
  return finished;
}
