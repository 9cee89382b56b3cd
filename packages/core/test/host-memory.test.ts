import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The cpu backend's memory is JavaScript's: when V8 refuses an ArrayBuffer it throws a bare
// RangeError ("Array buffer allocation failed"). A child process under `ulimit -v` makes that
// refusal real without filling this machine; the built entry is what a user imports.
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const script = `
  const { zeros, randn, isFathomError } = await import(${JSON.stringify(entry)});
  const held = [];
  for (let i = 0; i < 3; i++) held.push(randn([1024, 1024])); // 3 × 4 MiB made by randn
  held.push(zeros([256])); // zeros is full(0): its op is full
  try {
    zeros([2 ** 30]); // 4 GiB: over the 3 GB address-space limit
    console.log('allocated');
  } catch (error) {
    console.log(JSON.stringify({ name: error.name, fathom: isFathomError(error), message: error.message }));
  }
`;

describe('cpu out of host memory', () => {
  it('is a DeviceError naming the request, the live tensors and the op that made the most', () => {
    expect(existsSync(entry), 'build @fathom/core first (pnpm build)').toBe(true);
    const child = spawnSync('bash', ['-c', 'ulimit -v 3000000 && exec node --input-type=module -e "$0"', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as { name: string; fathom: boolean; message: string };
    expect(result.name).toBe('DeviceError');
    expect(result.fathom).toBe(true);
    expect(result.message).toMatch(/^cpu: cannot allocate 4\.00 GiB for 1,073,741,824 float32 elements: the JavaScript engine refused the memory \(Array buffer allocation failed\); 4 live tensors hold 12\.0 MiB in 4 storages; the largest holders by the op that made them: randn 12\.0 MiB \(3\), full 1\.0 KiB \(1\)\. Release tensors sooner/);
  });
});
