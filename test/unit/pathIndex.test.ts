/** The inode path index: links, waiters, retirement, the snapshot's precedence; and its use on real rm -rf records. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { Analyzer } from '../../src/core/analyzer';
import { basenameB, dirnameB, inodeKey, joinB, normalizeB, PathIndex, type BPath, type Waiter } from '../../src/core/pathIndex';
import type { AuditEvent, SnapshotEntry, StreamItem } from '../../src/core/types';

const DEV = 'fe:00';
const k = (inode: number): string => inodeKey(DEV, inode);

/** A waiter that records every call. */
function recorder(suffix: BPath): Waiter & { calls: [BPath, boolean][] } {
  const calls: [BPath, boolean][] = [];
  return { suffix, calls, resolve: (p, via) => calls.push([p, via]) };
}

describe('byte-path helpers', () => {
  test('joinB joins with exactly one slash and passes an empty side through', () => {
    assert.equal(joinB('/a', 'b'), '/a/b');
    assert.equal(joinB('/a/', 'b'), '/a/b');
    assert.equal(joinB('/', 'b'), '/b');
    assert.equal(joinB('/a', ''), '/a');
    assert.equal(joinB('', 'b/c'), 'b/c');
  });
  test('normalizeB collapses //, . and .. and drops a trailing slash', () => {
    assert.equal(normalizeB('/tmp//hl-rec/./sub/../a/'), '/tmp/hl-rec/a');
    assert.equal(normalizeB('/../..'), '/');
    assert.equal(normalizeB('/tmp/bad\xff\xfe/'), '/tmp/bad\xff\xfe');
  });
  test('basenameB and dirnameB', () => {
    assert.equal(basenameB('/tmp/hl-rec/'), 'hl-rec');
    assert.equal(basenameB('a'), 'a');
    assert.equal(dirnameB('/tmp/hl-rec/'), '/tmp');
    assert.equal(dirnameB('/tmp'), '/');
    assert.equal(dirnameB('/'), '/');
  });
});

describe('PathIndex: learning', () => {
  test('an absolute path learned for an inode is its path', () => {
    const ix = new PathIndex();
    ix.learnAbs(k(1), '/tmp/hl-rec', 'dir');
    assert.deepEqual(ix.pathOf(k(1)), { path: '/tmp/hl-rec', viaSnapshot: false });
    assert.equal(ix.typeOf(k(1)), 'dir');
    assert.equal(ix.pathOf(inodeKey('fe:01', 1)), null, 'another device is another object');
  });

  test('links build a path through several levels of folders', () => {
    const ix = new PathIndex();
    ix.learnAbs(k(1), '/tmp/hl-rec');
    ix.learnLink(k(2), k(1), 'sub', 'dir');
    ix.learnLink(k(3), k(2), 'deep', 'dir');
    ix.learnLink(k(4), k(3), 'd', 'file');
    assert.deepEqual(ix.pathOf(k(4)), { path: '/tmp/hl-rec/sub/deep/d', viaSnapshot: false });
  });

  test('renaming a folder (relinking its inode) carries its children along', () => {
    const ix = new PathIndex();
    ix.learnAbs(k(1), '/tmp');
    ix.learnLink(k(2), k(1), 'old');
    ix.learnLink(k(3), k(2), 'f');
    ix.learnLink(k(2), k(1), 'new');
    assert.equal(ix.pathOf(k(3))?.path, '/tmp/new/f');
  });

  test('lookup of an inode below an unknown folder says which inode it waits on and the suffix below it', () => {
    const ix = new PathIndex();
    ix.learnLink(k(3), k(2), 'deep');
    ix.learnLink(k(4), k(3), 'd');
    assert.deepEqual(ix.lookup(k(4)), { waitOn: k(2), suffix: 'deep/d' });
    assert.deepEqual(ix.lookup(k(9)), { waitOn: k(9), suffix: '' });
    assert.equal(ix.pathOf(k(4)), null);
  });

  test('a link cycle (inode numbers reused in a garbled log) ends in null, not a hang', () => {
    const ix = new PathIndex();
    ix.learnLink(k(1), k(2), 'a');
    ix.learnLink(k(2), k(1), 'b');
    assert.equal(ix.lookup(k(1)), null);
  });

  test('a link of an inode to itself is ignored', () => {
    const ix = new PathIndex();
    ix.learnAbs(k(1), '/x');
    ix.learnLink(k(1), k(1), 'loop');
    assert.equal(ix.pathOf(k(1))?.path, '/x');
  });

  test('keeps at most maxLearned entries, forgetting the oldest', () => {
    const ix = new PathIndex([], 2);
    ix.learnAbs(k(1), '/a');
    ix.learnAbs(k(2), '/b');
    ix.learnAbs(k(3), '/c');
    assert.equal(ix.pathOf(k(1)), null);
    assert.equal(ix.pathOf(k(2))?.path, '/b');
    assert.equal(ix.pathOf(k(3))?.path, '/c');
  });
});

describe('PathIndex: waiters', () => {
  test("resolves a child once its folder's path is learned, exactly once", () => {
    const ix = new PathIndex();
    const w = recorder('c');
    assert.equal(ix.wait(k(2), w), true);
    assert.equal(ix.pendingCount, 1);
    ix.learnAbs(k(1), '/unrelated');
    assert.deepEqual(w.calls, []);
    ix.learnAbs(k(2), '/tmp/hl-rec/sub');
    assert.deepEqual(w.calls, [['/tmp/hl-rec/sub/c', false]]);
    assert.equal(ix.pendingCount, 0);
    ix.learnAbs(k(2), '/elsewhere');
    assert.equal(w.calls.length, 1);
  });

  test('follows a chain of several levels learned bottom-up, as rm -rf deletes them', () => {
    const ix = new PathIndex();
    // d (in deep) is deleted first: it waits on deep's inode 3.
    const w = recorder('d');
    ix.wait(k(3), w);
    // deep is deleted next, in sub (inode 2, unknown): the waiter moves up to sub with the suffix deep/d.
    ix.learnLink(k(3), k(2), 'deep');
    ix.retire(k(3));
    assert.deepEqual(w.calls, []);
    assert.equal(ix.pendingCount, 1);
    // sub is deleted in hl-rec (inode 1, unknown): the waiter moves up again.
    ix.learnLink(k(2), k(1), 'sub');
    ix.retire(k(2));
    assert.deepEqual(w.calls, []);
    // hl-rec's path is learned: everything resolves.
    ix.learnAbs(k(1), '/tmp/hl-rec');
    assert.deepEqual(w.calls, [['/tmp/hl-rec/sub/deep/d', false]]);
    assert.equal(ix.pendingCount, 0);
  });

  test('several waiters on one folder all resolve, each with its own suffix', () => {
    const ix = new PathIndex();
    const a = recorder('a');
    const b = recorder('x/b');
    ix.wait(k(5), a);
    ix.wait(k(5), b);
    ix.learnAbs(k(5), '/srv');
    assert.deepEqual([a.calls, b.calls], [[['/srv/a', false]], [['/srv/x/b', false]]]);
  });

  test('beyond maxWaiters the oldest waiter gives up (its object stays uncertain) and the newest is kept', () => {
    const ix = new PathIndex([], 1000, 2);
    const [a, b, c] = [recorder('a'), recorder('b'), recorder('c')];
    assert.equal(ix.wait(k(1), a), true);
    assert.equal(ix.wait(k(1), b), true);
    assert.equal(ix.wait(k(1), c), true);
    assert.equal(ix.pendingCount, 2);
    ix.learnAbs(k(1), '/srv');
    assert.deepEqual([a.calls, b.calls, c.calls], [[], [['/srv/b', false]], [['/srv/c', false]]]);
  });

  test('a waiter resolved through a learned link under a snapshot folder is not reported as all-snapshot', () => {
    const ix = new PathIndex([{ dev: DEV, inode: '1', type: 'dir', path: '/home/u/proj' }]);
    const w = recorder('f');
    ix.wait(k(2), w);
    ix.learnLink(k(2), k(1), 'src');
    assert.deepEqual(w.calls, [['/home/u/proj/src/f', false]]);
  });
});

describe('PathIndex: retirement and the snapshot', () => {
  test('a retired (deleted) inode is forgotten, so a reused inode number gets its new path', () => {
    const ix = new PathIndex();
    ix.learnAbs(k(7), '/tmp/old');
    ix.retire(k(7));
    assert.equal(ix.pathOf(k(7)), null);
    assert.deepEqual(ix.lookup(k(7)), { waitOn: k(7), suffix: '' });
    ix.learnAbs(k(7), '/tmp/new');
    assert.equal(ix.pathOf(k(7))?.path, '/tmp/new');
  });

  const SNAP: SnapshotEntry[] = [
    { dev: DEV, inode: '100', type: 'dir', path: '/home/u/proj' },
    { dev: DEV, inode: '101', type: 'dir', path: '/home/u/proj/src' },
    { dev: DEV, inode: '102', type: 'file', path: '/home/u/proj/src/main.c' },
    { dev: DEV, inode: '103', type: 'file', path: '/home/u/proj/café' },
  ];

  test('builds snapshot paths from links and keeps non-ASCII names as bytes', () => {
    const ix = new PathIndex(SNAP);
    assert.equal(ix.snapshotSize, 4);
    assert.deepEqual(ix.pathOf(k(102)), { path: '/home/u/proj/src/main.c', viaSnapshot: true });
    assert.equal(ix.pathOf(k(103))?.path, Buffer.from('/home/u/proj/café', 'utf8').toString('latin1'));
    assert.equal(ix.inSnapshot(k(101)), true);
    assert.equal(ix.typeOf(k(102)), 'file');
  });

  test('the snapshot view wins over an alias learned from the log (bind mount, symlink, container path)', () => {
    const ix = new PathIndex(SNAP);
    ix.learnAbs(k(100), '/mnt/bind/proj');
    ix.learnAbs(k(102), '/var/lib/docker/overlay/x/main.c');
    assert.deepEqual(ix.pathOf(k(100)), { path: '/home/u/proj', viaSnapshot: true });
    assert.deepEqual(ix.pathOf(k(102)), { path: '/home/u/proj/src/main.c', viaSnapshot: true });
  });

  test('a child learned under a snapshot folder takes the snapshot path, marked as learned', () => {
    const ix = new PathIndex(SNAP);
    ix.learnLink(k(200), k(101), 'new.c');
    assert.deepEqual(ix.pathOf(k(200)), { path: '/home/u/proj/src/new.c', viaSnapshot: false });
    assert.equal(ix.pathOf(k(200), true), null, 'not in the snapshot itself');
  });

  test('a snapshot entry moved by a rename in the log takes its new place', () => {
    const ix = new PathIndex(SNAP);
    ix.learnLink(k(102), k(100), 'main-renamed.c');
    assert.equal(ix.pathOf(k(102))?.path, '/home/u/proj/main-renamed.c');
    assert.equal(ix.inSnapshot(k(102)), false);
  });

  test('a link the snapshot already has changes nothing', () => {
    const ix = new PathIndex(SNAP);
    ix.learnLink(k(102), k(101), 'main.c');
    assert.deepEqual(ix.pathOf(k(102)), { path: '/home/u/proj/src/main.c', viaSnapshot: true });
    assert.equal(ix.inSnapshot(k(102)), true);
  });

  test('retire removes a snapshot entry too', () => {
    const ix = new PathIndex(SNAP);
    ix.retire(k(102));
    assert.equal(ix.pathOf(k(102)), null);
    assert.equal(ix.inSnapshot(k(102)), false);
  });
});

describe('PathIndex in the analyzer, on real records', () => {
  const REAL = readFileSync(join(__dirname, '..', 'fixtures', 'hostile', 'real-1.log'), 'latin1').split('\n');
  const ofSerials = (...s: number[]): string[] => REAL.filter((l) => s.some((n) => l.includes(`:${n}): `)));

  function analyze(lines: string[], opts: { settle?: boolean; snapshot?: SnapshotEntry[] } = {}): { items: StreamItem[]; events: AuditEvent[] } {
    const items: StreamItem[] = [];
    const a = new Analyzer((i) => items.push(structuredClone(i)), { ...opts, filter: { all: false } });
    lines.forEach((text, i) => a.pushLine({ text, source: { file: 'real-1.log', line: i + 1, offset: 0 }, truncated: false }));
    a.finish();
    return { items, events: items.flatMap((i) => (i.kind === 'event' ? [i.event] : [])) };
  }
  const paths = (events: AuditEvent[]) => events.map((e) => [e.id.split(':')[1], e.objects.map((o) => `${o.path} ${o.confidence}`).join(' | ')]);

  test('rebuilds the path of an unlinkat relative to a dirfd from the inode chain (rm -rf /tmp/hl-rec/sub)', () => {
    // 46 teaches /tmp/hl-rec (inode 2147294); 50-52 are unlinkat(fd, "c"|"d"|"deep") whose PARENT name is the CWD "/";
    // 53 deletes /tmp/hl-rec/sub by its absolute name and links inode 2147295 into the chain.
    const { events } = analyze(ofSerials(46, 50, 51, 52, 53), { settle: true });
    assert.deepEqual(paths(events), [
      ['46', '/tmp/hl-rec/a exact'],
      ['50', '/tmp/hl-rec/sub/c rebuilt'],
      ['51', '/tmp/hl-rec/sub/deep/d rebuilt'],
      ['52', '/tmp/hl-rec/sub/deep rebuilt'],
      ['53', '/tmp/hl-rec/sub exact'],
    ]);
    assert.ok(!events.some((e) => e.objects.some((o) => o.path?.startsWith('/c') || o.path === '/d')), 'never joins the CWD stand-in');
  });

  test('unsettled (live), the rm -rf children come out uncertain first and are updated once the folder is learned', () => {
    const { items } = analyze(ofSerials(46, 50, 51, 52, 53), { settle: false });
    const seq = items.flatMap((i) => (i.kind === 'diagnostic' ? [] : [`${i.kind} ${i.event.serial} ${i.event.objects[0].path} ${i.event.objects[0].confidence}`]));
    assert.deepEqual(seq.slice(0, 4), [
      'event 46 /tmp/hl-rec/a exact',
      'event 50 <folder inode 2147295>/c uncertain',
      'event 51 <folder inode 2147296>/d uncertain',
      'event 52 <folder inode 2147295>/deep uncertain',
    ]);
    assert.deepEqual(seq.slice(4).sort(), [
      'event 53 /tmp/hl-rec/sub exact',
      'update 50 /tmp/hl-rec/sub/c rebuilt',
      'update 51 /tmp/hl-rec/sub/deep/d rebuilt',
      'update 52 /tmp/hl-rec/sub/deep rebuilt',
    ]);
  });

  test('with a snapshot of the folder, the dirfd-relative deletions resolve at once from the snapshot', () => {
    const snapshot: SnapshotEntry[] = [
      { dev: DEV, inode: '2147294', type: 'dir', path: '/tmp/hl-rec' },
      { dev: DEV, inode: '2147295', type: 'dir', path: '/tmp/hl-rec/sub' },
      { dev: DEV, inode: '2147296', type: 'dir', path: '/tmp/hl-rec/sub/deep' },
    ];
    const { items } = analyze(ofSerials(50, 51, 52, 53), { settle: false, snapshot });
    assert.deepEqual(
      items.flatMap((i) => (i.kind === 'event' ? [[i.event.serial, i.event.objects[0].path, i.event.objects[0].confidence]] : [])),
      [
        [50, '/tmp/hl-rec/sub/c', 'rebuilt'],
        [51, '/tmp/hl-rec/sub/deep/d', 'rebuilt'],
        [52, '/tmp/hl-rec/sub/deep', 'rebuilt'],
        [53, '/tmp/hl-rec/sub', 'exact'],
      ],
    );
    assert.equal(items.filter((i) => i.kind === 'update').length, 0);
  });

  test('without the event that names the folder, the children stay uncertain and name the folder inode', () => {
    const { events } = analyze(ofSerials(50, 51), { settle: true });
    assert.deepEqual(paths(events), [
      ['50', '<folder inode 2147295>/c uncertain'],
      ['51', '<folder inode 2147296>/d uncertain'],
    ]);
  });
});
