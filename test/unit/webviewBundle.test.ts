/**
 * The viewer's webview runs in a browser: its bundle (media/viewer/main.ts and the core modules it imports) must not
 * reach for Node (Buffer, require, process), or the viewer shows an empty page.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';

test('the webview bundle uses no Node globals', async () => {
  const r = await esbuild.build({
    entryPoints: [path.join(__dirname, '..', '..', 'media', 'viewer', 'main.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'silent',
  });
  const code = r.outputFiles[0].text;
  assert.ok(code.length > 10_000);
  for (const name of ['Buffer', 'require(', 'process.', '__dirname']) assert.ok(!code.includes(name), `the bundle mentions ${name}`);
});
