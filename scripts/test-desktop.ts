/**
 * `npm run test:desktop`: test/desktop/suite.ts inside desktop VS Code 1.100.x, downloaded by @vscode/test-electron
 * into .vscode-test/. For machines that can reach update.code.visualstudio.com; not part of `npm test` or CI.
 */
import { runTests } from '@vscode/test-electron';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { cacheRoot, repoRoot } from './code-server';
import { ensureDemoWorkspace } from './demo';

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), 'extension', 'desktop-tests', '--dev'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const launchArgs = [ensureDemoWorkspace(), '--disable-extensions', '--disable-workspace-trust'];
  // Electron refuses to run as root without its sandbox off and a profile of its own.
  if (process.getuid?.() === 0) launchArgs.push('--no-sandbox', '--user-data-dir', path.join(cacheRoot(), 'desktop-test-user-data'));
  await runTests({
    version: process.env.AUDIT_LENS_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(repoRoot, 'out', 'test', 'desktop', 'suite.js'),
    launchArgs,
  });
}

main().catch((err: unknown) => {
  console.error(`test:desktop: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
