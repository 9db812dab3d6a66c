/** Builds the audit-lens CLI from source into a directory, so CLI tests never run a stale or half-written out/cli.js. */
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..', '..');

/** Bundles src/cli/main.ts into DIR/cli.js and returns that path. */
export async function buildCli(dir: string): Promise<string> {
  const cli = join(dir, 'cli.js');
  await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
  });
  return cli;
}
