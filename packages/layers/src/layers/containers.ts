import { IndexError, ValueError, type Tensor } from '@fathom/core';
import { Module, type TensorModule } from '../module.js';

/**
 * Applies modules in order; children are named '0', '1', … as in PyTorch, so
 * state-dict keys match (`0.weight`, `3.bias`).
 *
 * ```ts
 * const mlp = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * ```
 */
export class Sequential extends Module {
  private readonly layers: TensorModule[];

  constructor(...layers: TensorModule[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.registerModule(String(i), layer));
  }

  /** The layer at `index` (negative counts from the end). */
  at(index: number): TensorModule {
    const layer = this.layers.at(index);
    if (!layer) throw new IndexError(`Sequential: index ${index} is out of range for ${this.layers.length} layers`);
    return layer;
  }

  /** Number of layers. */
  get length(): number {
    return this.layers.length;
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((value, layer) => layer.forward(value), x);
  }
}

/** A list of modules registered as children '0', '1', … (`nn.ModuleList`); it has no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends a module. */
  push(module: M): this {
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const found = this.items.at(index);
    if (!found) throw new IndexError(`ModuleList: index ${index} is out of range for ${this.items.length} modules`);
    return found;
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new ValueError('ModuleList has no forward(); iterate over its modules');
  }
}

/** Modules by name, registered as children under those names (`nn.ModuleDict`); it has no forward of its own. */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly items = new Map<string, M>();

  constructor(modules: Readonly<Record<string, M>> = {}) {
    super();
    for (const [name, m] of Object.entries(modules)) this.set(name, m);
  }

  /** Adds or replaces the module `name`. */
  set(name: string, module: M): this {
    this.registerModule(name, module);
    this.items.set(name, module);
    return this;
  }

  /** The module `name`. */
  get(name: string): M {
    const found = this.items.get(name);
    if (!found) throw new ValueError(`ModuleDict: no module '${name}' (have ${[...this.items.keys()].join(', ')})`);
    return found;
  }

  /** Names, in insertion order. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  forward(): Tensor {
    throw new ValueError('ModuleDict has no forward(); look modules up by name');
  }
}
