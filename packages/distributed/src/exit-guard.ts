import { inspect } from 'node:util';

/**
 * Makes a rank that leaves — an uncaught error, an unhandled rejection,
 * `process.exit()` — leave at once and say so, even while its MPI thread is
 * blocked in a collective that the other ranks will never join.
 *
 * Why: Node joins its worker threads before the process ends, and a thread
 * inside `MPI_Allreduce` cannot be interrupted, so without this the process
 * would print its error and then hang forever, and so would the job (mpirun
 * stops the job only once a process has ended). When the MPI thread is busy
 * we end the process with libc's `_exit`, which skips that join; mpirun then
 * sees the rank gone and stops the others within seconds. When it is idle,
 * Node ends the process as usual. Either way the rank's line on stderr names
 * it beside mpirun's report. Returns a function that removes the guard.
 */
export async function guardExit(rank: number, size: number, mpiThreadBusy: () => boolean): Promise<() => void> {
  const exitNow = await bindExit();
  const say = (code: number): void => {
    process.stderr.write(`@fathom/distributed: rank ${rank} of ${size} is exiting (code ${code}) without destroy(); mpirun will stop the other ranks\n`);
  };
  const onExit = (code: number): void => {
    say(code);
    if (mpiThreadBusy()) exitNow(code);
  };
  const onFatal = (error: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void => {
    // The program handles it itself: not fatal.
    if (process.listenerCount(origin) > 0) return;
    if (!mpiThreadBusy()) return; // Node prints it and exits; onExit says which rank.
    // Node would print this after the monitors; _exit comes first, so print it here.
    process.stderr.write(`${inspect(error)}\n`);
    say(1);
    exitNow(1);
  };
  process.on('exit', onExit);
  process.on('uncaughtExceptionMonitor', onFatal);
  return () => {
    process.off('exit', onExit);
    process.off('uncaughtExceptionMonitor', onFatal);
  };
}

async function bindExit(): Promise<(code: number) => void> {
  try {
    const koffi = (await import('koffi')).default;
    const exit = koffi.load('libc.so.6').func('void _exit(int status)') as (status: number) => void;
    return (code) => exit(code);
  } catch {
    // No glibc: SIGKILL ends the process as surely, with mpirun reporting signal 9 instead of the code.
    return () => process.kill(process.pid, 'SIGKILL');
  }
}
