/**
 * code-server for `npm start` and the end-to-end tests: install it (once, into a cache outside the repo),
 * package and install the extension, start and stop a server. Offline apart from the npm registry.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';

/** The newest code-server that runs on Node 20 (VS Code 1.100.3, matching engines.vscode). */
export const CODE_SERVER_VERSION = '4.100.3';
/** The @vscode/ripgrep version code-server's install pulls in, and the ripgrep release that one downloads. */
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';

export const repoRoot = path.resolve(__dirname, '..');

type Log = (msg: string) => void;

/** `${XDG_CACHE_HOME:-$HOME/.cache}/audit-lens`: code-server, the demo workspace and start's profile live here. */
export function cacheRoot(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'audit-lens');
}

/** Where this code-server version is (or will be) installed. */
export function codeServerDir(): string {
  return path.join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
}

/** The code-server launcher inside the install. */
export function codeServerBin(dir = codeServerDir()): string {
  return path.join(dir, 'node_modules', '.bin', 'code-server');
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  return r.stdout;
}

/**
 * code-server's install fetches ripgrep from GitHub through @vscode/ripgrep; that package first looks in its
 * download cache, so a tarball of Debian's `rg` there keeps the install offline.
 */
function seedRipgrepCache(log: Log): void {
  const triple = process.arch === 'arm64' ? 'aarch64-unknown-linux-musl' : process.arch === 'x64' ? 'x86_64-unknown-linux-musl' : undefined;
  if (!triple) return;
  const dir = path.join(tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  const tarball = path.join(dir, `ripgrep-${RIPGREP_RELEASE}-${triple}.tar.gz`);
  if (existsSync(tarball)) return;
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg) throw new Error('ripgrep (rg) is missing: install it (`apt-get install ripgrep`, or run scripts/setup.sh) so code-server installs offline');
  const staging = mkdtempSync(path.join(tmpdir(), 'audit-lens-rg-'));
  try {
    writeFileSync(path.join(staging, 'rg'), readFileSync(rg), { mode: 0o755 });
    mkdirSync(dir, { recursive: true });
    run('tar', ['-C', staging, '-czf', tarball, 'rg']);
    log(`seeded ${tarball} with ${rg}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Runs `code-server --version`; returns the first line or undefined when it does not start. */
function probe(bin: string): string | undefined {
  if (!existsSync(bin)) return undefined;
  const cfg = mkdtempSync(path.join(tmpdir(), 'audit-lens-cs-cfg-'));
  try {
    // --config keeps code-server from writing ~/.config/code-server/config.yaml.
    const r = spawnSync(bin, ['--config', path.join(cfg, 'config.yaml'), '--version'], { encoding: 'utf8', timeout: 60_000 });
    return r.status === 0 ? r.stdout.split('\n').find((l) => l.startsWith(CODE_SERVER_VERSION)) : undefined;
  } finally {
    rmSync(cfg, { recursive: true, force: true });
  }
}

/**
 * Installs code-server into the cache when it is not there yet and returns its launcher. Installs into a
 * temporary sibling and renames it into place, so an interrupted install is never mistaken for a good one
 * and two concurrent runs (npm start and npm test) do not trample each other.
 */
export function ensureCodeServer(log: Log = console.log): string {
  const dir = codeServerDir();
  const bin = codeServerBin(dir);
  if (probe(bin)) return bin;
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20 (this is ${process.version})`);
  seedRipgrepCache(log);
  mkdirSync(path.dirname(dir), { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, 'package.json'), JSON.stringify({ name: 'audit-lens-code-server', private: true }, null, 2));
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (npm registry; compiles native modules, ~2 minutes)…`);
  const started = Date.now();
  try {
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: partial,
      // code-server's postinstall refuses to run as root without unsafe_perm; `yes` lets node-pty's build run npx node-gyp.
      env: { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
    });
    if (!probe(codeServerBin(partial))) throw new Error('code-server was installed but does not start (see the npm output above)');
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (probe(bin)) return bin; // another process won the race
    throw err;
  }
  log(`code-server installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

/** Builds the VSIX with `npm run package` and returns its path. */
export function buildVsix(log: Log = console.log): string {
  const started = Date.now();
  run(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'package'], { cwd: repoRoot });
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  const vsix = path.join(repoRoot, `${pkg.name}-${pkg.version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} was not produced`);
  log(`packaged ${path.basename(vsix)} in ${Date.now() - started} ms`);
  return vsix;
}

/** The extension id as VS Code knows it (`publisher.name`). */
export function extensionId(): string {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return `${pkg.publisher}.${pkg.name}`;
}

/** Installs a VSIX into an extensions directory, offline, as users do (`--install-extension`). */
export function installVsix(bin: string, extensionsDir: string, vsix: string, configFile: string): void {
  mkdirSync(extensionsDir, { recursive: true });
  run(bin, ['--config', configFile, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force']);
}

/** Settings that keep the workbench quiet: no welcome page, tips, telemetry, update checks or AI prompts. */
export const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'terminal.integrated.enablePersistentSessions': false,
};

/** Writes a code-server profile: User/settings.json, and Machine/settings.json for machine-scoped settings. */
export function writeProfile(userDataDir: string, user: Record<string, unknown>, machine: Record<string, unknown> = {}): void {
  for (const [dir, settings] of [
    ['User', user],
    ['Machine', machine],
  ] as const) {
    mkdirSync(path.join(userDataDir, dir), { recursive: true });
    writeFileSync(path.join(userDataDir, dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  }
}

/** A free TCP port on the address: `port` if it is free (else rejects), or one the kernel picks (port 0). */
export function freePort(host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(port, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerOptions {
  bin: string;
  host: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  /** The folder to open. */
  folder: string;
  /** Where code-server's own output goes (appended); undefined to inherit the terminal. */
  logFile?: string;
  /** Require this password (`--auth password`); without it there is no authentication, for loopback only. */
  password?: string;
  /** Listen on this Unix socket (`--socket`, created 0600) instead of host:port. */
  socket?: string;
  /** Run as this user (the e2e tests of Watch Deletions type a real sudo password as an unprivileged user). */
  runAs?: { uid: number; gid: number; home: string };
  /** Extra environment for the server and its extension host. */
  env?: Record<string, string>;
}

/** Whether an HTTP server answers /healthz on a Unix socket (fetch cannot use one). */
function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ socketPath: socket, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  /** Stops the server and everything it started (extension host, pty host, watchers). */
  stop(): Promise<void>;
}

/** Starts code-server (with a password, on a 0600 Unix socket, or unauthenticated on loopback) and waits until it answers /healthz. */
export async function startCodeServer(o: ServerOptions): Promise<RunningServer> {
  const configFile = path.join(o.userDataDir, 'code-server.yaml');
  mkdirSync(o.userDataDir, { recursive: true });
  const auth = o.password ? 'password' : 'none';
  // Our own config file, so code-server does not write ~/.config/code-server/config.yaml with a password.
  writeFileSync(configFile, `bind-addr: ${o.host}:${o.port}\nauth: ${auth}\ncert: false\n`, { mode: 0o600 });
  if (o.runAs) chownSync(configFile, o.runAs.uid, o.runAs.gid);
  const args = [
    '--config', configFile,
    ...(o.socket ? ['--socket', o.socket, '--socket-mode', '600'] : ['--bind-addr', `${o.host}:${o.port}`]),
    '--auth', auth,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', o.userDataDir,
    '--extensions-dir', o.extensionsDir,
    o.folder,
  ];
  const out = o.logFile ? openSync(o.logFile, 'a') : 'inherit';
  // detached: the server gets its own process group, so stop() can end its children with one signal.
  // The password goes through the environment (code-server reads PASSWORD), never the command line.
  const env: NodeJS.ProcessEnv = { ...process.env, VSCODE_PROXY_URI: '', ...o.env };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  if (o.password) env.PASSWORD = o.password;
  if (o.runAs) {
    // Nothing of root's environment that names root's files: the user's own home, a private runtime dir.
    env.HOME = o.runAs.home;
    delete env.XDG_RUNTIME_DIR;
    delete env.XDG_CACHE_HOME;
    delete env.XDG_CONFIG_HOME;
    delete env.XDG_DATA_HOME;
  }
  const child = spawn(o.bin, args, { stdio: ['ignore', out, out], detached: true, env, cwd: o.runAs ? o.runAs.home : undefined, uid: o.runAs?.uid, gid: o.runAs?.gid });
  const url = o.socket ? 'http://localhost/' : `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}/`;
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const stop = async (): Promise<void> => {
    if (exited !== undefined || child.pid === undefined) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`code-server exited with ${exited} before listening${o.logFile ? ` (see ${o.logFile})` : ''}`);
    try {
      if (o.socket ? await socketAnswers(o.socket) : (await fetch(`${url}healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, process: child, stop };
}
