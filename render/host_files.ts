/**
 * `pool on --out-dir DIR`: each host's stdout and stderr as files,
 * `DIR/<host>.out` and `DIR/<host>.err`, the exact bytes (pssh's -o and -e
 * in one directory). Written when the host finishes, replacing older files.
 */

import { join } from "../paths.ts";
import { PoolError } from "../errors.ts";
import type { HostResult } from "../remote/exec.ts";

export interface HostFiles {
  /** Writes the host's two files; the line that says where they went, or why they did not. */
  write(result: HostResult): Promise<{ line: string; error?: string }>;
}

/** Makes DIR (and its parents) before anything runs: a directory that cannot exist stops pool at once. */
export async function hostFiles(dir: string): Promise<HostFiles> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new PoolError(`cannot create --out-dir ${dir}: ${(e as Error).message}`);
  }
  return {
    async write(result) {
      const out = join(dir, `${result.host}.out`);
      const err = join(dir, `${result.host}.err`);
      try {
        await Deno.writeFile(out, result.stdoutBytes);
        await Deno.writeFile(err, result.stderrBytes);
      } catch (e) {
        const error = `output not saved: ${(e as Error).message}`;
        return { line: `exit ${result.code}, ${error}`, error };
      }
      return {
        line: `exit ${result.code}  ${out} (${bytes(result.stdoutBytes)})  ${err} (${
          bytes(result.stderrBytes)
        })`,
      };
    },
  };
}

function bytes(data: Uint8Array): string {
  return `${data.length} byte${data.length === 1 ? "" : "s"}`;
}
