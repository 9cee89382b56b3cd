import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ABI_ENUMS, abiHeader, cArgumentsName, cEnumName, KERNEL_ARGUMENTS, type AbiEnumName } from '../src/abi.js';

const csrc = new URL('../csrc/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, csrc), 'utf8').replace(/\r\n/g, '\n');
const cFiles = readdirSync(csrc).filter((name) => /\.[ch]$/.test(name) && name !== 'abi.h');

describe('the wasm ABI (src/abi.ts → csrc/abi.h)', () => {
  it('csrc/abi.h is what src/abi.ts generates', () => {
    // scripts/build-wasm.mjs rewrites it on every build; --check-prebuilt fails on a stale one too.
    expect(read('abi.h')).toBe(abiHeader());
  });

  it('gives every enum distinct names and the codes 0…n−1', () => {
    for (const name of Object.keys(ABI_ENUMS) as AbiEnumName[]) {
      const keys = Object.keys(ABI_ENUMS[name].codes);
      const codes: number[] = Object.values(ABI_ENUMS[name].codes);
      expect([...codes].sort((x, y) => x - y), name).toEqual(keys.map((_, i) => i));
      expect(new Set(keys.map((key) => cEnumName(name, key))).size, name).toBe(keys.length);
    }
  });

  it('is the only definition of the codes in C: no other file declares one of them', () => {
    const generated = new Set((Object.keys(ABI_ENUMS) as AbiEnumName[]).flatMap((name) => Object.keys(ABI_ENUMS[name].codes).map((key) => cEnumName(name, key))));
    for (const file of cFiles) {
      for (const match of read(file).matchAll(/enum\s*\w*\s*\{([^}]*)\}/g)) {
        const declared = match[1].split(',').map((item) => item.split('=')[0].trim()).filter(Boolean);
        expect(declared.filter((name) => generated.has(name)), `${file}: ${match[0]}`).toEqual([]);
      }
      expect(read(file), file).not.toMatch(/#define\s+(MAX_DIMS|DT_\w+|OK|ERR_\w+)\b/);
    }
  });

  it('is the only reader of argument blocks in C: kernels read through the generated readers', () => {
    // Apart from read_view (strided.c), no C file takes words off the streams by hand.
    for (const file of cFiles) {
      const text = file === 'strided.c' ? read(file).replace(/void read_view\(Params\* p, View\* v\) \{[^}]*\}/, '') : read(file);
      expect(text, file).not.toMatch(/next_(int|address|float)\s*\(/);
    }
    // Every kernel's reader is called (the convolution gradients share the forward's block).
    const sources = cFiles.map(read).join('\n');
    for (const kernel of Object.keys(KERNEL_ARGUMENTS) as (keyof typeof KERNEL_ARGUMENTS)[]) {
      const shared = KERNEL_ARGUMENTS[kernel] === KERNEL_ARGUMENTS.fathom_conv2d;
      const { reader } = cArgumentsName(shared ? 'fathom_conv2d' : kernel);
      expect(sources, `${kernel} reads its arguments with ${reader}`).toContain(`${reader}(`);
      expect(sources, `${kernel} is exported`).toContain(`EXPORT(${kernel})`);
    }
  });

  it('lays out a kernel block field by field in order', () => {
    const header = abiHeader();
    expect(header).toContain('// fathom_fill: [out, dtype, length, value]');
    expect(header).toMatch(/typedef struct \{\n {2}u8\* out;\n {2}i32 dtype;  \/\/ DT_\*\n {2}i32 length;\n {2}double value;\n\} FillArguments;/);
    expect(header).toContain('  a->dimsCount = next_int(&p);\n  a->dims = p.ints;\n  p.ints += a->dimsCount;');
    expect(header).toContain('B_LOGICAL_XOR = 15,');
    expect(header).toContain('#define MAX_DIMS 32');
  });
});
