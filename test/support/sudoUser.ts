/**
 * An unprivileged user with a password and a sudoers entry, for the tests that must type a real sudo password.
 * Idempotent: the user is created once and kept (other runs reuse it); each call sets a fresh random password.
 * Needs root. Nothing else on the machine is touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

export interface SudoUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  password: string;
}

export const TEST_USER = 'audit-lens-tester';
const SUDOERS_FILE = '/etc/sudoers.d/audit-lens-tester';
const ROOT = path.join(__dirname, '..', '..');

/** Why the sudo-user tests cannot run here, or undefined when they can. */
export function sudoUserUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (creates a user and a sudoers entry)';
  for (const bin of ['/usr/bin/sudo', '/usr/sbin/useradd', '/usr/sbin/chpasswd', '/usr/sbin/runuser', '/usr/sbin/visudo']) {
    if (!existsSync(bin) && !existsSync(bin.replace('/usr/sbin/', '/sbin/'))) return `${bin} is missing (scripts/setup.sh installs sudo)`;
  }
  return undefined;
}

/** Creates (once) the test user and its sudoers entry, and gives it a fresh password. */
export function ensureSudoUser(): SudoUser {
  const name = TEST_USER;
  if (spawnSync('id', ['-u', name]).status !== 0) {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', '--comment', 'Audit Lens tests (sudo with password)', name]);
  }
  const password = randomBytes(12).toString('base64url');
  execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
  // A password every time (no cached sudo timestamp): each test really types it.
  const sudoers = `${name} ALL=(ALL:ALL) ALL\nDefaults:${name} !lecture, timestamp_timeout=0, passwd_tries=1\n`;
  const tmp = `${SUDOERS_FILE}.tmp`;
  writeFileSync(tmp, sudoers, { mode: 0o440 });
  const check = spawnSync('visudo', ['-cf', tmp], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`visudo rejected the test sudoers entry: ${check.stderr || check.stdout}`);
  renameSync(tmp, SUDOERS_FILE);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  const home = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5];
  return { name, uid, gid, home, password };
}

/** Files the test user runs: the helper and a driver script bundled from source, and node-pty's runtime. */
export interface Sandbox {
  dir: string;
  helper: string;
  /** Bundled entry points by name. */
  scripts: Record<string, string>;
}

/**
 * Builds the helper (and the given entry points) into a world-readable temp directory with node-pty's runtime
 * beside them: the repository may live where the test user cannot read (a clone under /root).
 */
export async function buildSandbox(entries: Record<string, string>): Promise<Sandbox> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-lens-sandbox-'));
  const all: Record<string, string> = { helper: path.join(ROOT, 'src', 'helper', 'main.ts'), ...entries };
  const scripts: Record<string, string> = {};
  for (const [name, entry] of Object.entries(all)) {
    const outfile = path.join(dir, `${name}.js`);
    await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['node-pty', 'vscode'], logLevel: 'silent' });
    scripts[name] = outfile;
  }
  const from = path.join(ROOT, 'node_modules', 'node-pty');
  const to = path.join(dir, 'node_modules', 'node-pty');
  mkdirSync(to, { recursive: true });
  for (const rel of ['package.json', 'lib', path.join('build', 'Release')]) cpSync(path.join(from, rel), path.join(to, rel), { recursive: true });
  const open = (p: string): void => {
    chmodSync(p, 0o755);
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const child = path.join(p, e.name);
      if (e.isDirectory()) open(child);
      else chmodSync(child, 0o644);
    }
  };
  open(dir);
  return { dir, helper: scripts.helper, scripts };
}
