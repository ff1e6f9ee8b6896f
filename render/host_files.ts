/**
 * `pool on --out-dir DIR`: each host's stdout and stderr as files,
 * `DIR/<host>.out` and `DIR/<host>.err`, the exact bytes (pssh's -o and -e
 * in one directory). Written when the host finishes, replacing older files
 * as a pair: both or neither.
 */

import { join } from "../paths.ts";
import { errorReason, PoolError, UsageError } from "../errors.ts";
import type { HostResult } from "../remote/exec.ts";

export interface HostFiles {
  /** Writes the host's two files; the line that says where they went, or why they did not. */
  write(result: HostResult): Promise<{ line: string; error?: string }>;
}

/**
 * Makes DIR (and its parents) and writes a file in it before anything runs: a directory that
 * cannot exist, or takes no file, stops pool at once, not after the command ran everywhere.
 */
export async function hostFiles(dir: string): Promise<HostFiles> {
  if (dir.trim() === "") throw new UsageError("--out-dir expects a directory, got an empty one");
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new PoolError(`cannot create --out-dir ${dir}: ${(e as Error).message}`);
  }
  try {
    await Deno.remove(await Deno.makeTempFile({ dir, prefix: ".pool-check." }));
  } catch (e) {
    throw new PoolError(`cannot write in --out-dir ${dir}: ${(e as Error).message}`);
  }
  return {
    async write(result) {
      const out = join(dir, `${result.host}.out`);
      const err = join(dir, `${result.host}.err`);
      try {
        await writePair([[out, result.stdoutBytes], [err, result.stderrBytes]]);
      } catch (e) {
        // The host's code becomes 1 (on.ts): output that was asked for and lost is a failure.
        const error = `output not saved: ${(e as Error).message}`;
        return { line: `${error} (the command exited ${result.code})`, error };
      }
      return {
        line: `exit ${result.code}  ${out} (${bytes(result.stdoutBytes)})  ${err} (${
          bytes(result.stderrBytes)
        })`,
      };
    },
  };
}

/**
 * Both files or neither: each is written beside its target first and renamed
 * over it only once both are whole, so an old pair is never half replaced.
 */
async function writePair(files: [string, Uint8Array][]): Promise<void> {
  const tag = `.pool-${crypto.randomUUID().slice(0, 8)}`;
  const made: string[] = [];
  try {
    for (const [path] of files) {
      // A rename cannot replace a directory: found now, before either file moves.
      const info = await Deno.lstat(path).catch(() => null);
      if (info?.isDirectory) throw new Error(`${path} is a directory`);
    }
    // createNew: a name already there (a link another user put in a folder open to them, for
    // the tag they saw on the first file) is never followed; it fails the pair instead.
    for (const [path, data] of files) {
      try {
        await Deno.writeFile(path + tag, data, { createNew: true });
      } catch (e) {
        // Made, then not written whole (a full disk): ours to remove. Found there: not ours.
        if (!(e instanceof Deno.errors.AlreadyExists)) made.push(path + tag);
        // Named as the file it is for, not by the temp name and Deno's syscall.
        throw new Error(`${path}: ${errorReason(e)}`);
      }
      made.push(path + tag);
    }
    for (const [path] of files) await Deno.rename(path + tag, path);
  } finally {
    // Only what this pair made: a name found there was someone else's.
    for (const temp of made) await Deno.remove(temp).catch(() => {});
  }
}

function bytes(data: Uint8Array): string {
  return `${data.length} byte${data.length === 1 ? "" : "s"}`;
}
