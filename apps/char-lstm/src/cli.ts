import { CHAR_RNN_CELLS } from '@fathom/models';
import {
  consoleOutput, DEVICE_CHOICES, nonNegativeInteger, nonNegativeNumber, OPTIMIZERS, positiveInteger, positiveNumber, probability, runCommandLine, SCHEDULES,
  type CliOutput,
} from '@fathom/train/cli';
import { Command, InvalidArgumentError, Option } from 'commander';
import { evaluateCommand, type EvalOptions } from './eval-command.js';
import { sample, type SampleOptions } from './sample-command.js';
import { train, type TrainOptions } from './train-command.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function nonEmpty(value: string): string {
  if (value.length === 0) throw new InvalidArgumentError('expected at least one character');
  return value;
}

function topP(value: string): number {
  const parsed = positiveNumber(value);
  if (parsed > 1) throw new InvalidArgumentError(`expected a number in (0, 1], got '${value}'`);
  return parsed;
}

const deviceOption = (): Option => new Option('--device <name>', 'auto: a hardware WebGPU adapter, else wasm').choices(DEVICE_CHOICES).default('auto');

function trainCommand(output: CliOutput): Command {
  return new Command('train')
    .description('train a char-level language model with truncated BPTT (the default command)')
    .option('--text <file>', 'UTF-8 training text; repeat to join several (default: the embedded Moby Dick)', collect)
    .option('--val-fraction <f>', 'the end of the text kept for validation', probability, 0.1)
    .addOption(new Option('--model <cell>', 'recurrent cell').choices(CHAR_RNN_CELLS).default('lstm'))
    .option('--layers <n>', 'stacked recurrent layers', positiveInteger, 2)
    .option('--hidden <n>', 'hidden units per layer', positiveInteger, 256)
    .option('--embedding <n>', 'character embedding size', positiveInteger, 64)
    .option('--dropout <p>', 'dropout between layers and before the decoder', probability, 0)
    .option('--seq-len <n>', 'characters per window: how far back gradients flow', positiveInteger, 64)
    .option('--batch-size <n>', 'parallel streams of text', positiveInteger, 32)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default('adam'))
    .option('--lr <rate>', 'learning rate', positiveNumber, 2e-3)
    .option('--momentum <m>', 'SGD momentum', nonNegativeNumber, 0.9)
    .option('--nesterov', 'Nesterov momentum', false)
    .option('--weight-decay <wd>', 'weight decay', nonNegativeNumber, 0)
    .option('--clip <norm>', 'clip the global gradient norm to this (0: no clipping)', nonNegativeNumber, 5)
    .addOption(new Option('--lr-schedule <name>', 'learning-rate schedule over the run').choices(SCHEDULES).default('none'))
    .option('--warmup-steps <n>', 'linear warm-up steps before the schedule', nonNegativeInteger, 0)
    .option('--epochs <n>', 'passes over the training text (default 1)', positiveInteger)
    .option('--steps <n>', 'optimizer steps, instead of --epochs', positiveInteger)
    .option('--eval-every <n>', 'validate (and sample, and save last) every n steps as well as at the end of each pass (0: only then)', nonNegativeInteger, 200)
    .option('--sample-length <n>', 'characters sampled at each validation (0: none)', nonNegativeInteger, 300)
    .option('--seed <n>', 'random seed', nonNegativeInteger, 0)
    .addOption(deviceOption())
    .option('--out <dir>', 'run folder for logs, plots, checkpoints and the report (default runs/<time>-lm-<model>)')
    .option('--resume <checkpoint>', 'continue a run from its last.safetensors')
    .option('--grad-norm-every <n>', 'record per-layer gradient norms every n steps (0: never)', nonNegativeInteger, 50)
    .option('--capture-steps', 'replay each window\'s forward and backward pass once captured (captureStep): same results, less JavaScript per step; dropout keeps it eager', false)
    .action(async (options: TrainOptions) => { await train(options, output); });
}

function program(output: CliOutput): Command {
  const root = new Command()
    .name('fathom-lm')
    .description('A character-level language model on Fathom, in the manner of char-rnn: train an LSTM (or GRU, or RNN) on Moby Dick or your text, sample from it, score it in bits per character.')
    .showSuggestionAfterError(true);
  root.addCommand(trainCommand(output), { isDefault: true });
  root.addCommand(new Command('sample')
    .description('write text with a trained model, streaming it as it is drawn')
    .requiredOption('--checkpoint <file>', 'a fathom-lm checkpoint (best.safetensors or last.safetensors of a run)')
    .option('--prompt <text>', 'text to continue (default: a new line)', nonEmpty)
    .option('--length <n>', 'characters to write', nonNegativeInteger, 500)
    .option('--temperature <t>', 'below 1 safer, above 1 wilder; 0 always takes the most likely character', nonNegativeNumber, 0.8)
    .option('--top-k <k>', 'draw only from the k most likely characters', positiveInteger)
    .option('--top-p <p>', 'draw only from the most likely characters that make up p of the probability', topP, 1)
    .option('--seed <n>', 'random seed: the same seed writes the same text on every device', nonNegativeInteger, 0)
    .addOption(deviceOption())
    .action(async (options: SampleOptions) => { await sample(options, output); }));
  root.addCommand(new Command('eval')
    .description('bits per character of a checkpoint on a text file')
    .requiredOption('--checkpoint <file>', 'a fathom-lm checkpoint')
    .requiredOption('--text <file>', 'a UTF-8 text file')
    .option('--batch-size <n>', 'parallel streams the text is cut into', positiveInteger, 16)
    .option('--seq-len <n>', 'characters per window (default: the training one)', positiveInteger)
    .addOption(deviceOption())
    .action(async (options: EvalOptions) => { await evaluateCommand(options, output); }));
  return root;
}

/**
 * Runs `fathom-lm` on `argv` (the arguments after the script name) and
 * resolves to the exit code: 0 done (or interrupted and saved), 2 for bad
 * input of any kind (one line on stderr, no stack trace), 1 when training
 * diverged. Nothing here calls `process.exit`, so tests can call it.
 */
export async function main(argv: readonly string[], output: CliOutput = consoleOutput): Promise<number> {
  return runCommandLine(program(output), argv, output);
}
