/**
 * The recorder's strace replay (test/integration/strace.ts), on a canned trace in the exact shape `strace -f -y -xx`
 * writes: which process made each call, with which program, and what the calls did to the tree.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { lstatTree, parseStrace, tracedOps, truthFromTrace } from '../integration/strace';

const hex = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');

test('follows forks, cwd changes and dirfds, joins interrupted calls, and names each call’s process and program', async () => {
  const exe = process.execPath;
  const dst = '/data/dst';
  const trace = [
    // strace pads pids to five columns.
    `100   execve("${hex(exe)}", ["rsync"], 0x7ffd /* 3 vars */) = 0`,
    `100   clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 10100`,
    `10100 fchdir(4<${hex(dst)}>) = 0`,
    `10100 unlinkat(7<${hex(dst + '/gone')}>, "${hex('f é.txt')}", 0 <unfinished ...>`,
    `100   chdir("${hex('/data/src')}") = 0`,
    `10100 <... unlinkat resumed>) = 0`,
    `10100 rmdir("${hex('gone/')}") = 0`,
    `10100 unlink("${hex('missing')}") = -1 ENOENT (No such file or directory)`,
    `10100 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 10102`,
    `10102 renameat(AT_FDCWD<${hex(dst)}>, "${hex('.a.XYZ')}", 1<${hex(dst)}>, "${hex('a')}") = 0`,
  ].join('\n');
  const ops = await tracedOps(parseStrace(trace), '/');
  const real = await fsp.realpath(exe);
  const comm = path.basename(exe).slice(0, 15);
  assert.deepEqual(ops, [
    { pid: 10100, comm, exe: real, syscall: 'unlinkat', kind: 'delete', path: '/data/dst/gone/f é.txt', ok: true, errno: null },
    { pid: 10100, comm, exe: real, syscall: 'rmdir', kind: 'delete', path: '/data/dst/gone', ok: true, errno: null },
    { pid: 10100, comm, exe: real, syscall: 'unlink', kind: 'delete', path: '/data/dst/missing', ok: false, errno: 'ENOENT' },
    // A thread reports its own tid; audit writes the thread group's pid.
    { pid: 10100, comm, exe: real, syscall: 'renameat', kind: 'rename', path: '/data/dst/.a.XYZ', path2: '/data/dst/a', ok: true, errno: null },
  ]);
});

test('replays deletions and renames on an lstat map; a file born during the run takes the inode it ends up with', async () => {
  const root = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'al-strace-')));
  try {
    await fsp.mkdir(path.join(root, 'd'));
    await fsp.writeFile(path.join(root, 'd', 'old.txt'), 'old');
    await fsp.writeFile(path.join(root, 'gone.txt'), 'x');
    const before = await lstatTree([root]);
    // What the tool did: deleted gone.txt, wrote .tmp and renamed it over d/old.txt.
    await fsp.unlink(path.join(root, 'gone.txt'));
    await fsp.writeFile(path.join(root, 'd', 'new.txt'), 'new');
    await fsp.rename(path.join(root, 'd', 'new.txt'), path.join(root, 'd', 'old.txt'));
    const who = { pid: 7, comm: 'tool', exe: '/usr/bin/tool', ok: true, errno: null };
    const items = await truthFromTrace(
      [
        { ...who, syscall: 'unlink', kind: 'delete', path: path.join(root, 'gone.txt') },
        { ...who, syscall: 'rename', kind: 'rename', path: path.join(root, 'd', 'new.txt'), path2: path.join(root, 'd', 'old.txt') },
      ],
      before,
      [root],
    );
    const now = (await fsp.lstat(path.join(root, 'd', 'old.txt'))).ino;
    assert.deepEqual(
      items.map((i) => [i.role, path.relative(root, i.path), i.inode, i.pid]),
      [
        ['deleted', 'gone.txt', before.get(path.join(root, 'gone.txt'))!.inode, 7],
        ['source', 'd/new.txt', now, 7],
        ['destination', 'd/old.txt', now, 7],
        ['replaced', 'd/old.txt', before.get(path.join(root, 'd', 'old.txt'))!.inode, 7],
      ],
    );
    await assert.rejects(
      truthFromTrace([{ ...who, syscall: 'unlink', kind: 'delete', path: path.join(root, 'never.txt') }], before, [root]),
      /never saw/,
      'a deletion of something the map does not know is a recorder error, not a guess',
    );
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
