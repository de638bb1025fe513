// Bundles the extension into one CommonJS file (VS Code 1.90 loads extensions with require), `vscode`
// left to the host. dist/package.json marks dist/ as CommonJS inside this "type": "module" package.
import { mkdir, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

await mkdir('dist', { recursive: true });
await writeFile('dist/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
await build({
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  sourcemap: true,
  logLevel: 'warning',
});
