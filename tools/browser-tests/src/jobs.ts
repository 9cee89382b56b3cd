import type { CaseResult } from './case-collector.js';
import type { MemoryTrace } from './memory-loop.js';

/** The devices a page can run on. */
export type PageDevice = 'cpu' | 'wasm' | 'webgpu';

/** What a test asks the page to run (src/page/page-entry.ts). */
export type PageJob =
  | { readonly suite: 'kit'; readonly device: PageDevice; readonly threads?: number }
  | { readonly suite: 'gradients' }
  | { readonly suite: 'graph' }
  | { readonly suite: 'dataset'; readonly device: PageDevice; readonly threads?: number; readonly labels: readonly number[]; readonly batchSize: number }
  | { readonly suite: 'lenet'; readonly device: PageDevice; readonly threads?: number }
  | { readonly suite: 'memory'; readonly device: PageDevice; readonly threads?: number; readonly steps: number; readonly scoped: boolean };

/** What the page says about the device it ran on. */
export interface DeviceFacts {
  readonly device: PageDevice;
  readonly crossOriginIsolated: boolean;
  /** wasm: the threads of the pool. */
  readonly threads?: number;
  /** webgpu: the adapter's name. */
  readonly adapter?: string;
}

/** The page's answer to a {@link PageJob}. */
export interface PageResult {
  readonly facts: DeviceFacts;
  /** kit and gradients: every case, in order. */
  readonly cases?: readonly CaseResult[];
  /** lenet: the loss of each step. */
  readonly losses?: readonly number[];
  /** dataset: the labels of each batch a DataLoader drew from a LabeledTensorDataset on the device. */
  readonly batches?: readonly (readonly number[])[];
  /** memory: live tensors and backend bytes every 50 steps. */
  readonly memory?: MemoryTrace;
  /** graph: autograd's toSvg of a small graph, rendered by Graphviz in the page. */
  readonly svg?: string;
  readonly milliseconds: number;
}

/** The page's global, which the tests call through puppeteer. */
export interface PageApi {
  run(job: PageJob): Promise<PageResult>;
  /** Why there is no WebGPU adapter, or null when there is one. */
  webgpuMissing(): Promise<string | null>;
}

/** The name of {@link PageApi} on the page's globalThis. */
export const PAGE_API = 'fathomBrowserTests';
