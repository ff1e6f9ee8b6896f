/**
 * OpenSSH connection sharing, owned by pool: the first ssh to a host leaves
 * a master behind (ControlPersist) and later commands ride on it, skipping
 * the handshake that is most of a cold command's cost.
 *
 * A master is found by what ssh really connects to, resolved by `ssh -G`
 * each run: keyed by the alias, a master would keep carrying commands to the
 * old address after the user's ssh_config moved the alias elsewhere. Like
 * ssh's own `%C` (user, host name, port, jump host) and stricter: the socket
 * is named by the digest of every setting `ssh -G` prints (ssh.ts, kept with
 * the answer, so naming it costs no hashing per run), so two aliases of one
 * address share a master only if they connect the same way. One with another
 * identity or a stricter host-key policy never rides a connection the other
 * authenticated.
 *
 * A master that died or wedged must never hang a command: before ssh is
 * pointed at a socket, pool connects to it itself and waits briefly for the
 * master's hello. No hello → the socket is stale: removed, so ssh starts a
 * fresh master; if it cannot be removed, this command goes without (-S none).
 * The wait is a round trip to the master (well under a millisecond idle, a few
 * on a loaded machine), and it stays: starting ssh at once and stopping it
 * when no hello came ran commands twice (a master that woke at the deadline,
 * a socket another pool had replaced meanwhile, pool itself suspended), where
 * waiting first never lets an ssh near a master that did not answer.
 */

import { join } from "../paths.ts";
import { after } from "../timers.ts";
import { isOutOfDescriptors } from "./process.ts";
import { configOverrides, hostKeyOptions, type ResolvedTarget, resolveTarget } from "./ssh.ts";

export interface MuxSettings {
  /** Where control sockets live (pool's state directory + /cm). */
  dir: string;
  /** Seconds an idle master stays; 0 turns sharing off. */
  persistSeconds: number;
  /** The ssh config in use (`POOL_SSH_CONFIG`): the same alias may mean another host under another config. */
  sshConfig?: string;
  /** Where `ssh -G` answers are kept between runs (resolve_cache.ts); none: asked every run. */
  resolveCache?: string;
  /** Which hosts' login shell is bash, kept between runs (login_shells.ts); none: this run only. */
  loginShells?: string;
}

/**
 * The longest control path, in bytes: a unix socket's path holds 103 (macOS; Linux 107), and
 * ssh first binds `<ControlPath>.<16 random characters>`, then renames it. A longer one made
 * every ssh fail (exit 255) instead of connecting unshared.
 */
const MAX_SOCKET_PATH = 103 - 17;
/**
 * How long a master may take to say hello before it counts as wedged. A live
 * one answers in a millisecond; but on a machine under heavy load (the bench
 * saw load 40 on 2 cores) 0.5 s was too short, and a slow master lost its
 * socket to a new one.
 */
const HELLO_WAIT_MS = 2000;

/**
 * The control socket for a resolved target: its settings digest, shortened so
 * the path fits whatever the target (80 bits: no two targets of a fleet meet).
 */
export function socketPath(settings: MuxSettings, target: ResolvedTarget): string {
  return join(settings.dir, target.settings.slice(0, 20));
}

/** The control socket pool uses for `target` under `settings`, or null when ssh cannot resolve it. */
export async function controlSocket(settings: MuxSettings, target: string): Promise<string | null> {
  const resolved = await resolveTarget(target, settings.sshConfig, settings.resolveCache);
  return resolved && socketPath(settings, resolved);
}

/**
 * Everything pool adds to ssh for `target` once `ssh -G` has said what it
 * connects to (once a run): the host-key default and what it overrides in the
 * user's config (ssh.ts), then the options that share connections, after
 * making sure any existing master answers.
 */
export async function muxOptions(
  settings: MuxSettings | undefined,
  target: string,
): Promise<string[]> {
  const resolved = await resolveTarget(target, settings?.sshConfig, settings?.resolveCache);
  return [
    ...hostKeyOptions(resolved),
    ...configOverrides(resolved),
    ...await sharing(settings, resolved),
  ];
}

/**
 * A connection of its own, whatever the user's ssh_config says: left to it, a `Host *` with
 * ControlMaster/ControlPath sent the command through the user's own master, which pool never
 * checked, and a wedged one hung the command until its deadline.
 */
const UNSHARED = ["-o", "ControlMaster=no", "-o", "ControlPath=none"];

async function sharing(
  settings: MuxSettings | undefined,
  target: ResolvedTarget | null,
): Promise<string[]> {
  // Unresolved: ssh will most likely fail anyway, and there is nothing to key a master by.
  if (!settings || settings.persistSeconds <= 0 || !target) return UNSHARED;
  const path = socketPath(settings, target);
  // ssh reads the option's value as words and expands `%` and `${VAR}` in it: a path with a
  // space or a `'` is written in double quotes; one with `"`, `\`, `%` or `$` (which no quoting
  // carries) goes without.
  if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH || /["\\%$]/.test(path)) {
    return UNSHARED;
  }
  if (!ensureDir(settings.dir)) return UNSHARED;
  const asked = await inode(path);
  const found = await master(path);
  // Not asked (no descriptor to ask with): the socket may be a live master's, never removed.
  if (found === "unknown") return UNSHARED;
  // Removed only if it is still the socket found dead: another pool that saw it dead too may
  // have put a fresh master there since, and this one would take it from everyone.
  if (found === "dead" && await inode(path) === asked) {
    try {
      await Deno.remove(path);
    } catch {
      return UNSHARED;
    }
  }
  return [
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${/[\s']/.test(path) ? `"${path}"` : path}`,
    "-o",
    `ControlPersist=${settings.persistSeconds}`,
    // A master must notice a host that went away, or every later command would wait on it.
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=2",
  ];
}

/** The inode at `path`, or null where there is nothing. */
async function inode(path: string): Promise<number | null> {
  try {
    return (await Deno.lstat(path)).ino;
  } catch {
    return null;
  }
}

/** Once per folder and run, however many hosts ask: two quick calls, not two round trips. */
const madeDirs = new Map<string, boolean>();

function ensureDir(dir: string): boolean {
  let made = madeDirs.get(dir);
  if (made === undefined) {
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      Deno.chmodSync(dir, 0o700);
      made = true;
    } catch {
      made = false;
    }
    madeDirs.set(dir, made);
  }
  return made;
}

/**
 * What sits at a control socket's path: nothing, a live master (it sends its
 * hello as soon as it takes a client), or a dead or wedged one (no listener,
 * a connection not taken, or no hello, in time); unknown when it could not be asked.
 */
async function master(path: string): Promise<"none" | "live" | "dead" | "unknown"> {
  let timedOut = () => {};
  const timeout = new Promise<null>((resolve) => timedOut = () => resolve(null));
  const cancelTimer = after(HELLO_WAIT_MS, timedOut);
  let conn: Deno.UnixConn | null = null;
  try {
    // A master whose queue of clients not yet taken is full does not take the connection.
    const connecting = Deno.connect({ transport: "unix", path });
    conn = await Promise.race([connecting, timeout]);
    if (conn === null) {
      connecting.then((late) => late.close(), () => {});
      return "dead";
    }
    const n = await Promise.race([conn.read(new Uint8Array(64)).catch(() => null), timeout]);
    return n !== null && n > 0 ? "live" : "dead";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "none";
    // Out of descriptors here says nothing of the master.
    return isOutOfDescriptors(e) ? "unknown" : "dead";
  } finally {
    cancelTimer();
    conn?.close();
  }
}
