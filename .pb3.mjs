import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/snap.ts'], outfile: '/tmp/lead/snap.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
