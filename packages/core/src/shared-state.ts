// Core's process-wide state — the device registry, the gradient engine, the
// scope stack, the memory counters, the default generator — lives on
// globalThis under a registered symbol, not in module scope. A package
// manager or a bundler may load two copies of @fathom/core into one process
// (mismatched versions, nested installs); with module-scope state,
// useAutograd() would install into one copy while layers made parameters
// with the other, and training would fail with an error that blames the user.
// The layout's version is in the key: a core whose state differs in shape
// must change it, and then keeps its own.

const KEY = Symbol.for('@fathom/core/shared-state@3');

const registry: Record<string, unknown> = ((globalThis as Record<symbol, Record<string, unknown> | undefined>)[KEY] ??= {});

/** The process's one `name`, made by `create` by whichever copy of core asks first. */
export function shared<T>(name: string, create: () => T): T {
  return (registry[name] ??= create()) as T;
}
