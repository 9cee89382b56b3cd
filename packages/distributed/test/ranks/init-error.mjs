// Calls init() in whatever environment the test gave this process and prints
// the error it threw (or "no error") as one JSON line, for test/init.test.ts.
import { isFathomError } from '@fathom/core';
import { DistributedError, init } from '@fathom/distributed';

try {
  const group = await init();
  await group.destroy();
  console.log(JSON.stringify({ error: null }));
} catch (error) {
  console.log(JSON.stringify({
    error: { message: error.message, name: error.name, distributed: error instanceof DistributedError, deviceError: isFathomError(error, 'DeviceError'), rank: error.rank ?? null },
  }));
}
