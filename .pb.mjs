import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: ['/tmp/lead/big2.ts'], outfile: '/tmp/lead/big2.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning' });
