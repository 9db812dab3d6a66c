/**
 * Watch Deletions end to end without VS Code: the extension-side session (channel + helper command + node-pty) runs
 * as an unprivileged user who types a real sudo password; the helper runs as root against the real auditd.
 * Every check reads the system (auditctl -l, the file system) or the events the session received, never the parser
 * alone. Needs root, auditd and sudo (scripts/setup.sh installs them).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent } from '../../src/core/types';
import { newKey } from '../../src/helper/rules';
import { buildSandbox, ensureSudoUser, sudoUserUnavailable, type Sandbox, type SudoUser } from '../support/sudoUser';
import { DriverSession, kernelLost, rulesWithKey, until } from '../support/watchSession';

const SKIP = sudoUserUnavailable() ?? (spawnSync('/usr/sbin/auditctl', ['-s']).status === 0 ? false : 'auditd is not available');
const PWNED = '/tmp/pwned';
const HOSTILE = "we'ird $(touch /tmp/pwned); name";
const PYTHON = '/usr/bin/python3';
/** How long an event may take from the syscall returning to the extension side. */
const MAX_LATENCY_MS = 2000;

/** Runs a program (argument vector) and resolves with the time it returned. */
function op(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: '/' }, (err, _out, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(Date.now())));
  });
}

/** The first event (latest version) whose object with `role` has exactly `p` as its path. */
async function eventFor(s: DriverSession, key: string, role: string, p: string, timeoutMs = 10_000): Promise<{ event: AuditEvent; at: number }> {
  const find = () => s.events(key).find((e) => e.event.objects.some((o) => o.role === role && o.path === p));
  await until(() => find() !== undefined, timeoutMs, 50);
  const hit = find();
  if (!hit) {
    const seen = s.events(key).map((e) => e.event.objects.map((o) => `${o.role}:${o.path}`).join(' '));
    throw new Error(`no ${role} event for ${p} within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}`);
  }
  return hit;
}

describe('Watch Deletions through sudo in a real pty, as an unprivileged user', { concurrency: 1, skip: SKIP, timeout: 10 * 60_000 }, () => {
  let user: SudoUser;
  let sandbox: Sandbox;
  let base: string;
  let folder: string;
  let s: DriverSession;
  let key: string;
  const latencies: number[] = [];

  before(async () => {
    rmSync(PWNED, { force: true });
    user = ensureSudoUser();
    sandbox = await buildSandbox({ driver: path.join(__dirname, '..', 'support', 'sessionDriver.ts') });
    base = mkdtempSync(path.join(tmpdir(), 'al-watch-'));
    folder = path.join(base, HOSTILE);
    mkdirSync(path.join(folder, 'sp ace', '新建'), { recursive: true });
    s = new DriverSession(user, sandbox);
  });

  after(async () => {
    await s?.end();
    if (key) {
      // The helper removes its rules; a failed test must still leave none behind.
      if (rulesWithKey(key).length > 0) spawnSync('/usr/sbin/auditctl', ['-D', '-k', key]);
    }
    if (base) rmSync(base, { recursive: true, force: true });
    if (sandbox) rmSync(sandbox.dir, { recursive: true, force: true });
    if (latencies.length > 0) {
      const sorted = [...latencies].sort((a, b) => a - b);
      console.error(`# syscall → extension side latency over ${sorted.length} deletions: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`);
    }
  });

  test('sudo asks in the terminal, the typed password is never shown, and the helper connects as root', async () => {
    const hello = await s.waitFor((m) => m.t === 'ready', 60_000, 0, 'the helper hello');
    assert.equal((hello.msg.hello as { uid: number }).uid, 0, 'the helper runs as root');
    const argv = (await s.waitFor((m) => m.t === 'argv')).msg;
    assert.equal(argv.elevation, 'sudo');
    assert.notEqual(argv.uid, 0, 'the session side is unprivileged');
    const screen = s.terminal();
    assert.match(screen, /\[Audit Lens\] password for audit-lens-tester/);
    assert.ok(!screen.includes(user.password), 'the password is not echoed');
    assert.match(screen, /Audit Lens helper/);
  });

  test('installs path= and dir= rules per arch, with its own key, for a folder named like a shell injection', async () => {
    key = newKey();
    const state = await s.request('watch', { folder, key });
    assert.equal(state.state, 'armed');
    assert.equal(state.folder, folder);
    const rules = rulesWithKey(key);
    const arches = process.arch === 'x64' ? ['b64', 'b32'] : ['b64'];
    for (const arch of arches) {
      for (const field of ['path', 'dir']) {
        assert.ok(rules.includes(`-a always,exit -F arch=${arch} -S all -F ${field}=${folder} -F perm=wa -F key=${key}`), `${field}= rule for ${arch}: ${rules.join('\n')}`);
      }
    }
    assert.ok(!existsSync(PWNED), 'the folder name was never run by a shell');
  });

  test('rm, rm -rf, unlink(dir_fd=…), a rename away and a rename over each arrive within 2 s with the exact path and process', async () => {
    const files = ['a.txt', 'b.txt', 'c.txt', 'x.txt', 'y.txt', 'z.txt'];
    for (const f of files) writeFileSync(path.join(folder, f), f);
    writeFileSync(path.join(folder, 'sp ace', '新建', 'deep.txt'), 'deep');
    const outside = mkdtempSync(path.join(tmpdir(), 'al-outside-'));
    try {
      const cases: { run: () => Promise<number>; role: string; path: string; exe: RegExp; action: string }[] = [
        { run: () => op('/usr/bin/rm', [path.join(folder, 'a.txt')]), role: 'deleted', path: path.join(folder, 'a.txt'), exe: /\/rm$/, action: 'deleted' },
        { run: () => op('/usr/bin/rm', ['-rf', path.join(folder, 'sp ace')]), role: 'deleted', path: path.join(folder, 'sp ace', '新建', 'deep.txt'), exe: /\/rm$/, action: 'deleted' },
        {
          run: () => op(PYTHON, ['-c', 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY|os.O_DIRECTORY); os.unlink("b.txt", dir_fd=fd)', folder]),
          role: 'deleted',
          path: path.join(folder, 'b.txt'),
          exe: /python3/,
          action: 'deleted',
        },
        { run: () => op('/usr/bin/mv', [path.join(folder, 'x.txt'), path.join(outside, 'x.txt')]), role: 'source', path: path.join(folder, 'x.txt'), exe: /\/mv$/, action: 'renamed' },
        { run: () => op('/usr/bin/mv', [path.join(folder, 'y.txt'), path.join(folder, 'z.txt')]), role: 'replaced', path: path.join(folder, 'z.txt'), exe: /\/mv$/, action: 'renamed' },
      ];
      for (const c of cases) {
        const done = await c.run();
        const { event, at } = await eventFor(s, key, c.role, c.path);
        assert.equal(event.action, c.action, c.path);
        assert.equal(event.success, true);
        assert.match(event.process.exe ?? '', c.exe, `process of ${c.path}`);
        assert.equal(event.process.container, 'host', 'the container is read from /proc as the event arrives');
        assert.ok(event.keys.includes(key));
        const o = event.objects.find((x) => x.role === c.role && x.path === c.path)!;
        assert.notEqual(o.confidence, 'uncertain', `${c.path} is exact or rebuilt`);
        latencies.push(at - done);
        assert.ok(at - done <= MAX_LATENCY_MS, `${c.path} arrived ${at - done} ms after the syscall returned`);
      }
      // rm -rf reported the subfolders too, at their paths.
      await eventFor(s, key, 'deleted', path.join(folder, 'sp ace', '新建'));
      await eventFor(s, key, 'deleted', path.join(folder, 'sp ace'));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    assert.ok(!existsSync(PWNED));
  });

  test('the folder deleted, recreated and deleted inside again: all three reported, and the rules are back', async () => {
    writeFileSync(path.join(folder, 'before.txt'), 'x');
    await op('/usr/bin/rm', ['-rf', folder]);
    const gone = await eventFor(s, key, 'deleted', folder);
    assert.equal(gone.event.process.exe, '/usr/bin/rm');
    assert.ok(await until(() => s.state(key)?.state === 'folder-deleted', 10_000), `state: ${JSON.stringify(s.state(key))}`);
    assert.match(s.state(key)!.message ?? '', /folder deleted by rm \(pid \d+\)/);
    await op('/usr/bin/mkdir', [folder]);
    assert.ok(await until(() => s.state(key)?.state === 're-armed', 10_000), `state: ${JSON.stringify(s.state(key))}`);
    assert.ok(await until(() => rulesWithKey(key).filter((l) => l.includes(' -F dir=')).length >= 1, 5000), 'the dir= rules are back');
    assert.ok(await until(() => /recreated by mkdir/.test(s.state(key)?.message ?? ''), 5000), `message: ${s.state(key)?.message}`);
    writeFileSync(path.join(folder, 'again.txt'), 'x');
    mkdirSync(path.join(folder, 'inner'));
    writeFileSync(path.join(folder, 'inner', 'deeper.txt'), 'x');
    await op('/usr/bin/rm', [path.join(folder, 'again.txt'), path.join(folder, 'inner', 'deeper.txt')]);
    await eventFor(s, key, 'deleted', path.join(folder, 'again.txt'));
    await eventFor(s, key, 'deleted', path.join(folder, 'inner', 'deeper.txt'));
  });

  test('a log rotation in the middle of a burst loses nothing', async () => {
    const dir = path.join(folder, 'rot');
    mkdirSync(dir);
    const names = Array.from({ length: 200 }, (_, i) => `f${i}.txt`);
    for (const n of names) writeFileSync(path.join(dir, n), n);
    const lostBefore = kernelLost();
    await op('/usr/bin/rm', names.slice(0, 100).map((n) => path.join(dir, n)));
    const pid = execFileSync('pidof', ['auditd'], { encoding: 'utf8' }).trim().split(' ')[0];
    await op('/usr/bin/kill', ['-USR1', pid]);
    await op('/usr/bin/rm', names.slice(100).map((n) => path.join(dir, n)));
    const want = new Set(names.map((n) => path.join(dir, n)));
    const found = (): number => s.events(key).filter((e) => e.event.objects.some((o) => o.role === 'deleted' && o.path && want.has(o.path))).length;
    if (await until(() => found() === names.length, 15_000)) return;
    // A shortfall is acceptable only when the kernel dropped records (its backlog full while auditd rotated: it then
    // holds the deleting process up to backlog_wait_time, 60 s, and drops) and the helper said so.
    const lost = kernelLost() - lostBefore;
    const missing = names.length - found();
    assert.ok(lost > 0, `${found()} of ${names.length} deletions across the rotation, and the kernel lost none`);
    assert.ok(missing <= lost, `${missing} deletions missing but only ${lost} records lost`);
    assert.ok(await until(() => s.health().some((i) => i.kind === 'lost-events'), 15_000), `the helper reports the loss; health: ${JSON.stringify(s.health())}`);
    console.error(`# rotation: ${missing} of ${names.length} deletions dropped by the kernel (lost ${lost}), reported as lost events`);
  });

  test('Stop removes every rule it added, and nothing of anyone else', async () => {
    const other = newKey();
    // Someone else's rule on the same folder, with another key: it must survive our stop.
    execFileSync('/usr/sbin/auditctl', ['-a', 'always,exit', '-F', 'arch=b64', '-F', `path=${folder}`, '-F', 'perm=wa', '-k', other]);
    try {
      await s.request('unwatch', { key });
      assert.deepEqual(rulesWithKey(key), []);
      assert.equal(rulesWithKey(other).length, 1);
      assert.equal(s.state(key)?.state, 'stopped');
    } finally {
      execFileSync('/usr/sbin/auditctl', ['-d', 'always,exit', '-F', 'arch=b64', '-F', `path=${folder}`, '-F', 'perm=wa', '-k', other]);
    }
  });

  test('rules left by a crashed helper are offered as leftovers and removed on request; other keys stay', async () => {
    const crashed = newKey();
    const foreign = `al_other_${newKey().slice(3, 9)}`;
    const add = (k: string): void => {
      execFileSync('/usr/sbin/auditctl', ['-a', 'always,exit', '-F', 'arch=b64', '-F', `path=${folder}`, '-F', 'perm=wa', '-k', k]);
    };
    add(crashed);
    add(foreign);
    const second = mkdtempSync(path.join(base, 'second-'));
    const k2 = newKey();
    try {
      const from = s.seen.length;
      // Every watch looks for leftovers again; the health report names the crashed key, not the foreign one.
      await s.request('watch', { folder: second, key: k2 });
      const health = await s.waitFor(
        (m) => m.t === 'health' && (m.issues as { kind: string; keys?: string[] }[]).some((i) => i.kind === 'leftover-rules' && i.keys!.includes(crashed)),
        20_000,
        from,
        'a leftover-rules issue',
      );
      const issue = (health.msg.issues as { kind: string; keys?: string[] }[]).find((i) => i.kind === 'leftover-rules')!;
      assert.ok(!issue.keys!.includes(foreign));
      assert.ok(!issue.keys!.includes(k2), 'a live watch is never a leftover');
      const r = await s.request('removeLeftovers', { keys: [crashed, foreign, k2] });
      assert.deepEqual(r.removed, [crashed]);
      assert.deepEqual(rulesWithKey(crashed), []);
      assert.equal(rulesWithKey(foreign).length, 1);
      assert.ok(rulesWithKey(k2).length >= 4, 'the live watch keeps its rules');
      await s.request('unwatch', { key: k2 });
    } finally {
      for (const k of [crashed, foreign]) if (rulesWithKey(k).length > 0) spawnSync('/usr/sbin/auditctl', ['-D', '-k', k]);
    }
  });

  test('root-only audit logs are read through the helper, and nothing that is not an audit log', async () => {
    const log = '/var/log/audit/audit.log';
    const { handle, size } = await s.request('open', { path: log });
    assert.ok(size > 0);
    const { data } = await s.request('read', { handle, offset: 0, length: 64 });
    assert.match(Buffer.from(data, 'base64').toString('latin1'), /^(type|node)=/);
    await s.request('close', { handle });
    await assert.rejects(s.request('open', { path: '/etc/shadow' }), /not an audit log/);
    await assert.rejects(s.request('open', { path: 'relative/audit.log' }), /absolute/);
    await assert.rejects(s.request('analyze', { inputs: ['/etc/shadow'], filter: {} }), /not an audit log/);
    const result = await s.request('analyze', { inputs: [log], filter: { keys: [key] } });
    assert.ok(result.records > 0, 'the analysis ran as root over the live log');
  });

  test('refuses clearly what cannot be watched: a file, a missing folder, /, a key that is not a helper key', async () => {
    const file = path.join(base, 'plain.txt');
    writeFileSync(file, 'x');
    await assert.rejects(s.request('watch', { folder: file, key: newKey() }), /not a directory/);
    await assert.rejects(s.request('watch', { folder: path.join(base, 'missing'), key: newKey() }), /does not exist/);
    await assert.rejects(s.request('watch', { folder: '/', key: newKey() }), /cannot watch \//);
    await assert.rejects(s.request('watch', { folder: base, key: 'identity' }), /not a watch key/);
    assert.deepEqual(rulesWithKey('identity'), []);
  });

  test('SIGKILL of the session side (the extension host dying) makes the helper remove its rules and exit', async () => {
    const k = newKey();
    const s2 = new DriverSession(user, sandbox);
    try {
      const hello = await s2.waitFor((m) => m.t === 'ready', 60_000, 0, 'the helper hello');
      const helperPid = (hello.msg.hello as { pid: number }).pid;
      await s2.request('watch', { folder, key: k });
      assert.ok(rulesWithKey(k).length >= 4);
      // The driver is the extension host here: kill it and everything it holds dies with it (socket, pty master).
      const driverPid = (await s2.waitFor((m) => m.t === 'argv')).msg.pid as number;
      process.kill(driverPid, 'SIGKILL');
      assert.ok(await until(() => rulesWithKey(k).length === 0, 20_000), `rules left: ${rulesWithKey(k).join('\n')}`);
      assert.ok(await until(() => !existsSync(`/proc/${helperPid}`), 20_000), 'the helper exited');
    } finally {
      await s2.end();
      if (rulesWithKey(k).length > 0) spawnSync('/usr/sbin/auditctl', ['-D', '-k', k]);
    }
  });

  test('a wrong password starts nothing: no helper, no rules', async () => {
    const s3 = new DriverSession(user, sandbox, { wrongPassword: true });
    try {
      const r = await s3.waitFor((m) => m.t === 'pty-exit', 60_000, 0, 'sudo to give up');
      assert.notEqual(r.msg.code, 0);
      assert.ok(!s3.seen.some((x) => x.msg.t === 'ready'));
      assert.match(s3.terminal(), /incorrect password|Sorry, try again/i);
    } finally {
      await s3.end();
    }
  });
});
