import { basename } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { BundledPages } from './bundle-pages.js';

const bundle = JSON.parse(inject('bundle')) as BundledPages;
const outputs = bundle.metafile.outputs;
const scripts = Object.keys(outputs).filter((file) => file.endsWith('.js'));
const carries = (file: string, fragment: string): boolean => Object.keys(outputs[file].inputs).some((input) => input.includes(fragment));

/** `file` and every chunk it imports statically: what a page loading it fetches before running. */
function loadedWith(file: string, seen = new Set<string>()): Set<string> {
  seen.add(file);
  for (const { path, kind } of outputs[file].imports) if (kind === 'import-statement' && !seen.has(path)) loadedWith(path, seen);
  return seen;
}

describe("the pages' esbuild bundle", () => {
  it("carries both of @fathom/wasm's binaries, found from their new URL literals", () => {
    expect(bundle.assets.map((file) => basename(file)).sort()).toEqual(['fathom-threads.wasm', 'fathom.wasm']);
    for (const file of bundle.assets) expect(file).toMatch(/packages[/\\]wasm[/\\]dist[/\\]|@fathom[/\\]wasm[/\\]dist[/\\]/);
  });

  it('keeps Graphviz out of what the page loads: a chunk of its own, fetched by toSvg', () => {
    const page = scripts.find((file) => basename(file) === 'page.js');
    expect(page).toBeDefined();
    expect([...loadedWith(page!)].filter((file) => carries(file, '@viz-js'))).toEqual([]);
    // It is in the bundle (the page draws a graph in cpu.test.ts), only not loaded up front.
    expect(scripts.filter((file) => carries(file, '@viz-js'))).toHaveLength(1);
  });

  it("pulls no Node-only module into the page", () => {
    for (const file of scripts) {
      for (const input of Object.keys(outputs[file].inputs)) expect(input).not.toMatch(/^node:|[/\\]node[/\\]|dawn/);
    }
  });
});
