import {
  consoleOutput, DEVICE_CHOICES, OPTIMIZERS, SCHEDULES, nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber, probability, runCommandLine, type CliOutput,
} from '@fathom/train/cli';
import { Command, Option } from 'commander';
import { ARCHITECTURES } from './architectures.js';
import { gradientFlow, type GradientFlowOptions } from './gradient-flow.js';
import { train, type TrainOptions } from './train-command.js';

function trainCommand(run: (options: TrainOptions) => Promise<void>): Command {
  return new Command('train')
    .description('train a classifier, from logistic regression to ResNet (the default command)')
    .addOption(new Option('--arch <name>', 'model').choices(ARCHITECTURES).default('lenet5'))
    .addOption(new Option('--dataset <name>', 'digits: the 10,000 embedded MNIST digits; imagefolder: --data DIR with train/ and val/; cifar10: --data DIR of the binaries').choices(['digits', 'imagefolder', 'cifar10']).default('digits'))
    .option('--data <dir>', 'data folder (implies --dataset imagefolder unless --dataset says otherwise)')
    .option('--pretrained <file>', 'start from weights: safetensors or a torchvision .pth')
    .option('--pca <k>', 'train the softmax classifier on the first k principal components (with --arch softmax)', positiveInteger)
    .option('--epochs <n>', 'epochs (20 reach 98.5% on the digits with LeNet-5)', positiveInteger, 20)
    .option('--batch-size <n>', 'samples per batch', positiveInteger, 64)
    .option('--lr <rate>', 'learning rate', positiveNumber, 0.05)
    .option('--momentum <m>', 'SGD momentum', nonNegativeNumber, 0.9)
    .option('--nesterov', 'Nesterov momentum', false)
    .option('--weight-decay <wd>', 'L2 weight decay', nonNegativeNumber, 5e-4)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default('sgd'))
    .addOption(new Option('--lr-schedule <name>', 'learning-rate schedule').choices(SCHEDULES).default('cosine'))
    .option('--warmup-epochs <n>', 'linear warm-up epochs before the schedule', nonNegativeNumber, 0)
    .option('--label-smoothing <e>', 'label smoothing of the cross-entropy', probability, 0)
    .option('--dropout <p>', 'dropout of the classifier (AlexNet, VGG, MLP)', probability)
    .option('--no-augment', 'no random crops, shifts or flips')
    .option('--image-size <px>', 'side of the images the model sees (default: 28 for the digits and small models, the architecture\'s size otherwise, 224 for an ImageFolder)', positiveInteger)
    .option('--workers <n>', 'image-decoding worker threads (ImageFolder)', nonNegativeInteger, 0)
    .option('--limit <n>', 'use only the first n training and n validation images (quick runs, tests)', positiveInteger)
    .option('--seed <n>', 'random seed', nonNegativeInteger, 0)
    .addOption(new Option('--device <name>', 'auto: a hardware WebGPU adapter, else wasm').choices(DEVICE_CHOICES).default('auto'))
    .option('--out <dir>', 'run folder for logs, plots, checkpoints and the report (default runs/<time>-<arch>)')
    .option('--resume <checkpoint>', 'continue a run from its last.safetensors')
    .option('--evaluate', 'only evaluate (with --pretrained or --resume)', false)
    .option('--grad-norm-every <n>', 'record per-layer gradient norms every n steps (0: never)', nonNegativeInteger, 50)
    .option('--capture-steps', 'replay each step\'s forward and backward pass once captured (captureStep): same results, less JavaScript per step; models with dropout stay eager', false)
    .option('--profile', 'profile the training: time and memory per op (profile.txt) and a Chrome trace (trace.json) in the run folder', false)
    .option('--distributed', 'one rank of a data-parallel job started by `mpirun -np N fathom-train --distributed …` (Open MPI); --batch-size is the global batch; rank 0 writes the run folder', false)
    .action(async (options: TrainOptions) => { await run(options); });
}

function program(output: CliOutput): Command {
  const root = new Command()
    .name('fathom-train')
    .description('An ImageNet-style CNN trainer on Fathom: logistic regression to ResNet on the embedded digits, an ImageFolder or CIFAR-10.')
    .showSuggestionAfterError(true);
  root.addCommand(trainCommand((options) => train(options, output)), { isDefault: true });
  root.addCommand(new Command('gradient-flow')
    .description('the vanishing-gradient lesson: deep sigmoid, ReLU, LayerNorm and residual MLPs side by side, with each layer\'s gradient norm over steps')
    .option('--depth <n>', 'hidden layers', positiveInteger, 10)
    .option('--width <n>', 'units per hidden layer', positiveInteger, 64)
    .option('--steps <n>', 'training steps per network', positiveInteger, 150)
    .option('--batch-size <n>', 'samples per batch', positiveInteger, 64)
    .option('--lr <rate>', 'SGD learning rate', positiveNumber, 0.1)
    .option('--seed <n>', 'random seed', nonNegativeInteger, 0)
    .addOption(new Option('--device <name>', 'device').choices(DEVICE_CHOICES).default('auto'))
    .option('--out <dir>', 'folder for the plot and the report (default runs/<time>-gradient-flow)')
    .action(async (options: GradientFlowOptions) => { await gradientFlow(options, output); }));
  return root;
}

/**
 * Runs `fathom-train` on `argv` (the arguments after the script name) and
 * resolves to the exit code: 0 done (or interrupted and saved), 2 for bad
 * input of any kind (one line on stderr, no stack trace), 1 when training
 * diverged. Nothing here calls `process.exit`, so tests can call it.
 */
export async function main(argv: readonly string[], output: CliOutput = consoleOutput): Promise<number> {
  return runCommandLine(program(output), argv, output);
}
