import { join } from 'node:path';

/**
 * The command line that resumes an interrupted run: the same flags, with
 * `--out` and `--resume` pointing at the run folder and its `last.safetensors`.
 *
 * ```ts
 * resumeCommand('fathom-lm train', ['--steps', '500'], 'runs/a'); // 'fathom-lm train --steps 500 --out runs/a --resume runs/a/last.safetensors'
 * ```
 */
export function resumeCommand(program: string, argv: readonly string[], dir: string): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--resume' || argv[i] === '--out') { i++; continue; }
    if (argv[i].startsWith('--resume=') || argv[i].startsWith('--out=')) continue;
    kept.push(argv[i]);
  }
  return [program, ...kept, '--out', dir, '--resume', join(dir, 'last.safetensors')].join(' ');
}
