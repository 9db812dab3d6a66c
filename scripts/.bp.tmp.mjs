import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/learn.ts'], outfile: '/tmp/lead/learn.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning' });
