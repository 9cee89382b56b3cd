import type { DType } from '@fathom/core';
import type { BackendBuffer } from '@fathom/core/backend';
import type { StorageType } from '../wgsl/storage-type.js';

/** What the kernels need from the backend: a way to enqueue a dispatch, and scratch buffers. */
export interface KernelRunner {
  /** A buffer for intermediate results of a kernel made of several dispatches. */
  allocate(dtype: DType, length: number): BackendBuffer;
  /** Returns a scratch buffer (safe as soon as its last dispatch is recorded: the batch runs in order). */
  release(buffer: BackendBuffer): void;
  /** Enqueues one dispatch on the current command batch (nothing is submitted here). */
  launch(launch: KernelLaunch): void;
  /** The largest workgroup count of one dispatch dimension. */
  readonly maxWorkgroupsPerDimension: number;
  /**
   * Shape kernels for a CPU: the adapter is lavapipe (Mesa's llvmpipe), which
   * runs invocations as the lanes of a CPU's vectors, and where those shapes
   * were measured. SwiftShader, Chromium's CPU adapter, keeps the GPU shapes:
   * it compiles the CPU shapes' unrolled loops too slowly (the kit's 42
   * input-gradient cases: 2.9 s with GPU shapes, 157 s with CPU shapes).
   */
  readonly cpuTiles: boolean;
}

/** Static parameters of a generated kernel: the pipeline cache key, and what a compile error names. */
export type KernelKey = Readonly<Record<string, string | number | boolean>>;

/** One dispatch of a generated kernel. */
export interface KernelLaunch {
  /** The kernel's name, e.g. `'unary'`. */
  readonly kernel: string;
  /** The static parameters its source was generated for. */
  readonly key: KernelKey;
  /** Generates the WGSL (called once per key, then the pipeline is cached). */
  readonly source: () => string;
  /** Buffers bound read-only, in binding order from 0 of group 0. */
  readonly reads: readonly BackendBuffer[];
  /** Buffers bound read-write after the reads; `whole` when the kernel writes every element (so a pooled buffer need not be zeroed first). */
  readonly writes: readonly { readonly buffer: BackendBuffer; readonly whole: boolean }[];
  /** The parameter block, bound in group 1. */
  readonly params: Uint32Array;
  /** Workgroups in x, y and (optionally) z. */
  readonly workgroups: readonly [number, number] | readonly [number, number, number];
}

/** A binding of a generated shader. */
export interface BindingSpec {
  readonly name: string;
  readonly type: StorageType | 'vec4<f32>' | `atomic<${'u32' | 'i32'}>`;
  readonly access: 'read' | 'read_write';
}

/**
 * WGSL declarations of `bindings` (group 0, in order from binding 0: the
 * launch's reads, then its writes) and of the parameter block `p` (group 1,
 * binding 0), as the backend's pipeline layouts expect them.
 */
export function bindingDeclarations(bindings: readonly BindingSpec[], paramsStruct: string): string {
  const lines = bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`);
  lines.push(paramsStruct);
  lines.push('@group(1) @binding(0) var<storage, read> p: Params;');
  return lines.join('\n');
}

/** The workgroup size of the one-invocation-per-element kernels. */
export const LINEAR_WORKGROUP = 64;

/**
 * The entry point of a kernel with one invocation per element: `i` is the
 * flat element index, spread over a 2-D grid of workgroups because one
 * dimension holds at most 65,535 of them. `p.total` bounds it.
 */
export function linearEntry(body: string, workgroupSize = LINEAR_WORKGROUP): string {
  return `@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + lid;
  if (i >= p.total) { return; }
  ${body}
}`;
}

/** Workgroups for `count` groups laid out as {@link linearEntry} expects. */
export function gridFor(count: number, maxPerDimension: number): [number, number] {
  if (count <= maxPerDimension) return [Math.max(count, 1), 1];
  const y = Math.ceil(count / maxPerDimension);
  return [Math.ceil(count / y), y];
}

/** Workgroups covering `total` invocations of `workgroupSize`. */
export function linearGrid(total: number, runner: KernelRunner, workgroupSize = LINEAR_WORKGROUP): [number, number] {
  return gridFor(Math.ceil(total / workgroupSize), runner.maxWorkgroupsPerDimension);
}
