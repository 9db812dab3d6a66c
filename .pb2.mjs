import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/alloc.ts'], outfile: '/tmp/lead/alloc.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
