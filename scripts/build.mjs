#!/usr/bin/env node
// One esbuild script, several targets: `node scripts/build.mjs [extension|helper|cli|all|package] [--watch] [--dev]`.
// `package` builds the extension and makes the VSIX with vsce (non-interactive), then reports its size.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const args = process.argv.slice(2);
const dev = args.includes('--dev');
const wanted = args.filter((a) => !a.startsWith('--'));
const targets = {
  extension: {
    entryPoints: ['src/extension.ts'],
    outfile: 'out/extension.js',
    platform: 'node',
    format: 'cjs',
    external: ['vscode', 'node-pty'],
  },
  // The analysis worker thread (src/core in a worker_threads worker; the host never parses a log itself).
  analysisWorker: {
    entryPoints: ['src/views/analysisWorker.ts'],
    outfile: 'out/analysisWorker.js',
    platform: 'node',
    format: 'cjs',
  },
  // The timeline webview's script (runs in the webview, not in Node).
  timeline: {
    entryPoints: ['media/timeline/timeline.ts'],
    outfile: 'out/timeline.js',
    platform: 'browser',
    format: 'iife',
  },
  cli: {
    entryPoints: ['src/cli/main.ts'],
    outfile: 'out/cli.js',
    platform: 'node',
    format: 'cjs',
    // A larger young generation halves scavenges on big logs (measured: -20% CPU on a 1 GiB key-filtered run).
    banner: { js: '#!/usr/bin/env -S node --max-semi-space-size=32' },
  },
  // The privileged helper: started as root through sudo/pkexec by the extension, with the extension host's own Node.
  helper: {
    entryPoints: ['src/helper/main.ts'],
    outfile: 'out/helper.js',
    platform: 'node',
    format: 'cjs',
  },
  // The Audit Lens viewer's webview (media/viewer): a browser bundle, loaded under a strict CSP.
  webview: {
    entryPoints: ['media/viewer/main.ts'],
    outfile: 'out/webview/viewer.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  // The @vscode/test-electron suite (npm run test:desktop); built on demand, not by `all`.
  'desktop-tests': {
    entryPoints: ['test/desktop/suite.ts'],
    outfile: 'out/test/desktop/suite.js',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
    onDemand: true,
  },
};

/**
 * node-pty is native and stays outside the bundle. `vsce package --no-dependencies` never packs the top-level
 * node_modules, so the runtime files (package.json, lib/*.js, build/Release/pty.node) are copied next to the
 * bundle, where `require('node-pty')` in out/extension.js finds them first.
 */
function stageNodePty() {
  const from = 'node_modules/node-pty';
  const to = 'out/node_modules/node-pty';
  const native = join(from, 'build/Release/pty.node');
  if (!existsSync(native)) throw new Error(`${native} is missing: run \`npm ci\` (node-pty must compile; see scripts/setup.sh)`);
  rmSync(to, { recursive: true, force: true });
  const copy = (rel) => {
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    copyFileSync(join(from, rel), join(to, rel));
  };
  copy('package.json');
  copy('LICENSE');
  copy('build/Release/pty.node');
  const walk = (dir) => {
    for (const e of readdirSync(join(from, dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      // The Windows-only parts (conpty, winpty agents, their workers) are never loaded on Linux or macOS.
      const windowsOnly = /^(windows|conpty)|^(worker|shared)$/.test(e.name);
      if (windowsOnly && process.platform !== 'win32') continue;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.js') && !e.name.endsWith('.test.js')) copy(rel);
    }
  };
  walk('lib');
}

const selected =
  wanted.length === 0 || wanted.includes('all')
    ? Object.keys(targets).filter((n) => !targets[n].onDemand)
    : wanted.filter((w) => w !== 'package');
// The VSIX carries the helper, the webview bundles and the analysis worker beside the extension.
if (wanted.includes('package') && !selected.includes('extension')) selected.push('extension');
if (selected.includes('extension')) for (const t of ['helper', 'webview', 'analysisWorker', 'timeline']) if (!selected.includes(t)) selected.push(t);
for (const name of selected) {
  const { onDemand: _onDemand, ...t } = targets[name] ?? {};
  if (!targets[name]) throw new Error(`unknown build target: ${name}`);
  if (!existsSync(t.entryPoints[0])) continue;
  await esbuild.build({
    bundle: true,
    target: t.platform === 'browser' ? 'es2022' : 'node20',
    sourcemap: dev ? 'inline' : false,
    minify: !dev,
    logLevel: 'warning',
    ...t,
  });
  if (name === 'cli') chmodSync(t.outfile, 0o755);
  if (name === 'extension') stageNodePty();
}

if (wanted.includes('package')) {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const vsix = `${pkg.name}-${pkg.version}.vsix`;
  // The VSIX carries a native pty.node built here, so it is only valid for this platform.
  const target = `${process.platform}-${process.arch === 'arm' ? 'armhf' : process.arch}`;
  const vsce = join('node_modules', '.bin', 'vsce');
  // No public repository yet: keep README links relative rather than invent a host for them.
  const r = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--target', target, '--out', vsix], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CI: '1' },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const kib = (f) => `${(statSync(f).size / 1024).toFixed(1)} KiB`;
  console.log(`bundle out/extension.js: ${kib('out/extension.js')}; ${vsix}: ${kib(vsix)} (${target})`);
}
