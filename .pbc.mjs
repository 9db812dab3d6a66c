import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/work/main/src/cli/main.ts'], outfile: '/tmp/lead/cli-prof.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning' });
