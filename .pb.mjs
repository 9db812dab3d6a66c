import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/stage3.ts'], outfile: '/tmp/lead/stage3.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning' });
