/**
 * Load: `rm -rf` of a 50 000-file tree under a live watch (`sudo audit-lens watch`, the helper's engine in-process).
 * With auditd's defaults (8 MB logs, 5 kept) this writes ~85 MB of records and rotates the first of them off the
 * disk within seconds, so only a reader that keeps up sees them all. Every deletion must be reported at its path,
 * or the shortfall must be explained by events the kernel says it dropped (auditctl -s `lost`) and reported as such.
 * What was captured must also survive in the extension's event store (bounded, compacted).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { AuditEvent } from '../../src/core/types';
import { EventStore } from '../../src/helper/eventStore';
import { buildCli } from '../support/cli';
import { kernelLost as lostCounter, until } from '../support/watchSession';

const SKIP = process.getuid?.() !== 0 ? 'needs root' : spawnSync('/usr/sbin/auditctl', ['-s']).status === 0 ? false : 'auditd is not available';
const DIRS = 50;
const PER_DIR = 1000;

let work = '';
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'al-load-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('rm -rf of 50 000 files while watching: every deletion reported at its path (or the shortfall explained by kernel loss), and kept in the store', { skip: SKIP, timeout: 10 * 60_000 }, async () => {
  const cli = await buildCli(work);
  const root = path.join(work, 'vol');
  const tree = path.join(root, 'tree');
  const expected = new Set<string>();
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(tree, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_DIR; i++) {
      const f = path.join(dir, `f${i}`);
      writeFileSync(f, '');
      expected.add(f);
    }
  }
  const proc = spawn(process.execPath, [cli, 'watch', '--format', 'jsonl', root], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = new Map<string, { event: AuditEvent; at: number }>();
  let buf = '';
  let stderr = '';
  let lastAt = 0;
  proc.stdout.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    const now = Date.now();
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl)) as AuditEvent;
      buf = buf.slice(nl + 1);
      if (!events.has(e.id)) lastAt = now;
      events.set(e.id, { event: e, at: events.get(e.id)?.at ?? now });
    }
  });
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  try {
    assert.ok(await until(() => /watching 1 folder/.test(stderr), 60_000), `the watch did not start: ${stderr}`);
    const lostBefore = lostCounter();
    const t0 = Date.now();
    const rm = spawnSync('/usr/bin/rm', ['-rf', tree]);
    const t1 = Date.now();
    assert.equal(rm.status, 0);
    const reported = (): number => {
      let n = 0;
      for (const { event } of events.values()) for (const o of event.objects) if (o.role === 'deleted' && o.path && expected.has(o.path)) n++;
      return n;
    };
    // Done when all are in, or when nothing new has come for 20 s.
    await until(() => reported() >= expected.size || (Date.now() - Math.max(lastAt, t1) > 20_000), 5 * 60_000, 250);
    const got = reported();
    const lost = lostCounter() - lostBefore;
    proc.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    const rotations = Number(/(\d+) log rotations? followed/.exec(stderr)?.[1] ?? -1);
    const rate = Math.round(got / ((lastAt - t0) / 1000));
    console.error(
      `# 50k rm -rf: ${got}/${expected.size} reported; rm ${t1 - t0} ms, last event ${lastAt - t1} ms after rm returned; ` +
        `${rate} events/s sustained; ${rotations} log rotations followed; kernel lost ${lost}`,
    );
    assert.ok(rotations >= 0, `the CLI reports the rotations it followed: ${stderr}`);
    if (got < expected.size) {
      // A shortfall is acceptable only when its cause is known and was reported: records the kernel dropped.
      const seenPaths = new Set([...events.values()].flatMap(({ event }) => event.objects.map((o) => o.path)));
      const missing = [...expected].filter((p) => !seenPaths.has(p));
      console.error(`# missing: ${missing.slice(0, 5).join(', ')}`);
      assert.ok(lost > 0, `${expected.size - got} deletions missing and the kernel lost none (${stderr.slice(-2000)})`);
      assert.ok(expected.size - got <= lost, `${expected.size - got} missing but only ${lost} records lost`);
      assert.match(stderr, /dropped \d+ audit record/);
    }
    // Paths are exact or rebuilt from inodes, never guessed.
    for (const { event } of events.values()) for (const o of event.objects) if (o.role === 'deleted') assert.notEqual(o.confidence, 'uncertain', o.path ?? '');

    // What the extension stores survives a reload, bounded by the setting.
    const store = new EventStore(path.join(work, 'store', 'watch-events.jsonl'), 100_000);
    const all = [...events.values()].map((e) => e.event);
    for (let i = 0; i < all.length; i += 500) await store.append('al_000000000000', root, all.slice(i, i + 500));
    await store.flush();
    const reloaded = await new EventStore(store.file, 100_000).load();
    assert.equal(reloaded.watches[0].events.length, all.length);
    const bounded = new EventStore(path.join(work, 'store2', 'watch-events.jsonl'), 10_000);
    for (let i = 0; i < all.length; i += 500) await bounded.append('al_000000000000', root, all.slice(i, i + 500));
    await bounded.flush();
    const kept = (await bounded.load()).watches[0].events.length;
    assert.ok(kept >= 10_000 && kept <= 2 * 10_000 + 1000, `the store keeps about its bound: ${kept}`);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGINT');
    await exited;
  }
});
