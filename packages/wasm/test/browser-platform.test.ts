import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { binaryUrl, browserPlatform } from '../src/browser-platform.js';
import type { WasmBinaryName } from '../src/platform.js';

const BINARIES: readonly WasmBinaryName[] = ['fathom.wasm', 'fathom-threads.wasm'];
const source = await readFile(new URL('../src/browser-platform.ts', import.meta.url), 'utf8');

// What Vite's and webpack's asset detection match: the whole specifier a string literal.
const STATIC_ASSET_URL = /new URL\(\s*(['"])(\.\/[^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;

describe('the browser loader', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('names each binary in its own string-literal new URL(…, import.meta.url), which bundlers can copy', () => {
    const literals = [...source.matchAll(STATIC_ASSET_URL)].map((match) => match[2]);
    expect(literals.sort()).toEqual(BINARIES.map((name) => `./${name}`).sort());
    // A template-literal URL is what bundlers could not see.
    expect(source).not.toMatch(/new URL\(\s*`/);
  });

  it('points each binary beside the module, where the build puts it in dist/', () => {
    for (const name of BINARIES) {
      const url = binaryUrl(name);
      expect(basename(fileURLToPath(url))).toBe(name);
      expect(new URL('.', url).href).toBe(new URL('.', import.meta.url.replace('/test/', '/src/')).href);
    }
  });

  it('compiles what fetch returns for that URL, and names the URL when the fetch fails', async () => {
    const fetched: string[] = [];
    // The bytes the build put in dist/, served as a bundler's output folder would.
    vi.stubGlobal('fetch', async (url: URL) => {
      fetched.push(url.href);
      const bytes = await readFile(new URL(`../dist/${basename(fileURLToPath(url))}`, import.meta.url));
      return new Response(bytes, { status: 200 });
    });
    const module = await browserPlatform.compile('fathom.wasm');
    expect(WebAssembly.Module.exports(module).some((entry) => entry.kind === 'function')).toBe(true);
    expect(fetched).toEqual([binaryUrl('fathom.wasm').href]);

    vi.stubGlobal('fetch', async () => new Response('missing', { status: 404 }));
    await expect(browserPlatform.compile('fathom-threads.wasm')).rejects.toThrow(`fetching ${binaryUrl('fathom-threads.wasm').href} failed (404)`);
  });
});
