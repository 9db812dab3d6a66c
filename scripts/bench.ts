/**
 * `npm run bench`: audit-lens against ausearch / aureport on replayed real logs, on the workloads users have:
 * a whole mixed log, a dense log where nearly every event is a deletion (the live-watch load), and key filters on
 * 5 %, 12 % and 50 % of events; plus summary vs aureport, the core's own passes, one core vs two, and peak memory as
 * the log grows. Not part of the tests.
 *
 *   npm run bench                          1 GiB mixed + 512 MiB dense logs, best of 3, table + targets
 *   npm run bench -- --size 256 --runs 1   a quick look (mixed 256 MiB, dense half of it)
 *   npm run bench -- --profile             also CPU-profile the whole-log and key-filtered runs
 *   npm run bench -- --src /tmp/copy/src   measure a scratch copy of src/ (prototype a core change without touching it)
 *
 * Logs are built by replaying recorded real events (test/fixtures/recorded/*\/audit.log, else this machine's
 * /var/log/audit) with fresh, continuous serials and increasing times; only the `msg=audit(…)` header and the
 * `key=` token change. They are cached under ${XDG_CACHE_HOME:-~/.cache}/audit-lens/bench and rebuilt when their
 * recipe (seed contents, size, keys, generator version) changes. Exit status 1 when the tools disagree on a count.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { SourceMap } from 'node:module';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { Analyzer, isDefaultInteresting } from '../src/core/analyzer';
import { EventAssembler } from '../src/core/assembler';
import { readLines, rotatedOrder } from '../src/core/lines';
import { eventId, parseRecord, parseRecordBytes } from '../src/core/record';

const repoRoot = path.resolve(__dirname, '..');
/** Bump when the replay changes in a way that changes the bytes written (invalidates cached logs). */
const GENERATOR_VERSION = 5;
const BG_KEYS = 32;
/** 2026-01-01T00:00:00Z: replayed time starts here and moves 1 ms per event. */
const START_MS = Date.UTC(2026, 0, 1);
const FIRST_SERIAL = 1000;
const MIB = 1 << 20;
const MB = 1e6;

/** Targets (issue: "3-5x faster than ausearch on every workload"). */
const TARGET_WHOLE_RATIO = 3;
const TARGET_KEY_RATIO = 5;
const TARGET_SUMMARY_RATIO = 3;
const TARGET_ASSEMBLY_MBPS = 150;
/** Peak RSS on the full log may exceed the quarter log's by this factor and still count as flat. */
const FLAT_RSS_FACTOR = 1.25;
/**
 * …and the full log must go through with V8's old space capped this low. Live heap after a full collection: 7-17 MB
 * for `events`, 10-17 MB for `summary`; 31-38 MB with the 12 % key, whose held events (behind one waiting up to
 * 120 s of log time for its folder's name) leave the least room.
 */
const CAPPED_OLD_SPACE_MIB = 64;

interface Options {
  sizeMiB: number;
  runs: number;
  profile: boolean;
  reference: boolean;
  seeds: string[];
  src: string;
}

const USAGE = `npm run bench -- [--size MiB] [--runs N] [--profile] [--no-reference] [--seed LOG]... [--src DIR]
  --size MiB      mixed log size (default 1024; the dense log is half of it, a quarter-size copy checks memory growth)
  --runs N        runs per measurement, best wall time kept (default 3)
  --profile       CPU-profile the whole-log and key-filtered runs, print the hot functions and lines
  --no-reference  skip ausearch/aureport (no count check; for iterating on a core change)
  --seed LOG      replay these logs instead of test/fixtures/recorded/*/audit.log (repeatable)
  --src DIR       build audit-lens from this src/ tree (a scratch copy) instead of the repo's
`;

function parseArgs(argv: string[]): Options {
  const o: Options = { sizeMiB: 1024, runs: 3, profile: false, reference: true, seeds: [], src: path.join(repoRoot, 'src') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--size') o.sizeMiB = Number(value());
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-reference') o.reference = false;
    else if (a === '--seed') o.seeds.push(path.resolve(value()));
    else if (a === '--src') o.src = path.resolve(value());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (!(o.sizeMiB >= 4)) throw new Error('--size must be at least 4 (MiB)');
  if (!(Number.isInteger(o.runs) && o.runs >= 1)) throw new Error('--runs must be a positive integer');
  return o;
}

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'audit-lens', 'bench');
}

// ---------------------------------------------------------------------------------------------------------------
// Seeds: recorded real logs, split into event templates.

/** One record with its header and key cut out: line = pre + `SEC.MS:SERIAL` + mid [+ key token + post]. */
interface RecordTemplate {
  pre: Buffer;
  mid: Buffer;
  post: Buffer | null;
}

interface EventTemplate {
  node: string | null;
  records: RecordTemplate[];
  /** Original keys (decoded); empty when the event has no key token (key=(null) or none). */
  keys: string[];
  /** The key token was hex (several keys joined by \x01): the replay writes hex too. */
  hexKey: boolean;
  /**
   * It may carry the benchmark key: it has a key, audit-lens reports it without --all (a deletion, rename, failed
   * attempt or removed watch), and ausearch can find it by key (see uring below).
   */
  candidate: boolean;
  /** The key is on a URINGOP record: ausearch 3.0.9 does not search those ("error normalizing URINGOP"). */
  uring: boolean;
  /** audit-lens reports it by default (a deletion, rename, failed attempt or removed watch). */
  interesting: boolean;
}

export interface Seed {
  files: string[];
  events: EventTemplate[];
  candidates: number;
  skippedLines: number;
  skippedDaemon: number;
}

export function defaultSeeds(): string[] {
  const dir = path.join(repoRoot, 'test', 'fixtures', 'recorded');
  const fixtures = existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .map((d) => path.join(dir, d, 'audit.log'))
        .filter((f) => existsSync(f))
    : [];
  if (fixtures.length > 0) return fixtures;
  // Until fixtures are recorded: this machine's own log (real events; needs root to read).
  const sys = '/var/log/audit';
  try {
    return rotatedOrder(readdirSync(sys)).map((n) => path.join(sys, n));
  } catch (err) {
    throw new Error(`no recorded fixtures under test/fixtures/recorded and ${sys} is unreadable (${(err as Error).message}): pass --seed LOG`);
  }
}

// Matches the key token in a record body: quoted text or hex (several keys); key=(null) is left alone.
const KEY_TOKEN = /(?:^| )key=("[^"\x1d]*"|[0-9A-F]+)(?=[ \x1d]|$)/;

function decodeKeys(tok: string): string[] {
  const raw = tok.startsWith('"') ? tok.slice(1, -1) : Buffer.from(tok, 'hex').toString('latin1');
  return raw.split('\x01').filter((k) => k.length > 0);
}

/** Which events of one log audit-lens would report by default, by the core itself, so the expected count is exact. */
async function interestingIds(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const analyzer = new Analyzer(
    (item) => {
      if (item.kind === 'event' && isDefaultInteresting(item.event)) ids.add(item.event.id);
    },
    { settle: false, filter: { all: true } },
  );
  await readLines(file, (l) => analyzer.pushLine(l), () => {});
  analyzer.finish();
  return ids;
}

export async function loadSeed(files: string[]): Promise<Seed> {
  const seed: Seed = { files, events: [], candidates: 0, skippedLines: 0, skippedDaemon: 0 };
  for (const file of files) {
    const interesting = await interestingIds(file);
    const byId = new Map<string, EventTemplate & { daemon: boolean; id: string }>();
    const order: (EventTemplate & { daemon: boolean; id: string })[] = [];
    const text = readFileSync(file).toString('latin1');
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (line === '') continue;
      const rec = parseRecord(line, { file, line: lineNo, offset: 0 });
      const open = line.indexOf('msg=audit(');
      const close = open < 0 ? -1 : line.indexOf(')', open);
      if (!rec || close < 0) {
        seed.skippedLines++;
        continue;
      }
      const id = eventId(rec.node, rec.time, rec.serial);
      let ev = byId.get(id);
      if (!ev) {
        ev = { node: rec.node, records: [], keys: [], hexKey: false, candidate: false, uring: false, interesting: false, daemon: false, id };
        byId.set(id, ev);
        order.push(ev);
      }
      // DAEMON_* records are auditd's own, numbered in its own series: replaying them would break continuity.
      if (rec.type.startsWith('DAEMON_')) ev.daemon = true;
      const pre = Buffer.from(line.slice(0, open + 10), 'latin1');
      const gs = line.indexOf('\x1d', close);
      const body = gs < 0 ? line.slice(close) : line.slice(close, gs);
      const m = KEY_TOKEN.exec(body);
      if (m) {
        const start = close + m.index + m[0].length - m[1].length;
        const end = close + m.index + m[0].length;
        ev.records.push({ pre, mid: Buffer.from(line.slice(close, start), 'latin1'), post: Buffer.from(line.slice(end) + '\n', 'latin1') });
        if (ev.keys.length === 0) {
          ev.keys = decodeKeys(m[1]);
          ev.hexKey = !m[1].startsWith('"');
          ev.uring = rec.type === 'URINGOP';
        }
      } else {
        ev.records.push({ pre, mid: Buffer.from(line.slice(close) + '\n', 'latin1'), post: null });
      }
    }
    for (const ev of order) {
      if (ev.daemon) {
        seed.skippedDaemon++;
        continue;
      }
      ev.interesting = interesting.has(ev.id);
      ev.candidate = ev.keys.length > 0 && !ev.uring && ev.interesting;
      if (ev.candidate) seed.candidates++;
      seed.events.push({ node: ev.node, records: ev.records, keys: ev.keys, hexKey: ev.hexKey, candidate: ev.candidate, uring: ev.uring, interesting: ev.interesting });
    }
  }
  return seed;
}

// ---------------------------------------------------------------------------------------------------------------
// The replayed log.

/** A benchmark key and the share of the log's events that carry it. */
export interface KeyShare {
  key: string;
  share: number;
}

/** What a replayed log is made of. */
export interface LogRecipe {
  name: string;
  /** Replay only the events audit-lens reports by default (deletions, renames, failed attempts): the live-watch load. */
  dense: boolean;
  sizeBytes: number;
  keys: KeyShare[];
  /** Also write a copy of the first quarter (the memory-growth check). */
  quarter: boolean;
}

export interface LogPart {
  file: string;
  bytes: number;
  events: number;
  /** Events per benchmark key. */
  keyEvents: Record<string, number>;
  /** Events audit-lens reports by default (the seed's interesting events, as replayed). */
  interesting: number;
}

export interface BenchLog {
  recipe: string;
  spec: LogRecipe;
  full: LogPart;
  quarter: LogPart | null;
  seedFiles: string[];
  seedEvents: number;
  seedCandidates: number;
}

/** Small deterministic PRNG (mulberry32): the same recipe gives the same bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes through one big buffer; mirrors the first bytes into a second file (the quarter-size log). */
class BufferedWriter {
  private readonly buf = Buffer.allocUnsafe(16 * MIB);
  private off = 0;
  written = 0;
  mirror: number | null = null;
  constructor(private readonly fd: number) {}

  ensure(n: number): void {
    if (this.off + n > this.buf.length) this.flush();
  }
  bytes(b: Buffer): void {
    this.off += b.copy(this.buf, this.off);
  }
  latin1(s: string): void {
    this.off += this.buf.write(s, this.off, 'latin1');
  }
  /** Bytes written so far, buffered ones included. */
  get position(): number {
    return this.written + this.off;
  }
  flush(): void {
    let done = 0;
    while (done < this.off) done += writeSync(this.fd, this.buf, done, this.off - done);
    if (this.mirror !== null) {
      done = 0;
      while (done < this.off) done += writeSync(this.mirror, this.buf, done, this.off - done);
    }
    this.written += this.off;
    this.off = 0;
  }
}

function recipeOf(seed: Seed, spec: LogRecipe): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ GENERATOR_VERSION, BG_KEYS, START_MS, FIRST_SERIAL, spec }));
  for (const f of seed.files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** The replay: seed events over and over, fresh serials and times, keys drawn per event by the recipe's shares. */
export function generate(seed: Seed, spec: LogRecipe, full: string, quarter: string | null): { full: LogPart; quarter: LogPart | null } {
  const rnd = prng(0x5eed);
  const events0 = spec.dense ? seed.events.filter((e) => e.interesting) : seed.events;
  if (events0.length === 0) throw new Error(`${spec.name}: the seed has no events to replay`);
  const candidates = events0.filter((e) => e.candidate).length;
  // A key's share is of all replayed events; only candidates can carry it, so their odds are scaled up.
  const odds = spec.keys.map((k) => Math.min(1, (k.share * events0.length) / Math.max(1, candidates)));
  const total = odds.reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-9) throw new Error(`${spec.name}: the keys' shares need more keyed deletions than the seed has (${candidates} of ${events0.length})`);
  const bgIndex = new Map<string, number>();
  const bgOf = (k: string): string => {
    let i = bgIndex.get(k);
    if (i === undefined) bgIndex.set(k, (i = bgIndex.size));
    return `bg_${i % BG_KEYS}`;
  };
  const hexOf = (keys: string[]): string => Buffer.from(keys.join('\x01'), 'latin1').toString('hex').toUpperCase();
  // Key tokens per seed event, precomputed: [background, then one per benchmark key].
  const tokens = events0.map((ev) => {
    if (ev.keys.length === 0) return null;
    const bg = ev.keys.map(bgOf);
    const hex = ev.hexKey || ev.keys.length > 1;
    return [bg, ...spec.keys.map((k) => [k.key, ...bg.slice(1)])].map((ks) => (hex ? hexOf(ks) : `"${ks[0]}"`));
  });
  const tmpFull = full + '.tmp';
  const fd = openSync(tmpFull, 'w');
  const qfd = quarter ? openSync(quarter + '.tmp', 'w') : null;
  const w = new BufferedWriter(fd);
  w.mirror = qfd;
  const serials = new Map<string, number>();
  let time = START_MS;
  let events = 0;
  let interesting = 0;
  const keyEvents: Record<string, number> = Object.fromEntries(spec.keys.map((k) => [k.key, 0]));
  let q: LogPart | null = null;
  const quarterBytes = Math.floor(spec.sizeBytes / 4);
  try {
    while (w.position < spec.sizeBytes) {
      for (let i = 0; i < events0.length && w.position < spec.sizeBytes; i++) {
        const ev = events0[i];
        const node = ev.node ?? '';
        const serial = serials.get(node) ?? FIRST_SERIAL;
        serials.set(node, serial + 1);
        const sec = Math.floor(time / 1000);
        const ms = time - sec * 1000;
        const header = `${sec}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}:${serial}`;
        let which = 0;
        if (ev.candidate) {
          let r = rnd();
          for (let k = 0; k < odds.length; k++) {
            if (r < odds[k]) {
              which = k + 1;
              break;
            }
            r -= odds[k];
          }
        }
        const tok = tokens[i];
        const key = tok === null ? '' : tok[which];
        let size = 0;
        for (const r of ev.records) size += r.pre.length + r.mid.length + (r.post?.length ?? 0) + header.length + key.length;
        w.ensure(size);
        for (const r of ev.records) {
          w.bytes(r.pre);
          w.latin1(header);
          w.bytes(r.mid);
          if (r.post) {
            w.latin1(key);
            w.bytes(r.post);
          }
        }
        events++;
        if (ev.interesting) interesting++;
        if (which > 0) keyEvents[spec.keys[which - 1].key]++;
        time++;
        if (qfd !== null && q === null && w.position >= quarterBytes) {
          w.flush();
          w.mirror = null;
          closeSync(qfd);
          q = { file: quarter!, bytes: w.written, events, keyEvents: { ...keyEvents }, interesting };
        }
      }
    }
    w.flush();
  } finally {
    closeSync(fd);
    if (qfd !== null && q === null) closeSync(qfd);
  }
  renameSync(tmpFull, full);
  if (quarter) renameSync(quarter + '.tmp', quarter);
  return { full: { file: full, bytes: w.written, events, keyEvents, interesting }, quarter: q };
}

/** Builds (or reuses from the cache) the replayed log a recipe describes. */
export async function benchLog(spec: LogRecipe, seeds: string[] = []): Promise<BenchLog> {
  const files = seeds.length > 0 ? seeds : defaultSeeds();
  const seed = await loadSeed(files);
  log(
    `${spec.name}: seed ${seed.events.length} events (${files.length} logs), ${seed.candidates} keyed deletions/renames that may carry a benchmark key; ` +
      `left out: ${seed.skippedLines} lines that are not records, ${seed.skippedDaemon} auditd DAEMON_* events`,
  );
  if (seed.events.length === 0) throw new Error('the seed logs hold no events');
  if (seed.candidates === 0) throw new Error('the seed logs hold no keyed deletion/rename events to carry the benchmark key');
  const recipe = recipeOf(seed, spec);
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const metaFile = path.join(dir, `bench-${recipe}.json`);
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BenchLog;
    if (existsSync(meta.full.file) && statSync(meta.full.file).size === meta.full.bytes && (!meta.quarter || existsSync(meta.quarter.file))) {
      log(`${spec.name}: reusing ${meta.full.file} (recipe ${recipe})`);
      return meta;
    }
  }
  const t0 = performance.now();
  const parts = generate(seed, spec, path.join(dir, `bench-${recipe}.log`), spec.quarter ? path.join(dir, `bench-${recipe}-quarter.log`) : null);
  const secs = (performance.now() - t0) / 1000;
  log(`${spec.name}: wrote ${parts.full.file}: ${(parts.full.bytes / MB).toFixed(0)} MB, ${parts.full.events} events in ${secs.toFixed(1)} s`);
  const meta: BenchLog = { recipe, spec, ...parts, seedFiles: files, seedEvents: seed.events.length, seedCandidates: seed.candidates };
  writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** Removes cached logs whose recipe is not among those in use (they are big). */
function pruneCache(keep: string[]): void {
  const dir = cacheDir();
  for (const n of existsSync(dir) ? readdirSync(dir) : []) {
    if (n.startsWith('bench-') && !keep.some((r) => n.startsWith(`bench-${r}`))) rmSync(path.join(dir, n), { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Builds: the CLI as shipped (minified), and unminified bundles with source maps for profiling.

type Esbuild = typeof import('esbuild');

/** Redirects the repo's src/ to another tree, so a scratch copy can be measured without touching src/. */
function srcPlugin(src: string): import('esbuild').Plugin {
  const repoSrc = path.join(repoRoot, 'src');
  return {
    name: 'bench-src',
    setup(b) {
      if (src === repoSrc) return;
      b.onResolve({ filter: /^\.\.?\// }, async (args) => {
        const abs = path.resolve(args.resolveDir, args.path);
        if (!abs.startsWith(repoSrc + path.sep)) return undefined;
        const r = await b.resolve('./' + path.relative(repoSrc, abs), { resolveDir: src, kind: args.kind });
        return { path: r.path, errors: r.errors };
      });
    },
  };
}

interface Builds {
  cli: string;
  passes: string;
  cliProf: string;
  passesProf: string;
}

async function build(o: Options): Promise<Builds> {
  const esbuild: Esbuild = await import('esbuild');
  const dir = path.join(cacheDir(), 'build');
  mkdirSync(dir, { recursive: true });
  const out: Builds = {
    cli: path.join(dir, 'cli.js'),
    passes: path.join(dir, 'passes.js'),
    cliProf: path.join(dir, 'cli-prof.js'),
    passesProf: path.join(dir, 'passes-prof.js'),
  };
  // The CLI as shipped: scripts/build.mjs, copied out of out/ so a rebuild by someone else mid-run changes nothing.
  // A scratch src/ cannot go through build.mjs; it gets build.mjs's production options here (minify, and keepNames
  // when build.mjs sets it: that costs an Object.defineProperty per named closure made), as do the passes.
  const repoSrc = path.join(repoRoot, 'src');
  const keepNames = /\bkeepNames:\s*true\b/.test(readFileSync(path.join(repoRoot, 'scripts', 'build.mjs'), 'utf8'));
  const common: import('esbuild').BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    keepNames,
    logLevel: 'warning',
    plugins: [srcPlugin(o.src)],
    external: ['esbuild'],
  };
  const cliEntry = path.join(o.src, 'cli', 'main.ts');
  const passEntry = path.join(repoRoot, 'scripts', 'bench.ts');
  if (o.src === repoSrc) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'cli'], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node scripts/build.mjs cli failed:\n${r.stdout}${r.stderr}`);
    copyFileSync(path.join(repoRoot, 'out', 'cli.js'), out.cli);
  } else {
    await esbuild.build({ ...common, entryPoints: [cliEntry], outfile: out.cli, minify: true });
  }
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [passEntry], outfile: out.passes, minify: true }),
    ...(o.profile
      ? [
          esbuild.build({ ...common, entryPoints: [cliEntry], outfile: out.cliProf, sourcemap: 'inline' }),
          esbuild.build({ ...common, entryPoints: [passEntry], outfile: out.passesProf, sourcemap: 'inline' }),
        ]
      : []),
  ]);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Running and measuring child processes.

interface RunResult {
  wall: number;
  /** Peak RSS in KiB, or null when it could not be measured. */
  rssKiB: number | null;
  lines: number;
  /** The first MiB of stdout, when asked for. */
  stdout: string;
  stderr: string;
  code: number;
}

let timeBin: string | null | undefined;

/** GNU time for peak RSS; installs Debian's `time` when missing (root), else falls back to polling /proc. */
function gnuTime(): string | null {
  if (timeBin !== undefined) return timeBin;
  if (!existsSync('/usr/bin/time') && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    log('installing GNU time (apt-get install time) to measure peak RSS');
    spawnSync('apt-get', ['install', '-y', '-qq', 'time'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  if (timeBin === null) log('no /usr/bin/time: peak RSS comes from polling /proc/PID/status (VmHWM)');
  return timeBin;
}

function run(cmd: string, args: string[], opts: { keepStdout?: boolean } = {}): Promise<RunResult> {
  const time = gnuTime();
  const rssFile = path.join(cacheDir(), `rss-${process.pid}.txt`);
  const argv = time ? ['-f', '%M', '-o', rssFile, cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(time ?? cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let lines = 0;
    const kept: Buffer[] = [];
    let keptLen = 0;
    let stderr = '';
    let polled = 0;
    const poll = time
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) polled = Math.max(polled, Number(m[1]));
          } catch {
            // exited between polls
          }
        }, 20);
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
      if (opts.keepStdout && keptLen < MIB) {
        kept.push(b);
        keptLen += b.length;
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += b.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      let rssKiB: number | null = polled || null;
      let err = stderr;
      if (time) {
        try {
          const t = readFileSync(rssFile, 'utf8').trim().split('\n');
          rssKiB = Number(t[t.length - 1]) || null;
          // GNU time adds "Command exited with non-zero status N" above the figures.
          err += t.slice(0, -1).join('\n');
          rmSync(rssFile, { force: true });
        } catch {
          rssKiB = null;
        }
      }
      resolve({ wall, rssKiB, lines, stdout: Buffer.concat(kept).toString('utf8'), stderr: err, code: code ?? -1 });
    });
  });
}

interface Measured {
  best: RunResult;
  /** Peak RSS, the median over the runs (a single run's peak depends on when V8 happened to collect). */
  rssKiB: number | null;
  walls: number[];
}

async function bestOf(n: number, label: string, cmd: string, args: string[], opts: { keepStdout?: boolean; okCodes?: number[] } = {}): Promise<Measured> {
  const results: RunResult[] = [];
  for (let i = 0; i < n; i++) {
    const r = await run(cmd, args, opts);
    if (!(opts.okCodes ?? [0]).includes(r.code)) throw new Error(`${label}: ${cmd} exited with ${r.code}\n${r.stderr.slice(-2000)}`);
    if (results.length > 0 && r.lines !== results[0].lines) throw new Error(`${label}: output changed between runs (${results[0].lines} vs ${r.lines} lines)`);
    log(`  ${label} run ${i + 1}/${n}: ${r.wall.toFixed(2)} s, ${r.lines} lines, peak RSS ${fmtRss(r.rssKiB)}`);
    results.push(r);
  }
  const best = results.reduce((a, b) => (b.wall < a.wall ? b : a));
  const rss = results.map((r) => r.rssKiB).filter((x): x is number => x !== null);
  rss.sort((a, b) => a - b);
  return { best, rssKiB: rss.length ? rss[(rss.length - 1) >> 1] : null, walls: results.map((r) => r.wall) };
}

function fmtRss(kib: number | null): string {
  return kib === null ? '?' : `${(kib / 1024).toFixed(0)} MiB`;
}

// ---------------------------------------------------------------------------------------------------------------
// In-process passes over the log (run as `bench.ts --pass STAGE FILE` in a child, for a clean heap and its RSS).

const STAGES = ['split', 'parse', 'assemble', 'analyze'] as const;
type Stage = (typeof STAGES)[number];

interface PassResult {
  stage: Stage;
  bytes: number;
  seconds: number;
  lines: number;
  records: number;
  events: number;
  lostEvents: number;
  diagnostics: number;
}

/**
 * The same read path as analyzeInputs (readLines handing over byte ranges of each read buffer), cut at each stage:
 * split: LineSplitter only. parse: + parseRecordBytes. assemble: + EventAssembler (whole-log event assembly, the
 * 150 MB/s target). analyze: the full Analyzer with --all semantics (interpretation, path index), no output.
 */
async function pass(stage: Stage, file: string): Promise<PassResult> {
  let lines = 0;
  let records = 0;
  let events = 0;
  let diagnostics = 0;
  let lostEvents = 0;
  const onDiag = (d: { kind: string; count?: number }): void => {
    diagnostics++;
    if (d.kind === 'lost-events') lostEvents += d.count ?? 1;
  };
  type OnBytes = (buf: Buffer, start: number, end: number, line: number, offset: number, truncated: boolean) => void;
  let onBytes: OnBytes;
  let finish = (): void => {};
  if (stage === 'split') {
    onBytes = () => {
      lines++;
    };
  } else if (stage === 'parse') {
    onBytes = (buf, start, end, line, offset, truncated) => {
      lines++;
      if (parseRecordBytes(buf, start, end, file, line, offset, truncated)) records++;
    };
  } else if (stage === 'assemble') {
    const asm = new EventAssembler(() => void events++, onDiag);
    onBytes = (buf, start, end, line, offset, truncated) => {
      lines++;
      const r = parseRecordBytes(buf, start, end, file, line, offset, truncated);
      if (r) {
        records++;
        asm.push(r);
      }
    };
    finish = () => asm.flush();
  } else {
    const an = new Analyzer(
      (item) => {
        if (item.kind === 'event') events++;
        else if (item.kind === 'diagnostic') onDiag(item.diagnostic);
      },
      { settle: true, filter: { all: true } },
    );
    onBytes = (buf, start, end, line, offset, truncated) => {
      lines++;
      an.pushBytes(buf, start, end, file, line, offset, truncated);
    };
    finish = () => {
      an.endFile();
      an.finish();
      records = an.records;
    };
  }
  const t0 = performance.now();
  const bytes = await readLines(file, () => {}, onDiag, { onBytes });
  finish();
  return { stage, bytes, seconds: (performance.now() - t0) / 1000, lines, records, events, lostEvents, diagnostics };
}

async function measurePass(bundle: string, stage: Stage, file: string, runs: number): Promise<{ r: PassResult; rssKiB: number | null }> {
  let best: PassResult | null = null;
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const res = await run(process.execPath, [bundle, '--pass', stage, file], { keepStdout: true });
    if (res.code !== 0) throw new Error(`pass ${stage} exited with ${res.code}\n${res.stderr.slice(-2000)}`);
    const r = JSON.parse(res.stdout) as PassResult;
    log(`  ${stage} run ${i + 1}/${runs}: ${r.seconds.toFixed(2)} s, ${(r.bytes / MB / r.seconds).toFixed(0)} MB/s, peak RSS ${fmtRss(res.rssKiB)}`);
    if (best === null || r.seconds < best.seconds) best = r;
    if (res.rssKiB !== null) rss.push(res.rssKiB);
  }
  rss.sort((a, b) => a - b);
  return { r: best!, rssKiB: rss.length ? rss[(rss.length - 1) >> 1] : null };
}

// ---------------------------------------------------------------------------------------------------------------
// CPU profiles: self time per function and per source line, mapped back to src/ through the bundle's source map.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function loadSourceMap(bundle: string): { map: SourceMap; lines: string[] } {
  const text = readFileSync(bundle, 'utf8');
  const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(text);
  if (!m) throw new Error(`${bundle} has no inline source map`);
  return { map: new SourceMap(JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'))), lines: text.split('\n') };
}

/** Summarises a .cpuprofile: the hottest functions (self and total time) and the hottest source lines. */
export function summariseProfile(file: string, bundle: string, top = 15): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { map, lines } = loadSourceMap(bundle);
  const bundleUrl = 'file://' + bundle;
  const where = (line0: number, col0: number): string | null => {
    const e = map.findEntry(line0, col0) as { originalSource?: string; originalLine?: number };
    if (!e.originalSource) return null;
    const src = e.originalSource.replace(/^file:\/\//, '');
    const abs = path.isAbsolute(src) ? src : path.resolve(path.dirname(bundle), src);
    return `${path.relative(repoRoot, abs)}:${(e.originalLine ?? 0) + 1}`;
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const interval = (prof.endTime - prof.startTime) / Math.max(1, prof.samples.length) / 1000; // ms per sample
  const total = prof.samples.length;
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode): string => {
    const f = n.callFrame;
    if (f.url !== bundleUrl) return `${f.functionName || '(anonymous)'}${f.url ? ' ' + path.basename(f.url) : ''}`;
    return `${f.functionName || '(anonymous)'} ${where(f.lineNumber, f.columnNumber) ?? 'bundle:' + (f.lineNumber + 1)}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const lineTicks = new Map<string, number>();
  const nativeCallers = new Map<string, number>();
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const l = label(n);
    self.set(l, (self.get(l) ?? 0) + hits);
    // Inclusive: count once per distinct label up the stack.
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const pl = label(byId.get(id)!);
      if (seen.has(pl)) continue;
      seen.add(pl);
      inclusive.set(pl, (inclusive.get(pl) ?? 0) + hits);
    }
    if (n.callFrame.url === bundleUrl) {
      for (const pt of n.positionTicks ?? []) {
        const text = lines[pt.line - 1] ?? '';
        const w = where(pt.line - 1, text.length - text.trimStart().length) ?? `bundle:${pt.line}`;
        lineTicks.set(w, (lineTicks.get(w) ?? 0) + pt.ticks);
      }
    } else {
      // Time in builtins and Node internals belongs to the nearest function of ours up the stack: charge it there.
      let p = parent.get(n.id);
      while (p !== undefined && byId.get(p)!.callFrame.url !== bundleUrl) p = parent.get(p);
      if (p !== undefined) {
        const k = `${n.callFrame.functionName || '(native)'} ← ${label(byId.get(p)!)}`;
        nativeCallers.set(k, (nativeCallers.get(k) ?? 0) + hits);
      }
    }
  }
  const pct = (t: number): string => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
  const ms = (t: number): string => `${((t * interval) / 1000).toFixed(2).padStart(6)} s`;
  const section = (title: string, m: Map<string, number>, extra?: Map<string, number>): string =>
    `  ${title}\n` +
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `    ${pct(t)} ${ms(t)}${extra ? `  (total ${pct(extra.get(k) ?? 0).trim()})` : ''}  ${k}`)
      .join('\n');
  return [
    `  ${total} samples, ${((prof.endTime - prof.startTime) / 1e6).toFixed(1)} s`,
    section('self time by function', self, inclusive),
    section('self time by source line (JS only)', lineTicks),
    section('builtins and Node internals, by the nearest calling function of ours', nativeCallers),
  ].join('\n');
}

/** Profiles the whole-log and key-filtered runs. */
async function profile(b: Builds, mixed: string): Promise<string> {
  const dir = path.join(cacheDir(), 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const jobs: [string, string, string[]][] = [
    ['whole log: audit-lens events --format jsonl', b.cliProf, ['events', '--format', 'jsonl', '--jobs', '1', mixed]],
    ['key-filtered: audit-lens events --key bench_12 --format jsonl', b.cliProf, ['events', '--key', 'bench_12', '--format', 'jsonl', '--jobs', '1', mixed]],
  ];
  for (const [title, bundle, args] of jobs) {
    const sub = path.join(dir, String(out.length));
    mkdirSync(sub);
    log(`profiling ${title}`);
    const r = await run(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', sub, bundle, ...args]);
    if (r.code !== 0) throw new Error(`profile of ${title} failed (${r.code}): ${r.stderr.slice(-1000)}`);
    const prof = readdirSync(sub).find((n) => n.endsWith('.cpuprofile'));
    if (!prof) throw new Error(`no .cpuprofile written for ${title}`);
    out.push(`\n${title}\n  (${path.join(sub, prof)}; open in Chrome DevTools → Performance)\n${summariseProfile(path.join(sub, prof), bundle)}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** One workload: the reference tool and audit-lens (one core, two cores) on the same file. */
interface Workload {
  name: string;
  log: LogPart;
  /** The reference tool, how its output is counted, and the count it must give. */
  reference: { cmd: string; args: string[]; count: (r: RunResult) => number; expect: number } | null;
  /** audit-lens arguments without the file and --jobs. */
  args: string[];
  /** How audit-lens output is counted (lines by default). */
  count?: (r: RunResult) => number;
  expect: number;
  target: number;
}

async function main(): Promise<number> {
  const started = performance.now();
  const o = parseArgs(process.argv.slice(2));
  const size = Math.round(o.sizeMiB * MIB);
  const mixedSpec: LogRecipe = { name: 'mixed', dense: false, sizeBytes: size, keys: [{ key: 'bench_5', share: 0.05 }, { key: 'bench_12', share: 0.12 }], quarter: true };
  const denseSpec: LogRecipe = { name: 'dense', dense: true, sizeBytes: Math.round(size / 2), keys: [{ key: 'bench_50', share: 0.5 }], quarter: false };
  const [mixed, dense, builds] = await Promise.all([benchLog(mixedSpec, o.seeds), benchLog(denseSpec, o.seeds), build(o)]);
  pruneCache([mixed.recipe, dense.recipe]);
  if (o.src !== path.join(repoRoot, 'src')) log(`measuring audit-lens built from ${o.src}`);
  const node = process.execPath;
  const failures: string[] = [];
  const csvRows = (r: RunResult): number => Math.max(0, r.lines - 1);
  const readOf = (r: RunResult): number => Number(/ of (\d+) read/.exec(r.stdout)?.[1] ?? NaN);
  const aureportEvents = (r: RunResult): number => Number(/Number of events: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  // ausearch prints every event it matches (all of them without -k); audit-lens only deletions, renames and failures.
  const ausearch = (l: LogPart, key?: string): Workload['reference'] => ({
    cmd: 'ausearch',
    args: ['-if', l.file, ...(key ? ['-k', key] : []), '--format', 'csv'],
    count: csvRows,
    expect: key ? l.keyEvents[key] : l.events,
  });
  const workloads: Workload[] = [
    { name: 'whole mixed log: events', log: mixed.full, reference: ausearch(mixed.full), args: ['events', '--format', 'jsonl'], expect: mixed.full.interesting, target: TARGET_WHOLE_RATIO },
    // The same analysis in ausearch's own output format (one line per object instead of a JSON document per event).
    {
      name: 'whole mixed log: events (csv)',
      log: mixed.full,
      reference: ausearch(mixed.full),
      args: ['events', '--format', 'csv'],
      count: (r) => r.lines - 1,
      expect: NaN,
      target: TARGET_WHOLE_RATIO,
    },
    { name: 'whole dense log: events', log: dense.full, reference: ausearch(dense.full), args: ['events', '--format', 'jsonl'], expect: dense.full.interesting, target: TARGET_WHOLE_RATIO },
    { name: 'key on 5 % (mixed)', log: mixed.full, reference: ausearch(mixed.full, 'bench_5'), args: ['events', '--key', 'bench_5', '--format', 'jsonl'], expect: mixed.full.keyEvents.bench_5, target: TARGET_KEY_RATIO },
    { name: 'key on 12 % (mixed)', log: mixed.full, reference: ausearch(mixed.full, 'bench_12'), args: ['events', '--key', 'bench_12', '--format', 'jsonl'], expect: mixed.full.keyEvents.bench_12, target: TARGET_KEY_RATIO },
    { name: 'key on 50 % (dense)', log: dense.full, reference: ausearch(dense.full, 'bench_50'), args: ['events', '--key', 'bench_50', '--format', 'jsonl'], expect: dense.full.keyEvents.bench_50, target: TARGET_KEY_RATIO },
    {
      name: 'summary (mixed)',
      log: mixed.full,
      reference: { cmd: 'aureport', args: ['-if', mixed.full.file, '--summary'], count: aureportEvents, expect: mixed.full.events },
      args: ['summary'],
      count: readOf,
      expect: mixed.full.events,
      target: TARGET_SUMMARY_RATIO,
    },
  ];
  const rows: string[][] = [['workload', 'tool', 'wall s', 'MB/s', 'ratio', 'peak RSS', 'count']];
  const verdicts: string[] = [];
  for (const w of workloads) {
    const mb = w.log.bytes / MB;
    log(w.name);
    let ref: Measured | null = null;
    if (o.reference && w.reference) {
      ref = await bestOf(o.runs, `${w.reference.cmd} (${w.name})`, w.reference.cmd, w.reference.args, { okCodes: [0, 1], keepStdout: true });
      const n = w.reference.count(ref.best);
      if (n !== w.reference.expect) failures.push(`${w.name}: ${w.reference.cmd} counts ${n}, the log holds ${w.reference.expect}`);
      rows.push([w.name, `${w.reference.cmd}`, ref.best.wall.toFixed(2), (mb / ref.best.wall).toFixed(0), '1.00x', fmtRss(ref.rssKiB), String(n)]);
    }
    let best1 = Infinity;
    for (const jobs of [1, 2]) {
      const m = await bestOf(o.runs, `audit-lens --jobs ${jobs} (${w.name})`, node, [builds.cli, ...w.args, '--jobs', String(jobs), w.log.file], { keepStdout: true });
      const n = (w.count ?? ((r: RunResult) => r.lines))(m.best);
      if (!Number.isNaN(w.expect) && n !== w.expect) failures.push(`${w.name}: audit-lens --jobs ${jobs} counts ${n}, the log holds ${w.expect}`);
      const ratio = ref ? ref.best.wall / m.best.wall : null;
      rows.push([w.name, `audit-lens --jobs ${jobs}`, m.best.wall.toFixed(2), (mb / m.best.wall).toFixed(0), ratio === null ? '-' : `${ratio.toFixed(2)}x`, fmtRss(m.rssKiB), String(n)]);
      if (jobs === 1) best1 = m.best.wall;
      if (ratio !== null) verdicts.push(`  ${w.name}, ${jobs} core${jobs > 1 ? 's' : ''}: ${ratio.toFixed(2)}x (target ${w.target}x) ${ratio >= w.target ? 'met' : 'NOT met'}`);
      if (jobs === 2) verdicts.push(`    second core: ${(best1 / m.best.wall).toFixed(2)}x of one core`);
      if (ref && m.rssKiB !== null && ref.rssKiB !== null && m.rssKiB > ref.rssKiB) verdicts.push(`    peak RSS ${fmtRss(m.rssKiB)} above ${w.reference!.cmd}'s ${fmtRss(ref.rssKiB)}`);
    }
  }

  // The core's own passes, one core, no output.
  log('in-process passes');
  const passRows: string[][] = [['core pass (mixed log, 1 run)', 'wall s', 'MB/s', 'peak RSS', 'count']];
  const passLabel: Record<Stage, string> = {
    split: 'readLines + LineSplitter',
    parse: '+ parseRecordBytes',
    assemble: '+ EventAssembler',
    analyze: 'Analyzer --all (every event interpreted)',
  };
  let asmMBps = 0;
  for (const stage of STAGES) {
    const p = await measurePass(builds.passes, stage, mixed.full.file, 1);
    if (stage === 'assemble') {
      asmMBps = p.r.bytes / MB / p.r.seconds;
      if (p.r.lostEvents > 0) failures.push(`the replayed log has serial gaps: ${p.r.lostEvents} lost events reported`);
      if (p.r.events !== mixed.full.events) failures.push(`EventAssembler built ${p.r.events} events, the log holds ${mixed.full.events}`);
    }
    passRows.push([passLabel[stage], p.r.seconds.toFixed(2), (p.r.bytes / MB / p.r.seconds).toFixed(0), fmtRss(p.rssKiB), stage === 'split' ? `${p.r.lines} lines` : stage === 'parse' ? `${p.r.records} records` : `${p.r.events} events`]);
  }

  // Memory as the log grows: the quarter-size copy, then the full log with V8's old space capped.
  log('memory growth');
  const q = mixed.quarter!;
  const memRows: string[][] = [['memory (mixed log)', 'quarter', 'full', 'growth', `full, old space capped at ${CAPPED_OLD_SPACE_MIB} MiB`]];
  let flat = true;
  for (const args of [['events', '--format', 'jsonl'], ['events', '--key', 'bench_12', '--format', 'jsonl'], ['summary']]) {
    const a = await bestOf(o.runs, `${args.join(' ')} (1/4 log)`, node, [builds.cli, ...args, '--jobs', '1', q.file]);
    const f = await bestOf(1, `${args.join(' ')} (full log)`, node, [builds.cli, ...args, '--jobs', '1', mixed.full.file]);
    const capped = await run(node, [`--max-old-space-size=${CAPPED_OLD_SPACE_MIB}`, builds.cli, ...args, '--jobs', '1', mixed.full.file]);
    const g = a.rssKiB !== null && f.rssKiB !== null ? f.rssKiB / a.rssKiB : null;
    if (g === null || g > FLAT_RSS_FACTOR || capped.code !== 0) flat = false;
    memRows.push([args.join(' '), fmtRss(a.rssKiB), fmtRss(f.rssKiB), g === null ? '?' : `${g.toFixed(2)}x`, capped.code === 0 ? `ok, ${fmtRss(capped.rssKiB)}` : `FAILED (exit ${capped.code})`]);
  }

  const describe = (b: BenchLog): string =>
    `${b.spec.name}: ${(b.full.bytes / MIB).toFixed(0)} MiB, ${b.full.events} events, ${b.full.interesting} deletions/renames/failed attempts (${((100 * b.full.interesting) / b.full.events).toFixed(0)} %)` +
    Object.entries(b.full.keyEvents).map(([k, n]) => `, ${k} on ${n} (${((100 * n) / b.full.events).toFixed(1)} %)`).join('');
  const out = [
    '',
    `Audit Lens benchmark, replayed from ${mixed.seedEvents} real events in ${mixed.seedFiles.length} recorded logs; best of ${o.runs}; MB = 10^6 bytes`,
    `  ${describe(mixed)}`,
    `  ${describe(dense)}`,
    `node ${process.version}, ${spawnSync('sh', ['-c', 'nproc'], { encoding: 'utf8' }).stdout.trim()} CPUs, load at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    '',
    table(rows),
    '',
    table(passRows),
    '',
    table(memRows),
    '',
    'Targets (reported, not enforced):',
    ...verdicts,
    `  whole-log assembly >= ${TARGET_ASSEMBLY_MBPS} MB/s on one core: ${asmMBps.toFixed(0)} MB/s, ${asmMBps >= TARGET_ASSEMBLY_MBPS ? 'met' : 'NOT met'}`,
    `  memory flat as the log grows 4x (<= ${FLAT_RSS_FACTOR}x) and within a ${CAPPED_OLD_SPACE_MIB} MiB old space: ${flat ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
  if (o.profile) {
    log('profiling (unminified bundles with source maps)');
    process.stdout.write('\nCPU profiles (self time; "total" includes callees):\n' + (await profile(builds, mixed.full.file)) + '\n');
  }
  if (failures.length > 0) process.stdout.write('\nFAILED: counts disagree\n' + failures.map((f) => `  ${f}\n`).join(''));
  process.stdout.write(`\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return failures.length > 0 ? 1 : 0;
}
async function passMain(stage: string, file: string): Promise<void> {
  if (!(STAGES as readonly string[]).includes(stage)) throw new Error(`unknown stage ${stage}`);
  process.stdout.write(JSON.stringify(await pass(stage as Stage, file)) + '\n');
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const job = argv[0] === '--pass' ? passMain(argv[1], argv[2]).then(() => 0) : main();
  job.then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}

