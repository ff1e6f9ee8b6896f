/**
 * How pool's state files are changed safely: an exclusive lock held across
 * read-modify-write, and writes that land whole (temp file beside the target,
 * fsync, rename) or not at all. Used by the roster and the lease ledger.
 */

import { dirname } from "node:path";
import { PoolError } from "../errors.ts";

/** Creates pool's state directory 0700 (mkdir's own mode is filtered by the umask). */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700);
  }
}

/** Runs `work` holding an exclusive lock on `<path>.lock` (flock; released when closed, even on crash). */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  await ensureStateDir(dirname(path));
  const lock = await Deno.open(path + ".lock", { create: true, write: true, mode: 0o600 });
  try {
    await lock.lock(true);
    return await work();
  } finally {
    lock.close();
  }
}

/** Replaces `path` with `text` (mode 0600): readers see the old file or the new one, never half. */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(temp, text, { createNew: true, mode: 0o600 });
    // Flush to disk before the rename, so a crash leaves the old file or the new one.
    const file = await Deno.open(temp, { read: true });
    try {
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw new PoolError(`Cannot write ${path}: ${(e as Error).message}`);
  }
}

/** The file's text, or null when it does not exist; any other failure is a PoolError naming it. */
export async function readTextIfExists(path: string, what: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new PoolError(`Cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}
