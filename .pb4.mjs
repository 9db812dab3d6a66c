import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/bounded-prof.test.ts'], outfile: '/tmp/lead/bounded-prof.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning', external: ['node:test'] });
