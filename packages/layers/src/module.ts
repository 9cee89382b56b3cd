import { formatShape, isDType, keep, ShapeError, ValueError, type Device, type DType, type Tensor } from '@fathom/core';
import { noGrad, useAutograd } from '@fathom/autograd';

/** A module whose forward maps one tensor to one tensor: what {@link Sequential} chains. */
export interface TensorModule extends Module {
  /** Maps the input tensor to the output tensor. */
  forward(input: Tensor): Tensor;
}

/** What {@link Module.loadStateDict} found missing or extra (strict loading throws on either). */
export interface LoadResult {
  readonly missingKeys: string[];
  readonly unexpectedKeys: string[];
}

/**
 * Base class of every layer and model, as `torch.nn.Module`: it owns named
 * parameters (tensors that require grad), buffers (state such as BatchNorm's
 * running statistics) and child modules, registered explicitly in the
 * constructor. Names become state-dict keys exactly as PyTorch's
 * (`layer1.0.conv1.weight`), so weights move between the two.
 *
 * ```ts
 * class Affine extends Module {
 *   constructor() { super(); this.registerParameter('weight', ones([3])); }
 *   forward(x: Tensor) { return x.mul(this.parameter('weight')); }
 * }
 * ```
 */
export abstract class Module {
  /** Whether the module is in training mode (dropout active, batch statistics used). */
  training = true;
  private readonly ownParameters = new Map<string, Tensor | null>();
  private readonly ownBuffers = new Map<string, Tensor | null>();
  private readonly ownModules = new Map<string, Module>();

  /**
   * Computes the module's output. Each layer declares its own signature:
   * most map one tensor to one tensor ({@link TensorModule}); recurrent
   * layers take initial states and return an object of tensors.
   */
  abstract forward(...inputs: never[]): unknown;

  /** Registers `tensor` as parameter `name` (it is made to require grad and kept out of every scope), or a null placeholder. */
  protected registerParameter(name: string, tensor: Tensor | null): Tensor | null {
    useAutograd();
    if (tensor) {
      if (!tensor.requiresGrad) tensor.requiresGrad = true;
      keep(tensor);
    }
    this.ownParameters.set(name, tensor);
    return tensor;
  }

  /** Registers `tensor` as buffer `name`: saved in the state dict, moved by `to()`, never trained. */
  protected registerBuffer(name: string, tensor: Tensor | null): Tensor | null {
    if (tensor) keep(tensor);
    this.ownBuffers.set(name, tensor);
    return tensor;
  }

  /** Registers a child module under `name`. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.ownModules.set(name, module);
    return module;
  }

  /** The parameter registered as `name`; throws if it is missing or null. */
  protected parameter(name: string): Tensor {
    const found = this.ownParameters.get(name);
    if (!found) throw new ValueError(`${this.constructor.name}: no parameter '${name}'`);
    return found;
  }

  /** The parameter `name`, or null where it was registered as absent (e.g. `bias: false`). */
  protected optionalParameter(name: string): Tensor | null {
    return this.ownParameters.get(name) ?? null;
  }

  /** The buffer registered as `name`. */
  protected buffer(name: string): Tensor {
    const found = this.ownBuffers.get(name);
    if (!found) throw new ValueError(`${this.constructor.name}: no buffer '${name}'`);
    return found;
  }

  /** Replaces the value of buffer `name` (releasing the old one), e.g. BatchNorm's running mean. */
  protected setBuffer(name: string, tensor: Tensor): void {
    const previous = this.ownBuffers.get(name);
    this.ownBuffers.set(name, keep(tensor));
    if (previous && previous !== tensor) previous.dispose();
  }

  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    return [...this.ownModules.entries()];
  }

  /** Direct children. */
  children(): Module[] {
    return [...this.ownModules.values()];
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.ownModules) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** This module and every descendant. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with dotted names, in registration order (PyTorch's order). */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    return this.collect(prefix, recurse, (m) => m.ownParameters);
  }

  /** Parameters, for an optimizer. */
  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, t]) => t);
  }

  /** Buffers with dotted names. */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.collect(prefix, recurse, (m) => m.ownBuffers);
  }

  /** Buffers. */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, t]) => t);
  }

  private collect(prefix: string, recurse: boolean, pick: (m: Module) => Map<string, Tensor | null>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const modules = recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]];
    for (const [path, module] of modules) {
      for (const [name, tensor] of pick(module)) {
        if (tensor && !seen.has(tensor)) {
          seen.add(tensor);
          out.push([path ? `${path}.${name}` : name, tensor]);
        }
      }
    }
    return out;
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Calls `fn` on every descendant and then this module (PyTorch's order), e.g. for custom initialization. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.ownModules.values()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Drops every parameter's gradient (releasing it). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * Moves parameters and buffers to a device, or casts floating ones to a
   * dtype, in place as PyTorch does: the tensor objects stay the same (their
   * gradients move with them), so an optimizer made before `to()` keeps
   * training them.
   */
  to(target: Device | DType): this {
    for (const module of this.modules()) {
      for (const map of [module.ownParameters, module.ownBuffers]) {
        for (const tensor of map.values()) {
          if (!tensor) continue;
          if (isDType(target) && (tensor.dtype === 'int32' || tensor.dtype === 'bool')) continue;
          moveInPlace(tensor, target);
          if (tensor.grad) moveInPlace(tensor.grad, target);
        }
      }
    }
    return this;
  }

  /** Parameters and buffers by dotted name, PyTorch's keys and layouts. The tensors are the module's own (not copies). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [path, module] of this.namedModules()) {
      for (const map of [module.ownParameters, module.ownBuffers]) {
        for (const [name, tensor] of map) if (tensor) out[path ? `${path}.${name}` : name] = tensor;
      }
    }
    return out;
  }

  /**
   * Copies values from a state dict into this module's tensors (in place, so
   * optimizers keep working). Shapes must match; with `strict` (the default)
   * missing or unexpected keys throw, naming them.
   */
  loadStateDict(state: Readonly<Record<string, Tensor>>, options: { strict?: boolean } = {}): LoadResult {
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((key) => !(key in state));
    const unexpectedKeys = Object.keys(state).filter((key) => !(key in own));
    if ((options.strict ?? true) && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new ValueError(`loadStateDict: missing keys [${missingKeys.join(', ')}], unexpected keys [${unexpectedKeys.join(', ')}]`);
    }
    for (const [key, target] of Object.entries(own)) {
      const source = state[key];
      if (!source) continue;
      if (source.ndim !== target.ndim || source.shape.some((s, i) => s !== target.shape[i])) {
        throw new ShapeError(`loadStateDict: '${key}' has shape ${formatShape(source.shape)} in the state dict, ${formatShape(target.shape)} in the model`);
      }
      noGrad(() => target.copy_(source.device === target.device ? source : source.to(target.device)));
    }
    return { missingKeys, unexpectedKeys };
  }
}

/** Gives `tensor` its data on `target` (a device or dtype), keeping the object. */
function moveInPlace(tensor: Tensor, target: Device | DType): void {
  const moved = noGrad(() => tensor.to(target));
  if (moved !== tensor) tensor.setData(moved);
}
