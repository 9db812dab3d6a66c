/**
 * Two threads on one log give what one gives: the same events, paths, parent chains, counts and diagnostics, for every
 * recorded case and every output format, wherever the boundary falls (an event open across it, a rotation, a folder
 * named on one side and used on the other).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeInputs, type AuditEvent } from '../../src/core';
import { planSplit } from '../../src/core/parallel';
import { buildCli } from '../support/cli';

const RECORDED = join(__dirname, '..', 'fixtures', 'recorded');
const CASES = readdirSync(RECORDED).filter((c) => existsSync(join(RECORDED, c, 'truth.json')));
/** A case's input: its folder when it holds a rotated set, else its audit.log. */
const input = (c: string): string => (existsSync(join(RECORDED, c, 'audit.log.1')) ? join(RECORDED, c) : join(RECORDED, c, 'audit.log'));

/** Everything a user sees of an event. */
const view = (e: AuditEvent): string => JSON.stringify([e.id, e.action, e.success, e.keys, e.process, e.objects, e.records]);

describe('a log split between two threads reports exactly what one thread does', () => {
  for (const c of CASES) {
    test(`${c}: the head and the tail, at several boundaries, add up to the one-thread analysis`, async () => {
      const one = await analyzeInputs([input(c)]);
      for (const share of [0.3, 0.62, 0.9]) {
        const boundary = await planSplit([input(c)], share);
        if (boundary === null) continue;
        const head = await analyzeInputs([input(c)], { part: { boundary, side: 'head' } });
        const tail = await analyzeInputs([input(c)], { part: { boundary, side: 'tail' } });
        const both = [...head.events, ...tail.events];
        // Only events open across the boundary may change places: compare as sets, then the order of the rest.
        assert.deepEqual(both.map(view).sort(), one.events.map(view).sort(), `${c} at ${share}`);
        assert.equal(head.records + tail.records, one.records, `${c} at ${share}: records`);
        assert.equal(head.eventsSeen + tail.eventsSeen, one.eventsSeen, `${c} at ${share}: events read`);
        assert.equal(head.bytes + tail.bytes, one.bytes, `${c} at ${share}: bytes`);
        for (const k of Object.keys(one.diagnosticCounts) as (keyof typeof one.diagnosticCounts)[]) {
          assert.equal(head.diagnosticCounts[k] + tail.diagnosticCounts[k], one.diagnosticCounts[k], `${c} at ${share}: ${k}`);
        }
      }
    });
  }
});

describe('audit-lens --jobs 2', () => {
  let dir = '';
  let cli = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'al-parallel-'));
    cli = await buildCli(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]): { out: string; err: string; status: number | null } => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
    return { out: r.stdout, err: r.stderr, status: r.status };
  };

  for (const format of ['jsonl', 'json', 'csv', 'table']) {
    test(`prints byte for byte what --jobs 1 prints (${format}, the dense mixed recording and a rotated set)`, () => {
      for (const c of ['dense-mixed', 'rotation-mid-event', 'rm-rf-deep']) {
        const one = run('events', '--format', format, '--jobs', '1', '--no-color', input(c));
        const two = run('events', '--format', format, '--jobs', '2', '--no-color', input(c));
        assert.equal(one.status, 0, one.err);
        assert.equal(two.status, 0, two.err);
        if (format === 'json') assert.doesNotThrow(() => JSON.parse(two.out));
        assert.equal(two.out, one.out, `${c} ${format}`);
        assert.equal(two.err, one.err, `${c} ${format}: diagnostics`);
      }
    });
  }

  test('summary and a key filter split the same way', () => {
    const keyOf = (c: string): string => (JSON.parse(readFileSync(join(RECORDED, c, 'truth.json'), 'utf8')) as { key: string }).key;
    for (const args of [['summary', '--format', 'json'], ['events', '--format', 'jsonl', '--key', keyOf('dense-mixed')]]) {
      const one = run(...args, '--jobs', '1', input('dense-mixed'));
      const two = run(...args, '--jobs', '2', input('dense-mixed'));
      assert.equal(one.status, 0, one.err);
      assert.equal(two.out, one.out, args.join(' '));
    }
  });

  test('--jobs takes a whole number from 1 to 64', () => {
    const r = run('events', '--jobs', 'two', input('rmdir'));
    assert.equal(r.status, 2);
    assert.match(r.err, /--jobs must be a whole number from 1 to 64/);
  });
});
