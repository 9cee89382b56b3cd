// Entry point of an ImageFolder worker thread: decodes an image, runs the
// built-in transforms it is sent as specs, and posts the result back.
import { parentPort } from 'node:worker_threads';
import { Generator } from '@fathom/core';
import { transformFromSpec } from '../transforms/transform-from-spec.js';
import { compose, type Transform } from '../transforms/transform.js';
import { decodeImage } from './decode-image.js';
import { describeError, encodeValue, type ImageTask, type ImageTaskResult } from './image-task.js';

type Message = ({ readonly type: 'task'; readonly id: number } & ImageTask) | { readonly type: 'close' };

const port = parentPort;
if (port === null) throw new Error('image-worker.js is the entry point of a worker thread; it is not meant to be imported');

// One pipeline per distinct spec list: a dataset sends the same one every time.
const pipelines = new Map<string, Transform<never, unknown>>();
function pipelineFor(specs: ImageTask['specs']): Transform<never, unknown> {
  const key = JSON.stringify(specs);
  let pipeline = pipelines.get(key);
  if (pipeline === undefined) {
    pipeline = specs.length === 0 ? ((x: never) => x) : compose(...specs.map(transformFromSpec));
    pipelines.set(key, pipeline);
  }
  return pipeline;
}

async function run(task: Extract<Message, { type: 'task' }>): Promise<void> {
  let reply: ImageTaskResult;
  let transfer: ArrayBuffer[] = [];
  try {
    const generator = new Generator(task.seed);
    const image = await decodeImage(task.path, { mode: task.mode });
    const output = (pipelineFor(task.specs) as Transform<unknown, unknown>)(image, generator);
    const encoded = encodeValue(output);
    transfer = encoded.transfer;
    reply = { id: task.id, ok: true, value: encoded.encoded, offset: generator.getState().offset };
  } catch (error) {
    reply = { id: task.id, ok: false, ...describeError(error) };
  }
  port?.postMessage(reply, transfer);
}

let inFlight = 0;
let closing = false;
port.on('message', (message: Message) => {
  if (message.type === 'close') {
    // Closing the port lets the worker's event loop end, once the tasks in flight have replied.
    closing = true;
    if (inFlight === 0) port.close();
    return;
  }
  inFlight++;
  void run(message).finally(() => {
    inFlight--;
    if (closing && inFlight === 0) port.close();
  });
});
