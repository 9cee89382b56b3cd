#!/usr/bin/env node
// Dependency-direction lint for the Fathom workspace (see ARCHITECTURE.md).
//
//   node tools/check-deps.mjs              check the workspace this file lives in
//   node tools/check-deps.mjs --root DIR   check another workspace
//   node tools/check-deps.mjs --self-test  prove the checker still catches what it should
//
// Plain Node with no dependencies, so it runs before anything is installed or
// built, and a wrong import fails CI instead of a review.
//
// What counts as an import: only statements that survive compilation. Under
// `verbatimModuleSyntax`, `import type` / `export type` are erased, so they are
// ignored; `import { type A } from 'x'` is kept by tsc as `import {} from 'x'`
// and still loads 'x' at run time, so it counts.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCOPE = '@fathom/';

// Which library packages each library package may import (by directory name).
// A library missing from this table is an error on purpose: adding a package
// should come with a conscious decision about where it sits in the graph.
const ALLOWED = {
  core: [],
  webgpu: ['core'],
  wasm: ['core'],
  datasets: ['core'],
  io: ['core'], // a user with only tensors can read weights
  autograd: ['core'],
  layers: ['autograd', 'core'],
  optim: ['autograd', 'core'], // takes any iterable of tensors with .grad; not layers
  models: ['layers', 'autograd', 'core'],
  // The loop both apps share; checkpoints need io, optimizer state needs optim.
  // …and --device auto of both apps' command lines picks a backend (optional peers).
  train: ['models', 'layers', 'optim', 'datasets', 'io', 'autograd', 'core', 'wasm', 'webgpu'],
  // DistributedDataParallel wraps a layers Module and hooks autograd's gradient
  // accumulation; the process group itself needs only core. DistributedSampler
  // takes any object shaped like a datasets Dataset, so datasets stays out.
  distributed: ['layers', 'autograd', 'core'],
};

// What a package's tests (and devDependencies) may import on top of ALLOWED,
// none of which imports the package back, so no cycle: a backend's tests use
// autograd's gradient conformance runner; layers runs its tests on every
// backend; optim trains real layers; models trains its zoo with optim.
const TEST_ALLOWED = {
  webgpu: ['autograd'],
  wasm: ['autograd'],
  layers: ['webgpu', 'wasm'],
  optim: ['layers'],
  models: ['optim', 'io', 'wasm', 'webgpu'], // the zoo loads PyTorch's state dicts in its tests, on every backend
  io: ['wasm', 'webgpu'], // PyTorch's files load alike on every device
  distributed: ['optim', 'datasets'], // DDP steps are checked with a real optimizer; the sampler feeds a real DataLoader
};

// Tools that any member's tests may import (never shipped code): shared test
// helpers, so that no test keeps its own copy.
const TEST_HELPERS = ['chromium'];

// The workspace globs from pnpm-workspace.yaml, and what each kind of member is.
const KINDS = { packages: 'library', apps: 'app', tools: 'tool' };

const SOURCE_DIRS = ['src', 'test'];
const SOURCE_FILE = /\.(?:ts|tsx|mts|cts)$/;
const DECLARATION_FILE = /\.d\.(?:ts|mts|cts)$/;

// ---------------------------------------------------------------------------
// Reading imports out of TypeScript without a parser.

/**
 * Blank out comments and template-literal text (keeping line breaks), so that
 * an example in a doc comment or a generated WGSL/JS string is never mistaken
 * for an import. String literals are kept: they hold the specifiers.
 */
export function stripCommentsAndTemplates(source) {
  let out = '';
  let i = 0;
  // Each entry is the brace depth at which a `${` opened inside a template.
  const templateStack = [];
  let braceDepth = 0;
  let lastSignificant = ''; // last non-space character emitted as code, for the regex-vs-divide guess
  let lastWord = '';
  const blank = (text) => text.replace(/[^\n]/g, ' ');

  const scanTemplateText = () => {
    // i points just after a backtick or a `}` closing an interpolation.
    const start = i;
    while (i < source.length) {
      const ch = source[i];
      if (ch === '\\') { i += 2; continue; }
      if (ch === '`') { out += blank(source.slice(start, i)) + '`'; i++; lastSignificant = '`'; return; }
      if (ch === '$' && source[i + 1] === '{') {
        out += blank(source.slice(start, i)) + '${';
        i += 2;
        templateStack.push(braceDepth);
        braceDepth++;
        lastSignificant = '{';
        return;
      }
      i++;
    }
    out += blank(source.slice(start));
  };

  while (i < source.length) {
    const ch = source[i];
    const next = source[i + 1];
    if (ch === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== ch && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
      lastSignificant = ch;
    } else if (ch === '`') {
      out += '`';
      i++;
      scanTemplateText();
    } else if (ch === '/' && startsRegex(lastSignificant, lastWord)) {
      // A regex literal may hold quotes or `//`; skip it whole.
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n') {
        if (source[j] === '\\') { j += 2; continue; }
        if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        else if (source[j] === '/' && !inClass) break;
        j++;
      }
      out += blank(source.slice(i, j + 1));
      i = j + 1;
      lastSignificant = '/';
    } else {
      if (ch === '{') braceDepth++;
      if (ch === '}') {
        braceDepth--;
        if (templateStack.length > 0 && templateStack[templateStack.length - 1] === braceDepth) {
          templateStack.pop();
          out += '}';
          i++;
          scanTemplateText();
          continue;
        }
      }
      out += ch;
      i++;
      if (/\s/.test(ch)) continue;
      if (/[\w$]/.test(ch)) lastWord = /[\w$]/.test(lastSignificant) ? lastWord + ch : ch;
      else lastWord = '';
      lastSignificant = ch;
    }
  }
  return out;
}

// After these a `/` begins a regex rather than dividing.
function startsRegex(lastSignificant, lastWord) {
  if (lastSignificant === '') return true;
  if (/[\w$)\]]/.test(lastSignificant)) {
    return ['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'void', 'yield', 'await', 'delete', 'throw', 'new'].includes(lastWord);
  }
  return true;
}

/**
 * The run-time import specifiers of one TypeScript file.
 * @returns {{ specifier: string, line: number }[]}
 */
export function findValueImports(source) {
  const code = stripCommentsAndTemplates(source);
  const found = [];
  const lineOf = (index) => code.slice(0, index).split('\n').length;

  // Static import/export ... from '...' and bare `import '...'`. Both open a
  // statement, so a statement boundary must come before them. The clause between keyword and `from` holds only names, braces, commas and
  // `*`, and never another import/export: that keeps a match from starting at
  // `export type X = {...}` and swallowing the next, real import.
  const clausePattern = String.raw`(?:(?!\b(?:import|export)\b)[\w$\s{},*])*?`;
  const staticForm = new RegExp(String.raw`(^|[;{}\n]\s*)(import|export)\s+(type\s+)?(${clausePattern})\s*from\s*(['"])([^'"\n]+)\5`, 'g');
  for (const m of code.matchAll(staticForm)) {
    const [, boundary, , typeKeyword, clause, , specifier] = m;
    // `import type from 'x'` imports a default binding named `type`.
    const typeOnly = typeKeyword !== undefined && clause.trim() !== '';
    if (!typeOnly) found.push({ specifier, line: lineOf(m.index + boundary.length) });
  }
  const sideEffect = /(^|[;{}\n]\s*)import\s*(['"])([^'"\n]+)\2/g;
  for (const m of code.matchAll(sideEffect)) found.push({ specifier: m[3], line: lineOf(m.index + m[1].length) });

  // Dynamic import(). `typeof import('x')` and `import('x').Name` are types:
  // a real dynamic import yields a promise, so only .then/.catch/.finally may follow it.
  const dynamic = /(typeof\s+)?\bimport\s*\(\s*(['"])([^'"\n]+)\2\s*\)(\s*\.\s*([\w$]+))?/g;
  for (const m of code.matchAll(dynamic)) {
    const [, typeofKeyword, , specifier, , member] = m;
    if (typeofKeyword) continue;
    if (member && !['then', 'catch', 'finally'].includes(member)) continue;
    found.push({ specifier, line: lineOf(m.index) });
  }
  return found;
}

// ---------------------------------------------------------------------------
// The workspace.

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else if (SOURCE_FILE.test(entry.name) && !DECLARATION_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

function readWorkspace(root) {
  const members = [];
  for (const [folder, kind] of Object.entries(KINDS)) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      const dir = join(base, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
      const manifest = readJson(join(dir, 'package.json'));
      members.push({ dir, kind, short: entry.name, name: manifest.name, manifest });
    }
  }
  return members;
}

function packageNameOf(specifier) {
  if (!specifier.startsWith(SCOPE)) return null;
  return specifier.split('/').slice(0, 2).join('/');
}

// ---------------------------------------------------------------------------
// The checks.

/** May `from` depend on `to` at all? Returns a reason when not. */
function directionError(from, to, testOnly = false) {
  if (to === from) return `imports itself by name; use a relative import inside the package`;
  if (to.kind === 'app') return `imports the app ${to.name}; nothing may import an app`;
  if (to.kind === 'tool') {
    if (testOnly && TEST_HELPERS.includes(to.short)) return null;
    return `imports the tool ${to.name}; nothing may import a tool (tests may import the test helpers ${TEST_HELPERS.map((t) => SCOPE + t).join(', ')})`;
  }
  if (from.kind !== 'library') return null; // apps and tools may use any library
  const base = ALLOWED[from.short];
  const allowed = base && testOnly ? [...base, ...(TEST_ALLOWED[from.short] ?? [])] : base;
  if (allowed === undefined) return `has no entry in ALLOWED in tools/check-deps.mjs; decide where it sits in ARCHITECTURE.md's graph and add it`;
  if (!allowed.includes(to.short)) {
    const may = allowed.length ? allowed.map((p) => SCOPE + p).join(', ') : 'no @fathom package';
    return `may not import ${to.name} (ARCHITECTURE.md: ${from.name} may import ${may})`;
  }
  return null;
}

function checkMember(member, byName, root) {
  const problems = [];
  const where = relative(root, member.dir) || '.';
  const { manifest } = member;
  const declaredIn = (field, name) => Boolean(manifest[field] && manifest[field][name]);

  // Declared dependencies must respect the graph too: a wrong devDependency
  // alone already makes a turbo `^build` cycle.
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {})) {
      if (!name.startsWith(SCOPE)) continue;
      const target = byName.get(name);
      if (!target) { problems.push(`${where}/package.json: ${field} names ${name}, which is not in this workspace`); continue; }
      const error = directionError(member, target, field === 'devDependencies');
      if (error) problems.push(`${where}/package.json: ${member.name} ${error} (declared in ${field})`);
    }
  }

  const graph = new Map(); // file -> files it imports at run time (relative, same package)
  const publishable = member.kind === 'library' && manifest.private !== true;
  for (const sourceDir of SOURCE_DIRS) {
    for (const file of listFiles(join(member.dir, sourceDir))) {
      const at = (line) => `${relative(root, file)}:${line}`;
      const edges = [];
      graph.set(file, edges);
      // Shipped code needs its @fathom imports in dependencies/peerDependencies;
      // tests and unpublished members may use devDependencies.
      const shipped = publishable && sourceDir === 'src' && !/\.(test|spec)\.[mc]?tsx?$/.test(file);
      for (const { specifier, line } of findValueImports(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = resolveRelative(file, specifier);
          if (!target) continue; // a missing file is tsc's error to report, not ours
          if (!isInside(target, member.dir)) {
            problems.push(`${at(line)}: '${specifier}' reaches outside ${where}; import the package by name instead`);
          } else edges.push(target);
          continue;
        }
        const name = packageNameOf(specifier);
        if (!name) continue;
        const target = byName.get(name);
        if (!target) { problems.push(`${at(line)}: imports ${name}, which is not in this workspace`); continue; }
        const error = directionError(member, target, !shipped);
        if (error) { problems.push(`${at(line)}: ${member.name} ${error}`); continue; }
        const fields = shipped ? ['dependencies', 'peerDependencies'] : ['dependencies', 'peerDependencies', 'devDependencies'];
        if (!fields.some((field) => declaredIn(field, name))) {
          problems.push(`${at(line)}: imports ${name} but ${where}/package.json does not declare it in ${fields.join(' or ')}`);
        }
      }
    }
  }
  for (const cycle of findCycles(graph)) {
    problems.push(`${where}: circular import: ${cycle.map((file) => relative(member.dir, file)).join(' -> ')}`);
  }
  return problems;
}

function isInside(path, dir) {
  return path === dir || path.startsWith(dir + sep);
}

// NodeNext makes us write `./x.js` for `./x.ts`; map the specifier back to the source.
function resolveRelative(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(?:js|mjs|cjs|jsx)$/, '');
  const candidates = [
    base,
    `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`,
    join(base, 'index.ts'), join(base, 'index.tsx'),
  ];
  return candidates.find((path) => SOURCE_FILE.test(path) && existsSync(path)) ?? null;
}

/**
 * One cycle per strongly connected component (Tarjan), so a tangle of many
 * files is reported once rather than as every one of its elementary cycles.
 */
export function findCycles(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];

  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = new Set();
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.add(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).includes(node);
    if (component.size > 1 || selfLoop) cycles.push(shortestCycle(graph, node, component));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

// Breadth-first from `start` back to itself, staying inside its component.
function shortestCycle(graph, start, component) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of graph.get(node) ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) { previous.set(next, node); queue.push(next); }
    }
  }
  return [start, start];
}

export function checkWorkspace(root) {
  const members = readWorkspace(root);
  const byName = new Map(members.map((member) => [member.name, member]));
  const problems = members.flatMap((member) => checkMember(member, byName, root));
  return { members, problems };
}

// ---------------------------------------------------------------------------
// Self-test: a fake workspace with known faults, each of which must be found,
// and known non-faults (type-only imports, comments, strings), none of which may be.

function selfTest() {
  const root = mkdtempSync(join(tmpdir(), 'fathom-check-deps-'));
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const manifest = (name, extra = {}) => JSON.stringify({ name, version: '0.0.0', ...extra });
  try {
    write('packages/core/package.json', manifest('@fathom/core'));
    write('packages/core/src/index.ts', [
      `export * from './tensor.js';`,
      `import { Module } from '@fathom/layers';`, // forbidden direction, and undeclared
      `import type { Optimizer } from '@fathom/optim';`, // erased: fine
      `/** import { x } from '@fathom/models'; */`, // a comment: fine
      `const wgsl = \`import { y } from '@fathom/datasets'\`;`, // a string: fine
      `export type { Loader } from '@fathom/datasets';`, // erased: fine
      `type Lazy = typeof import('@fathom/models');`, // a type: fine
      `export const uses = [Module, wgsl];`,
    ].join('\n'));
    write('packages/core/src/tensor.ts', `import { shape } from './shape.js';\nexport const tensor = shape;\n`);
    write('packages/core/src/shape.ts', `import { tensor } from './tensor.js';\nexport const shape = 1;\nexport const again = tensor;\n`);
    // A type-only loop is no cycle at run time.
    write('packages/core/src/dtype.ts', `import type { Device } from './device.js';\nexport type DType = Device;\n`);
    write('packages/core/src/device.ts', `import type { DType } from './dtype.js';\nexport type Device = DType;\n`);
    write('packages/layers/package.json', manifest('@fathom/layers', { dependencies: { '@fathom/core': 'workspace:*' } }));
    write('packages/layers/src/index.ts', `import { tensor } from '@fathom/core';\nexport class Module { t = tensor; }\n`);
    write('packages/optim/package.json', manifest('@fathom/optim'));
    write('packages/optim/src/index.ts', `export const lazy = () => import('@fathom/autograd');\n`); // undeclared and unknown
    write('packages/models/package.json', manifest('@fathom/models'));
    write('packages/models/src/index.ts', `export { Module } from '@fathom/layers';\n`); // allowed, but undeclared
    write('packages/datasets/package.json', manifest('@fathom/datasets', { devDependencies: { '@fathom/chromium': 'workspace:*' } }));
    // A test helper is for tests: fine from a test file, a fault from shipped code.
    write('tools/chromium/package.json', manifest('@fathom/chromium', { private: true }));
    write('packages/datasets/test/browser.test.ts', `import { chromiumOrReason } from '@fathom/chromium';\nchromiumOrReason();\n`);
    write('packages/datasets/src/index.ts', `import { chromiumOrReason } from '@fathom/chromium';\nexport const c = chromiumOrReason;\n`);
    write('apps/demo/package.json', manifest('@fathom/demo', { private: true, dependencies: { '@fathom/layers': 'workspace:*' } }));
    write('apps/demo/src/main.ts', `import { Module } from '@fathom/layers';\nnew Module();\n`);

    const { problems } = checkWorkspace(root);
    const expectations = [
      ['forbidden import core -> layers', (p) => p.includes('src/index.ts:2') && p.includes('may not import @fathom/layers')],
      ['cycle tensor <-> shape', (p) => p.includes('circular import') && p.includes('tensor.ts') && p.includes('shape.ts')],
      ['undeclared dependency models -> layers', (p) => p.includes('packages/models/src/index.ts:1') && p.includes('does not declare it')],
      ['shipped code importing a test helper', (p) => p.includes('packages/datasets/src/index.ts:1') && p.includes('nothing may import a tool')],
      ['import of a package not in the workspace', (p) => p.includes("imports @fathom/autograd, which is not in this workspace")],
    ];
    const failures = [];
    for (const [what, test] of expectations) if (!problems.some(test)) failures.push(`not reported: ${what}`);
    // Exactly the planted faults: anything more is a false alarm on the fine lines above.
    if (problems.length !== expectations.length) failures.push(`expected ${expectations.length} problems, got ${problems.length}`);
    if (failures.length > 0) {
      console.error('check-deps self-test FAILED');
      for (const f of failures) console.error(`  ${f}`);
      console.error('problems reported:');
      for (const p of problems) console.error(`  ${p}`);
      return 1;
    }
    console.log(`check-deps self-test passed (${problems.length} planted faults found, no false alarms)`);
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------

function main(argv) {
  if (argv.includes('--self-test')) return selfTest();
  const rootFlag = argv.indexOf('--root');
  const root = rootFlag === -1 ? resolve(dirname(fileURLToPath(import.meta.url)), '..') : resolve(argv[rootFlag + 1]);
  const { members, problems } = checkWorkspace(root);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`check-deps: ${problem}`);
    console.error(`check-deps: ${problems.length} problem(s) in ${members.length} workspace package(s); the rules are in ARCHITECTURE.md`);
    return 1;
  }
  console.log(`check-deps: ${members.length} workspace package(s) follow the dependency direction; no circular imports`);
  return 0;
}

// Run only as a script, so the functions above can be imported for a quick experiment.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
