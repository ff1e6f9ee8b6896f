/**
 * How pool's state files are changed safely: an exclusive lock held across
 * read-modify-write, and writes that land whole (temp file beside the target,
 * fsync, rename) or not at all. Used by all of pool's state files.
 */

import { dirname, join } from "../paths.ts";
import { abortCode } from "../exit.ts";
import { sleep } from "../timers.ts";
import { type ErrorKind, errorReason, PoolError, UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import { giveFile, makeStateFolder, openPinned, ownerFor } from "./owner.ts";

/**
 * Creates pool's state directory 0700 (mkdir's own mode is filtered by the umask); root making
 * it in a user's home gives it to them (owner.ts).
 */
async function ensureStateDir(dir: string): Promise<void> {
  try {
    await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    // Its mode as made (the umask only takes bits away), never set again by name: root making
    // it in a user's home would follow a link the user swapped in, and chmod what it points at.
    makeStateFolder(dir, 0o700);
  }
}

/**
 * Where writes to `path` must go: the file a symlink (or a chain of them)
 * points at, so that a rename replaces the target and the link stays a link.
 * Only the last component is followed; a dangling link gives its target.
 */
export async function followSymlinks(path: string): Promise<string> {
  for (let hops = 0; hops < 40; hops++) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch {
      return path; // not there (yet): written as is
    }
    if (!info.isSymlink) return path;
    refuseLinkOfAnothers(path);
    const target = await Deno.readLink(path);
    // A relative target is read from the link's real folder, as the kernel
    // reads it: folding `..` into a path that runs through another symlink
    // would land somewhere else.
    path = target.startsWith("/") ? target : join(await Deno.realPath(dirname(path)), target);
  }
  throw new PoolError(`cannot follow ${path}: too many levels of symbolic links`);
}

/**
 * Root in another user's folder follows no link there: the user could point pool.json (or its
 * lock, .bak, a cache) at any file of the system, or at a name that is not there yet, and root
 * would replace it, or make it. Refused; not following a name that becomes a link after this
 * look is rename's part: it replaces the link itself (writeFileAtomically).
 */
function refuseLinkOfAnothers(path: string): void {
  const owner = ownerFor(dirname(path));
  if (owner === null) return;
  throw new PoolError(
    `${path} is a link in a folder of uid ${owner.uid}'s: as root, pool writes through no link ` +
      `there (replace it with the file, or run pool as that user)`,
    EXIT.failure,
    "state_unwritable",
  );
}

/**
 * `path` (symlinks followed) is a regular file, or not there: a state file pool may replace.
 * `POOL_STATE=/dev/null` would have pool rename its roster over the device, as root too.
 */
export async function regularFile(
  path: string,
  what: string,
  kind: ErrorKind = "roster_unreadable",
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return;
  }
  if (!info.isFile) {
    const is = info.isDirectory ? "a folder" : "not a regular file";
    throw new PoolError(`${what} ${path} is ${is}`, EXIT.failure, kind);
  }
}

/**
 * ` (it belongs to uid N)` after a permission error on another user's file (most often one a
 * root run left): chown is the way out. Nothing on a file of our own (a read-only mode, chattr
 * +i) or a read-only file system (EROFS): Deno's reason says it, and an owner there points at
 * chown, not at the mode or the mount.
 */
function ownerNote(e: unknown, uid: number | null): string {
  const ours = uid === Deno.uid();
  return e instanceof Deno.errors.PermissionDenied && !ours ? ` (it belongs to uid ${uid})` : "";
}

/**
 * How long to wait for a lock before giving up: `POOL_LOCK_TIMEOUT` seconds, default 60.
 * Digits and a decimal point only: Number() would also take 0x10, 1e3 and Infinity.
 */
export function lockTimeoutSeconds(): number {
  const raw = (Deno.env.get("POOL_LOCK_TIMEOUT") ?? "").trim();
  if (raw === "") return 60;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) {
    throw new UsageError(`POOL_LOCK_TIMEOUT expects a number of seconds, got "${raw}"`);
  }
  return n;
}

/** After this long a waiting pool says who it waits for, rather than seem hung. */
const SAY_AFTER_MS = 2000;

/**
 * Runs `work` holding an exclusive lock on `<path>.lock` (flock; released when
 * closed, even on crash). `label` names the lock in messages.
 *
 * The lock is polled with tryLock rather than awaited with lock(): a blocked
 * lock() sits in a thread that no timeout can take back.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  label = `the lock on ${path}`,
  signal?: AbortSignal,
): Promise<T> {
  const lockPath = path + ".lock";
  try {
    await ensureStateDir(dirname(path));
  } catch (e) {
    if (e instanceof PoolError) throw e;
    throw new PoolError(
      `cannot write in ${dirname(path)}: ${errorReason(e)} (creating ${lockPath})`,
      EXIT.failure,
      "state_unwritable",
    );
  }
  const lock = await openLock(lockPath);
  try {
    await acquire(lock, label, signal);
    await recordHolder(lock);
    return await work();
  } finally {
    lock.close();
  }
}

/**
 * Opens the lock file, making it if it is not there (mode 0600, given to the state folder's
 * owner when root makes it: owner.ts). One that is there but cannot be opened is named with
 * its owner: the folder is fine, the file is someone else's.
 */
async function openLock(lockPath: string): Promise<Deno.FsFile> {
  const options = { read: true, write: true, mode: 0o600 };
  for (let tries = 1;; tries++) {
    let made: Deno.FsFile | undefined;
    try {
      made = await Deno.open(lockPath, { ...options, createNew: true });
      giveFile(lockPath, ownerFor(dirname(lockPath)));
      return made;
    } catch (e) {
      made?.close();
      if (e instanceof PoolError) throw e;
      if (!(e instanceof Deno.errors.AlreadyExists)) throw unwritable(lockPath, e);
    }
    // Looked at before it is opened: opening a device can act (a watchdog arms, a tape rewinds),
    // and a user's state folder may hold a link to one for root to open. (After opening, the
    // name must still lead to what was opened: plainLock.)
    const before = await Deno.lstat(lockPath).catch(() => null);
    if (before !== null && !before.isFile) throw notPlain(lockPath);
    let lock: Deno.FsFile;
    try {
      // Not create: through a dangling link that would make the file it points at. Root in
      // another user's folder opens it pinned (owner.ts), so no link swapped in after the look.
      const pinned = ownerFor(dirname(lockPath)) === null ? null : openPinned(lockPath);
      lock = pinned ?? await Deno.open(lockPath, options);
    } catch (e) {
      if (e instanceof Deno.errors.InvalidData || /ELOOP/.test(String(e))) throw notPlain(lockPath);
      const named = await Deno.lstat(lockPath).catch(() => null);
      // Removed since (pool clean, a user tidying up): made again.
      if (named === null && tries < 3) continue;
      if (named === null) throw unwritable(lockPath, e);
      if (!named.isFile) throw notPlain(lockPath);
      throw new PoolError(
        `cannot open ${lockPath}: ${errorReason(e)}${ownerNote(e, named.uid)}`,
        EXIT.failure,
        "state_unwritable",
      );
    }
    return await plainLock(lock, lockPath);
  }
}

/**
 * `lock`, when the name still leads to it and to no link: pool writes its pid into it, and
 * root locking a user's state would otherwise write over whatever a link there points at.
 */
async function plainLock(lock: Deno.FsFile, lockPath: string): Promise<Deno.FsFile> {
  const [named, opened] = await Promise.all([Deno.lstat(lockPath).catch(() => null), lock.stat()]);
  // Root in another user's folder takes a lock of one name only (owner.ts, openPinned).
  const oneName = ownerFor(dirname(lockPath)) === null || opened.nlink === 1;
  if (
    named?.isFile && opened.isFile && named.ino === opened.ino && named.dev === opened.dev &&
    oneName
  ) {
    return lock;
  }
  lock.close();
  throw notPlain(lockPath);
}

function notPlain(lockPath: string): PoolError {
  return new PoolError(
    `lock ${lockPath} is not a regular file (a link?): remove it`,
    EXIT.failure,
    "state_unwritable",
  );
}

function unwritable(lockPath: string, e: unknown): PoolError {
  return new PoolError(
    `cannot write in ${dirname(lockPath)}: ${errorReason(e)} (creating ${lockPath})`,
    EXIT.failure,
    "state_unwritable",
  );
}

async function acquire(
  lock: Deno.FsFile,
  label: string,
  signal?: AbortSignal,
): Promise<void> {
  const timeoutMs = lockTimeoutSeconds() * 1000;
  // Timed by the monotonic clock: a wall clock stepped back an hour would wait an hour.
  const started = performance.now();
  let said = false;
  for (let pause = 10; !(await lock.tryLock(true)); pause = Math.min(pause * 2, 200)) {
    const waited = performance.now() - started;
    // Told to stop while waiting (Ctrl-C): nothing has been read or changed yet.
    if (signal?.aborted) {
      throw new PoolError(`stopped while waiting for ${label}`, abortCode(signal), "stopped");
    }
    if (waited >= timeoutMs) {
      throw new PoolError(
        `gave up waiting for ${label} after ${timeoutMs / 1000} s: ${await holder(lock)}` +
          ` (POOL_LOCK_TIMEOUT sets how long to wait)`,
        EXIT.failure,
        "lock_timeout",
      );
    }
    if (!said && waited >= SAY_AFTER_MS) {
      said = true;
      const line = `pool: waiting for ${label} ${await holder(lock)}; ` +
        `giving up after ${timeoutMs / 1000} s\n`;
      Deno.stderr.writeSync(new TextEncoder().encode(line));
    }
    await sleep(Math.min(pause, timeoutMs - waited));
  }
}

/** Writes our pid into the lock file: who holds it, where /proc/locks cannot say. */
async function recordHolder(lock: Deno.FsFile): Promise<void> {
  try {
    await lock.truncate(0);
    await lock.seek(0, Deno.SeekMode.Start);
    await lock.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch {
    // Only a courtesy to whoever waits next.
  }
}

/** The first bytes of the open file `file` (a pid and a newline), "" where it cannot be read. */
async function readFrom(file: Deno.FsFile): Promise<string> {
  try {
    await file.seek(0, Deno.SeekMode.Start);
    const buffer = new Uint8Array(64);
    const n = await file.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } catch {
    return "";
  }
}

/** "held by pid N (its command line)", as well as Linux or the lock file can tell. */
async function holder(lock: Deno.FsFile): Promise<string> {
  // From the lock pool holds open, never by its name: a user's folder may hold a FIFO or a
  // device there by now, and reading it would hang root's pool or act on the device.
  let pid: number | undefined;
  try {
    const { ino } = await lock.stat();
    pid = lockHolderPid(await Deno.readTextFile("/proc/locks"), ino);
  } catch {
    // Not Linux: the pid the holder wrote (it may not have written it yet).
  }
  if (pid === undefined) {
    const written = Number((await readFrom(lock)).trim());
    if (Number.isInteger(written) && written > 0) pid = written;
  }
  if (pid === undefined) return "held by another process";
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  const command = cmdline.split("\0").filter((a) => a !== "").join(" ");
  const short = command.length > 80 ? command.slice(0, 79) + "…" : command;
  return `held by pid ${pid}${short ? ` (${short})` : ""}`;
}

/**
 * The pid holding a flock on inode `ino`, from /proc/locks text, e.g.
 * `1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF`; waiters (`->`) are not holders.
 * Matched on the inode alone: a clash across devices is unlikely and only misnames.
 */
export function lockHolderPid(procLocks: string, ino: number | null): number | undefined {
  for (const line of procLocks.split("\n")) {
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
    if (m && Number(m[2]) === ino) return Number(m[1]);
  }
}

/**
 * Replaces `path` with `text` (mode 0600): readers see the old file or the new one, never half.
 * Root writing in a user's folder gives the file to the folder's owner (owner.ts).
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  // A link in another user's folder (as root) is refused there; a name that becomes one after
  // that look is replaced by the rename, never what it points at.
  path = await followSymlinks(path);
  await regularFile(path, "state file", "state_unwritable");
  const owner = ownerFor(dirname(path));
  const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    // Made new (never through a link), written and flushed through one descriptor, mode as made:
    // nothing is done to the name after, which a user could have swapped in their own folder.
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(text);
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      // Flushed before the rename, so a crash leaves the old file or the new one.
      await file.sync();
    } finally {
      file.close();
    }
    giveFile(temp, owner);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    if (e instanceof PoolError) throw e;
    throw new PoolError(
      `cannot write ${path}: ${errorReason(e)}`,
      EXIT.failure,
      "state_unwritable",
    );
  }
  await removeStaleTemps(path);
}

/** A write takes milliseconds: a temp file this old is one a killed pool left behind. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Removes what writes to `path` that were killed half way (kill -9, a crash)
 * left: each a whole copy of the file, and agents kill pool often enough for
 * them to pile up. Only its own temps, and only old ones: a live write's is new.
 */
async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${path.slice(dir.length + 1)}.tmp-`;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith(prefix)) continue;
      const file = join(dir, entry.name);
      const { mtime } = await Deno.lstat(file);
      if (mtime && Date.now() - mtime.getTime() > STALE_TEMP_MS) await Deno.remove(file);
    }
  } catch {
    // Tidying only: the write itself has succeeded.
  }
}

/** The file's text, or null when it does not exist; any other failure is a PoolError naming it. */
export async function readTextIfExists(path: string, what: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    // Most often left by a root run from before pool gave root's files to the folder's owner.
    const owner = e instanceof Deno.errors.PermissionDenied
      ? await Deno.stat(path).then((i) => ownerNote(e, i.uid), () => "")
      : "";
    throw new PoolError(`cannot read ${what} ${path}: ${errorReason(e)}${owner}`);
  }
}
