/**
 * Where pool keeps its state: the roster (`$POOL_STATE`, else
 * `~/.pool/pool.json`) and, beside it, the lease ledger and control sockets.
 */

import { dirname, join } from "node:path";
import { homedir } from "node:os";

/** `$POOL_STATE`, else `~/.pool/pool.json`. */
export function rosterPath(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string {
  const fromEnv = env("POOL_STATE");
  if (fromEnv) return fromEnv;
  return join(env("HOME") || homedir(), ".pool", "pool.json");
}

/** The directory for pool's other state (control sockets, ledger): beside the roster. */
export function stateDir(path = rosterPath()): string {
  return dirname(path);
}
