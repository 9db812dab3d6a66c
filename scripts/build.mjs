#!/usr/bin/env node
// One esbuild script, several targets: `node scripts/build.mjs [extension|cli|all] [--watch] [--dev]`.
import * as esbuild from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';

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
  cli: {
    entryPoints: ['src/cli/main.ts'],
    outfile: 'out/cli.js',
    platform: 'node',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
  },
};

const selected = wanted.length === 0 || wanted.includes('all') ? Object.keys(targets) : wanted;
for (const name of selected) {
  const t = targets[name];
  if (!t) throw new Error(`unknown build target: ${name}`);
  if (!existsSync(t.entryPoints[0])) continue;
  await esbuild.build({
    bundle: true,
    target: 'node20',
    sourcemap: dev ? 'inline' : false,
    minify: !dev,
    keepNames: true,
    logLevel: 'warning',
    ...t,
  });
  if (name === 'cli') chmodSync(t.outfile, 0o755);
}
