import { createReadStream } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The bytes of a file, as one buffer or a sequence of pieces written in order. */
export type FileContents = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const TEMP = /^\.(.+)\.(\d+)\.[0-9a-z]+\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files that an interrupted {@link writeFileAtomic} of `path`
 * left behind: those whose writing process is gone (a live writer's are kept).
 */
export async function removeStaleTempFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const target = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMP.exec(name);
    if (match && match[1] === target && !processAlive(Number(match[2]))) await unlink(join(dir, name)).catch(() => {});
  }
}

/**
 * Writes a file so that a crash at any moment leaves either the old file or
 * the new one, whole: the bytes go to a temp file in the same folder, which
 * is flushed to disk, renamed over `path`, and the folder flushed so the
 * rename itself survives a power cut. Temp files of earlier writers that
 * died are removed first.
 *
 * ```ts
 * await writeFileAtomic('runs/last.safetensors', await encodeSafetensors(tensors));
 * ```
 */
export async function writeFileAtomic(path: string, contents: FileContents): Promise<void> {
  await removeStaleTempFiles(path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    const pieces = contents instanceof Uint8Array ? [contents] : contents;
    for await (const piece of pieces) {
      let done = 0;
      while (done < piece.byteLength) done += (await handle.write(piece, done, piece.byteLength - done)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/**
 * Copies a file atomically (the way {@link writeFileAtomic} writes): a crash
 * leaves `to` as it was or as a whole copy, streaming the bytes without
 * holding the file in memory.
 *
 * ```ts
 * await copyFileAtomic('runs/a/last.safetensors', 'runs/a/best.safetensors');
 * ```
 */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  await writeFileAtomic(to, createReadStream(from) as AsyncIterable<Uint8Array>);
}
