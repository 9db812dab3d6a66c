/**
 * The analysis worker (src/views/analysisWorker.ts, bundled like out/analysisWorker.js) driven through the host's
 * client (analysisClient.ts): the same events as the core in-process, in batches, cancellable, and unreadable
 * inputs reported (a root-only log told apart, so the privileged helper can take over).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { analyzeInputs } from '../../src/core/analyzer';
import type { StreamItem } from '../../src/core/types';
import { startAnalysis } from '../../src/views/analysisClient';
import { buildLog } from '../../scripts/bench-tree';

const repo = path.join(__dirname, '..', '..');
const RECORDED = path.join(repo, 'test', 'fixtures', 'recorded');
let dir: string;
let worker: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'al-worker-'));
  chmodSync(dir, 0o755);
  worker = path.join(dir, 'analysisWorker.js');
  await esbuild.build({ entryPoints: [path.join(repo, 'src/views/analysisWorker.ts')], outfile: worker, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A log of `copies` renumbered copies of a recorded fixture: many events, still real records. */
function bigLog(copies: number): string {
  const text = readFileSync(path.join(RECORDED, 'rm-rf-deep', 'audit.log'), 'latin1');
  let serial = 1;
  const parts: string[] = [];
  for (let i = 0; i < copies; i++) {
    const map = new Map<string, number>();
    parts.push(
      text.replace(/msg=audit\((\d+)\.(\d+):(\d+)\)/g, (_m, s: string, ms: string, n: string) => {
        let v = map.get(n);
        if (v === undefined) map.set(n, (v = serial++));
        return `msg=audit(${Number(s) + i}.${ms}:${v})`;
      }),
    );
  }
  const file = path.join(dir, `big-${copies}.log`);
  writeFileSync(file, parts.join(''), 'latin1');
  return file;
}

describe('analysis worker', () => {
  it('streams the same events the core finds in-process, in batches', async () => {
    const log = path.join(RECORDED, 'rm-rf-deep', 'audit.log');
    const direct = await analyzeInputs([log]);
    const got: StreamItem[] = [];
    let batches = 0;
    const job = startAnalysis(worker, { inputs: [log], filter: {}, batchSize: 5 }, (items) => {
      if (items.length) batches++;
      got.push(...items);
    });
    const out = await job.done;
    assert.ok(out.ok, JSON.stringify(out));
    assert.deepEqual(
      got.map((i) => (i.kind === 'diagnostic' ? null : i.event)),
      direct.events,
    );
    assert.ok(batches >= Math.ceil(direct.events.length / 5), `${batches} batches`);
    assert.equal(out.totals.records, direct.records);
    assert.deepEqual(out.totals.files, [log]);
    assert.equal(out.totals.cancelled, false);
  });

  it('ends with the core\'s final events, run after run, although the core improves some after emitting them', async () => {
    // 300 replayed copies of a recorded rm -rf (own folder names and inodes): the core emits some events with a
    // folder placeholder and fills the path in later, in place.
    const log = buildLog(300 * 23, dir);
    const { events } = await analyzeInputs([log]);
    const final = new Map(events.map((e) => [e.id, JSON.stringify(e.objects)]));
    for (let run = 0; run < 2; run++) {
      const got = new Map<string, string>();
      const out = await startAnalysis(worker, { inputs: [log], filter: {}, batchSize: 50, flushMs: 5 }, (items) => {
        for (const i of items) if (i.kind !== 'diagnostic') got.set(i.event.id, JSON.stringify(i.event.objects));
      }).done;
      assert.ok(out.ok);
      assert.equal(got.size, final.size);
      const differ = [...final].filter(([id, objects]) => got.get(id) !== objects).map(([id]) => id);
      assert.deepEqual(differ, [], `run ${run}: events that differ from the core's final version`);
    }
  });

  it('applies the path filter of "Who Deleted…?"', async () => {
    const log = path.join(RECORDED, 'rm-rf-deep', 'audit.log');
    const direct = await analyzeInputs([log]);
    const some = direct.events.find((e) => e.objects.some((o) => o.path?.includes('/level3/')))!;
    const prefix = some.objects.find((o) => o.path?.includes('/level3/'))!.path!.replace(/\/level3\/.*/, '/level3');
    const got: StreamItem[] = [];
    const out = await startAnalysis(worker, { inputs: [log], filter: { pathPrefix: prefix } }, (items) => got.push(...items)).done;
    assert.ok(out.ok);
    assert.ok(got.length > 0 && got.length < direct.events.length, `${got.length} of ${direct.events.length}`);
    for (const i of got) assert.ok(i.kind !== 'diagnostic' && i.event.objects.some((o) => o.path?.startsWith(prefix)));
  });

  it('cancels a big analysis: it stops early and says it was cancelled', async () => {
    const log = bigLog(400);
    let received = 0;
    let job: ReturnType<typeof startAnalysis> | undefined = undefined;
    job = startAnalysis(worker, { inputs: [log], filter: {}, batchSize: 50 }, (items) => {
      received += items.length;
      if (received > 0) job?.cancel();
    });
    const out = await job.done;
    assert.ok(out.ok);
    assert.equal(out.totals.cancelled, true);
    assert.ok(received < 400 * 23, `${received} events received before the cancel took effect`);
  });

  it('reports a missing input without reading anything', async () => {
    const out = await startAnalysis(worker, { inputs: ['/nonexistent/audit.log'], filter: {} }, () => assert.fail('no items')).done;
    assert.deepEqual(out, { ok: false, message: '/nonexistent/audit.log: no such file or directory', denied: false });
  });

  it('tells a root-only log apart (denied), so the privileged helper can read it', { skip: process.getuid?.() !== 0 ? 'needs root to run as nobody' : false }, () => {
    const secret = path.join(dir, 'root-only.log');
    writeFileSync(secret, readFileSync(path.join(RECORDED, 'unlink-absolute', 'audit.log')));
    chmodSync(secret, 0o600);
    const runner = path.join(dir, 'run.js');
    writeFileSync(
      runner,
      `const { Worker } = require('node:worker_threads');
const w = new Worker(${JSON.stringify(worker)}, { workerData: { inputs: [${JSON.stringify(secret)}], filter: {} } });
w.on('message', (m) => { if (m.type !== 'items') { console.log(JSON.stringify(m)); process.exit(0); } });`,
    );
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, runner], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { type: string; denied: boolean; message: string };
    assert.equal(m.type, 'error');
    assert.equal(m.denied, true);
    assert.match(m.message, /permission denied/);
  });
});
