let enabled = true;

/** Whether ops are recorded for backward right now. */
export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError('noGrad/enableGrad take a synchronous function; grad mode is global, so an async body would leak it to other work');
    }
    return result;
  } finally {
    enabled = previous;
  }
}

/**
 * Runs `fn` without recording a graph: for evaluation and for updating
 * parameters (`torch.no_grad()`).
 *
 * ```ts
 * const accuracy = noGrad(() => model.forward(x).argmax(1).eq(y).float().mean());
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/** Runs `fn` with recording on, even inside {@link noGrad} (`torch.enable_grad()`). */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}
