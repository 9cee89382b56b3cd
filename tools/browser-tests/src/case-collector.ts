import type { ConformanceHarness } from '@fathom/core/testing';

type Body = () => Promise<void> | void;

interface Block {
  readonly name: string;
  readonly children: (Block | Case)[];
  readonly before: Body[];
  readonly after: Body[];
}

interface Case {
  readonly name: string;
  readonly fn: Body;
}

/** One case's outcome, named as vitest would (`describe › it`). */
export interface CaseResult {
  readonly name: string;
  /** The error's name, message and first stack lines; absent when the case passed. */
  readonly error?: string;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return String(error);
}

/**
 * A test runner small enough to ship in a page: the conformance kits
 * register their cases through describe/it/beforeAll/afterAll (the
 * ConformanceHarness they take in vitest), and {@link run} then runs them
 * in order, hooks scoped to their describe block as in vitest. In Node the
 * same collector only lists the case names, so the test can check that the
 * browser ran every case the kit registers.
 */
export class CaseCollector implements ConformanceHarness {
  private readonly root: Block = { name: '', children: [], before: [], after: [] };
  private current: Block = this.root;

  describe(name: string, fn: () => void): void {
    const block: Block = { name, children: [], before: [], after: [] };
    this.current.children.push(block);
    const parent = this.current;
    this.current = block;
    try {
      fn();
    } finally {
      this.current = parent;
    }
  }

  it(name: string, fn: Body): void {
    this.current.children.push({ name, fn });
  }

  beforeAll(fn: Body): void {
    this.current.before.push(fn);
  }

  afterAll(fn: Body): void {
    this.current.after.push(fn);
  }

  /** Every registered case's full name, in order. */
  caseNames(): string[] {
    const names: string[] = [];
    const walk = (block: Block, prefix: readonly string[]): void => {
      for (const child of block.children) {
        if ('children' in child) walk(child, [...prefix, child.name]);
        else names.push([...prefix, child.name].join(' › '));
      }
    };
    walk(this.root, []);
    return names;
  }

  /** Runs every case; a failing hook fails the cases of its block (and is reported under the block's name). */
  async run(): Promise<CaseResult[]> {
    const results: CaseResult[] = [];
    const runBlock = async (block: Block, prefix: readonly string[]): Promise<void> => {
      const where = [...prefix, block.name].filter(Boolean);
      let hookError: string | undefined;
      for (const hook of block.before) {
        try {
          await hook();
        } catch (error) {
          hookError ??= `beforeAll failed: ${describeError(error)}`;
        }
      }
      for (const child of block.children) {
        if ('children' in child) {
          await runBlock(child, where);
          continue;
        }
        const name = [...where, child.name].join(' › ');
        if (hookError !== undefined) {
          results.push({ name, error: hookError });
          continue;
        }
        try {
          await child.fn();
          results.push({ name });
        } catch (error) {
          results.push({ name, error: describeError(error) });
        }
      }
      for (const hook of block.after) {
        try {
          await hook();
        } catch (error) {
          results.push({ name: [...where, 'afterAll'].join(' › '), error: describeError(error) });
        }
      }
    };
    await runBlock(this.root, []);
    return results;
  }
}
