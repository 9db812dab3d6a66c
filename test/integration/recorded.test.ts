/**
 * Live re-recording: records a few cases against the real auditd right now and checks the parser against the fresh
 * ground truth, with and without the snapshot. Needs root and a running auditd; touches global audit state,
 * so every test here runs one at a time.
 *
 *   node --import tsx --test test/integration/*.test.ts
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeInputs } from '../../src/core';
import { checkAgainstTruth, loadRecordedCase } from '../support/truth';
import { CASES, readSlice, recordCase, recordCaseDef, run, type CaseContext } from './recorder';

const SKIP = process.getuid?.() === 0 ? false : 'needs root and a running auditd';

/** Records `name` into `out` and returns the parser's mismatches with and without the snapshot. */
async function recordAndCheck(name: string, out: string): Promise<{ withSnapshot: string[]; without: string[]; items: number }> {
  const rec = await recordCase(name, out);
  const c = await loadRecordedCase(rec.dir);
  const keys = [c.truth.key];
  const a = await analyzeInputs(c.inputs, { snapshot: c.snapshot, keys });
  const b = await analyzeInputs(c.inputs, { keys });
  return {
    withSnapshot: checkAgainstTruth(a.events, c.truth, { withSnapshot: true }),
    without: checkAgainstTruth(b.events, c.truth, { withSnapshot: false }),
    items: c.truth.items.length,
  };
}

test('reads a slice that a log rotation split between audit.log.1 and audit.log', async () => {
  // A fake log directory: the slice must start at the old file's offset and stop at the end marker.
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'al-rot-'));
  try {
    const log = path.join(dir, 'audit.log');
    await fsp.writeFile(log, 'before\n');
    const mark = { file: log, ino: (await fsp.stat(log)).ino, size: (await fsp.stat(log)).size };
    await fsp.appendFile(log, 'one\n');
    await fsp.rename(log, `${log}.1`);
    await fsp.writeFile(log, 'two\nEND key=k\nafter\n');
    assert.equal((await readSlice(mark, 'END key=k', 1000)).toString(), 'one\ntwo\nEND key=k\n');
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

describe('live recordings against real auditd', { concurrency: 1, skip: SKIP }, () => {
  let out = '';
  before(async () => {
    out = await fsp.mkdtemp(path.join(os.tmpdir(), 'al-live-'));
  });
  after(async () => {
    if (out) await fsp.rm(out, { recursive: true, force: true });
  });

  const live: [string, string][] = [
    ['rm-rf-deep', 'reports every file and folder of an rm -rf (dirfd-relative unlinkat, cwd /) at its real path'],
    ['python-dir-fd-unlink', 'rebuilds paths of Python unlink(name, dir_fd=fd) whose PARENT record names the cwd'],
    ['bind-mount', 'reports deletions through a bind mount at the real path, with the bind path as seenAs'],
    ['watched-folder-deleted', 'reports the watched folder deleted with its contents, and a file in the recreated folder despite inode reuse'],
    ['uring-unlink', 'reports io_uring unlinkat (URINGOP, PATH name=(null)) from inodes'],
    ['odd-names', 'reports names with quotes, newlines, tabs, backslashes, CJK and emoji exactly'],
    ['shred-u', 'reports every rename of shred -u (names and pid from an strace of the run) and its final unlink'],
  ];
  for (const [name, behaviour] of live) {
    test(`${name}: ${behaviour}`, async () => {
      const r = await recordAndCheck(name, out);
      assert.ok(r.items > 0, 'the recording has truth items');
      assert.deepEqual(r.withSnapshot, [], 'with snapshot');
      assert.deepEqual(r.without, [], 'without snapshot');
    });
  }

  test('every case the recorder knows is distinct and described', () => {
    const names = CASES.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    for (const c of CASES) assert.ok(c.description.length > 10, c.name);
  });

  test('removes its audit rules, mounts and tree when a case fails half-way', async () => {
    let root = '';
    let key = '';
    await assert.rejects(
      recordCaseDef(
        {
          name: 'failing-on-purpose',
          description: 'mounts a bind, then throws',
          async setup(ctx) {
            await ctx.build({ 'a.txt': 'x\n' });
          },
          async run(ctx: CaseContext) {
            root = ctx.root;
            key = ctx.key;
            const bind = path.join(ctx.root, 'bind');
            await fsp.mkdir(bind);
            await ctx.mount(['--bind', ctx.vol, bind], bind);
            throw new Error('planned failure');
          },
        },
        out,
      ),
      /planned failure/,
    );
    const rules = (await run('auditctl', ['-l'])).stdout;
    assert.ok(key && !rules.includes(key), `no rule with key ${key} is left`);
    const mounts = await fsp.readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(root && !mounts.includes(root), 'the bind mount is gone');
    await assert.rejects(fsp.lstat(root), { code: 'ENOENT' });
    await assert.rejects(fsp.lstat(path.join(out, 'failing-on-purpose')), { code: 'ENOENT' }, 'no fixture is written');
  });
});
