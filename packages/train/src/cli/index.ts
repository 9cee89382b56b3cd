export { chooseDevice, DEVICE_CHOICES, type DeviceChoice, type ChosenDevice } from './device.js';
export { runCommandLine, consoleOutput, bufferedOutput, type CliOutput, type BufferedOutput } from './command-line.js';
export { UsageError } from './usage-error.js';
export { positiveInteger, nonNegativeInteger, positiveNumber, nonNegativeNumber, probability } from './parse.js';
export { runFolder } from './run-folder.js';
export { resumeCommand } from './resume-command.js';
export { makeOptimization, OPTIMIZERS, SCHEDULES, type Optimization, type OptimizationOptions, type ScheduleSteps } from './optimization.js';
export { untilInterrupted } from './interrupt.js';
