/**
 * `npm start`: Audit Lens in code-server on a demo workspace, as users install it (the freshly built VSIX).
 *
 *   npm start [-- --host ADDR] [-- --port N]
 *
 * code-server is installed once into ~/.cache/audit-lens (see scripts/code-server.ts); the profile and the demo
 * workspace live there too, so settings and layout survive restarts. Ctrl+C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
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
  console.log('usage: npm start [-- --host ADDR] [-- --port N]\n  --host  address to listen on (default 127.0.0.1)\n  --port  port (default 8080, or a free one)');
  process.exit(0);
}

/** True for 127.0.0.0/8, ::1 and localhost: the only addresses where running without a password is acceptable. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
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
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) usage();
  const host = values.host!;
  let port: number;
  if (values.port !== undefined) {
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

  // Without authentication code-server is a root shell for whoever reaches the port: only on loopback.
  const password = isLoopback(host) ? undefined : randomBytes(12).toString('base64url');
  const logFile = path.join(base, 'code-server.log');
  const server = await startCodeServer({ bin, host, port, userDataDir, extensionsDir, folder: workspace, logFile, password });
  console.log(`\nAudit Lens is running in code-server: ${server.url}`);
  if (password) console.log(`password: ${password}  (listening on ${host}, so a password is required)`);
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
