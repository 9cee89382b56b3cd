/**
 * Lets the event loop run once. Vitest's worker answers its runner over an
 * RPC with a fixed 60 s timeout that it cannot read while a test blocks the
 * thread, and building a large model is seconds of synchronous random draws
 * on the CPU backend: tests that build one await this first, so no single
 * blocking stretch spans several models.
 */
export function yieldToRunner(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
