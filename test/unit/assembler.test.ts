/** The event assembler: grouping by (node, time, serial), window and EOE closing, duplicates, serial continuity. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { EventAssembler, type AssemblerOptions, type RawEvent } from '../../src/core/assembler';
import type { AuditRecord, Diagnostic } from '../../src/core/types';

const T = 1795833557313;
let line = 0;

/** A record as parseRecord makes it (the assembler looks only at type, node, time, serial and body). */
function rec(type: string, serial: number, opts: { time?: number; node?: string | null; body?: string } = {}): AuditRecord {
  line++;
  const time = opts.time ?? T;
  const body = opts.body ?? `${type.toLowerCase()}=${serial}`;
  return {
    type,
    node: opts.node ?? null,
    time,
    serial,
    body,
    enriched: null,
    source: { file: 'a.log', line, offset: line * 100 },
    raw: `type=${type} msg=audit(${Math.floor(time / 1000)}.${time % 1000}:${serial}): ${body}`,
  };
}

/** The records of a deletion event as auditd writes them. */
const deletion = (serial: number, opts: { time?: number; node?: string | null } = {}): AuditRecord[] =>
  ['SYSCALL', 'CWD', 'PATH', 'PATH', 'PROCTITLE'].map((t, i) => rec(t, serial, { ...opts, body: `${t.toLowerCase()}=${serial} item=${i}` }));

function harness(opts?: AssemblerOptions) {
  const events: RawEvent[] = [];
  const diags: Diagnostic[] = [];
  const a = new EventAssembler((e) => events.push(e), (d) => diags.push(d), opts);
  const summary = () => events.map((e) => `${e.node ? e.node + ':' : ''}${e.serial}:${e.records.map((r) => r.type).join(',')}`);
  const kinds = () => diags.map((d) => d.kind);
  return { a, events, diags, summary, kinds };
}

describe('EventAssembler: grouping', () => {
  test('groups interleaved records by serial and keeps each event’s records in arrival order', () => {
    const h = harness();
    const [a1, a2, a3] = [rec('SYSCALL', 1), rec('CWD', 1), rec('PATH', 1)];
    const [b1, b2] = [rec('SYSCALL', 2), rec('PATH', 2)];
    for (const r of [a1, b1, a2, b2, a3]) h.a.push(r);
    h.a.flush();
    assert.deepEqual(h.summary(), ['1:SYSCALL,CWD,PATH', '2:SYSCALL,PATH']);
    assert.deepEqual(h.events[0].records, [a1, a2, a3]);
    assert.deepEqual([h.events[0].node, h.events[0].time, h.events[0].serial], [null, T, 1]);
    assert.deepEqual(h.diags, []);
  });

  test('records with the same serial but another time are another event (serials restart after a reboot)', () => {
    const h = harness();
    h.a.push(rec('SYSCALL', 5, { time: T }));
    h.a.push(rec('SYSCALL', 5, { time: T + 1 }));
    h.a.flush();
    assert.deepEqual(
      h.events.map((e) => e.time),
      [T, T + 1],
    );
  });

  test('the same serial and time on two nodes are two events', () => {
    const h = harness();
    for (const r of [...deletion(46, { node: 'web1' }), ...deletion(46, { node: 'db2' })]) h.a.push(r);
    h.a.flush();
    assert.deepEqual(h.summary(), ['web1:46:SYSCALL,CWD,PATH,PATH,PROCTITLE', 'db2:46:SYSCALL,CWD,PATH,PATH,PROCTITLE']);
    assert.deepEqual(h.diags, []);
  });
});

describe('EventAssembler: closing', () => {
  test('closes an event once windowRecords records of other events have arrived after its last record', () => {
    const h = harness({ windowRecords: 3 });
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 2));
    h.a.push(rec('SYSCALL', 3));
    assert.deepEqual(h.summary(), [], 'two records later it is still open');
    h.a.push(rec('CWD', 2));
    h.a.push(rec('SYSCALL', 4));
    // Whether the check runs on every record or when the next event starts, by now it is closed.
    assert.deepEqual(h.summary(), ['1:SYSCALL']);
  });

  test('a record of an open event restarts its window', () => {
    const h = harness({ windowRecords: 3 });
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 2));
    h.a.push(rec('CWD', 1));
    h.a.push(rec('SYSCALL', 3));
    h.a.push(rec('SYSCALL', 4));
    assert.deepEqual(h.summary(), [], 'two records after its CWD, event 1 is still open');
    h.a.push(rec('SYSCALL', 5));
    assert.deepEqual(h.summary(), ['1:SYSCALL,CWD', '2:SYSCALL']);
  });

  test('closes an event once log time has moved more than windowMs past it', () => {
    const h = harness({ windowMs: 3000 });
    h.a.push(rec('SYSCALL', 1, { time: T }));
    h.a.push(rec('SYSCALL', 2, { time: T + 3000 }));
    assert.deepEqual(h.summary(), []);
    h.a.push(rec('SYSCALL', 3, { time: T + 3001 }));
    assert.deepEqual(h.summary(), ['1:SYSCALL']);
  });

  test('an EOE closes its event at once and is not kept among its records', () => {
    const h = harness();
    for (const r of deletion(7)) h.a.push(r);
    assert.deepEqual(h.summary(), []);
    h.a.push(rec('EOE', 7, { body: '' }));
    assert.deepEqual(h.summary(), ['7:SYSCALL,CWD,PATH,PATH,PROCTITLE']);
    h.a.flush();
    assert.equal(h.events.length, 1);
  });

  test('a record after its EOE is a late record, not a new event', () => {
    const h = harness();
    h.a.push(rec('SYSCALL', 7));
    h.a.push(rec('EOE', 7, { body: '' }));
    h.a.push(rec('PROCTITLE', 7));
    h.a.flush();
    assert.deepEqual(h.summary(), ['7:SYSCALL']);
    assert.deepEqual(h.kinds(), ['late-record']);
    assert.equal(h.diags[0].source?.line, line);
  });

  test('an EOE for an event never seen is ignored', () => {
    const h = harness();
    h.a.push(rec('EOE', 9, { body: '' }));
    h.a.flush();
    assert.deepEqual(h.events, []);
    assert.deepEqual(h.diags, []);
  });

  test('holds at most maxInflight events open, closing the oldest first', () => {
    const h = harness({ maxInflight: 2 });
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 2));
    assert.deepEqual(h.summary(), []);
    h.a.push(rec('SYSCALL', 3));
    assert.deepEqual(h.summary(), ['1:SYSCALL']);
    h.a.flush();
    assert.deepEqual(h.summary(), ['1:SYSCALL', '2:SYSCALL', '3:SYSCALL']);
  });

  test('flush closes every open event in the order they were opened', () => {
    const h = harness();
    for (const s of [30, 10, 20]) h.a.push(rec('SYSCALL', s));
    h.a.flush();
    assert.deepEqual(h.summary(), ['30:SYSCALL', '10:SYSCALL', '20:SYSCALL']);
  });
});

describe('EventAssembler: duplicates and late records', () => {
  test('the same record twice in an open event is a duplicate, dropped', () => {
    const h = harness();
    const p = rec('PATH', 1, { body: 'item=1 name="a"' });
    h.a.push(rec('SYSCALL', 1));
    h.a.push(p);
    h.a.push({ ...p, source: { ...p.source, line: p.source.line + 1 } });
    h.a.flush();
    assert.deepEqual(h.summary(), ['1:SYSCALL,PATH']);
    assert.deepEqual(h.kinds(), ['duplicate-record']);
    assert.equal(h.diags[0].source?.line, p.source.line + 1);
  });

  test('two PATH records that differ only by item are both kept', () => {
    const h = harness();
    h.a.push(rec('PATH', 1, { body: 'item=0 name="/tmp/" nametype=PARENT' }));
    h.a.push(rec('PATH', 1, { body: 'item=1 name="/tmp/" nametype=PARENT' }));
    h.a.flush();
    assert.deepEqual(h.summary(), ['1:PATH,PATH']);
    assert.deepEqual(h.diags, []);
  });

  test('a whole event repeated after it closed gives one duplicate per record and no second event', () => {
    const h = harness({ windowRecords: 2 });
    const first = deletion(1);
    for (const r of [...first, ...deletion(2), ...deletion(3)]) h.a.push(r);
    assert.deepEqual(h.summary().slice(0, 1), ['1:SYSCALL,CWD,PATH,PATH,PROCTITLE']);
    for (const r of first) h.a.push(r);
    h.a.flush();
    assert.deepEqual(h.summary(), ['1:SYSCALL,CWD,PATH,PATH,PROCTITLE', '2:SYSCALL,CWD,PATH,PATH,PROCTITLE', '3:SYSCALL,CWD,PATH,PATH,PROCTITLE']);
    assert.deepEqual(h.kinds(), Array(5).fill('duplicate-record'));
  });

  test('a new record of a closed event is a late record', () => {
    const h = harness({ windowRecords: 2 });
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 2));
    h.a.push(rec('SYSCALL', 3));
    h.a.push(rec('PROCTITLE', 1));
    h.a.flush();
    assert.deepEqual(h.kinds(), ['late-record']);
    assert.deepEqual(h.summary(), ['1:SYSCALL', '2:SYSCALL', '3:SYSCALL']);
  });
});

describe('EventAssembler: serial continuity (lost events)', () => {
  const serials = (list: number[], opts: AssemblerOptions & { node?: string | null; times?: number[] } = {}) => {
    const h = harness(opts);
    list.forEach((s, i) => h.a.push(rec('SYSCALL', s, { node: opts.node, time: opts.times?.[i] ?? T + i })));
    h.a.flush();
    return h;
  };

  test('consecutive serials report nothing', () => {
    const h = serials([10, 11, 12, 13]);
    assert.equal(h.a.lostEvents, 0);
    assert.deepEqual(h.diags, []);
  });

  test('a gap of two serials reports 2 possibly lost events, once, naming the first missing serial', () => {
    const h = serials([10, 11, 14]);
    assert.equal(h.a.lostEvents, 2);
    assert.deepEqual(
      h.diags.map((d) => [d.kind, d.count]),
      [['lost-events', 2]],
    );
    assert.match(h.diags[0].message, /^2 serials missing from 12:/);
  });

  test('records arriving out of order fill the gaps they seemed to leave', () => {
    const h = serials([10, 13, 11, 12, 14]);
    assert.equal(h.a.lostEvents, 0);
    assert.deepEqual(h.diags, []);
  });

  test('the gap is reported once later records have gone past the window, before the end', () => {
    const h = harness({ windowRecords: 2 });
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 3));
    for (let s = 4; s <= 12; s++) h.a.push(rec('SYSCALL', s));
    assert.deepEqual(
      h.diags.map((d) => [d.kind, d.count]),
      [['lost-events', 1]],
    );
    h.a.flush();
    assert.equal(h.a.lostEvents, 1);
  });

  test('serials wrap from 4294967295 to 0 without a reported loss', () => {
    const h = serials([4294967294, 4294967295, 0, 1]);
    assert.equal(h.a.lostEvents, 0);
    assert.deepEqual(h.diags, []);
  });

  test('a gap across the wrap counts the missing serials modulo 2^32', () => {
    const h = serials([4294967294, 4294967295, 2]);
    assert.equal(h.a.lostEvents, 2);
    assert.match(h.diags[0].message, /from 0:/);
  });

  test('a jump of more than a million serials is a new run (another boot or log), not a loss', () => {
    const h = serials([10, 11, 2_000_011]);
    assert.equal(h.a.lostEvents, 0);
  });

  test('serials that restart far back with an earlier time begin a new run, not a loss', () => {
    const h = serials([50_000, 50_001, 3, 4], { times: [T, T + 1, T - 3_600_000, T - 3_599_999] });
    assert.equal(h.a.lostEvents, 0);
    assert.deepEqual(h.diags, []);
  });

  test('serials are tracked per node: overlapping numbers on two nodes are no gap, a gap on one names its node', () => {
    const h = harness();
    for (const [node, s] of [['a', 1], ['b', 1], ['a', 2], ['b', 2], ['a', 4]] as const) h.a.push(rec('SYSCALL', s, { node }));
    h.a.flush();
    assert.equal(h.a.lostEvents, 1);
    assert.deepEqual(
      h.diags.map((d) => [d.kind, d.count, d.node]),
      [['lost-events', 1, 'a']],
    );
  });

  test('DAEMON_ records (auditd’s own serial counter) do not break the kernel serial run', () => {
    const h = harness();
    h.a.push(rec('DAEMON_START', 1531, { body: 'op=start ver=3.0.9' }));
    h.a.push(rec('SYSCALL', 3));
    h.a.push(rec('SYSCALL', 4));
    h.a.push(rec('DAEMON_ROTATE', 1532, { body: 'op=rotate' }));
    h.a.push(rec('SYSCALL', 5));
    h.a.flush();
    assert.equal(h.a.lostEvents, 0);
    assert.deepEqual(h.diags, []);
  });

  test('resetRuns ends a run: the next input’s first serial is not compared with the last one', () => {
    const h = harness();
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 2));
    h.a.resetRuns();
    h.a.push(rec('SYSCALL', 500));
    h.a.flush();
    assert.equal(h.a.lostEvents, 0);
  });

  test('resetRuns still reports a gap seen before it', () => {
    const h = harness();
    h.a.push(rec('SYSCALL', 1));
    h.a.push(rec('SYSCALL', 4));
    h.a.resetRuns();
    assert.equal(h.a.lostEvents, 2);
    assert.deepEqual(h.kinds(), ['lost-events']);
  });
});
