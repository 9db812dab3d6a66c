import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/split.ts'], outfile: '/tmp/lead/split.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning' });
