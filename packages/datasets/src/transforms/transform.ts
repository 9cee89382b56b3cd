import { scope, type Generator } from '@fathom/core';

/**
 * How to rebuild a built-in transform from data: its name and options. A
 * transform with a spec can run in a worker thread (`ImageFolder`'s
 * `workers`); the worker rebuilds it from the spec.
 */
export interface TransformSpec {
  readonly name: string;
  readonly options?: unknown;
}

/**
 * A transform: a function from one value to another, as torchvision's. A
 * random transform draws from `generator` (default: the one `manualSeed`
 * seeds), so a seeded generator gives the same result every run. Datasets pass
 * each sample its own generator (see `LabeledImageDataset`).
 *
 * Your own functions are transforms too; they have no `spec`, so a dataset
 * with workers runs them on the main thread after the built-in ones.
 *
 * ```ts
 * const halve: Transform<Tensor, Tensor> = (x) => x.mul(0.5);
 * ```
 */
export interface Transform<I, O> {
  (input: I, generator?: Generator): O;
  /** Set on the built-in transforms: what a worker needs to rebuild this one. */
  readonly spec?: TransformSpec;
}

/** Attaches a spec to a transform function. */
export function withSpec<I, O>(spec: TransformSpec, apply: (input: I, generator?: Generator) => O): Transform<I, O> {
  return Object.assign(apply, { spec: Object.freeze({ ...spec }) });
}

/** A {@link compose}d transform: its parts, in order. */
export interface ComposedTransform<I, O> extends Transform<I, O> {
  readonly transforms: readonly Transform<never, unknown>[];
}

/**
 * Chains transforms, as torchvision's `Compose`: each gets the output of the
 * one before and the same generator. Tensors made along the way are released
 * as soon as the next transform is done with them (the chain runs in a `scope`).
 *
 * ```ts
 * const train = compose(randomResizedCrop(224), randomHorizontalFlip(), toTensor(), normalize(IMAGENET_MEAN, IMAGENET_STD));
 * const x = train(image, new Generator(0)); // (3, 224, 224)
 * ```
 */
export function compose<A, B>(t1: Transform<A, B>): ComposedTransform<A, B>;
export function compose<A, B, C>(t1: Transform<A, B>, t2: Transform<B, C>): ComposedTransform<A, C>;
export function compose<A, B, C, D>(t1: Transform<A, B>, t2: Transform<B, C>, t3: Transform<C, D>): ComposedTransform<A, D>;
export function compose<A, B, C, D, E>(t1: Transform<A, B>, t2: Transform<B, C>, t3: Transform<C, D>, t4: Transform<D, E>): ComposedTransform<A, E>;
export function compose<A, B, C, D, E, F>(
  t1: Transform<A, B>, t2: Transform<B, C>, t3: Transform<C, D>, t4: Transform<D, E>, t5: Transform<E, F>,
): ComposedTransform<A, F>;
export function compose<A, B, C, D, E, F, G>(
  t1: Transform<A, B>, t2: Transform<B, C>, t3: Transform<C, D>, t4: Transform<D, E>, t5: Transform<E, F>, t6: Transform<F, G>,
): ComposedTransform<A, G>;
export function compose<I, O>(...transforms: Transform<never, unknown>[]): ComposedTransform<I, O>;
export function compose<I, O>(...transforms: Transform<never, unknown>[]): ComposedTransform<I, O> {
  // Nested compositions are flattened, so a worker can take the longest prefix of built-ins.
  const parts = transforms.flatMap((t) => ((t as Partial<ComposedTransform<unknown, unknown>>).transforms ?? [t]));
  const apply = (input: I, generator?: Generator): O =>
    scope(() => parts.reduce<unknown>((value, t) => (t as Transform<unknown, unknown>)(value, generator), input) as O);
  const everyPartHasSpec = parts.every((t) => t.spec !== undefined);
  const spec = everyPartHasSpec ? { name: 'compose', options: parts.map((t) => t.spec) } : undefined;
  return Object.assign(apply, { transforms: Object.freeze(parts), ...(spec ? { spec: Object.freeze(spec) } : {}) });
}

/**
 * Splits a transform into the part a worker can run (the longest prefix of
 * built-in transforms, as a spec list) and the rest, which runs on the main
 * thread. @internal
 */
export function splitForWorkers(transform: Transform<never, unknown> | undefined): { workerSpecs: TransformSpec[]; rest: Transform<never, unknown>[] } {
  if (transform === undefined) return { workerSpecs: [], rest: [] };
  const parts = (transform as Partial<ComposedTransform<unknown, unknown>>).transforms ?? [transform];
  let split = 0;
  while (split < parts.length && parts[split].spec !== undefined) split++;
  return { workerSpecs: parts.slice(0, split).map((t) => t.spec as TransformSpec), rest: parts.slice(split) };
}
