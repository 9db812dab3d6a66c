/**
 * Stopping while folders are still being armed. Whatever step the stop arrives at (before the first rule, between two
 * syscall rules, during the io_uring rules, between folders), nothing with the watches' keys may stay in the kernel
 * once stopAll or unwatch has resolved, or once `audit-lens watch` has exited on SIGINT or SIGTERM; and nothing may be
 * reported armed after the stop began. The engine tests stop right after the n-th `auditctl -a` returns (a hook on
 * Auditctl.add), so each step is hit on purpose, not by timing. Needs root and the real auditd.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WatchState } from '../../src/core/types';
import { WatchEngine, type EngineListener } from '../../src/helper/engine';
import { Auditctl, folderRules, newKey } from '../../src/helper/rules';
import { buildCli } from '../support/cli';
import { rulesWithKey, until } from '../support/watchSession';

const SKIP = process.getuid?.() !== 0 ? 'needs root' : spawnSync('/usr/sbin/auditctl', ['-s']).status === 0 ? false : 'auditd is not available';
/** Syscall rules per folder on this machine (path= and dir=, per arch). */
const RULES = folderRules('/x', newKey()).length;
/**
 * Where the engine tests stop: 0 is right after the watch calls, before any rule; n is right after the n-th syscall
 * rule of the three folders. The last one of a folder is followed by its io_uring rules, which the stop must also
 * catch or undo; the very last is followed by the final checks of the last folder.
 */
const STEPS = [0, 1, RULES - 1, RULES, RULES + 1, 3 * RULES];

let work = '';
const keys: string[] = [];

before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'al-stop-'));
});
after(() => {
  // A failed test must still leave no rule behind: only our own keys, never `auditctl -D` alone.
  for (const key of new Set([...keys, ...keysOn(work)])) if (rulesWithKey(key).length > 0) spawnSync('/usr/sbin/auditctl', ['-D', '-k', key]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Three fresh folders and a key for each. */
function folders(name: string): { folder: string; key: string }[] {
  return ['c', 'b', 'a'].map((d) => {
    const folder = path.join(work, name, d);
    mkdirSync(folder, { recursive: true });
    const key = newKey();
    keys.push(key);
    return { folder, key };
  });
}

/** Keys of the rules in the kernel that name a path under `dir` (the CLI's keys are its own). */
function keysOn(dir: string): string[] {
  const listing = spawnSync('/usr/sbin/auditctl', ['-l'], { encoding: 'utf8' }).stdout;
  return [...new Set(listing.split('\n').filter((l) => l.includes(`=${dir}/`)).map((l) => /-F key=(\S+)$/.exec(l)?.[1] ?? ''))].filter(Boolean);
}

/** Calls `hook` with the rule's arguments right after the n-th `auditctl -a` (from 1) has returned; returns the undo. */
function afterAdd(n: number, hook: (args: readonly string[]) => void): () => void {
  const add = Auditctl.prototype.add;
  let count = 0;
  Auditctl.prototype.add = async function (this: Auditctl, args: readonly string[]) {
    const r = await add.call(this, args);
    if (++count === n) hook(args);
    return r;
  };
  return () => {
    Auditctl.prototype.add = add;
  };
}

/** An engine whose state changes are recorded, in order. */
async function openEngine(): Promise<{ engine: WatchEngine; states: WatchState[] }> {
  const states: WatchState[] = [];
  const listener: EngineListener = { events: () => undefined, diagnostics: () => undefined, state: (s) => states.push(s), health: () => undefined, note: () => undefined };
  return { engine: await WatchEngine.open(listener, { statusIntervalMs: 60_000 }), states };
}

function leftovers(watches: { key: string }[]): string[] {
  return watches.flatMap((w) => rulesWithKey(w.key));
}

describe('a stop during start-up removes every rule the start added', { concurrency: 1, skip: SKIP, timeout: 120_000 }, () => {
  for (const mode of ['one after another, as the CLI arms them', 'all at once, as the helper may be asked'] as const) {
    test(`stopAll before any rule, between rules, before the io_uring rules or after the last, arming three folders ${mode}: none of their rules is left once it resolves`, async () => {
      for (const n of STEPS) {
        const watches = folders(`all-${mode.startsWith('one') ? 'seq' : 'par'}-${n}`);
        const { engine, states } = await openEngine();
        let stopped: Promise<void> | undefined;
        let stopAt = -1;
        const undo = afterAdd(n, () => {
          stopAt = states.length;
          stopped = engine.stopAll();
        });
        try {
          const started =
            mode.startsWith('one')
              ? [(async () => {
                  for (const w of watches) await engine.watch(w.folder, w.key);
                })()]
              : watches.map((w) => engine.watch(w.folder, w.key));
          if (n === 0) {
            stopAt = states.length;
            stopped = engine.stopAll();
          }
          const outcomes = await Promise.allSettled(started);
          await until(() => stopped !== undefined, 5000, 5);
          await stopped;
          assert.deepEqual(leftovers(watches), [], `stop after rule ${n}: rules left once stopAll resolved`);
          for (const o of outcomes) if (o.status === 'rejected') assert.match((o.reason as Error).message, /stopped before .* was watched|is stopping/);
          const late = states.slice(stopAt).filter((s) => s.state === 'armed');
          assert.deepEqual(late, [], `stop after rule ${n}: a folder reported armed after the stop began`);
          // Nothing arrives later either (an arm that carried on would add its rules after stopAll).
          await new Promise((r) => setTimeout(r, 50));
          assert.deepEqual(leftovers(watches), [], `stop after rule ${n}: rules added after stopAll resolved`);
        } finally {
          undo();
          await engine.stopAll();
        }
      }
    });
  }

  test('unwatch of a folder still being armed removes its rules once it resolves; the other folders stay watched', async () => {
    for (const n of STEPS.filter((s) => s > 0)) {
      const watches = folders(`unwatch-${n}`);
      const { engine, states } = await openEngine();
      let unwatched: Promise<void> | undefined;
      let target = '';
      const undo = afterAdd(n, (args) => {
        target = args[args.length - 1];
        unwatched = engine.unwatch(target);
      });
      try {
        const outcomes = await Promise.allSettled(watches.map((w) => engine.watch(w.folder, w.key)));
        await unwatched;
        assert.deepEqual(rulesWithKey(target), [], `unwatch after rule ${n}: its rules are left`);
        assert.ok(!engine.keys().includes(target), 'the unwatched folder is not watched');
        assert.ok(!states.some((s) => s.key === target && s.state === 'armed'), 'the unwatched folder was never reported armed');
        watches.forEach((w, i) => {
          const o = outcomes[i];
          if (w.key === target) assert.equal(o.status, 'rejected', 'its watch request says it was stopped');
          else {
            assert.equal(o.status, 'fulfilled', `${w.folder} is watched`);
            assert.ok(rulesWithKey(w.key).length >= RULES, `${w.folder} keeps its rules`);
          }
        });
      } finally {
        undo();
        await engine.stopAll();
      }
      assert.deepEqual(leftovers(watches), [], 'stopAll removes the rest');
    }
  });

  test('audit-lens watch on SIGINT or SIGTERM during start-up exits with none of its rules left and no "armed" after the stop', async () => {
    const cli = await buildCli(work);
    // After N "armed" lines: N = 0 stops the first folder's arming, 1 and 2 stop between or inside the later ones.
    for (const [signal, armedFirst] of [['SIGINT', 0], ['SIGTERM', 1], ['SIGINT', 2], ['SIGTERM', 3]] as const) {
      const base = path.join(work, `cli-${signal}-${armedFirst}`);
      const dirs = ['c', 'b', 'a'].map((d) => path.join(base, d));
      for (const d of dirs) mkdirSync(d, { recursive: true });
      const proc = spawn(process.execPath, [cli, 'watch', ...dirs], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        if (armedFirst > 0 && (stderr.match(/: armed \(/g) ?? []).length >= armedFirst && !proc.killed) proc.kill(signal);
      });
      // With no "armed" line to wait for, the signal goes as soon as the engine is arming the first folder.
      if (armedFirst === 0) {
        await until(() => keysOn(base).length > 0 || proc.exitCode !== null, 5000, 2);
        proc.kill(signal);
      }
      const code = await new Promise<number | null>((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.on('exit', (c) => r(c))));
      assert.deepEqual(keysOn(base), [], `${signal} after ${armedFirst} armed: rules left after exit\n${stderr}`);
      assert.equal(code, 0, `${signal} after ${armedFirst} armed: exit status\n${stderr}`);
      const lines = stderr.split('\n');
      const from = lines.findIndex((l) => l.includes(`${signal}: removing the rules`));
      assert.ok(from >= 0, `the stop is announced\n${stderr}`);
      assert.deepEqual(lines.slice(from).filter((l) => /: armed \(|^audit-lens: watching \d/.test(l)), [], `nothing reported armed after the stop\n${stderr}`);
      assert.match(lines[lines.length - 2] ?? '', /stopped: \d+ events captured/, `the last line says it stopped\n${stderr}`);
    }
  });
});
