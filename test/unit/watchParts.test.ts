/** The parts of Watch Deletions that need no root: protocol framing, rule vectors, containers, health, the tail. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { AuditEvent } from '../../src/core/types';
import { ContainerCache, containerFromCgroup } from '../../src/helper/container';
import { lostEventsIssue } from '../../src/helper/engine';
import { EventStore } from '../../src/helper/eventStore';
import { helperCommand, SUDO_PROMPT } from '../../src/helper/launch';
import { encode, isHelperKey, MessageReader } from '../../src/helper/protocol';
import { archesFor, folderRules, helperKeysIn, mountPointsUnder, newKey, prefixSafe } from '../../src/helper/rules';
import { AuditLogTail, auditLogPath } from '../../src/helper/tail';

test('messages survive any chunking, and a malformed or oversized line is an error, not a skip', () => {
  const got: unknown[] = [];
  const errors: string[] = [];
  const r = new MessageReader<{ t: string }>((m) => got.push(m), (e) => errors.push(e.message), 64);
  const bytes = Buffer.from(encode({ t: 'shutdown' }) + encode({ t: 'cancel', id: 7 }));
  for (const b of bytes) r.push(Buffer.from([b]));
  assert.deepEqual(got, [{ t: 'shutdown' }, { t: 'cancel', id: 7 }]);
  r.push(Buffer.from('{not json}\n'));
  assert.deepEqual(errors, ['malformed message from the peer']);
  r.push(Buffer.from('x'.repeat(100)));
  assert.match(errors[1], /longer than 64 bytes/);
  r.push(Buffer.from('{"no":"type"}\n'));
  assert.match(errors[2], /without a type/);
});

test('helper keys are al_ and 12 hex digits; recorder-style al_ keys are not the helper’s', () => {
  for (let i = 0; i < 20; i++) assert.ok(isHelperKey(newKey()));
  assert.ok(newKey().length <= 31);
  assert.ok(!isHelperKey('al_uringunlink_6cfccd'));
  assert.ok(!isHelperKey('al_0123456789abc'));
  assert.ok(!isHelperKey(42));
});

test('rules are argument vectors: the folder is one argument whatever it contains, path= before dir=, per arch', () => {
  const folder = "/srv/we'ird $(touch /tmp/pwned); name\nline";
  const rules = folderRules(folder, 'al_0123456789ab', ['b64', 'b32']);
  assert.deepEqual(
    rules.map((r) => `${r.field}/${r.arch}`),
    ['path/b64', 'path/b32', 'dir/b64', 'dir/b32'],
  );
  assert.deepEqual(rules[2].args, ['always,exit', '-F', 'arch=b64', '-F', `dir=${folder}`, '-F', 'perm=wa', '-k', 'al_0123456789ab']);
  assert.deepEqual(archesFor('x64'), ['b64', 'b32']);
  assert.deepEqual(archesFor('arm64'), ['b64'], 'aarch64 has no 32-bit unlink/rmdir/rename table to watch');
});

test('finds leftover helper keys in auditctl -l and refuses a key-wide delete that would hit a longer key', () => {
  const listing = [
    '-a always,exit -F arch=b64 -S all -F dir=/a b -F perm=wa -F key=al_0123456789ab',
    '-a always,(null) -S ftime,sync,kill -F dir=/a b -F key=al_0123456789ab',
    '-a always,exit -F arch=b64 -S all -F path=/x -F perm=wa -F key=al_uringunlink_6cfccd',
    '-w /etc/passwd -p wa -k identity',
  ].join('\n');
  assert.deepEqual(helperKeysIn(listing), ['al_0123456789ab']);
  assert.ok(prefixSafe(listing, 'al_0123456789ab'));
  assert.ok(!prefixSafe(`${listing}\n-a always,exit -F arch=b64 -S all -F path=/y -F perm=wa -F key=al_0123456789abX`, 'al_0123456789ab'));
});

test('names mount points inside the watched folder (octal escapes decoded), not the folder itself or siblings', () => {
  const mountinfo = [
    '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
    '30 22 0:40 / /srv/data rw - tmpfs tmpfs rw',
    '31 30 0:41 / /srv/data/sub\\040dir rw - tmpfs tmpfs rw',
    '32 22 0:42 / /srv/database rw - tmpfs tmpfs rw',
  ].join('\n');
  assert.deepEqual(mountPointsUnder('/srv/data', mountinfo), ['/srv/data/sub dir']);
  assert.deepEqual(mountPointsUnder('/srv', mountinfo), ['/srv/data', '/srv/data/sub dir', '/srv/database']);
});

test('reads container ids from cgroup paths of docker, podman, containerd and kubernetes; host otherwise', () => {
  const id = 'a'.repeat(64);
  assert.deepEqual(containerFromCgroup(`0::/system.slice/docker-${id}.scope\n`), { container: id, runtime: 'docker' });
  assert.deepEqual(containerFromCgroup(`0::/machine.slice/libpod-${id}.scope/container\n`), { container: id, runtime: 'podman' });
  assert.deepEqual(containerFromCgroup(`0::/system.slice/cri-containerd-${id}.scope\n`), { container: id, runtime: 'containerd' });
  assert.deepEqual(containerFromCgroup(`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-${id}.scope\n`), {
    container: id,
    runtime: 'kubernetes',
  });
  assert.deepEqual(containerFromCgroup(`12:memory:/docker/${id}\n`), { container: id, runtime: 'docker' });
  assert.deepEqual(containerFromCgroup('0::/user.slice/user-1000.slice/session-3.scope\n'), { container: 'host' });
  assert.deepEqual(containerFromCgroup('4:memory:/process_api/d24aade01ace76f26a363b52d6d87a53\n0::/\n'), { container: 'host' });
});

test('the container cache reads /proc when a record arrives, falls back to the parent, and says unknown when both are gone', () => {
  const proc = mkdtempSync(path.join(tmpdir(), 'al-proc-'));
  try {
    const id = 'b'.repeat(64);
    for (const [pid, text] of [
      ['100', `0::/system.slice/docker-${id}.scope\n`],
      ['200', '0::/user.slice\n'],
    ]) {
      mkdirSync(path.join(proc, pid));
      writeFileSync(path.join(proc, pid, 'cgroup'), text);
    }
    const cache = new ContainerCache(proc);
    const chunk = Buffer.from(
      'type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=263 success=yes exit=0 ppid=100 pid=999 comm="rm" key="al_0123456789ab"\n' +
        'type=SYSCALL msg=audit(1.000:2): arch=c000003e syscall=263 success=yes exit=0 ppid=1 pid=200 comm="rm" key="al_0123456789ab"\n' +
        'type=SYSCALL msg=audit(1.000:3): arch=c000003e syscall=263 success=yes exit=0 ppid=1 pid=300 comm="rm" key="other"\n',
    );
    cache.scan(chunk, chunk.length, [Buffer.from('key="al_0123456789ab"')]);
    assert.deepEqual(cache.lookup(999), { container: id, runtime: 'docker' }, 'pid 999 exited: its parent 100 tells');
    assert.deepEqual(cache.lookup(200), { container: 'host' });
    assert.deepEqual(cache.lookup(300), { container: 'unknown' }, 'records without our key are not looked at');
    cache.note(400, 401);
    assert.deepEqual(cache.lookup(400), { container: 'unknown' });
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});

test('lost events: growth of lost or a nearly full backlog is an issue with the backlog command; nothing otherwise', () => {
  const status = (lost: number, backlog: number) => new Map([['lost', String(lost)], ['backlog', String(backlog)], ['backlog_limit', '64']]);
  assert.equal(lostEventsIssue(status(5, 0), 5), null);
  const grown = lostEventsIssue(status(12, 0), 5)!;
  assert.equal(grown.lost, 7);
  assert.match(grown.message, /dropped 7 audit records.*auditctl -b 8192/);
  const full = lostEventsIssue(status(5, 60), 5)!;
  assert.equal(full.lost, 0);
  assert.match(full.message, /nearly full \(60 of 64\)/);
});

test('the helper command is an argument vector through sudo (a prompt that says who asks), or direct as root', () => {
  const o = { execPath: '/opt/vs code/node', script: "/home/u/.vscode-server/ext/out/helper.js", channelDir: '/tmp/audit-lens-x' };
  const root = helperCommand({ ...o, uid: 0 });
  assert.ok(!('problem' in root));
  assert.deepEqual(root.argv, ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', o.execPath, o.script, '--channel', o.channelDir]);
  const user = helperCommand({ ...o, uid: 1000 });
  if ('problem' in user) return; // no sudo or pkexec on this machine
  if (user.elevation === 'sudo') {
    assert.match(user.argv[0], /^\/(usr\/)?bin\/sudo$/);
    assert.deepEqual(user.argv.slice(1, 4), ['-p', SUDO_PROMPT, '--']);
    assert.deepEqual(user.argv.slice(4), root.argv);
  }
});

test('auditd.conf log_file is honoured; a missing or relative one falls back to the default', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-conf-'));
  try {
    writeFileSync(path.join(dir, 'a.conf'), 'local_events = yes\nlog_file = /srv/audit/audit.log\n');
    writeFileSync(path.join(dir, 'b.conf'), 'log_file = relative.log\n');
    assert.equal(auditLogPath(path.join(dir, 'a.conf')), '/srv/audit/audit.log');
    assert.equal(auditLogPath(path.join(dir, 'b.conf')), '/var/log/audit/audit.log');
    assert.equal(auditLogPath(path.join(dir, 'missing.conf')), '/var/log/audit/audit.log');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the tail starts at the end, follows two rotations between wake-ups, and keeps line numbers and offsets', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-tail-'));
  const log = path.join(dir, 'audit.log');
  const seen: string[] = [];
  const where: string[] = [];
  const tail = new AuditLogTail(log, {
    onLine: (buf, start, end, file, line, offset) => {
      seen.push(buf.toString('latin1', start, end));
      where.push(`${path.basename(file)}:${line}@${offset}`);
    },
    onIdle: () => undefined,
    onDiagnostic: (d) => assert.fail(d.message),
    pollMs: 60_000,
  });
  try {
    writeFileSync(log, 'old 1\nold 2\n');
    writeFileSync(`${log}.1`, 'older\n');
    tail.start();
    appendFileSync(log, 'a\nb\n');
    tail.wake();
    appendFileSync(log, 'c\n');
    // Two rotations before the next wake-up: audit.log → .1 → .2, a middle file, then a new audit.log.
    renameSync(`${log}.1`, `${log}.3`);
    renameSync(log, `${log}.2`);
    writeFileSync(`${log}.1`, 'd\ne\n');
    writeFileSync(log, 'f\n');
    tail.wake();
    appendFileSync(log, 'g\n');
    tail.wake();
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.deepEqual(where.slice(0, 3), ['audit.log:3@12', 'audit.log:4@14', 'audit.log:5@16']);
    assert.equal(tail.rotations, 1);
  } finally {
    tail.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the tail reads a file truncated under it again from the start, and says so', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-tail-'));
  const log = path.join(dir, 'audit.log');
  const seen: string[] = [];
  const diags: string[] = [];
  const tail = new AuditLogTail(log, {
    onLine: (buf, start, end) => seen.push(buf.toString('latin1', start, end)),
    onIdle: () => undefined,
    onDiagnostic: (d) => diags.push(d.message),
    pollMs: 60_000,
  });
  try {
    writeFileSync(log, 'before\n');
    tail.start();
    appendFileSync(log, 'x\n');
    tail.wake();
    writeFileSync(log, 'y\n');
    tail.wake();
    assert.deepEqual(seen, ['x', 'y']);
    assert.match(diags[0], /shrank/);
  } finally {
    tail.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the event store keeps the latest version of each event, forgets a watch, and compacts to its bound', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-store-'));
  const ev = (n: number, p = `/w/f${n}`): AuditEvent =>
    ({ id: `1.000:${n}`, serial: n, timeMs: n, objects: [{ role: 'deleted', path: p }] }) as unknown as AuditEvent;
  try {
    const store = new EventStore(path.join(dir, 's', 'events.jsonl'), 10);
    await store.append('al_aaaaaaaaaaaa', '/w', [ev(1, '/w/?'), ev(2)]);
    await store.append('al_aaaaaaaaaaaa', '/w', [ev(1, '/w/resolved')]);
    await store.append('al_bbbbbbbbbbbb', '/v', [ev(3)]);
    let { watches } = await new EventStore(store.file, 10).load();
    assert.deepEqual(
      watches.map((w) => [w.key, w.events.map((e) => e.objects[0].path)]),
      [
        ['al_aaaaaaaaaaaa', ['/w/resolved', '/w/f2']],
        ['al_bbbbbbbbbbbb', ['/w/f3']],
      ],
    );
    await store.clear('al_bbbbbbbbbbbb');
    ({ watches } = await store.load());
    assert.deepEqual(watches.map((w) => w.key), ['al_aaaaaaaaaaaa']);
    for (let i = 0; i < 1100; i += 100) await store.append('al_aaaaaaaaaaaa', '/w', Array.from({ length: 100 }, (_, k) => ev(100 + i + k)));
    await store.flush();
    const kept = (await store.load()).watches[0].events;
    assert.ok(kept.length <= 10 * 2 + 1000 && kept.length >= 10, `${kept.length} kept`);
    assert.equal(kept[kept.length - 1].serial, 1199, 'the newest are kept');
    writeFileSync(store.file, '{"k":"al_aaaaaaaaaaaa","f":"/w","e":{"id":"x"}}\nnot json\n');
    assert.equal((await store.load()).badLines, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('audit-lens watch: a folder is required, only table and jsonl, and no log filters (exit 2 with a reason)', async () => {
  const { main } = await import('../../src/cli/main');
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['watch']), 2);
    assert.match(err, /watch needs at least one folder/);
    assert.equal(await main(['watch', '--format', 'csv', '/tmp']), 2);
    assert.match(err, /--format must be one of table, jsonl/);
    assert.equal(await main(['watch', '--key', 'k', '/tmp']), 2);
    assert.match(err, /watch takes folders/);
    assert.equal(await main(['events', '--remove-leftovers']), 2);
  } finally {
    process.stderr.write = write;
  }
});
