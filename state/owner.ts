/**
 * Whose pool's state is. Root runs pool on a user's state too (`sudo -E pool …`, sudo keeping
 * HOME, a root cron job with POOL_STATE): what it made there was root's, 0600, and the user
 * could no longer read their own roster or take their own locks. So what root makes or
 * replaces in a folder of another user's goes to that folder's owner and group; anyone else
 * cannot give files away, and makes them as before.
 *
 * The folder is the user's, so they may swap a name in it between our making a file and
 * giving it away: files are given through an open descriptor, opened without following a
 * link, and only while no other name points at them (a hard link to /etc/shadow swapped in
 * would give that away). Folders have no hard links; lchown changes a swapped-in link, not
 * what it points at.
 */

import { dirname } from "../paths.ts";
import { EXIT } from "../exit.ts";
import { PoolError } from "../errors.ts";

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Who what pool makes in `dir` should belong to: the owner of `dir`, or of the nearest folder
 * above it that is there. Null where that is us: not root (nobody else can give files away),
 * or root's own folder.
 */
export function ownerFor(dir: string): Owner | null {
  if (Deno.uid() !== 0) return null;
  for (let at = dir;; at = dirname(at)) {
    try {
      // A user's link for the folder (`~/.pool` -> /etc) would have root write its files into
      // whatever folder the user chose, as root's: refused.
      const named = Deno.lstatSync(at);
      if (named.isSymlink && named.uid !== null && named.uid !== 0) {
        throw new PoolError(
          `state folder ${at} is a link of uid ${named.uid}'s: as root, pool does not follow it ` +
            `(run pool as that user, or set POOL_STATE to the folder itself)`,
          EXIT.failure,
          "state_unwritable",
        );
      }
      const { uid, gid } = named.isSymlink ? Deno.statSync(at) : named;
      return uid === null || uid === 0 ? null : { uid, gid: gid ?? uid };
    } catch (e) {
      if (e instanceof PoolError) throw e;
      if (!(e instanceof Deno.errors.NotFound) || dirname(at) === at) return null;
    }
  }
}

/** Gives the file pool has just made at `path` to `owner` (nothing when null). */
export function giveFile(path: string, owner: Owner | null): void {
  if (!owner) return;
  const fs = nodeFs();
  let fd: number | undefined;
  try {
    // Not blocking: a FIFO swapped in would hold root's pool in open() past every signal.
    fd = fs.openSync(
      path,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
    );
    const info = fs.fstatSync(fd);
    if (!info.isFile() || info.nlink !== 1) throw new Error("it is no longer the file pool made");
    fs.fchownSync(fd, owner.uid, owner.gid);
  } catch (e) {
    throw refused(path, owner, e);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Opens the plain file at `path` for reading and writing without following a link or blocking,
 * for root in another user's folder (Linux): the descriptor is held while the file is opened again
 * through /proc/self/fd, so what Deno opens is what was checked, whatever the user renames
 * meanwhile. Null where /proc is not there (the caller then checks the name before and after).
 */
export function openPinned(path: string): Deno.FsFile | null {
  if (!exists("/proc/self/fd")) return null;
  const fs = nodeFs();
  const flags = fs.constants.O_RDWR | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
  const fd = fs.openSync(path, flags);
  try {
    // One name only: a hard link a user made to a file of root's (where protected_hardlinks is
    // off) would have root write its pid over that file.
    const info = fs.fstatSync(fd);
    if (!info.isFile() || info.nlink !== 1) throw new Deno.errors.InvalidData("not a plain file");
    return Deno.openSync(`/proc/self/fd/${fd}`, { read: true, write: true });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes folder `dir`, and any missing above it, with `mode` (filtered by the umask, as mkdir's
 * is), each given to the owner of the nearest folder above that was there.
 */
export function makeStateFolder(dir: string, mode: number): void {
  const owner = ownerFor(dir);
  const missing: string[] = [];
  for (let at = dir; owner && !exists(at) && dirname(at) !== at; at = dirname(at)) {
    missing.unshift(at);
  }
  Deno.mkdirSync(dir, { recursive: true, mode });
  if (!owner) return;
  const fs = nodeFs();
  for (const made of missing) {
    try {
      fs.lchownSync(made, owner.uid, owner.gid);
    } catch (e) {
      throw refused(made, owner, e);
    }
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where root cannot give a file away (an NFS home that squashes root, a user namespace the
 * owner is not mapped into), leaving it root's would lock the user out: refused instead.
 */
function refused(path: string, owner: Owner, e: unknown): PoolError {
  const why = (e as Error).message.replace(/, \w+ '.*'$/, "");
  return new PoolError(
    `cannot give ${path} to uid ${owner.uid}, the owner of its folder: ${why}`,
    EXIT.failure,
    "state_unwritable",
  );
}

type NodeFs = typeof import("node:fs");

/** node:fs, for what Deno lacks (fchown, lchown, O_NOFOLLOW); loaded only here, see node_os.ts. */
function nodeFs(): NodeFs {
  const process = (globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  }).process;
  return process.getBuiltinModule("node:fs") as NodeFs;
}
