import {
  DeviceError, DTypeError, formatShape, isFloating, isTensorLike, keep, ReleasedTensorError, scope, ShapeError, ValueError, type Tensor,
} from '@fathom/core';
import { enableGrad, noGrad } from '@fathom/autograd';
import { checkSerializedTensor, isSerializedTensor, renameKeys, toCamelCase, toSnakeCase, type SerializedTensor } from './state-dict.js';

/** The hyper-parameter every optimizer has. */
export interface OptimizerOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * What an optimizer keeps for one parameter between steps: tensors it owns
 * (momentum buffers, running averages) and counters such as `step`. Keys are
 * our camelCase names; `stateDict()` writes PyTorch's (`momentumBuffer` →
 * `momentum_buffer`, `expAvgSq` → `exp_avg_sq`).
 */
export type ParameterState = { readonly [key: string]: Tensor | number | undefined };

/** Fields of a parameter group besides its optimizer's hyper-parameters. */
export interface ParamGroupFields {
  /** The tensors this group updates. */
  params: Tensor[];
  /** The learning rate a scheduler started from (set by the first scheduler attached, as PyTorch's `initial_lr`). */
  initialLr?: number;
  /** Set by {@link OneCycleLR}: the peak learning rate. */
  maxLr?: number;
  /** Set by {@link OneCycleLR}: the final learning rate. */
  minLr?: number;
  /** Set by {@link OneCycleLR}: the momentum (or β1) at the ends of the cycle. */
  maxMomentum?: number;
  /** Set by {@link OneCycleLR}: the momentum (or β1) at the peak learning rate. */
  baseMomentum?: number;
  /** Anything else a scheduler or a loaded state dict put there. */
  [key: string]: unknown;
}

/**
 * A group of parameters and the hyper-parameters they are updated with, as
 * PyTorch's `param_groups` entries: change `group.lr` to change the learning
 * rate from the next step on.
 *
 * ```ts
 * for (const group of optimizer.paramGroups) group.lr *= 0.5;
 * ```
 */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = O & ParamGroupFields;

/** A parameter group as given to a constructor or {@link Optimizer.addParamGroup}: hyper-parameters left out take the optimizer's defaults. */
export type ParamGroupInput<O extends OptimizerOptions = OptimizerOptions> = Partial<O> & {
  /** The tensors of this group (any iterable: an array, a Set, a generator). */
  params: Iterable<Tensor> | Tensor;
};

/** What an optimizer's constructor takes: tensors (one group) or parameter groups. */
export type OptimizerParams<O extends OptimizerOptions = OptimizerOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** One saved parameter group: PyTorch's snake_case hyper-parameter names, and parameter indices. */
export interface SavedParamGroup {
  /** Indices of the group's parameters, counted across all groups in order. */
  params: number[];
  /** Hyper-parameters under PyTorch's names (`lr`, `weight_decay`, `betas`, `initial_lr`, …). */
  [hyperparameter: string]: unknown;
}

/**
 * An optimizer's state in PyTorch's layout: per-parameter state keyed by the
 * parameter's index, and the groups with their hyper-parameters.
 *
 * ```ts
 * // { state: { 0: { step: 3, exp_avg: Tensor, exp_avg_sq: Tensor } }, param_groups: [{ lr: 0.001, betas: [0.9, 0.999], …, params: [0] }] }
 * const sd: OptimizerStateDict = new Adam([w]).stateDict();
 * ```
 */
export interface OptimizerStateDict<T = Tensor> {
  /** State of each parameter that has been stepped, by parameter index. */
  state: Record<number, Record<string, T | number>>;
  /** The groups' hyper-parameters and parameter indices. */
  param_groups: SavedParamGroup[];
}

/** {@link OptimizerStateDict} with plain-JSON tensors, from {@link Optimizer.stateDictJson}. */
export type OptimizerStateDictJson = OptimizerStateDict<SerializedTensor>;

/** Options of {@link Optimizer.zeroGrad}. */
export interface ZeroGradOptions {
  /** Release the gradients and set `.grad` to null (default), rather than fill them with zeros. */
  setToNone?: boolean;
}

/** The result of one parameter's update rule: its new value and its new state. */
export interface ParameterUpdate<S extends ParameterState> {
  /**
   * The parameter's new value, which the base class writes into the parameter
   * with `copy_`; or the parameter itself, once the rule has updated it in
   * place (a fused kernel such as `sgdStep_`).
   */
  param: Tensor;
  /** The parameter's new state; tensors in it become the optimizer's, those it no longer holds are released. */
  state: S;
}

/**
 * The base of every optimizer: parameter groups, one shared loop over the
 * parameters that have a gradient, and the state's life cycle. A subclass
 * supplies the per-tensor update rule ({@link update}) and the checks of its
 * hyper-parameters ({@link validate}).
 *
 * The loop runs under `noGrad`, one `scope()` per parameter (temporaries are
 * released at once), and writes each parameter in place with `copy_`, so
 * references to the parameters stay valid. State tensors are `keep()`-ed and
 * owned by the optimizer: replaced ones are released, {@link dispose} releases
 * all. Parameters whose `.grad` is null are skipped.
 *
 * ```ts
 * const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * optimizer.zeroGrad();
 * loss.backward();
 * optimizer.step();
 * ```
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions, S extends ParameterState = ParameterState> {
  /** The optimizer's name in messages: `'SGD'`, `'Adam'`, … */
  readonly name: string;
  /** Hyper-parameters a group takes when it does not set its own. */
  readonly defaults: Readonly<O>;
  /** The parameter groups, in order (PyTorch's `param_groups`). */
  readonly paramGroups: ParamGroup<O>[] = [];
  private readonly stateByParam = new Map<Tensor, S>();

  /**
   * @param name the optimizer's name in messages.
   * @param params tensors, or parameter groups each with its own hyper-parameters.
   * @param defaults hyper-parameters of groups that do not set them.
   */
  protected constructor(name: string, params: OptimizerParams<O>, defaults: O) {
    this.name = name;
    this.defaults = Object.freeze({ ...defaults });
    const items: unknown[] = [...params];
    if (items.length === 0) throw new ValueError(`${name}: got an empty parameter list`);
    if (items.every((item) => isTensorLike(item))) {
      this.addGroup(Object.assign({} as Partial<O>, { params: items as Tensor[] }), name);
    } else {
      for (const item of items) this.addParamGroup(item as ParamGroupInput<O>);
    }
  }

  /**
   * The update rule for one parameter: from the parameter, its gradient, its
   * state (undefined before its first step) and its group's hyper-parameters,
   * the new value and the new state. Runs inside `noGrad` and a `scope()`.
   * It changes nothing in place but the parameter and its own state tensors,
   * and then returns the parameter itself as the new value.
   */
  protected abstract update(param: Tensor, grad: Tensor, state: S | undefined, group: ParamGroup<O>): ParameterUpdate<S>;

  /** Throws a ValueError naming the first invalid hyper-parameter of a group (`owner` starts the message). */
  protected abstract validate(options: O, owner: string): void;

  /**
   * Adds a group of parameters (PyTorch `add_param_group`), for example to
   * train layers unfrozen later; hyper-parameters it leaves out take the defaults.
   *
   * ```ts
   * optimizer.addParamGroup({ params: head.parameters(), lr: 0.01 });
   * ```
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    this.addGroup(group, `${this.name} (parameter group ${this.paramGroups.length})`);
  }

  private addGroup(group: ParamGroupInput<O>, owner: string): void {
    if (typeof group !== 'object' || group === null || !('params' in group)) {
      throw new ValueError(`${owner}: a parameter group must be an object with params, got ${isTensorLike(group) ? 'a tensor mixed with groups' : String(group)}`);
    }
    const { params: given, ...options } = group;
    const params: unknown[] = isTensorLike(given) ? [given] : [...given];
    const seen = new Set<Tensor>();
    for (const [i, param] of params.entries()) {
      if (!isTensorLike(param)) throw new ValueError(`${owner}: params[${i}] is ${typeof param}, expected a tensor`);
      if (!isFloating(param.dtype)) throw new DTypeError(`${owner}: params[${i}] is ${param.dtype}; only float tensors can be optimized`);
      if (!param.isLeaf) throw new ValueError(`${owner}: params[${i}] was made by '${param.madeBy}'; only leaf tensors can be optimized`);
      if (seen.has(param)) throw new ValueError(`${owner}: params[${i}] appears twice in the group`);
      if (this.paramGroups.some((existing) => existing.params.includes(param))) {
        throw new ValueError(`${owner}: params[${i}] is already in another parameter group`);
      }
      seen.add(param);
    }
    const merged = { ...this.defaults, ...options, params: [...seen] } as ParamGroup<O>;
    if (merged.lr === undefined) throw new ValueError(`${owner}: no lr given, and ${this.name} has no default learning rate`);
    this.validate(merged, owner);
    this.paramGroups.push(merged);
  }

  /**
   * Updates every parameter that has a gradient, in place. With a `closure`
   * (which recomputes and returns the loss, recording gradients) it is called
   * first and its loss returned, as in PyTorch.
   *
   * ```ts
   * optimizer.step();
   * ```
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    noGrad(() => {
      for (const [g, group] of this.paramGroups.entries()) {
        for (const [i, param] of group.params.entries()) {
          // A released parameter has no gradient either: skipping it would train nothing, silently.
          if (param.isReleased) throw this.releasedParameter(param, i, g);
          const grad = param.grad;
          if (grad !== null) this.stepParameter(param, grad, group);
        }
      }
    });
    return loss;
  }

  private releasedParameter(param: Tensor, index: number, group: number): ReleasedTensorError {
    let why = '';
    try {
      param.layout();
    } catch (error) {
      why = `: ${(error as Error).message}`;
    }
    return new ReleasedTensorError(`${this.constructor.name}.step: parameter ${index} of param group ${group} ${formatShape(param.shape)} was released${why}`);
  }

  private stepParameter(param: Tensor, grad: Tensor, group: ParamGroup<O>): void {
    const previous = this.stateByParam.get(param);
    const next = scope(() => {
      const result = this.update(param, grad, previous, group);
      if (result.param !== param) param.copy_(result.param);
      return this.own(result.state, param, grad);
    });
    this.stateByParam.set(param, next);
    if (previous !== undefined) releaseReplaced(previous, next);
  }

  // Keeps the state's tensors past the step's scope. A state tensor must not share memory with
  // the parameter (overwritten by copy_) or the gradient (released by zeroGrad): such are copied.
  private own(state: S, param: Tensor, grad: Tensor): S {
    const owned: Record<string, Tensor | number> = {};
    for (const [key, value] of Object.entries(state)) {
      if (value === undefined) continue;
      if (isTensorLike(value)) {
        const shared = value.storage === param.storage || value.storage === grad.storage;
        owned[key] = keep(shared ? value.clone() : value);
      } else {
        owned[key] = value;
      }
    }
    return owned as S;
  }

  /**
   * Clears the gradients of all parameters. By default (`setToNone: true`,
   * PyTorch's default) each `.grad` is released and set to null; with
   * `setToNone: false` the gradients are filled with zeros in place.
   *
   * ```ts
   * optimizer.zeroGrad();                      // .grad = null
   * optimizer.zeroGrad({ setToNone: false });  // .grad filled with 0
   * ```
   */
  zeroGrad({ setToNone = true }: ZeroGradOptions = {}): void {
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        const grad = param.grad;
        if (grad === null) continue;
        if (setToNone) {
          param.grad = null;
          grad.dispose();
        } else {
          scope(() => grad.copy_(grad.newZeros([])));
        }
      }
    }
  }

  /** The state of each parameter that has been stepped (read-only; see {@link stateDict} for a copy). */
  get state(): ReadonlyMap<Tensor, S> {
    return this.stateByParam;
  }

  /**
   * The optimizer's state in PyTorch's layout (`{ state, param_groups }`, see
   * {@link OptimizerStateDict}). The tensors are copies that the caller owns:
   * later steps do not change them (PyTorch returns references), and a
   * surrounding `scope()` releases them unless it returns them. `step` is a
   * number (PyTorch ≥ 1.12 stores a 0-d tensor; both load).
   *
   * Differs from PyTorch: a parameter appears in `state` once it has been
   * stepped (PyTorch's Adagrad fills its state at construction).
   *
   * ```ts
   * const checkpoint = { model: model.stateDict(), optimizer: optimizer.stateDict() };
   * ```
   */
  stateDict(): OptimizerStateDict {
    return this.exportState((tensor) => tensor.clone());
  }

  /**
   * {@link stateDict} with each tensor as plain `{ dtype, shape, data }`, ready
   * for `JSON.stringify` (non-finite values do not survive JSON). Async because
   * it reads the tensors.
   *
   * ```ts
   * await writeFile('optimizer.json', JSON.stringify(await optimizer.stateDictJson()));
   * optimizer.loadStateDict(JSON.parse(await readFile('optimizer.json', 'utf8')));
   * ```
   */
  async stateDictJson(): Promise<OptimizerStateDictJson> {
    const copies: Tensor[] = [];
    // Copies first, in one go: a step() running while we await the reads must not change what we save.
    const dict = this.exportState((tensor) => {
      const copy = tensor.clone();
      copies.push(copy);
      return copy;
    });
    try {
      const state: Record<number, Record<string, SerializedTensor | number>> = {};
      for (const [index, entry] of Object.entries(dict.state)) {
        const out: Record<string, SerializedTensor | number> = {};
        for (const [key, value] of Object.entries(entry)) {
          out[key] = typeof value === 'number' ? value : { dtype: value.dtype, shape: [...value.shape], data: Array.from(await value.data()) };
        }
        state[Number(index)] = out;
      }
      return { state, param_groups: dict.param_groups };
    } finally {
      for (const copy of copies) copy.dispose();
    }
  }

  private exportState(copy: (tensor: Tensor) => Tensor): OptimizerStateDict {
    const indexOf = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...options } = group;
      const ids = params.map((param) => {
        if (!indexOf.has(param)) indexOf.set(param, indexOf.size);
        return indexOf.get(param) as number;
      });
      return { ...renameKeys(options, toSnakeCase), params: ids };
    });
    const state: Record<number, Record<string, Tensor | number>> = {};
    for (const [param, entry] of this.stateByParam) {
      const index = indexOf.get(param);
      if (index === undefined) continue;
      const out: Record<string, Tensor | number> = {};
      for (const [key, value] of Object.entries(entry)) {
        if (value !== undefined) out[toSnakeCase(key)] = typeof value === 'number' ? value : copy(value);
      }
      state[index] = out;
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Restores a state from {@link Optimizer.stateDict | stateDict} or {@link Optimizer.stateDictJson | stateDictJson} (or one
   * converted from PyTorch): the groups' hyper-parameters and each
   * parameter's state, matched by position. The tensors are copied (onto the
   * parameter's device, floating ones in the parameter's dtype), so the dict
   * stays the caller's. Nothing changes if the dict does not fit.
   *
   * ```ts
   * const resumed = new Adam(model.parameters(), { lr: 1e-3 });
   * resumed.loadStateDict(checkpoint.optimizer);
   * ```
   */
  loadStateDict(stateDict: OptimizerStateDict<Tensor | SerializedTensor>): void {
    const where = `${this.name}.loadStateDict`;
    const saved = stateDict?.param_groups;
    if (!Array.isArray(saved) || typeof stateDict.state !== 'object' || stateDict.state === null) {
      throw new ValueError(`${where}: expected { state, param_groups }`);
    }
    if (saved.length !== this.paramGroups.length) {
      throw new ValueError(`${where}: the state dict has ${saved.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const paramAt = new Map<number, Tensor>();
    const groups = saved.map((savedGroup, i) => {
      const current = this.paramGroups[i];
      if (!Array.isArray(savedGroup?.params) || savedGroup.params.length !== current.params.length) {
        throw new ValueError(`${where}: parameter group ${i} has ${Array.isArray(savedGroup?.params) ? savedGroup.params.length : 'no'} parameters in the state dict and ${current.params.length} here`);
      }
      savedGroup.params.forEach((id, j) => paramAt.set(id, current.params[j]));
      const { params: _ids, ...options } = savedGroup;
      const merged = { ...current, ...renameKeys(options, toCamelCase), params: current.params } as ParamGroup<O>;
      this.validate(merged, `${where} (parameter group ${i})`);
      return merged;
    });

    const loaded = new Map<Tensor, S>();
    try {
      for (const [id, entry] of Object.entries(stateDict.state)) {
        const param = paramAt.get(Number(id));
        if (param === undefined) throw new ValueError(`${where}: state for parameter ${id}, which no parameter group lists`);
        loaded.set(param, this.importState(`${where}: state of parameter ${id}`, entry, param));
      }
    } catch (error) {
      for (const state of loaded.values()) releaseReplaced(state, {});
      throw error;
    }

    for (const state of this.stateByParam.values()) releaseReplaced(state, {});
    this.stateByParam.clear();
    for (const [param, state] of loaded) this.stateByParam.set(param, state);
    groups.forEach((group, i) => Object.assign(this.paramGroups[i], group));
  }

  private importState(where: string, entry: Record<string, Tensor | SerializedTensor | number>, param: Tensor): S {
    const out: Record<string, Tensor | number> = {};
    const made: Tensor[] = [];
    try {
      for (const [key, value] of Object.entries(entry)) {
        const name = toCamelCase(key);
        if (typeof value === 'number') {
          out[name] = value;
        } else if (name === 'step' && (isTensorLike(value) || isSerializedTensor(value))) {
          // PyTorch ≥ 1.12 keeps `step` as a 0-d tensor; we keep a number, for the bias corrections are computed on the host.
          out[name] = readScalar(`${where}, '${key}'`, value);
        } else if (isTensorLike(value) || isSerializedTensor(value)) {
          if (!isTensorLike(value)) checkSerializedTensor(`${where}, '${key}'`, value);
          const shape = value.shape;
          if (shape.length !== param.ndim || shape.some((size, i) => size !== param.shape[i])) {
            throw new ShapeError(`${where}: '${key}' has shape ${formatShape(shape)}, the parameter ${formatShape(param.shape)}`);
          }
          const tensor = keep(scope(() => importTensor(value, param)));
          made.push(tensor);
          out[name] = tensor;
        } else {
          throw new ValueError(`${where}: '${key}' is neither a number nor a tensor`);
        }
      }
    } catch (error) {
      for (const tensor of made) tensor.dispose();
      throw error;
    }
    return out as S;
  }

  /**
   * Releases the optimizer's state tensors (momentum buffers, running
   * averages). The optimizer can still step: state starts afresh.
   *
   * ```ts
   * using optimizer = new Adam(params); // released at the end of the block
   * ```
   */
  dispose(): void {
    for (const state of this.stateByParam.values()) releaseReplaced(state, {});
    this.stateByParam.clear();
  }

  /** `using optimizer = …` releases its state at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

// Releases the tensors of `previous` that `next` does not hold any more.
function releaseReplaced(previous: ParameterState, next: ParameterState): void {
  const kept = new Set(Object.values(next));
  for (const value of Object.values(previous)) {
    if (isTensorLike(value) && !kept.has(value)) value.dispose();
  }
}

// A copy of `value` on the parameter's device, floating values in the parameter's dtype (as PyTorch's load_state_dict).
function importTensor(value: Tensor | SerializedTensor, param: Tensor): Tensor {
  const onDevice = isTensorLike(value) ? (value.device === param.device ? value.clone() : value.to(param.device)) : param.newTensor(value.data, value.shape, value.dtype);
  return isFloating(onDevice.dtype) && onDevice.dtype !== param.dtype ? onDevice.cast(param.dtype) : onDevice;
}

function readScalar(where: string, value: Tensor | SerializedTensor): number {
  if (!isTensorLike(value)) {
    if (value.data.length !== 1 || typeof value.data[0] !== 'number') throw new ValueError(`${where}: expected one number`);
    return value.data[0];
  }
  if (value.numel !== 1) throw new ShapeError(`${where}: expected one value, got shape ${formatShape(value.shape)}`);
  if (!value.backend.readSync) {
    throw new DeviceError(`${where}: is a tensor on device '${value.device}', which cannot be read synchronously; pass a number`);
  }
  return value.dataSync()[0];
}
