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
 * master's hello. Nothing listening → the master is gone: the socket is
 * removed, so ssh starts a fresh master. A listener that takes no connection
 * or says no hello in time may be wedged, or only busy (a burst of pools on a
 * saturated machine): this command goes without (ControlPath=none) and the
 * miss is marked on the socket; the socket is removed only when it misses
 * again SILENT_SPAN_MS after its first marked miss, and a hello clears the
 * mark. Removing a busy master's socket at once left it running beside the
 * new one until ControlPersist ran out: 40 pools at once on 4 hosts left 15–29
 * masters where 4 do, each a session on its host. A socket that cannot be
 * removed: this command goes without.
 * The wait is a round trip to the master (well under a millisecond idle, a few
 * on a loaded machine), and it stays: starting ssh at once and stopping it
 * when no hello came ran commands twice (a master that woke at the deadline,
 * a socket another pool had replaced meanwhile, pool itself suspended), where
 * waiting first never lets an ssh near a master that did not answer.
 */

import { dirname, join } from "../paths.ts";
import { after } from "../timers.ts";
import { makeStateFolder, ownerFor } from "../state/owner.ts";
import { isOutOfDescriptors } from "./process.ts";
import {
  configOverrides,
  connectTarget,
  hostKeyOptions,
  type ResolvedTarget,
  resolveTarget,
} from "./ssh.ts";
import { errorText } from "../errors.ts";

export interface MuxSettings {
  /** Where control sockets live (pool's state directory + /cm, or socketDir's short stand-in). */
  dir: string;
  /** `dir` lies in the temp folder (socketDir): it must be this user's alone, or another could read or plant sockets there. */
  inTemp?: boolean;
  /** Says, once a run, why commands go without sharing when the user asked for it. */
  warn?: (message: string) => void;
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
 * How long a master may take to say hello before this command goes without
 * it (and the miss is marked, SILENT_SPAN_MS). A live one answers in a
 * millisecond; but on a machine under heavy load (the bench saw load 40 on 2
 * cores) 0.5 s was too short: then a slow master lost its socket to a new one
 * at once, and now its command would make a connection of its own, a full
 * handshake that costs a loaded machine more than the wait.
 */
const HELLO_WAIT_MS = 2000;
/**
 * How long a master that is still listening may go without a hello before it
 * counts as wedged and its socket is removed: a stopped process or a frozen
 * machine misses every hello, a busy master answers again within seconds.
 * Until then each command waits HELLO_WAIT_MS and goes without, so a wedged
 * master costs the commands of this span, never every later one.
 */
const SILENT_SPAN_MS = 10_000;
/**
 * The mark of a socket whose master missed a hello: the owner's execute bit,
 * which no socket needs (connecting takes write permission) and which the
 * lstat made on every run already shows, so a master that answers costs no
 * extra look; the first miss's time is the socket's mtime, which connecting
 * never changes (Linux touches only the atime). A mark on the socket itself
 * goes with it: a new master's socket, a new inode, starts unmarked.
 */
const MISSED = 0o100;

/** A socket's name: its target's settings digest, 80 bits (no two targets of a fleet meet). */
const SOCKET_NAME_LENGTH = 20;

/**
 * Where the control sockets of the state directory `state` live: `<state>/cm`, unless a
 * socket there would not fit a unix socket's path (a deep POOL_STATE), holds a character
 * ssh's ControlPath cannot carry, or is another user's folder root uses: then
 * `<tmp>/pool-<uid>`, as tmux keeps its sockets, a short path in a folder only this user may
 * enter (checked before each use: ensureDir). Every state
 * folder that needs it shares that one; harmless, as a socket is named by all that ssh
 * connects with. Sharing used to go silently off there, and every command paid a handshake.
 */
export function socketDir(
  state: string,
  tmp: string,
  uid: number,
): Pick<MuxSettings, "dir" | "inTemp"> {
  const dir = join(state, "cm");
  // Root using another user's state keeps its sockets in its own folder: ssh would make them
  // root's in the user's, and pool marks and removes sockets by name, which a user could swap.
  // Not under a TMPDIR of the user's either (sudo -E keeps libpam-tmpdir's /tmp/user/1000).
  if (carriesSockets(dir) && ownerFor(state) === null) return { dir };
  const temp = uid === 0 && ownerFor(tmp) !== null ? "/tmp" : tmp;
  return { dir: join(temp, `pool-${uid}`), inTemp: true };
}

/** A socket in `dir` fits a unix socket's path, and ssh takes its path as written. */
function carriesSockets(dir: string): boolean {
  return new TextEncoder().encode(dir).length + 1 + SOCKET_NAME_LENGTH <= MAX_SOCKET_PATH &&
    !/["\\%$]/.test(dir);
}

/** The control socket for a resolved target, named so its path fits a unix socket's. */
export function socketPath(settings: MuxSettings, target: ResolvedTarget): string {
  return join(settings.dir, target.settings.slice(0, SOCKET_NAME_LENGTH));
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
  signal?: AbortSignal,
): Promise<string[]> {
  // Throws where ssh -G hung (its config's Match exec): the ssh to start would hang the same way.
  const resolved = await connectTarget(
    target,
    settings?.sshConfig,
    settings?.resolveCache,
    signal,
  );
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
  // carries) goes without. socketDir finds a folder that fits; only a temp folder as deep goes without.
  if (!carriesSockets(settings.dir)) {
    return unshared(
      settings,
      `no control socket fits in ${settings.dir} (too long, or holds " \\ % $)`,
    );
  }
  const why = ensureDir(settings);
  if (why !== null) return unshared(settings, why);
  const asked = await lstat(path);
  const found = await master(path);
  // Not asked (no descriptor to ask with): the socket may be a live master's, never removed.
  if (found === "unknown") return UNSHARED;
  if (found === "live" && asked && marked(asked)) await unmark(path, asked);
  if (found === "dead" || found === "silent") {
    const now = await lstat(path);
    // Removed only if it is still the socket found dead: another pool that saw it dead too may
    // have put a fresh master there since, and this one would take it from everyone.
    if (now && now.ino === asked?.ino) {
      if (found === "silent" && !await silentTooLong(path, now)) return UNSHARED;
      try {
        await Deno.remove(path);
      } catch {
        return UNSHARED;
      }
    } else if (now) {
      // Another socket there now, which nobody asked: never point ssh at a master unheard.
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

/** What is at `path`, or null where there is nothing. */
async function lstat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch {
    return null;
  }
}

function marked(socket: Deno.FileInfo): boolean {
  return ((socket.mode ?? 0) & MISSED) !== 0;
}

/**
 * Whether a master that keeps its socket but missed its hello again has been
 * silent for SILENT_SPAN_MS since its first marked miss; a first miss is
 * marked (its time first, so a mark is never seen with an older time). A
 * first miss "later than now" means the clock stepped back: it counts from
 * now, or the master would keep its socket until the clock caught up.
 */
async function silentTooLong(path: string, socket: Deno.FileInfo): Promise<boolean> {
  const now = Date.now();
  const since = socket.mtime?.getTime();
  if (marked(socket) && since !== undefined && since <= now) return now - since >= SILENT_SPAN_MS;
  try {
    await Deno.utime(path, socket.atime ?? new Date(now), new Date(now));
    await Deno.chmod(path, ((socket.mode ?? 0o600) & 0o777) | MISSED);
  } catch {
    // Not marked: the next miss tries again, and the socket is kept meanwhile.
  }
  return false;
}

/** A master that answered again starts over: its next miss is a first one. */
async function unmark(path: string, socket: Deno.FileInfo): Promise<void> {
  try {
    await Deno.chmod(path, (socket.mode ?? 0o600) & 0o777 & ~MISSED);
  } catch {
    // Gone meanwhile, or not ours to change: a later answer clears it.
  }
}

/** Sharing is off for this command; the user hears why once a run (an unwritable folder may be on purpose: silent). */
function unshared(settings: MuxSettings, why: string | null): string[] {
  if (why && !warned.has(why)) {
    warned.add(why);
    settings.warn?.(`ssh connections not shared: ${why}; every command makes its own`);
  }
  return UNSHARED;
}
const warned = new Set<string>();

/**
 * The state folder's `cm`, once per run, however many hosts ask: a few quick calls, not round
 * trips. Null when the folder is ready, else why not ("": nothing the user needs to hear).
 */
const folders = new Map<string, string | null>();

function ensureDir(settings: MuxSettings): string | null {
  // The temp folder is checked at every use, not once a run: `pool mcp` runs for hours, and a
  // folder a cleaner removed meanwhile could be another user's by the next command.
  if (settings.inTemp) {
    return privateFolderProblem(settings.dir) ?? (takesEntries(settings.dir) ? null : "");
  }
  let why = folders.get(settings.dir);
  // Made, it is looked for again (one stat): removed while `pool mcp` served (rm -rf ~/.pool/cm,
  // a cleaner), every ssh after it failed, its ControlPath's folder gone, until a restart.
  if (why === undefined || (why === null && !isFolder(settings.dir))) {
    why = makeFolder(settings.dir);
    folders.set(settings.dir, why);
  }
  return why;
}

function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function makeFolder(dir: string): string | null {
  try {
    makeStateFolder(dir, 0o700); // root making it in a user's state gives it to them
    Deno.chmodSync(dir, 0o700);
  } catch {
    return ""; // an unwritable state folder: commands go unshared, as they always did there
  }
  // Out of inodes (or over an inode quota): unshared as above, quietly like it, as the rest of
  // pool's state cannot be written there either.
  return takesEntries(dir) ? null : "";
}

/**
 * Whether a new entry can be made in `dir`, tried once a run (one create and remove) until it
 * can. A folder that exists but takes no new entry (its filesystem out of inodes) passed every
 * other check, and then each ssh failed to bind its socket there (`unix_listener: cannot bind
 * …: No space left on device`, exit 255): every host read as down. A plain file tells: ssh's
 * socket needs an inode of its own just the same (it binds a temp name and links it in place).
 */
function takesEntries(dir: string): boolean {
  if (roomy.has(dir)) return true;
  let probe: string;
  try {
    probe = Deno.makeTempFileSync({ dir, prefix: ".probe-" });
  } catch {
    return false;
  }
  try {
    Deno.removeSync(probe);
  } catch {
    // Left behind: harmless, nothing reads the folder but ssh by socket name.
  }
  roomy.add(dir);
  return true;
}
const roomy = new Set<string>();

/**
 * Makes `path` (in the temp folder, open to every user) if it is not there, and says what is
 * wrong with it if it is not a folder of this user's alone: null when all is well. Someone
 * else's folder, a link, or one others may enter would let them take over pool's connections.
 */
function privateFolderProblem(path: string): string | null {
  // In a folder others may write to without the sticky bit, they could rename ours away and
  // put theirs in its place between this check and ssh's use of it.
  try {
    const above = Deno.statSync(dirname(path)).mode ?? 0;
    if ((above & 0o022) && !(above & 0o1000)) {
      return `${dirname(path)} is writable by other users and not sticky`;
    }
  } catch (e) {
    return `cannot read ${dirname(path)}: ${errorText(e)}`;
  }
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) return `cannot make ${path}: ${errorText(e)}`;
  }
  try {
    const info = Deno.lstatSync(path);
    if (!info.isDirectory) return `${path} is not a folder`;
    if (info.uid !== Deno.uid()) return `${path} belongs to another user`;
    if ((info.mode ?? 0) & 0o077) {
      return `${path} is open to other users (mode ${(info.mode! & 0o777).toString(8)})`;
    }
  } catch (e) {
    return `cannot read ${path}: ${errorText(e)}`;
  }
  return null;
}

/**
 * What sits at a control socket's path: nothing, a live master (it sends its
 * hello as soon as it takes a client), a dead one (nothing listening, or the
 * connection closed without a hello), or a silent one, wedged or only busy
 * (the connection not taken, or no hello, in time; or its queue of clients
 * not yet taken full); unknown when it could not be asked.
 */
async function master(path: string): Promise<"none" | "live" | "dead" | "silent" | "unknown"> {
  let timedOut = () => {};
  const timeout = new Promise<"late">((resolve) => timedOut = () => resolve("late"));
  const cancelTimer = after(HELLO_WAIT_MS, timedOut);
  let conn: Deno.UnixConn | null = null;
  try {
    // A master whose queue of clients not yet taken is full does not take the connection.
    const connecting = Deno.connect({ transport: "unix", path });
    const connected = await Promise.race([connecting, timeout]);
    if (connected === "late") {
      connecting.then((late) => late.close(), () => {});
      return "silent";
    }
    conn = connected;
    const n = await Promise.race([conn.read(new Uint8Array(64)).catch(() => null), timeout]);
    if (n === "late") return "silent";
    return n !== null && n > 0 ? "live" : "dead";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "none";
    // That queue is full (Linux says so at once): a listener is there, busy or stopped.
    if (e instanceof Deno.errors.WouldBlock) return "silent";
    // Out of descriptors here says nothing of the master.
    return isOutOfDescriptors(e) ? "unknown" : "dead";
  } finally {
    cancelTimer();
    conn?.close();
  }
}
