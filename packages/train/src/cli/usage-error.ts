/**
 * A problem with what the user asked for — an unknown value, a missing
 * folder, a checkpoint of another architecture, no GPU adapter — printed as
 * one line, exit code 2, never a stack trace.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
