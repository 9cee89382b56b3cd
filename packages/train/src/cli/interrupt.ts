/**
 * Runs `train` with Ctrl-C wired to its abort signal: the first SIGINT says
 * so through `say` and lets the loop finish its step and save `last` (the
 * loops return `status: 'interrupted'`); the handler is removed afterwards.
 *
 * ```ts
 * const result = await untilInterrupted((line) => recorder.say(line), (signal) => fit({ ...options, signal }));
 * ```
 */
export async function untilInterrupted<T>(say: (message: string) => void, train: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = (): void => {
    say('SIGINT: finishing this step, then saving last.safetensors…');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await train(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
