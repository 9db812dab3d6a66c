/**
 * `npm run start:desktop`: desktop VS Code with this checkout as a development extension
 * (`--extensionDevelopmentPath`), on the same demo workspace as `npm start`. Needs `code` on PATH.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { cacheRoot, repoRoot } from './code-server';
import { ensureDemoWorkspace } from './demo';

/** Finds `code` (or `$AUDIT_LENS_CODE`) on PATH. */
function findCode(): string | undefined {
  const wanted = process.env.AUDIT_LENS_CODE || 'code';
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', wanted], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function main(): void {
  const code = findCode();
  if (!code) {
    console.error(
      'start:desktop: VS Code desktop (`code`) is not on PATH.\n' +
        'Install VS Code (https://code.visualstudio.com) or point AUDIT_LENS_CODE at its CLI, or run `npm start` for code-server in a browser.',
    );
    process.exit(1);
  }
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'extension', '--dev'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const workspace = ensureDemoWorkspace();
  const args = ['--extensionDevelopmentPath', repoRoot, '--new-window'];
  // Electron refuses to run as root without its sandbox off and a profile of its own.
  if (process.getuid?.() === 0) args.push('--no-sandbox', '--user-data-dir', path.join(cacheRoot(), 'desktop-user-data'));
  args.push(workspace);
  console.log(`${code} ${args.join(' ')}`);
  const r = spawnSync(code, args, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

main();
