/** The audit-lens CLI: time specs, filters, output formats and the summary, run as the built program. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildCli } from '../support/cli';
import { unlinkat } from '../support/records';

import { CSV_HEADER } from '../../src/cli/format';
import { parseTimeSpec } from '../../src/cli/timeSpec';

const ROOT = join(__dirname, '..', '..');
const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', 'hostile', name);

describe('parseTimeSpec', () => {
  // Saturday 28 November 2026, 15:30:45.123 local time.
  const NOW = new Date(2026, 10, 28, 15, 30, 45, 123);
  const p = (s: string): number | null => parseTimeSpec(s, NOW);
  const local = (...a: [number, number, number, number?, number?, number?]): number => new Date(a[0], a[1], a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0).getTime();

  test("reads ausearch's keywords relative to now, in local time", () => {
    assert.equal(p('now'), NOW.getTime());
    assert.equal(p('recent'), NOW.getTime() - 10 * 60_000);
    assert.equal(p('today'), local(2026, 10, 28));
    assert.equal(p('yesterday'), local(2026, 10, 27));
    assert.equal(p('this-week'), local(2026, 10, 22), 'the week starts on Sunday, as in ausearch');
    assert.equal(p('week-ago'), local(2026, 10, 21));
    assert.equal(p('this-month'), local(2026, 10, 1));
    assert.equal(p('this-year'), local(2026, 0, 1));
    assert.equal(p('  today  '), local(2026, 10, 28));
  });

  test("'boot' is refused (it needs the machine's boot time, not the log's)", () => {
    assert.equal(p('boot'), null);
  });

  test('reads MM/DD/YYYY [HH:MM[:SS]] and two-digit years in local time', () => {
    assert.equal(p('11/28/2026'), local(2026, 10, 28));
    assert.equal(p('11/28/2026 14:05:09'), local(2026, 10, 28, 14, 5, 9));
    assert.equal(p('11/28/2026T14:05'), local(2026, 10, 28, 14, 5));
    assert.equal(p('1/2/26 7:05'), local(2026, 0, 2, 7, 5));
  });

  test('refuses dates that do not exist', () => {
    for (const s of ['13/01/2026', '02/30/2026', '04/31/2026', '00/10/2026', '11/28/2026 14', '11-28-2026']) assert.equal(p(s), null, s);
  });

  test('reads HH:MM[:SS] as today and refuses hours and minutes out of range', () => {
    assert.equal(p('14:05:09'), local(2026, 10, 28, 14, 5, 9));
    assert.equal(p('07:05'), local(2026, 10, 28, 7, 5));
    assert.equal(p('24:00:00'), null);
    assert.equal(p('12:60'), null);
  });

  test(
    'refuses seconds out of range and hours out of range in the MM/DD/YYYY form',
    () => {
      assert.equal(p('11/28/2026 25:00:00'), null);
      assert.equal(p('11/28/2026 12:61:00'), null);
      assert.equal(p('12:00:75'), null);
    },
  );

  test('reads ISO 8601: a bare date is local midnight, a zone is honoured, a space may replace the T', () => {
    assert.equal(p('2026-11-28'), local(2026, 10, 28));
    assert.equal(p('2026-11-28T14:05:09Z'), Date.UTC(2026, 10, 28, 14, 5, 9));
    assert.equal(p('2026-11-28T14:05:09.5+02:00'), Date.UTC(2026, 10, 28, 12, 5, 9, 500));
    assert.equal(p('2026-11-28 14:05'), local(2026, 10, 28, 14, 5));
    assert.equal(p('2026-11-28T02:39:17.317Z'), 1795833557317);
  });

  test('reads epoch seconds, with milliseconds as audit writes them', () => {
    assert.equal(p('1795833557.313'), 1795833557313);
    assert.equal(p('1795833557'), 1795833557000);
  });

  test('refuses what is not a time', () => {
    for (const s of ['', 'tomorrow', 'the day before', '2026-13-45', '2026-11-28T25:00', '12345', 'now+1']) assert.equal(p(s), null, s);
  });

  test(
    "'yesterday' and 'week-ago' are calendar days, also across a daylight-saving change",
    () => {
      const saved = process.env.TZ;
      process.env.TZ = 'Europe/Berlin';
      try {
        // Summer time began on Sunday 29 March 2026 at 02:00 in Berlin.
        const monday = new Date(2026, 2, 30, 12, 0, 0);
        assert.equal(parseTimeSpec('yesterday', monday), new Date(2026, 2, 29).getTime());
        assert.equal(parseTimeSpec('week-ago', monday), new Date(2026, 2, 23).getTime());
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    },
  );
});

/** A minimal RFC 4180 reader: quoted cells may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  assert.equal(quoted, false, 'no quote left open');
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

describe('the audit-lens CLI (built)', () => {
  let tmp: string;
  let cli: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'audit-lens-cli-test-'));
    cli = await buildCli(tmp);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  function run(args: string[], cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TZ: 'UTC' } });
    assert.doesNotMatch(r.stderr, /^\s{4}at /m, 'no stack trace');
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  /** Ids of the events `events --format jsonl` prints. */
  function ids(args: string[], cwd?: string): string[] {
    const r = run(['events', '--format', 'jsonl', ...args], cwd);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l).id);
  }
  test('a slow reader slows the reading down: the output waits in the pipe, not in memory', async () => {
    // 40 000 deletions (about 30 MB of log, 40 MB of JSON). Without backpressure the CLI reads the whole log while
    // nobody reads its output, and queues every line it writes.
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      lines.push(...unlinkat({ time: 1795833557000 + i, serial: 1000 + i, cwd: '/srv/vol', argv: ['rm', `f${i}.txt`], parent: { name: '/srv/vol', inode: '131' }, child: { name: `f${i}.txt`, inode: String(5000 + i) } }));
    }
    const log = join(tmp, 'slow-reader.log');
    writeFileSync(log, lines.join('\n') + '\n');
    const size = statSync(log).size;
    const child = spawn(process.execPath, [cli, 'events', '--format', 'jsonl', log], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    // The program's own code is read too; chunks of 1 MiB are read ahead.
    const readSoFar = (): number => Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))?.[1]);
    await new Promise((r) => setTimeout(r, 2500));
    const read = readSoFar();
    if (read >= size / 3) child.kill();
    assert.ok(read < size / 3, `read ${read} bytes of a ${size}-byte log while its output was not read`);
    let out = 0;
    let nl = 0;
    child.stdout.on('data', (b: Buffer) => {
      out += b.length;
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) nl++;
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.equal(nl, 40_000, 'every event is written once the reader goes on');
    assert.ok(out > size, 'the whole output');
  });

  const S = '1795833557';
  const RM_RF = [`${S}.317:50`, `${S}.317:51`, `${S}.317:52`, `${S}.317:53`];
  const ALL_DELETIONS = [`${S}.313:46`, `${S}.313:47`, `${S}.313:48`, `${S}.313:49`, ...RM_RF, `${S}.417:56`];

  test('--version and --help exit 0', () => {
    assert.deepEqual([run(['--version']).code, run(['--version']).stdout], [0, '0.1.0\n']);
    const help = run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^audit-lens 0\.1\.0: /);
  });

  describe('--since / --until', () => {
    const log = fixture('real-1.log');
    test('an inclusive window in ISO 8601 with milliseconds selects exactly the events inside it', () => {
      assert.deepEqual(ids(['--since', '2026-11-28T02:39:17.317Z', '--until', '2026-11-28T02:39:17.317Z', log]), RM_RF);
    });
    test('the same window in epoch seconds, and in the --start/--end and --opt=value spellings', () => {
      assert.deepEqual(ids(['--since', '1795833557.317', '--until', '1795833557.317', log]), RM_RF);
      assert.deepEqual(ids(['--start=1795833557.317', '--end=1795833557.317', log]), RM_RF);
    });
    test('--since alone and --until alone cut one side', () => {
      assert.deepEqual(ids(['--since', '1795833557.317', log]), [...RM_RF, `${S}.417:56`]);
      assert.deepEqual(ids(['--until', '1795833557.316', log]), ALL_DELETIONS.slice(0, 4));
    });
    test('MM/DD/YYYY HH:MM:SS is local time (TZ=UTC here)', () => {
      assert.deepEqual(ids(['--since', '11/28/2026 02:39:18', log]), []);
      assert.deepEqual(ids(['--since', '11/28/2026 02:39:17', log]), ALL_DELETIONS);
    });
    test('a window after every event gives nothing, and says so in table format', () => {
      const r = run(['events', '--since', '2030-01-01', log]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'audit-lens: no matching events in 14 events (77 records)\n');
    });
  });

  describe('--key', () => {
    test("matches a watched folder's own deletion through the CONFIG_CHANGE key (the SYSCALL has key=(null))", () => {
      // real-0: `auditctl -w /tmp/t1 -k probe1` and `-k probe1b`; probe1b appears only in the add_rule (4) and in the
      // kernel's remove_rule of event 10, when rm -rf /tmp/t1 removed the folder itself.
      assert.deepEqual(ids(['--key', 'probe1b', fixture('real-0.log')]), ['1795832978.145:10']);
      assert.deepEqual(ids(['--key', 'probe1b', '--all', fixture('real-0.log')]), ['1795832978.141:4', '1795832978.145:10']);
      const r = run(['events', '--format', 'jsonl', '--key', 'probe1b', fixture('real-0.log')]);
      const e = JSON.parse(r.stdout);
      assert.equal(e.watchRemoved, true);
      assert.deepEqual(e.objects.map((o: { path: string }) => o.path), ['/tmp/t1']);
      assert.deepEqual([...e.keys].sort(), ['probe1', 'probe1b']);
    });
    test('matches one key of a pair joined by \\x01 (hex-encoded), including the folder’s own deletion', () => {
      assert.deepEqual(ids(['--key', 'hl_b', fixture('real-1.log')]), ALL_DELETIONS);
    });
    test('matches whole keys only, and any of several --key options', () => {
      assert.deepEqual(ids(['--key', 'hl_', fixture('real-1.log')]), []);
      assert.deepEqual(ids(['--key', 'probe', fixture('real-0.log')]), []);
      assert.deepEqual(ids(['--key=nomatch', '-k', 'hl_c', fixture('real-2.log')]), ['1795833703.685:1131', '1795833707.889:1132', '1795833707.889:1133', '1795833707.893:1134']);
    });
  });

  describe('--path', () => {
    const log = fixture('real-1.log');
    test('selects events touching the folder or anything below it', () => {
      assert.deepEqual(ids(['--path', '/tmp/hl-rec/sub', log]), RM_RF);
      assert.deepEqual(ids(['--path', '/tmp/hl-rec/sub/', log]), RM_RF);
      assert.deepEqual(ids(['--path', '/tmp/hl-rec/sub/deep/d', log]), [`${S}.317:51`]);
    });
    test('a prefix is matched by whole path components', () => {
      assert.deepEqual(ids(['--path', '/tmp/hl-rec/su', log]), []);
      assert.deepEqual(ids(['--path', '/tmp/hl', log]), []);
    });
    test('a relative --path is taken from the current directory', () => {
      assert.deepEqual(ids(['--path', 'hl-rec/sub', log], '/tmp'), RM_RF);
    });
    test('matches rebuilt paths (dirfd-relative deletions) as well as exact ones', () => {
      assert.deepEqual(ids(['--path', '/tmp/hl-rec/sub/deep', log]), [`${S}.317:51`, `${S}.317:52`]);
    });
  });

  describe('--format', () => {
    test('csv: the documented header, then one row per object with every cell quoted as RFC 4180 needs', () => {
      const r = run(['events', '--format', 'csv', fixture('csv-names.log')]);
      assert.equal(r.code, 0);
      const header = CSV_HEADER.split(',');
      assert.deepEqual(header, [
        'time', 'id', 'node', 'action', 'success', 'errno', 'syscall', 'role', 'path', 'confidence', 'seen_as', 'inode', 'dev',
        'type', 'exe', 'comm', 'pid', 'ppid', 'uid', 'user', 'auid', 'login_user', 'keys', 'watch_removed', 'file', 'line', 'offset',
      ]);
      assert.ok(r.stdout.startsWith(CSV_HEADER + '\n'));
      const rows = parseCsv(r.stdout);
      assert.deepEqual(rows[0], header);
      assert.equal(rows.length, 6);
      const col = (row: string[], name: string) => row[header.indexOf(name)];
      for (const row of rows.slice(1)) assert.equal(row.length, header.length);
      assert.deepEqual(
        rows.slice(1).map((r) => [col(r, 'id'), col(r, 'path'), col(r, 'role'), col(r, 'confidence'), col(r, 'keys'), col(r, 'exe'), col(r, 'line')]),
        [
          ['1795833707.893:1134', '/tmp/hl-rec2/we,ird"name', 'deleted', 'exact', 'hl_c', '/usr/bin/rm', '1'],
          ['1795833707.893:1135', '/tmp/hl-rec2/line\nbreak,"q"', 'deleted', 'exact', 'hl_c', '/usr/bin/rm', '6'],
          ['1795833707.893:1136', '/tmp/hl-rec2/only\nnewline', 'deleted', 'exact', 'hl_c', '/usr/bin/rm', '11'],
          ['1795833707.893:1137', '/tmp/hl-rec2/only"quote', 'deleted', 'exact', 'hl_c', '/usr/bin/rm', '16'],
          ['1795833707.893:1138', '/tmp/hl-rec2/only\rcr', 'deleted', 'exact', 'hl_c', '/usr/bin/rm', '21'],
        ],
      );
      // Each of comma, quote, LF and CR alone forces quoting; quotes are doubled.
      for (const cell of ['"/tmp/hl-rec2/we,ird""name"', '"/tmp/hl-rec2/only\nnewline"', '"/tmp/hl-rec2/only""quote"', '"/tmp/hl-rec2/only\rcr"']) {
        assert.ok(r.stdout.includes(`,${cell},`), cell);
      }
    });

    test('csv: an input without events gives the header only', () => {
      const r = run(['events', '--format', 'csv', fixture('empty.log')]);
      assert.equal(r.stdout, CSV_HEADER + '\n');
    });

    test('json: one valid JSON array of the events, in log order; [] when there are none', () => {
      const r = run(['events', '--format', 'json', fixture('real-1.log')]);
      assert.equal(r.code, 0);
      const arr = JSON.parse(r.stdout);
      assert.ok(Array.isArray(arr));
      assert.deepEqual(arr.map((e: { id: string }) => e.id), ALL_DELETIONS);
      assert.equal(arr[4].objects[0].path, '/tmp/hl-rec/sub/c');
      assert.equal(arr[2].objects[0].pathHex, '2f746d702f686c2d7265632f626164fffe6e616d65');
      assert.deepEqual(JSON.parse(run(['events', '--format', 'json', fixture('empty.log')]).stdout), []);
    });

    test('jsonl and json give the same events', () => {
      const jsonl = run(['events', '--format', 'jsonl', '--all', fixture('real-2.log')]).stdout.trim().split('\n').map((l) => JSON.parse(l));
      const json = JSON.parse(run(['events', '--format', 'json', '--all', fixture('real-2.log')]).stdout);
      assert.equal(json.length, 6);
      assert.deepEqual(json, jsonl);
    });

    test('the files of a rotated set named one by one (audit.log*: newest first) are read as the set, oldest first', () => {
      // Recorded by the real auditd: one event starts in audit.log.1 and ends in audit.log.
      const dir = join(ROOT, 'test', 'fixtures', 'recorded', 'rotation-mid-event');
      const asSet = run(['events', '--format', 'jsonl', dir]);
      assert.equal(asSet.code, 0, asSet.stderr);
      for (const order of [['audit.log', 'audit.log.1', 'audit.log.2'], ['audit.log.1', 'audit.log.2', 'audit.log']]) {
        const r = run(['events', '--format', 'jsonl', ...order.map((f) => join(dir, f))]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, asSet.stdout, `the same events, paths and order as the folder, given as ${order.join(' ')}`);
        assert.equal(r.stderr, asSet.stderr);
      }
    });

    test('a FIFO or a pipe named as a file (<(zcat audit.log.1.gz)) is read as a stream', { timeout: 30_000 }, async () => {
      const log = join(ROOT, 'test', 'fixtures', 'recorded', 'dense-mixed', 'audit.log');
      // Several read chunks' worth, so the stream is read in pieces.
      const want = spawnSync(process.execPath, [cli, 'events', '--format', 'jsonl', log], { encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(want.status, 0, want.stderr);
      const collect = (child: ReturnType<typeof spawn>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          let stdout = '';
          let stderr = '';
          child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
          child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        });
      const fifo = join(tmp, 'audit.fifo');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const viaFifo = collect(spawn(process.execPath, [cli, 'events', '--format', 'jsonl', fifo], { stdio: ['ignore', 'pipe', 'pipe'] }));
      // Written asynchronously: the program's output must be read meanwhile, or both would wait on each other.
      createWriteStream(fifo).end(readFileSync(log));
      // A pipe named /dev/fd/N: bash's process substitution, as a user types it.
      const viaPipe = collect(spawn('bash', ['-c', '"$0" "$1" events --format jsonl <(cat "$2")', process.execPath, cli, log], { stdio: ['ignore', 'pipe', 'pipe'] }));
      for (const [how, got] of [['FIFO', await viaFifo], ['pipe', await viaPipe]] as const) {
        assert.equal(got.code, 0, `${how}: ${got.stderr}`);
        const ids = (out: string): string[] => out.trim().split('\n').map((l) => JSON.parse(l).id);
        assert.deepEqual(ids(got.stdout), ids(want.stdout), `${how}: the same events as the file`);
      }
    });

    test('--path takes the name as it is on disk, a backslash included (events show it doubled)', () => {
      const dir = join(ROOT, 'test', 'fixtures', 'recorded', 'odd-names');
      const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as { items: { path: string }[] };
      const name = truth.items.map((i) => i.path).find((p) => p.endsWith('/odd/back\\slash.txt'))!;
      const r = run(['events', '--format', 'jsonl', '--path', name, dir]);
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { objects: { path: string }[] });
      assert.equal(events.length, 1, r.stdout);
      assert.ok(events[0].objects.some((o) => o.path === name.replace(/\\/g, '\\\\')));
    });

    test('an output that cannot be written (a full disk) is an error, not a cut file and exit 0', () => {
      const log = fixture('real-2.log');
      for (const args of [['events', '--format', 'jsonl', log], ['events', '--format', 'csv', log], ['events', log], ['summary', log], ['snapshot', ROOT]]) {
        const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'] });
        assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^audit-lens: cannot write the output: ENOSPC/m);
      }
    });

    test('table: terminal escapes in the program, user, keys, parents, node and notes are shown, never sent', () => {
      const esc = '\x1b';
      const lines = unlinkat({
        time: 1795833557000,
        serial: 500,
        node: `h${esc}[31mX`,
        comm: `r${esc}[2Jm`,
        exe: `/usr/bin/${esc}[5mrm`,
        key: `k${esc}[41mey`,
        cwd: '/srv',
        argv: ['rm', 'f.txt'],
        parent: { name: '/srv/', inode: '131' },
        child: { name: `/srv/v${esc}]0;OWNED\x07ol/f.txt`, inode: '5000' },
      });
      const log = join(tmp, 'escapes.log');
      writeFileSync(log, lines.join('\n') + '\n');
      for (const color of ['--color', '--no-color']) {
        const r = run(['events', '--all', color, log]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /\/usr\/bin\/\\x1b\[5mrm/, 'the exe is shown with its escape made visible');
        assert.match(r.stdout, /key k\\x1b\[41mey/);
        // Only our own SGR colour codes may be raw: ESC [ digits m, and nothing else.
        const raw = r.stdout.replace(/\x1b\[\d+m/g, '');
        assert.ok(!raw.includes(esc) && !raw.includes('\x07'), `raw control characters in: ${JSON.stringify(r.stdout.slice(0, 400))}`);
        if (color === '--no-color') assert.ok(!r.stdout.includes(esc), 'no escape at all without colour');
      }
    });

    test('table: a block per event naming what, who and the command; control characters in names are made visible', () => {
      const r = run(['events', '--utc', fixture('csv-names.log')]);
      assert.equal(r.code, 0);
      const blocks = r.stdout.trimEnd().split('\n\n');
      assert.equal(blocks.length, 5);
      assert.match(blocks[0], /^2026-11-28 02:41:47\.893 UTC {2}deleted \(unlinkat\) {2}1795833707\.893:1134\n/);
      assert.ok(blocks[0].includes('    deleted     /tmp/hl-rec2/we,ird"name'));
      assert.ok(blocks[0].includes('by /usr/bin/rm, pid 17779'));
      assert.ok(blocks[1].includes('/tmp/hl-rec2/line\\nbreak,"q"'), 'the newline is shown as \\n, not printed');
      assert.ok(blocks[4].includes('/tmp/hl-rec2/only\\x0dcr'), 'a carriage return is shown as \\x0d');
      assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('break') || l.startsWith('newline')).length, 0);
      assert.ok(!r.stdout.includes('\r'));
    });
  });

  describe('summary', () => {
    test('--format json counts events, actions, executables, users, folders and keys', () => {
      const log = fixture('real-1.log');
      const r = run(['summary', '--format', 'json', log]);
      assert.equal(r.code, 0);
      const s = JSON.parse(r.stdout);
      assert.deepEqual(s, {
        events: 9,
        failed: 0,
        uncertainObjects: 0,
        first: '2026-11-28T02:39:17.313Z',
        last: '2026-11-28T02:39:17.417Z',
        byAction: { deleted: 8, 'deleted (watched folder)': 1 },
        byExecutable: { '/usr/bin/rm': 9 },
        byUser: { root: 9 },
        byFolder: { '/tmp/hl-rec': 5, '/tmp/hl-rec/sub': 2, '/tmp': 1, '/tmp/hl-rec/sub/deep': 1 },
        byKey: { hl_a: 9, hl_b: 9 },
        lostEvents: 0,
        diagnostics: {
          'malformed-line': 0,
          'duplicate-record': 0,
          'late-record': 0,
          'truncated-line': 0,
          'invalid-utf8': 0,
          'oversized-line': 0,
          'lost-events': 0,
          'unreadable-input': 0,
        },
        recordsRead: 77,
        eventsRead: 14,
        bytesRead: statSync(log).size,
      });
    });

    test('counts failed attempts, renames and lost events', () => {
      const s = JSON.parse(run(['summary', '--format', 'json', fixture('real-2.log'), fixture('gap.log')]).stdout);
      assert.equal(s.events, 7);
      assert.deepEqual(s.byAction, { deleted: 6, renamed: 1 });
      assert.equal(s.lostEvents, 2);
      assert.equal(s.diagnostics['lost-events'], 2);
      assert.deepEqual(s.byKey, { hl_c: 4, hl_a: 3, hl_b: 3 });
    });

    test('the table form starts with the totals and lists the sections', () => {
      const r = run(['summary', fixture('real-1.log')]);
      assert.equal(r.code, 0);
      const lines = r.stdout.split('\n');
      assert.match(lines[0], /^Events: 9 \(0 failed attempts\) of 14 read, 77 records, 0\.0 MB$/);
      assert.equal(lines[1], 'Period: 2026-11-28T02:39:17.313Z .. 2026-11-28T02:39:17.417Z');
      assert.ok(r.stdout.includes('\nBy folder\n         5  /tmp/hl-rec\n         2  /tmp/hl-rec/sub\n'));
      assert.ok(r.stdout.includes('\nBy key\n         9  hl_a\n         9  hl_b\n'));
    });

    test('respects the filters', () => {
      const s = JSON.parse(run(['summary', '--format', 'json', '--path', '/tmp/hl-rec/sub', fixture('real-1.log')]).stdout);
      assert.equal(s.events, 4);
      assert.deepEqual(s.byFolder, { '/tmp/hl-rec/sub': 2, '/tmp/hl-rec': 1, '/tmp/hl-rec/sub/deep': 1 });
    });
  });
});
