import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// scripts/build-wasm.mjs run the way a fresh clone on a machine without a C
// compiler runs it: from a copy of the package's scripts/, csrc/ and prebuilt/
// in a temporary folder (the script finds everything relative to itself), with
// a PATH that holds node and nothing else.

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const binaries = ['fathom.wasm', 'fathom-threads.wasm'];

const clangAvailable = (() => {
  const probe = spawnSync(process.env.CLANG || 'clang', ['--target=wasm32', '-print-prog-name=wasm-ld'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
})();

let work: string;
let copy: string;
let nodeOnlyPath: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'fathom-wasm-prebuilt-'));
  copy = join(work, 'package');
  for (const dir of ['scripts', 'csrc', 'prebuilt']) cpSync(join(packageDir, dir), join(copy, dir), { recursive: true });
  nodeOnlyPath = join(work, 'bin');
  mkdirSync(nodeOnlyPath);
  symlinkSync(process.execPath, join(nodeOnlyPath, 'node'));
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

function runScript(args: string[], options: { withClang?: boolean } = {}): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!options.withClang) {
    delete env.CLANG;
    env.PATH = nodeOnlyPath;
  }
  return spawnSync(process.execPath, [join(copy, 'scripts', 'build-wasm.mjs'), ...args], { cwd: copy, env, encoding: 'utf8' });
}

const outputOf = (result: SpawnSyncReturns<string>): string => `${result.stdout}\n${result.stderr}`;

function flipOneByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(path, bytes);
}

describe('the prebuilt kernels', () => {
  it('without clang, a build puts the committed binaries in dist/ byte for byte', () => {
    const first = runScript([]);
    expect(first.status, outputOf(first)).toBe(0);
    for (const file of binaries) {
      expect(first.stdout).toContain(`dist/${file}`);
      expect(readFileSync(join(copy, 'dist', file)).equals(readFileSync(join(packageDir, 'prebuilt', file))), file).toBe(true);
    }
    // A second build finds dist/ up to date and rewrites nothing.
    const second = runScript([]);
    expect(second.status, outputOf(second)).toBe(0);
    expect(second.stdout).toBe('');
  });

  it('prebuilt/manifest.json describes the committed binaries', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'prebuilt', 'manifest.json'), 'utf8')) as {
      sources: string; compiler: string; files: Record<string, { bytes: number; sha256: string }>;
    };
    expect(manifest.sources).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Object.keys(manifest.files).sort()).toEqual([...binaries].sort());
    for (const file of binaries) expect(manifest.files[file].bytes).toBe(readFileSync(join(packageDir, 'prebuilt', file)).length);
  });

  it('without clang, a changed csrc/ fails and says what to do', () => {
    appendFileSync(join(copy, 'csrc', 'gemm.c'), '\n// an edit\n');
    const result = runScript([]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("csrc/ (or the flags) changed since prebuilt/ was built, and 'clang' cannot run (ENOENT)");
    expect(result.stderr).toContain('pnpm --filter @fathom/wasm build:prebuilt');
    expect(existsSync(join(copy, 'dist', 'fathom.wasm'))).toBe(false);
  });

  it('CRLF line endings in csrc/ (a Windows checkout) still match prebuilt/', () => {
    const path = join(copy, 'csrc', 'memory.c');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n/g, '\r\n'));
    const result = runScript([]);
    expect(result.status, outputOf(result)).toBe(0);
  });

  it('refuses a committed binary that does not match its manifest', () => {
    flipOneByte(join(copy, 'prebuilt', 'fathom.wasm'));
    const result = runScript([]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('prebuilt/fathom.wasm does not match prebuilt/manifest.json');
  });

  it('--check-prebuilt needs clang and says so', () => {
    const result = runScript(['--check-prebuilt']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("cannot run 'clang' (ENOENT), which the check needs to rebuild prebuilt/ from csrc/");
    expect(result.stderr).toContain('apt-get install -y clang lld');
  });

  it('rejects an unknown argument', () => {
    const result = runScript(['--frobnicate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown argument --frobnicate');
  });

  // Compiles csrc/ twice (about 10 s on two cores); CI runs the passing case as `check:prebuilt`.
  it.skipIf(!clangAvailable)('--check-prebuilt fails when a committed binary differs from a fresh build', () => {
    flipOneByte(join(copy, 'prebuilt', 'fathom-threads.wasm'));
    const result = runScript(['--check-prebuilt'], { withClang: true });
    expect(result.status, outputOf(result)).toBe(1);
    expect(result.stderr).toContain('prebuilt/fathom-threads.wasm differs from a fresh build of csrc/');
    expect(result.stderr).toContain('prebuilt/manifest.json does not describe prebuilt/fathom-threads.wasm');
    expect(result.stderr).not.toContain('prebuilt/fathom.wasm differs');
    expect(result.stderr).not.toContain('not deterministic');
  }, 180_000);
});
