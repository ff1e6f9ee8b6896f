/**
 * A copy's paths as rsync and tar are given them: `~` read as the login directory, a `cd` that
 * CDPATH cannot move, a local operand rsync cannot take for `host:path`, a source's root and
 * name. Apart from transfer.ts so that it and both copy methods (rsync.ts, tar_copy.ts) share
 * them without importing one another.
 */

import { basename, dirname, join } from "../paths.ts";
import { type Host, isLocal } from "../roster/host.ts";

/**
 * `~/x` → `x`, `~` → `.`: the login directory is where both rsync and tar
 * start. Given `home` (this machine's, for `local`), `~` is that instead.
 */
export function remotePath(path: string, home?: string): string {
  if (path === "~" || path === "~/") return home ?? ".";
  if (!path.startsWith("~/")) return path;
  const rest = path.slice(2).replace(/^\/+/, "");
  return home === undefined ? rest || "." : rest ? join(home, rest) : home;
}

/** Where `~` points on `host`: its login directory, or $HOME on this machine. */
export function homeOf(host: Host): string | undefined {
  return isLocal(host) ? Deno.env.get("HOME") || undefined : undefined;
}

/**
 * A path as `cd` takes it without searching CDPATH (a relative one gets `./`):
 * a CDPATH in a host's profile must not move a copy, or its --delete, elsewhere.
 */
export function cdPath(path: string): string {
  return path.startsWith("/") || path.startsWith("./") ? path : `./${path}`;
}

/**
 * A local path as rsync's operand: a relative one with a `:` before any `/`
 * would be read as `host:path` (and rsync would open its own ssh there).
 */
export function localOperand(path: string): string {
  return !path.startsWith("/") && /^[^/]*:/.test(path) ? `./${path}` : path;
}

/** Where a source's entries are taken from, and under which name: `dir` → (parent, dir); `dir/` → (dir, .). */
export function sourceRoot(path: string): { root: string; name: string } {
  const base = basename(path);
  if (path.endsWith("/") || base === "." || base === "..") return { root: path, name: "." };
  return { root: dirname(path), name: base };
}
