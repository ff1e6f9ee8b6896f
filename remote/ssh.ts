/**
 * The only place that builds an ssh command line.
 *
 * Order matters: the user's own options first (ssh takes the first value it
 * sees for most options, so theirs win where they overlap with defaults we
 * merely prefer), then pool's safety options, then `--`, then the target, so
 * nothing after the options can be read as one.
 */

import { sha256Hex } from "../digest.ts";
import { PoolError } from "../errors.ts";
import { resolve } from "../paths.ts";
import { type ProcessResult, runProcess } from "./process.ts";
import { type ConfigInputs, configInputs, ResolveCache } from "./resolve_cache.ts";
import { shellLine } from "./quote.ts";

export interface SshOptions {
  /** Seconds to wait for the TCP connection and the banner; Infinity leaves it to ssh. */
  connectTimeout: number;
  /** Allocate a terminal (`-t`), for interactive programs. */
  tty?: boolean;
  /** Extra `-o` style options from the user or from pool (hostKeyOptions(), multiplexing). */
  extra?: string[];
}

export const DEFAULT_CONNECT_TIMEOUT = 10;

/** `POOL_SSH_CONFIG=<file>` → `-F <file>`, so tests and users can swap the whole config. */
function configArgs(): string[] {
  const config = Deno.env.get("POOL_SSH_CONFIG");
  return config ? ["-F", config] : [];
}

export function sshArgv(target: string, command: string | null, options: SshOptions): string[] {
  return [...sshCommand(options), "--", target, ...(command === null ? [] : [command])];
}

/**
 * ssh and its options: everything before `--` and the target. rsync takes
 * this as its remote shell (`-e`) and adds the host and its own command.
 */
export function sshCommand(options: SshOptions): string[] {
  // BatchMode always, a terminal (-t) too: pool never prompts, and neither does a jump hop.
  const safety = [
    "-o",
    "BatchMode=yes",
    ...(Number.isFinite(options.connectTimeout)
      ? ["-o", `ConnectTimeout=${Math.max(1, Math.ceil(options.connectTimeout))}`]
      : []),
  ];
  return [
    "ssh",
    ...configArgs(),
    // Each hop of a jump gets these same options (jumpCommand); plain words, so as they are.
    ...(options.extra ?? []).map((w) => w.replaceAll(HOP_SAFETY, safety.join(" "))),
    ...(options.tty ? ["-t"] : ["-T"]),
    ...safety,
  ];
}

/**
 * Why ssh gave up, in one or two words, from the last lines it printed.
 * Used for `status` and for fan-out summaries; `null` when the lines look
 * like the remote command's own output rather than ssh's.
 */
export function sshFailureReason(stderr: string): string | null {
  const patterns: [RegExp, string][] = [
    // Not just a key ssh does not know: the one it knew changed (a reinstall, or someone in
    // between). First, as ssh may go on to fail authentication after saying it.
    [/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/, "host key changed"],
    [/Connection refused/i, "refused"],
    [/timed out|Connection timed out|Operation timed out/i, "timeout"],
    [
      /Permission denied|Too many authentication failures|no matching (host key|key exchange)/i,
      "auth",
    ],
    [/Host key verification failed/i, "host key"],
    [/Could not resolve hostname|Name or service not known/i, "unknown host"],
    [/No route to host|Network is unreachable/i, "no route"],
    [/Connection reset|Connection closed|kex_exchange_identification|banner exchange/i, "closed"],
    // ssh itself stopped before connecting: the config it was given (POOL_SSH_CONFIG, ~/.ssh/config).
    [
      /: Bad configuration option: |: terminating, \d+ bad configuration options|^Can't open user config file /m,
      "ssh config",
    ],
  ];
  for (const [re, reason] of patterns) if (re.test(stderr)) return reason;
  return null;
}

export interface ResolvedTarget {
  user: string;
  hostname: string;
  port: number;
  /**
   * A digest of everything `ssh -G` printed but the name it was given: two
   * targets with the same one connect the same way (address, jump host,
   * identity, host-key checks), whatever their names. It names the control
   * socket too (multiplex.ts).
   */
  settings: string;
  /** StrictHostKeyChecking as the user's ssh config sets it for this target; null where it says nothing. */
  hostKeyChecking: string | null;
  /** Whether the user's ssh config gives this target a RemoteCommand. Absent: kept by an older pool. */
  remoteCommand?: boolean;
  /** LogLevel as the user's ssh config sets it (`ssh -G`'s word: INFO, SILENT, …). Absent: as above. */
  logLevel?: string;
  /**
   * The jump hosts ssh goes through (its ProxyJump, and the first hop's own, and so on), nearest
   * first; null for none, or for a chain pool leaves to ssh (jumpChain). Absent: as above.
   */
  jumps?: JumpHop[] | null;
  /**
   * The user's ProxyCommand or ProxyJump as written (`command ssh gw -W %h:%p`, `jump bastion`),
   * null for none: through another proxy or jump, the same hostname may be another machine
   * (same_host.ts). Absent: kept by an older pool.
   */
  via?: string | null;
}

/** One hop of a ProxyJump: `[user@]host[:port]` as written; null where it names none. */
export interface JumpHop {
  user: string | null;
  host: string;
  port: number | null;
}

/**
 * `ssh -G` prints the effective StrictHostKeyChecking, but its default `ask`
 * looks the same as a user's own `ask`. So the probe reads the user's config
 * through a wrapper that ends with a value of pool's: ssh keeps the first
 * value it reads for an option, so pool's shows through exactly where the
 * user's config (and the system one, when no -F is given) sets nothing.
 * Limits: a value set only in a `Match final` or `Match canonical` block is
 * read after pool's and not seen; without POOL_SSH_CONFIG the system config
 * is taken from /etc/ssh/ssh_config.
 */
const POOL_DEFAULT = "accept-new";

export function probeConfig(
  config: string | undefined,
  passwd = readPasswd,
): string | null {
  const sentinel = `Host *\n  StrictHostKeyChecking ${POOL_DEFAULT}\n`;
  if (config === "none") return sentinel;
  if (config === undefined) {
    // ssh reads the config in the account's home (passwd), while an Include's ~ is $HOME:
    // where they differ (sudo -E, containers, CI), reading ~ resolved hosts through a config
    // ssh never reads, and a shared connection could carry a command to another host.
    const home = passwdHome(passwd(), Deno.uid());
    const user = home !== null && !/["%\n\r*?[\\]/.test(home)
      ? `"${home.replace(/\/$/, "")}/.ssh/config"`
      : "~/.ssh/config";
    return `Include ${user}\nInclude /etc/ssh/ssh_config\n${sentinel}`;
  }
  // Quotes, line breaks, % tokens and glob characters (ssh globs an Include) in
  // the path would change the probe's meaning: no probe, and no host-key default.
  if (/["%\n\r*?[\\]/.test(config)) return null;
  return `Include "${resolve(config)}"\n${sentinel}`;
}

/**
 * The user config ssh reads when no -F is given: the one in the account's home (passwd), which
 * is not $HOME where the two differ. `home` is $HOME, for when passwd has no word.
 */
export function userSshConfig(home: string, passwd = readPasswd): string {
  return `${(passwdHome(passwd(), Deno.uid()) ?? home).replace(/\/$/, "")}/.ssh/config`;
}

function readPasswd(): string {
  try {
    return Deno.readTextFileSync("/etc/passwd");
  } catch {
    return "";
  }
}

/**
 * The home folder /etc/passwd gives `uid`, or null (no such line, or no uid here: then ~,
 * as before). An account only a directory service knows (LDAP) is not in the file.
 */
export function passwdHome(passwd: string, uid: number | null): string | null {
  if (uid === null) return null;
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 7 && fields[2] === String(uid) && fields[5].startsWith("/")) {
      return fields[5];
    }
  }
  return null;
}

/**
 * How long one `ssh -G` may take: pool's default ConnectTimeout, the longest any connection waits
 * for its host. It makes no connection and should answer in milliseconds, but it runs the user's
 * `Match exec` commands (`gpg-connect-agent` to a wedged agent), and nothing else bounded it: it
 * runs before any host's deadline starts, and every verb waited on it, past every deadline.
 */
const RESOLVE_TIMEOUT_S = DEFAULT_CONNECT_TIMEOUT;

/** The words a host's failure gives when `ssh -G` hung: the ssh pool would run hangs the same way. */
export const RESOLVE_STALLED =
  `ssh -G did not answer in ${RESOLVE_TIMEOUT_S} s (a Match exec in your ssh config?)`;

/** `ssh -G` ran past its deadline (RESOLVE_STALLED), or was stopped with pool. */
class Unanswered extends Error {
  constructor(readonly outcome: "timeout" | "interrupted") {
    super(outcome === "timeout" ? RESOLVE_STALLED : "interrupted");
  }
}

/** One `ssh args…` that resolves, no connection made: bounded, and stopped with pool (`signal`). */
async function askSsh(
  args: string[],
  signal: AbortSignal | undefined,
): Promise<ProcessResult> {
  // Not started once pool is stopping: a child killed as it starts may outlive the stop by the
  // kill's grace, and with it the Match exec it started.
  if (signal?.aborted) throw new Unanswered("interrupted");
  // Its own process group, killed whole: a Match exec's command is ssh's child, and outlived a
  // kill of ssh alone. Every byte of stderr kept: `-v` names the files the cache stamps.
  const out = await runProcess(["ssh", ...args], {
    timeoutMs: RESOLVE_TIMEOUT_S * 1000,
    signal,
    stdin: "null",
    keepLast: Infinity,
  });
  if (out.outcome === "timeout" || out.outcome === "interrupted") throw new Unanswered(out.outcome);
  return out;
}

/** What one resolution came to: the answer, or why there is none where `ssh -G` never said. */
interface Resolution {
  target: ResolvedTarget | null;
  stalled?: string;
}

const resolved = new Map<string, Promise<Resolution>>();
const caches = new Map<string, ResolveCache<ResolvedTarget>>();

/**
 * Starts a new run for resolveTarget: what `ssh -G` said is asked again (of the cache file,
 * whose stamps say whether the config changed). `pool mcp` serves for hours, and a call is a
 * run: an alias the user's ssh config pointed at another host went on to the old one, through
 * the master its old answer named. A resolution in flight keeps its own answer.
 */
export function forgetResolutions(): void {
  resolved.clear();
  caches.clear();
}

/**
 * What ssh would connect to for `target` after reading its config, and the
 * user's own host-key policy for it: one `ssh -G` (no connection is made),
 * remembered for the rest of the run, and across runs in `cacheFile` while
 * the config it came from is unchanged (resolve_cache.ts). Null when ssh
 * rejects the target, or does not answer in time (connectTarget says so).
 * `signal` stops the `ssh -G` (pool is told to stop).
 */
export async function resolveTarget(
  target: string,
  config: string | undefined = Deno.env.get("POOL_SSH_CONFIG"),
  cacheFile?: string,
  signal?: AbortSignal,
): Promise<ResolvedTarget | null> {
  return (await resolution(target, config, cacheFile, signal)).target;
}

/**
 * resolveTarget, for a caller about to start ssh for `target`: where `ssh -G` hung, throws
 * (RESOLVE_STALLED), as the ssh started next would hang reading the same config, past the
 * deadlines that bound a connection (ConnectTimeout starts after the config is read).
 */
export async function connectTarget(
  target: string,
  config: string | undefined,
  cacheFile?: string,
  signal?: AbortSignal,
): Promise<ResolvedTarget | null> {
  const { target: answer, stalled } = await resolution(target, config, cacheFile, signal);
  // A PoolError: a dry run (nothing started, nothing to catch it) says so in one line.
  if (stalled) throw new PoolError(stalled);
  return answer;
}

function resolution(
  target: string,
  config: string | undefined,
  cacheFile: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Resolution> {
  const key = `${config ?? ""}\0${target}`;
  let result = resolved.get(key);
  if (!result) {
    let cache: ResolveCache<ResolvedTarget> | undefined;
    if (cacheFile) {
      cache = caches.get(cacheFile);
      if (!cache) {
        caches.set(
          cacheFile,
          cache = new ResolveCache(cacheFile, (n) => Deno.env.get(n)),
        );
      }
    }
    const made: Promise<Resolution> = probe(target, config, key, cache, signal).then(
      (answer) => ({ target: answer }),
      (e) => {
        // A stop is no answer: asked again, were anyone to ask. A hang is this run's answer
        // (never the cache's): every later ssh for the target would hang the same way.
        if (e instanceof Unanswered && e.outcome === "interrupted") {
          if (resolved.get(key) === made) resolved.delete(key);
          return { target: null };
        }
        return { target: null, ...(e instanceof Unanswered ? { stalled: e.message } : {}) };
      },
    );
    result = made;
    resolved.set(key, result);
  }
  return result;
}

async function probe(
  target: string,
  config: string | undefined,
  key: string,
  cache: ResolveCache<ResolvedTarget> | undefined,
  signal: AbortSignal | undefined,
): Promise<ResolvedTarget | null> {
  const text = probeConfig(config);
  if (text === null) return null;
  const kept = cache?.get(key);
  if (kept && kept.logLevel !== undefined && kept.jumps !== undefined && kept.via !== undefined) {
    return kept;
  }
  // A file of its own per probe, removed at once: a run killed later leaves nothing behind.
  const file = await Deno.makeTempFile({ prefix: "pool-ssh-probe-", suffix: ".conf" });
  const ask = (args: string[], verbose: boolean) =>
    askSsh(["-F", file, "-G", ...(verbose ? ["-v"] : []), ...args], signal);
  // Every ssh -G this answer came from: the target's, and a jump chain's first hops'.
  const asked = [["--", target]];
  let answer: ResolvedTarget | null;
  let inputs: ConfigInputs | null = null;
  try {
    await Deno.writeTextFile(file, text);
    const out = await ask(asked[0], false);
    answer = out.code === 0 ? parseResolved(out.stdout) : null;
    if (answer?.jumps) {
      const jumps = await jumpChain(answer.jumps, async (hop) => {
        asked.push(hopArgs(hop));
        const shown = await ask(asked.at(-1)!, false);
        return shown.code === 0 ? shown.stdout : null;
      });
      // Where a hop's own config adds hops, the socket's name says so too (multiplex.ts).
      const settings = jumps && jumps.length > answer.jumps.length
        ? sha256Hex(`${answer.settings}\0${JSON.stringify(jumps)}`)
        : answer.settings;
      answer = { ...answer, jumps, settings };
    }
    // -v: ssh names each config file it reads, which is what the cache stamps. It also sets
    // the log level, hiding the user's: so a second ssh -G, one after the other (a cold
    // fan-out's descriptors), only where the answer is to be kept.
    if (answer && cache) inputs = await traced(asked, (args) => ask(args, true), file);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
  if (answer && cache && inputs) cache.put(key, inputs, answer);
  return answer;
}

/** What the ssh -G -v of each of `asked` says it read, all together; null when one cannot be kept. */
async function traced(
  asked: string[][],
  ask: (args: string[]) => Promise<ProcessResult>,
  file: string,
): Promise<ConfigInputs | null> {
  const paths = new Set<string>();
  const env = new Set<string>();
  for (const args of asked) {
    const out = await ask(args);
    const inputs = out.code === 0 ? await configInputs(out.stderr, file) : null;
    if (!inputs) return null;
    inputs.paths.forEach((p) => paths.add(p));
    inputs.env.forEach((v) => env.add(v));
  }
  return { paths: [...paths], env: [...env].sort() };
}

/**
 * Why ssh cannot read the config file `file` (its first complaint, e.g. a
 * bad option, or RESOLVE_STALLED where it hangs reading it), or null when it
 * can or when there is no such file.
 */
export async function configError(file: string, signal?: AbortSignal): Promise<string | null> {
  try {
    await Deno.stat(file);
  } catch {
    return null;
  }
  let out: ProcessResult;
  try {
    out = await askSsh(["-F", file, "-G", "--", "pool-config-check"], signal);
  } catch (e) {
    return e instanceof Unanswered && e.outcome === "timeout" ? e.message : null;
  }
  if (out.code === 0) return null;
  // Only ssh's words about reading its config: a canonicalizing config that cannot resolve the
  // check's name is a config ssh reads.
  const said = out.stderr;
  if (!/bad configuration option|can't open user config/i.test(said)) return null;
  return said.split("\n").map((l) => l.trim()).find(Boolean)!;
}

/** `ssh -G`'s output: the first value of each option, as ssh itself uses. */
function parseResolved(text: string): ResolvedTarget | null {
  const lines = text.split("\n");
  const values = new Map<string, string>();
  for (const line of lines) {
    const space = line.indexOf(" ");
    if (space > 0 && !values.has(line.slice(0, space))) {
      values.set(line.slice(0, space), line.slice(space + 1));
    }
  }
  const port = Number(values.get("port"));
  if (!values.get("hostname") || !Number.isInteger(port)) return null;
  const checking = values.get("stricthostkeychecking") ?? POOL_DEFAULT;
  // ssh -G prints a proxyjump only where no ProxyCommand of the user's came first.
  const jump = values.get("proxyjump");
  const command = values.get("proxycommand");
  return {
    user: values.get("user") ?? "",
    hostname: values.get("hostname")!,
    port,
    // Not the name it was given, nor the log level (no part of how it connects).
    settings: sha256Hex(lines.filter((l) => !/^(host|loglevel) /.test(l)).join("\n")),
    hostKeyChecking: checking === POOL_DEFAULT ? null : checking,
    remoteCommand: values.has("remotecommand"),
    logLevel: values.get("loglevel") ?? "INFO",
    jumps: jump === undefined ? null : parseJump(jump),
    via: command !== undefined ? `command ${command}` : jump !== undefined ? `jump ${jump}` : null,
  };
}

/**
 * pool's host-key default: `accept-new` (learn a host's first key, refuse a
 * changed one) so a new host works in BatchMode, but only where the user's
 * config says nothing: their own `yes`, `ask` or `no` stands. When the
 * target could not be resolved, nothing: ssh's own rules apply.
 */
export function hostKeyOptions(target: ResolvedTarget | null): string[] {
  return target?.hostKeyChecking === null ? ["-o", `StrictHostKeyChecking=${POOL_DEFAULT}`] : [];
}

/**
 * What pool overrides in the user's ssh config for `target`, where it says it:
 * - a RemoteCommand: ssh refuses it beside the command pool gives ("Cannot execute
 *   command-line and remote command."), so every run failed, exit 255; and pool's login shell
 *   is a login shell, as for `local`. Only where one is set: an OpenSSH before 7.6 knows no
 *   RemoteCommand, and would refuse pool's `-o` for it as a bad option;
 * - a LogLevel quieter than ERROR (QUIET, FATAL): ssh then fails without saying why, and a
 *   host it could not reach read as a failed command. ERROR, never more: a user's INFO or
 *   VERBOSE stays;
 * - a ProxyJump: ssh starts each hop's ssh itself, from the config alone, without pool's
 *   options, so a hop could prompt for a password (or send empty ones) and wait on a dead
 *   bastion for the kernel's TCP timeout. pool gives the ProxyCommand ssh would make of it,
 *   every hop with pool's BatchMode and ConnectTimeout (jumpCommand).
 */
export function configOverrides(target: ResolvedTarget | null): string[] {
  return [
    ...(target?.remoteCommand ? ["-o", "RemoteCommand=none"] : []),
    ...(/^(silent|quiet|fatal)$/i.test(target?.logLevel ?? "") ? ["-o", "LogLevel=ERROR"] : []),
    ...(target?.jumps ? ["-o", `ProxyCommand=${jumpCommand(target.jumps, configArgs())}`] : []),
  ];
}

/**
 * Where a jump hop's ssh takes pool's safety options: sshCommand puts there the BatchMode and
 * ConnectTimeout it gives the ssh it starts (the deadline is its own). Plain words, so they
 * read the same at any depth of quoting. A NUL: an argv never holds one, so one left unfilled
 * fails at spawn, never quietly.
 */
const HOP_SAFETY = "\0pool-hop-safety\0";

/**
 * A `ProxyJump` value as ssh reads it (readconf.c parse_jump): hops separated by commas, the
 * first connected to first, each `[user@]host[:port]` (the user up to the last `@`, an address
 * with colons in brackets) or `ssh://[user[;…]@]host[:port][/…]` (the user URL-encoded). Null
 * where ssh would not read it, or would fill in a `%` token: pool then leaves the jump to ssh.
 */
export function parseJump(spec: string): JumpHop[] | null {
  // ssh fills in %r, %h, %p, %n in a ProxyJump (ssh_config(5)) when it connects, from the
  // target; pool would pass them on as written (`ProxyJump %r@bastion` logged in as "%r").
  if (spec.includes("%")) return null;
  const hops: JumpHop[] = [];
  for (const part of spec.split(",")) {
    const hop = part.startsWith("ssh://") ? parseJumpUri(part.slice(6)) : parseUserHostPort(part);
    if (!hop) return null;
    hops.push(hop);
  }
  return hops;
}

function parseUserHostPort(part: string): JumpHop | null {
  const at = part.lastIndexOf("@");
  if (at === 0) return null;
  const rest = hostPort(part.slice(at + 1));
  return rest && { user: at > 0 ? part.slice(0, at) : null, ...rest };
}

function parseJumpUri(part: string): JumpHop | null {
  const at = part.indexOf("@");
  let user: string | null = null;
  if (at >= 0) {
    user = urlDecode(part.slice(0, at).replace(/;.*/s, ""));
    if (!user) return null;
  }
  // A path after the address is read and ignored, as by ssh.
  const rest = hostPort(part.slice(at + 1).replace(/^(\[[^\]]*\]|[^:/]*)(:[^/]*)?\/.*$/s, "$1$2"));
  return rest && { user, ...rest };
}

/**
 * `host[:port]` or `[address][:port]` (misc.c hpdelim, cleanhostname, a2port). A port by
 * service name (`:ssh`) is not read here: such a jump is left to ssh.
 */
function hostPort(text: string): Omit<JumpHop, "user"> | null {
  const m = /^(\[[^\]]*\]|[^[:/][^:/]*)(?:(.)(.*))?$/s.exec(text);
  if (!m || (m[2] !== undefined && m[2] !== ":")) return null;
  const host = /^\[.*\]$/s.test(m[1]) ? m[1].slice(1, -1) : m[1];
  if (!host) return null;
  if (!m[3]) return { host, port: null };
  const port = /^\d+$/.test(m[3]) ? Number(m[3]) : 0;
  return port > 0 && port <= 65535 ? { host, port } : null;
}

/** An ssh:// user as ssh decodes it (`+` is a space); `%` escapes never get here (parseJump). */
function urlDecode(text: string): string {
  return text.replaceAll("+", " ");
}

/** ssh -G's arguments for a hop: as ssh would start the hop's ssh (-l, -p only where written). */
function hopArgs(hop: JumpHop): string[] {
  return [
    ...(hop.user !== null ? ["-l", hop.user] : []),
    ...(hop.port !== null ? ["-p", String(hop.port)] : []),
    "--",
    hop.host,
  ];
}

/** More hops than anyone means: a loop of ProxyJumps in the config (ssh itself would loop on). */
const MAX_HOPS = 16;

/**
 * The whole chain: the first hop is started without a jump of its own, so its config's
 * ProxyJump applies to it (a later hop's is overridden by the hop before it), and so on back.
 * `show` is the hop's `ssh -G`. Null (the jump left to ssh, as before) where a hop cannot be
 * resolved or read, or the chain goes on past MAX_HOPS.
 */
export async function jumpChain(
  hops: JumpHop[],
  show: (hop: JumpHop) => Promise<string | null>,
): Promise<JumpHop[] | null> {
  const chain = [...hops];
  while (chain.length <= MAX_HOPS) {
    const shown = await show(chain[0]);
    if (shown === null) return null;
    const more = /^proxyjump (.*)$/m.exec(shown);
    if (!more) return chain;
    const before = parseJump(more[1]);
    if (!before) return null;
    chain.unshift(...before);
  }
  return null;
}

/**
 * The ProxyCommand ssh makes of a ProxyJump (ssh.c: `ssh [-l user] [-p port] [-J rest]
 * [-F config] -W '[%h]:%p' host`), with pool's options (HOP_SAFETY) on each hop and `--`
 * before the host; each earlier hop is the later one's own ProxyCommand instead of its `-J`,
 * which would start that hop without them. ssh runs the command with /bin/sh after expanding
 * `%` tokens in it: every word is quoted for the shell (shellLine: shQuote, options bare), then
 * its `%` doubled, once more at each depth. `%h` and `%p` are all that is left for the ssh
 * running the command to fill in (the next hop's address, or the target's), in single quotes,
 * as ssh writes them.
 */
export function jumpCommand(hops: JumpHop[], config: string[]): string {
  const percent = (word: string) => word.replaceAll("%", "%%");
  let command: string | null = null;
  for (const hop of hops) {
    const words = shellLine([
      "ssh",
      ...(hop.user !== null ? ["-l", hop.user] : []),
      ...(hop.port !== null ? ["-p", String(hop.port)] : []),
      ...(command === null ? [] : ["-o", `ProxyCommand=${command}`]),
      ...config,
    ]);
    command = `${percent(words)} ${HOP_SAFETY} -W '[%h]:%p' ${
      percent(shellLine(["--", hop.host]))
    }`;
  }
  return command!;
}
