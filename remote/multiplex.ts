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
 * A master that died or wedged must never hang a command. Before ssh is
 * pointed at a socket, pool connects to it itself (a local call: the kernel
 * queues the connection, the master need not run) and asks for the master's
 * hello. Refused → the socket is stale: removed, so ssh starts a fresh master.
 * A run does not wait for the hello (a round trip to the master, several ms
 * on a loaded machine, per host): it starts ssh at once and is told later if
 * none came in time. The master greets its clients in the order they
 * connected, so that ssh, connected after pool, has had no hello either and
 * has sent nothing: it is killed and started again past that master, whose
 * socket is removed (a fresh master takes its place), or, when it cannot be,
 * without sharing (-S none). Copies, whose streams cannot be sent twice, wait.
 */

import { join } from "../paths.ts";
import { after } from "../timers.ts";
import { hostKeyOptions, type ResolvedTarget, resolveTarget } from "./ssh.ts";

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

/** Unix socket paths are limited to ~104 bytes (macOS) / 108 (Linux). */
const MAX_SOCKET_PATH = 100;
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
 * connects to (once a run): the host-key default (ssh.ts), then the options
 * that share connections, after making sure any existing master answers.
 */
export async function muxOptions(
  settings: MuxSettings | undefined,
  target: string,
): Promise<string[]> {
  return (await sharedOptions(settings, target, "wait")).options;
}

/**
 * What to do about an existing master: ask for its hello and wait for it, ask
 * without waiting, or take it as wedged (a run that asked heard nothing).
 */
export type MasterCheck = "wait" | "ask" | "wedged";

/** ssh options that share a connection, and what became of the master's hello. */
export interface Shared {
  options: string[];
  /**
   * Without waiting: settles true once the master said hello, false when it
   * did not in time (an ssh started with `options` since is stuck before
   * sending anything). Null when there was no master to ask, or it was waited for.
   */
  hello: Promise<boolean> | null;
  /** Stops asking (the run is over): `hello` may then settle either way. */
  forget: () => void;
}

/**
 * muxOptions(), and with `check` "ask", not waiting for an existing master's
 * hello: the caller starts ssh at once and watches `hello`.
 */
export async function sharedOptions(
  settings: MuxSettings | undefined,
  target: string,
  check: MasterCheck,
): Promise<Shared> {
  const resolved = await resolveTarget(target, settings?.sshConfig, settings?.resolveCache);
  const shared = await sharing(settings, resolved, check);
  return { ...shared, options: [...hostKeyOptions(resolved), ...shared.options] };
}

const NOT_SHARED: Shared = { options: [], hello: null, forget: () => {} };

async function sharing(
  settings: MuxSettings | undefined,
  target: ResolvedTarget | null,
  check: MasterCheck,
): Promise<Shared> {
  // Unresolved: ssh will most likely fail anyway, and there is nothing to key a master by.
  if (!settings || settings.persistSeconds <= 0 || !target) return NOT_SHARED;
  const path = socketPath(settings, target);
  if (path.length > MAX_SOCKET_PATH) return NOT_SHARED;
  if (!ensureDir(settings.dir)) return NOT_SHARED;
  const master = check === "wedged" ? { state: "dead" as const } : await askMaster(path);
  let dead = master.state === "dead";
  if (master.state === "asked" && check === "wait") dead = !(await master.hello);
  if (dead) {
    try {
      await Deno.remove(path);
    } catch {
      return { ...NOT_SHARED, options: ["-o", "ControlMaster=no", "-o", "ControlPath=none"] };
    }
  }
  const asked = master.state === "asked" && check === "ask";
  return {
    hello: asked ? master.hello : null,
    forget: asked ? master.forget : () => {},
    options: [
      "-o",
      "ControlMaster=auto",
      "-o",
      `ControlPath=${path}`,
      "-o",
      `ControlPersist=${settings.persistSeconds}`,
      // A master must notice a host that went away, or every later command would wait on it.
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=2",
    ],
  };
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
 * What sits at a control socket's path: nothing, a dead master (no listener,
 * or a connection not taken in time), or one that was asked for its hello,
 * which a live master sends as soon as it takes a client. Returns once pool's
 * connection is made; the answer comes in `hello` (false: none in time).
 */
async function askMaster(
  path: string,
): Promise<
  { state: "none" | "dead" } | { state: "asked"; hello: Promise<boolean>; forget: () => void }
> {
  let timedOut = () => {};
  const timeout = new Promise<null>((resolve) => timedOut = () => resolve(null));
  const cancelTimer = after(HELLO_WAIT_MS, timedOut);
  let conn: Deno.UnixConn | null;
  try {
    // A master whose queue of unaccepted clients is full does not even take the connection.
    const connecting = Deno.connect({ transport: "unix", path });
    conn = await Promise.race([connecting, timeout]);
    if (conn === null) connecting.then((late) => late.close(), () => {});
  } catch (e) {
    cancelTimer();
    return { state: e instanceof Deno.errors.NotFound ? "none" : "dead" };
  }
  if (conn === null) return { state: "dead" };
  const open = conn;
  let closed = false;
  const forget = () => {
    cancelTimer();
    timedOut();
    if (!closed) open.close();
    closed = true;
  };
  const buffer = new Uint8Array(64);
  const hello = Promise.race([open.read(buffer).catch(() => null), timeout])
    .then((n) => n !== null && n > 0)
    .finally(forget);
  return { state: "asked", hello, forget };
}
