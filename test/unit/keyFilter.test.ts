/**
 * The key-filtered fast path builds only the events that carry a wanted key, found per read buffer. It must give
 * exactly what the full analysis gives for those keys, also when an event straddles two read buffers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeInputs, type AuditEvent } from '../../src/core';

const RECORDED = path.join(__dirname, '..', 'fixtures', 'recorded');
const tmp = mkdtempSync(path.join(tmpdir(), 'al-keyfilter-'));

/** The lines of a recorded log with serials shifted, so copies of it read as new events. */
function shifted(lines: string[], by: number): string[] {
  return lines.map((l) => l.replace(/msg=audit\((\d+\.\d+):(\d+)\)/, (_m, t: string, s: string) => `msg=audit(${t}:${Number(s) + by})`));
}

function view(events: AuditEvent[]): unknown[] {
  return events.map((e) => [e.id, e.recordTypes.join(','), e.objects.map((o) => [o.role, o.path, o.confidence])]);
}

test('a key filter over several read buffers gives the same events as the full analysis filtered afterwards', async () => {
  const lines = readFileSync(path.join(RECORDED, 'rm-rf-deep', 'audit.log'), 'latin1').trimEnd().split('\n');
  const key = JSON.parse(readFileSync(path.join(RECORDED, 'rm-rf-deep', 'truth.json'), 'utf8')).key as string;
  const serials = lines.map((l) => Number(/:(\d+)\): /.exec(l)![1]));
  const span = Math.max(...serials) - Math.min(...serials) + 1;
  const out: string[] = [];
  // ~3.5 MB: the 1 MiB read buffers cut events at many places. Copies continue the serials without gaps.
  for (let copy = 0; out.length < 16_000; copy++) out.push(...shifted(lines, copy * span));
  const file = path.join(tmp, 'many.log');
  writeFileSync(file, out.join('\n') + '\n', 'latin1');

  const keyed = await analyzeInputs([file], { keys: [key] });
  const full = await analyzeInputs([file], { all: true });
  const expected = full.events.filter((e) => e.keys.includes(key) && (e.action === 'deleted' || e.action === 'renamed' || e.watchRemoved));
  assert.ok(keyed.events.length > 100, `expected many events, got ${keyed.events.length}`);
  assert.deepEqual(view(keyed.events), view(expected));
  assert.equal(keyed.eventsSeen, full.eventsSeen);
  assert.equal(keyed.records, full.records);
  assert.equal(full.lostEvents, 0);
  assert.equal(keyed.lostEvents, 0);
});

test('an event whose key-bearing record lies in the next read buffer keeps the records before it', async () => {
  const MiB = 1 << 20;
  const path0 = 'type=PATH msg=audit(1795833698.601:50): item=0 name="/srv/vol/" inode=70 dev=fe:00 mode=040755 nametype=PARENT';
  const path1 = 'type=PATH msg=audit(1795833698.601:50): item=1 name="/srv/vol/gone.txt" inode=71 dev=fe:00 mode=0100644 nametype=DELETE';
  const syscall =
    'type=SYSCALL msg=audit(1795833698.601:50): arch=c000003e syscall=87 success=yes exit=0 a0=1 a1=2 a2=0 a3=0 items=2 ppid=1 pid=2 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="rm" exe="/usr/bin/rm" key="kk"';
  // Filler events (serials 1..49) up to just before the first buffer's end, then the two PATH records, then
  // the SYSCALL (the only record with the key) in the second buffer.
  const filler: string[] = [];
  let size = 0;
  const target = MiB - path0.length - path1.length - 2 - 40;
  for (let s = 1; size < target - 200; s++) {
    const l = `type=USER msg=audit(1795833698.500:${Math.min(s, 49)}): pid=1 uid=0 msg='filler ${'x'.repeat(40)}'`;
    filler.push(l);
    size += l.length + 1;
  }
  const pad = 'x'.repeat(Math.max(0, target - size - 1));
  filler.push(`type=USER msg=audit(1795833698.500:49): pid=1 uid=0 msg='${pad}'`);
  const text = [...filler, path0, path1, syscall].join('\n') + '\n';
  const cut = text.indexOf(syscall);
  assert.ok(cut > text.indexOf(path1) && text.indexOf(path1) < MiB && cut + 10 > MiB - 100, 'the SYSCALL starts at the buffer edge');
  const file = path.join(tmp, 'straddle.log');
  writeFileSync(file, text, 'latin1');
  const r = await analyzeInputs([file], { keys: ['kk'] });
  assert.equal(r.events.length, 1);
  assert.deepEqual(r.events[0].recordTypes.slice().sort(), ['PATH', 'PATH', 'SYSCALL']);
  assert.deepEqual(
    r.events[0].objects.map((o) => [o.role, o.path, o.confidence]),
    [['deleted', '/srv/vol/gone.txt', 'exact']],
  );
});
