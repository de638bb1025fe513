// Builds the Loop web UI into web/dist, which `loop serve` serves under /ui/. `npm run dev -w web` serves
// it with hot reload and sends API calls to a loop server (LOOP_SERVER, default http://127.0.0.1:5678).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/v1': process.env.LOOP_SERVER ?? 'http://127.0.0.1:5678' } },
});
