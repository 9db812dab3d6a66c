/**
 * `npm start`: Audit Lens in code-server on a demo workspace, as users install it (the freshly built VSIX).
 *
 *   npm start [-- --host ADDR] [-- --port N] [-- --socket PATH]
 *
 * code-server always asks for a generated password (printed here): even on loopback, any local user who reaches the
 * port would otherwise get the server's shell, and with Watch Deletions its root helper. `--socket PATH` listens on a
 * Unix socket created 0600 instead (only this user can connect; put a proxy in front for a browser).
 *
 * code-server is installed once into ~/.cache/audit-lens (see scripts/code-server.ts); the profile and the demo
 * workspace live there too, so settings and layout survive restarts. Ctrl+C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildVsix,
  cacheRoot,
  ensureCodeServer,
  freePort,
  installVsix,
  quietSettings,
  startCodeServer,
} from './code-server';
import { demoWorkspace, ensureDemoWorkspace } from './demo';

function usage(): never {
  console.log(
    'usage: npm start [-- --host ADDR] [-- --port N] [-- --socket PATH]\n  --host    address to listen on (default 127.0.0.1)\n  --port    port (default 8080, or a free one)\n  --socket  listen on a Unix socket (mode 0600) instead of a port',
  );
  process.exit(0);
}

/** Adds our quiet defaults to the profile's settings without overwriting what the user changed. */
function ensureSettings(userDataDir: string): void {
  const file = path.join(userDataDir, 'User', 'settings.json');
  mkdirSync(path.dirname(file), { recursive: true });
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // missing, or edited into something that is not plain JSON: keep ours
  }
  // The profile is this demo's own, and it only opens the demo workspace we created: no trust prompt for it.
  const defaults = { ...quietSettings, 'security.workspace.trust.enabled': false };
  writeFileSync(file, `${JSON.stringify({ ...defaults, ...current }, null, 2)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' }, socket: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) usage();
  const host = values.host!;
  const socket = values.socket ? path.resolve(values.socket) : undefined;
  let port = 0;
  if (socket) {
    // listening on the socket only
  } else if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
    await freePort(host, port).catch(() => {
      throw new Error(`--port ${port}: ${host}:${port} is in use`);
    });
  } else {
    port = await freePort(host, 8080).catch(() => freePort(host));
  }

  const bin = ensureCodeServer((m) => console.log(m));
  const vsix = buildVsix((m) => console.log(m));
  const base = path.join(cacheRoot(), 'start');
  const userDataDir = path.join(base, 'user-data');
  const extensionsDir = path.join(base, 'extensions');
  const workspace = demoWorkspace();
  mkdirSync(base, { recursive: true });
  installVsix(bin, extensionsDir, vsix, path.join(base, 'install.yaml'));
  ensureSettings(userDataDir);
  ensureDemoWorkspace();

  // code-server runs a shell (and, with Watch Deletions, a root helper) for whoever gets in: never without a
  // password on a port, even on loopback (other local users reach it too). A 0600 socket admits this user only.
  const password = socket ? undefined : randomBytes(12).toString('base64url');
  const logFile = path.join(base, 'code-server.log');
  const server = await startCodeServer({ bin, host, port, socket, userDataDir, extensionsDir, folder: workspace, logFile, password });
  console.log(`\nAudit Lens is running in code-server: ${socket ? `Unix socket ${socket} (mode 0600)` : server.url}`);
  if (password) console.log(`password: ${password}  (generated for this run; code-server asks for it)`);
  console.log(`workspace: ${workspace}\ncode-server log: ${logFile}\nCtrl+C to stop.`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping code-server…');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  server.process.on('exit', (code) => {
    if (stopping) return;
    console.error(`code-server exited with ${code} (see ${logFile})`);
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
