/**
 * The viewer's host side on real recorded logs: paging by byte offset in both directions, the background line
 * index, search (text, regex, field=value), filters by key and record type, and jumps to a time. Expected results
 * come from splitting the file independently (and from the ENRICHED part auditd wrote), not from the code tested.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalByteSource } from '../../src/editor/byteSource';
import { LineIndex } from '../../src/editor/lineIndex';
import { linesAt, linesBackward, linesForward } from '../../src/editor/pager';
import type { SearchHit } from '../../src/editor/protocol';
import { compileSearch, filterLog, offsetAtTime, searchLog } from '../../src/editor/search';
import { HOSTILE_NAME } from '../fixtures/viewer/record';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const RECORDED = path.join(FIXTURES, 'recorded');

/** Every recorded log concatenated, repeated until the file passes several read chunks (4 MiB). */
function buildLog(dir: string, minBytes: number, strip = false): { file: string; lines: string[]; offsets: number[] } {
  const parts = [...readdirSync(RECORDED).filter((c) => !c.endsWith('.md')).map((c) => path.join(RECORDED, c)), path.join(FIXTURES, 'viewer', 'hostile-name'), path.join(FIXTURES, 'viewer', 'node-prefixed')]
    .sort()
    .map((d) => readFileSync(path.join(d, 'audit.log')));
  let one = Buffer.concat(parts);
  if (strip) one = Buffer.from(one.toString('latin1').replace(/\x1d[^\n]*/g, ''), 'latin1');
  const copies = Math.max(1, Math.ceil(minBytes / one.length));
  const all = Buffer.concat(Array(copies).fill(one));
  const file = path.join(dir, strip ? 'raw.audit.log' : 'big.audit.log');
  writeFileSync(file, all);
  const lines = all.toString('utf8').split('\n');
  lines.pop();
  const offsets: number[] = [];
  let at = 0;
  for (const l of lines) {
    offsets.push(at);
    at += Buffer.byteLength(l, 'utf8') + 1;
  }
  return { file, lines, offsets };
}

let dir: string;
let log: ReturnType<typeof buildLog>;
let src: LocalByteSource;

async function allHits(query: string, mode: 'text' | 'regex' | 'field', caseSensitive = false, source = src): Promise<SearchHit[]> {
  const hits: SearchHit[] = [];
  let done = false;
  await searchLog(source, compileSearch(query, mode, caseSensitive), new AbortController().signal, (b) => {
    hits.push(...b.hits);
    done ||= b.done;
  });
  assert.ok(done, 'the last batch says done');
  return hits;
}

describe('viewer host', () => {
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'audit-lens-viewer-'));
    log = buildLog(dir, 9 << 20);
    src = await LocalByteSource.open(log.file);
  });
  after(async () => {
    await src.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages forward from the start and from the middle of a line, resynchronising on the line start', async () => {
    const first = await linesForward(src, 0, 50);
    assert.deepEqual(first.lines.map((l) => l.text), log.lines.slice(0, 50));
    assert.deepEqual(first.lines.map((l) => l.offset), log.offsets.slice(0, 50));
    const k = Math.floor(log.lines.length / 2);
    const mid = await linesForward(src, log.offsets[k] + 17, 10);
    assert.equal(mid.lines[0].offset, log.offsets[k]);
    assert.deepEqual(mid.lines.map((l) => l.text), log.lines.slice(k, k + 10));
  });

  it('pages backward from the end and from a line start, in file order', async () => {
    const size = await src.size();
    const end = await linesBackward(src, size, 40);
    assert.deepEqual(end.lines.map((l) => l.text), log.lines.slice(-40));
    assert.equal(end.lines.at(-1)!.end, size);
    const k = 1234;
    const before = await linesBackward(src, log.offsets[k], 25);
    assert.deepEqual(before.lines.map((l) => l.text), log.lines.slice(k - 25, k));
    const start = await linesBackward(src, log.offsets[3], 25);
    assert.equal(start.atStart, true);
    assert.deepEqual(start.lines.map((l) => l.text), log.lines.slice(0, 3));
  });

  it('reads the lines at given offsets (a filtered view), and shows the unfinished last line of a growing log', async () => {
    const ks = [5, 999, log.lines.length - 1];
    assert.deepEqual((await linesAt(src, ks.map((k) => log.offsets[k]))).map((l) => l.text), ks.map((k) => log.lines[k]));
    const growing = path.join(dir, 'growing.audit.log');
    writeFileSync(growing, `${log.lines[0]}\n${log.lines[1].slice(0, 30)}`);
    const g = await LocalByteSource.open(growing);
    try {
      const r = await linesForward(g, 0, 10);
      assert.deepEqual(r.lines.map((l) => l.text), [log.lines[0], log.lines[1].slice(0, 30)]);
      assert.equal(r.atEnd, true);
    } finally {
      await g.close();
    }
  });

  it('tells when the path names another file than the one open (the log was rotated)', async () => {
    const live = path.join(dir, 'rotating.audit.log');
    writeFileSync(live, `${log.lines[0]}\n`);
    const open = await LocalByteSource.open(live);
    try {
      assert.equal(await open.replaced(), false);
      renameSync(live, `${live}.1`);
      assert.equal(await open.replaced(), false, 'mid-rotation (no file at the path yet) is not a replacement');
      writeFileSync(live, `${log.lines[1]}\n`);
      assert.equal(await open.replaced(), true);
      // The handle still reads the rotated file.
      assert.deepEqual((await linesForward(open, 0, 5)).lines.map((l) => l.text), [log.lines[0]]);
    } finally {
      await open.close();
    }
  });

  it('indexes lines in the background: line numbers and offsets of any line once it has got there', async () => {
    let lastProgress = 0;
    const index = new LineIndex(src, (n) => (lastProgress = n));
    assert.equal(await index.lineOf(log.offsets[5000]), null, 'nothing is known before indexing');
    await index.update();
    assert.equal(index.indexedLines, log.lines.length);
    assert.equal(lastProgress, log.lines.length);
    for (const k of [0, 1, 1023, 1024, 1025, 5000, log.lines.length - 1]) {
      assert.equal(await index.lineOf(log.offsets[k]), k + 1, `line of offset ${log.offsets[k]}`);
      assert.equal(await index.offsetOf(k + 1), log.offsets[k], `offset of line ${k + 1}`);
    }
    // Many at once (a filtered screen), in any order, near and far apart, repeated: each its own line number.
    const ks = [5000, 1, 1025, 1024, 1023, 5001, 5003, 0, log.lines.length - 1, 5001, 2047, 2048];
    assert.deepEqual(await index.linesOf(ks.map((k) => log.offsets[k])), ks.map((k) => k + 1));
  });

  it('has no line numbers before indexing got there (a filtered screen shows them once it has)', async () => {
    const index = new LineIndex(src, () => undefined);
    assert.deepEqual(await index.linesOf([log.offsets[0], log.offsets[5000]]), [1, null]);
  });

  it('searches text case-insensitively by default and streams every hit in file order', async () => {
    const hits = await allHits('ONERROR', 'text');
    // The name is hex in PATH records; only the proctitle and user records carry it as text (if at all).
    const expected = log.offsets.filter((_, i) => /onerror/i.test(log.lines[i]));
    assert.deepEqual(hits.map((h) => h.offset), expected);
    const rm = await allHits('comm="rm"', 'text', true);
    assert.deepEqual(
      rm.map((h) => h.offset),
      log.offsets.filter((_, i) => log.lines[i].includes('comm="rm"')),
    );
    assert.ok(rm.length > 100);
    const h = rm[0];
    assert.equal(h.text.slice(h.ranges[0][0], h.ranges[0][1]), 'comm="rm"');
  });

  it('searches by regex and reports a bad one as an error, not a crash', async () => {
    const hits = await allHits('exit=-(13|1) ', 'regex');
    assert.deepEqual(
      hits.map((h) => h.offset),
      log.offsets.filter((_, i) => /exit=-(13|1) /i.test(log.lines[i])),
    );
    assert.ok(hits.length > 0);
    assert.throws(() => compileSearch('(unclosed', 'regex', false), /invalid regular expression/);
  });

  it('searches field=value on decoded values: a hex-encoded hostile name, and syscall names for numbers', async () => {
    const hostile = await allHits(`name="*${HOSTILE_NAME}"`, 'field');
    const hostileHex = Buffer.from(HOSTILE_NAME).toString('hex').toUpperCase();
    assert.deepEqual(
      hostile.map((h) => h.offset),
      log.offsets.filter((_, i) => / name=[0-9A-F]+ /.test(log.lines[i]) && log.lines[i].includes(hostileHex)),
    );
    assert.ok(hostile.length > 0);
    // Ground truth from the ENRICHED part auditd wrote (SYSCALL=unlinkat), searched in a log with it stripped.
    const raw = buildLog(dir, 1, true);
    const rawSrc = await LocalByteSource.open(raw.file);
    try {
      const hits = await allHits('syscall=unlinkat type=SYSCALL', 'field', false, rawSrc);
      const once = readFileSync(log.file, 'utf8').split('\n').slice(0, raw.lines.length);
      assert.deepEqual(
        hits.map((h) => h.offset),
        raw.offsets.filter((_, i) => /^(node=\S+ )?type=SYSCALL /.test(once[i]) && once[i].includes('\x1dARCH=x86_64 SYSCALL=unlinkat ')),
      );
      assert.ok(hits.length > 10);
    } finally {
      await rawSrc.close();
    }
  });

  it('stops a search when cancelled, reading no further', async () => {
    const ctl = new AbortController();
    let reads = 0;
    // Cancelled while the first chunk is read: the scan must not read the other chunks of the 9 MiB log.
    const counting = {
      path: src.path,
      size: () => src.size(),
      read: (o: number, n: number) => {
        reads++;
        ctl.abort();
        return src.read(o, n);
      },
      close: async () => undefined,
    };
    let sawDone = false;
    await searchLog(counting, compileSearch('type=', 'text', false), ctl.signal, (b) => {
      sawDone ||= b.done;
    });
    assert.equal(reads, 1);
    assert.equal(sawDone, false);
  });

  it('filters by key: every record of every event that carries the key, and by record type', async () => {
    const truth = JSON.parse(readFileSync(path.join(FIXTURES, 'viewer', 'hostile-name', 'truth.json'), 'utf8')) as { key: string };
    const offsets: number[] = [];
    await filterLog(src, [truth.key], [], new AbortController().signal, (b) => offsets.push(...b.offsets));
    offsets.sort((a, b) => a - b);
    // Expected: events (same node/time/serial) with a record whose raw part has key="KEY".
    const idOf = (l: string): string | null => /^(?:node=(\S+) )?type=\S+ msg=audit\(([\d.]+:\d+)\)/.exec(l)?.slice(1).join('|') ?? null;
    const keyed = new Set(log.lines.filter((l) => l.split('\x1d')[0].includes(` key="${truth.key}"`)).map(idOf));
    const expected = log.offsets.filter((_, i) => keyed.has(idOf(log.lines[i])));
    assert.deepEqual(offsets, expected);
    assert.ok(expected.length > 10);
    const paths: number[] = [];
    await filterLog(src, [], ['PATH'], new AbortController().signal, (b) => paths.push(...b.offsets));
    assert.deepEqual(
      paths.sort((a, b) => a - b),
      log.offsets.filter((_, i) => /^(node=\S+ )?type=PATH /.test(log.lines[i])),
    );
  });

  it('jumps to the first record at or after a time', async () => {
    const once = readFileSync(path.join(RECORDED, 'unlink-absolute', 'audit.log'), 'utf8').split('\n').filter(Boolean);
    const single = path.join(dir, 'one.audit.log');
    writeFileSync(single, once.join('\n') + '\n');
    const s = await LocalByteSource.open(single);
    try {
      const times = once.map((l) => Math.round(Number(/audit\(([\d.]+):/.exec(l)![1]) * 1000));
      let at = 0;
      const offs = once.map((l) => {
        const o = at;
        at += Buffer.byteLength(l) + 1;
        return o;
      });
      for (const k of [0, 7, 20, once.length - 1]) {
        const want = offs[times.findIndex((t) => t >= times[k])];
        assert.equal(await offsetAtTime(s, times[k]), want, `time of line ${k + 1}`);
      }
      assert.equal(await offsetAtTime(s, times[times.length - 1] + 1), null);
      assert.equal(await offsetAtTime(s, 0), 0);
    } finally {
      await s.close();
    }
  });
});
