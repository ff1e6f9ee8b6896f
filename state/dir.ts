/**
 * Where pool keeps its state: the roster (`$POOL_STATE`, else
 * `~/.pool/pool.json`) and, beside it, the lease ledger and control sockets.
 */

import { dirname, join } from "../paths.ts";
import { nodeOs } from "../node_os.ts";

/** `$POOL_STATE`, else `~/.pool/pool.json`. */
export function rosterPath(env: (name: string) => string | undefined): string {
  const fromEnv = env("POOL_STATE");
  if (fromEnv) return fromEnv;
  return join(homeDir(env), ".pool", "pool.json");
}

/** `$HOME`, else the account's home directory. */
export function homeDir(env: (name: string) => string | undefined): string {
  return env("HOME") || nodeOs().homedir();
}

/** The directory for pool's other state (control sockets, ledger): beside the roster. */
export function stateDir(path: string): string {
  return dirname(path);
}
