/**
 * Live mode stays bounded: a watch runs for weeks, so nothing that grows with the log may grow without limit
 * (events waiting for a folder that is never named, the inode index, the process table, serial tracking).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Analyzer } from '../../src/core';
import { AT_FDCWD } from '../support/records';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const T0 = 1795833557000;

/**
 * Event `i` in the kernel's RAW shape, four kinds in turn: a dirfd-relative deletion in a folder never named (it waits
 * for a path that never comes), a deletion by absolute name in a fresh folder (teaches the index a folder), a rename
 * (relinks), and an unrelated syscall by a new pid (process table). Every one has a new serial and a later time.
 */
function event(i: number): string {
  const sec = Math.floor((T0 + i) / 1000);
  const ms = String((T0 + i) % 1000).padStart(3, '0');
  const h = `msg=audit(${sec}.${ms}:${i + 1}):`;
  const pid = 10_000 + (i % 500_000);
  const sys = (nr: number, a0: string, items: number): string =>
    `type=SYSCALL ${h} arch=c000003e syscall=${nr} success=yes exit=0 a0=${a0} a1=1 a2=0 a3=0 items=${items} ppid=1 pid=${pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="rm" exe="/usr/bin/rm" key="k"\n`;
  const path = (n: number, name: string, inode: number, type: string, mode: string): string =>
    `type=PATH ${h} item=${n} name="${name}" inode=${inode} dev=fe:00 mode=${mode} ouid=0 ogid=0 rdev=00:00 nametype=${type}\n`;
  const tail = `type=PROCTITLE ${h} proctitle=726D\n`;
  const dir = 1_000_000 + i;
  switch (i % 4) {
    case 0:
      return sys(263, '3', 2) + `type=CWD ${h} cwd="/"\n` + path(0, '/', dir, 'PARENT', '040755') + path(1, `f${i}`, 2_000_000 + i, 'DELETE', '0100644') + tail;
    case 1:
      return sys(263, AT_FDCWD, 2) + `type=CWD ${h} cwd="/"\n` + path(0, `/d${i}/`, dir, 'PARENT', '040755') + path(1, `/d${i}/g`, 3_000_000 + i, 'DELETE', '0100644') + tail;
    case 2:
      return (
        sys(316, AT_FDCWD, 4) +
        `type=CWD ${h} cwd="/"\n` +
        path(0, `/r${i}/`, dir, 'PARENT', '040755') +
        path(1, `/r${i}/`, dir, 'PARENT', '040755') +
        path(2, `/r${i}/a`, 4_000_000 + i, 'DELETE', '040755') +
        path(3, `/r${i}/b`, 4_000_000 + i, 'CREATE', '040755') +
        tail
      );
    default:
      return sys(2, AT_FDCWD, 1) + `type=CWD ${h} cwd="/"\n` + path(0, `/o${i}`, dir, 'NORMAL', '0100644') + tail;
  }
}

test('a live analyzer fed 1 000 000 events keeps a flat heap (held events, waiters, index, processes all bounded)', () => {
  let emitted = 0;
  let updates = 0;
  const a = new Analyzer(
    (item) => {
      if (item.kind === 'event') emitted++;
      else if (item.kind === 'update') updates++;
    },
    { settle: false, filter: { keys: ['k'] } },
  );
  const CHUNK = 2000;
  let line = 0;
  const feed = (from: number, to: number): void => {
    for (let c = from; c < to; c += CHUNK) {
      let text = '';
      for (let i = c; i < Math.min(to, c + CHUNK); i++) text += event(i);
      const buf = Buffer.from(text, 'latin1');
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
        a.pushBytes(buf, start, nl, 'audit.log', ++line, start, false);
        start = nl + 1;
      }
      a.releaseBuffer(buf);
    }
  };
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  feed(0, 200_000);
  const early = heap();
  feed(200_000, 1_000_000);
  a.idle();
  const late = heap();
  // Every deletion and rename is emitted (the filter's key is on all of them); nothing is lost to the bounds.
  assert.equal(emitted, 750_000);
  const grown = (late - early) / 2 ** 20;
  assert.ok(grown < 24, `heap grew by ${grown.toFixed(1)} MiB between 200 000 and 1 000 000 events (${(early / 2 ** 20).toFixed(0)} -> ${(late / 2 ** 20).toFixed(0)} MiB)`);
  assert.equal(a.lostEvents, 0);
  assert.equal(updates, 0, 'the never-named folders resolve nothing');
});
