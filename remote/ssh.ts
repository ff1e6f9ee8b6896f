/**
 * The only place that builds an ssh command line.
 *
 * Order matters: the user's own options first (ssh takes the first value it
 * sees for most options, so theirs win where they overlap with defaults we
 * merely prefer), then pool's safety options, then `--`, then the target, so
 * nothing after the options can be read as one.
 */

import { sha256Hex } from "../digest.ts";
import { resolve } from "../paths.ts";
import { configInputs, ResolveCache } from "./resolve_cache.ts";

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
  return [
    "ssh",
    ...configArgs(),
    ...(options.extra ?? []),
    ...(options.tty ? ["-t"] : ["-T"]),
    "-o",
    "BatchMode=yes",
    ...(Number.isFinite(options.connectTimeout)
      ? ["-o", `ConnectTimeout=${Math.max(1, Math.ceil(options.connectTimeout))}`]
      : []),
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

const resolved = new Map<string, Promise<ResolvedTarget | null>>();
const caches = new Map<string, ResolveCache<ResolvedTarget>>();

/**
 * What ssh would connect to for `target` after reading its config, and the
 * user's own host-key policy for it: one `ssh -G` (no connection is made),
 * remembered for the rest of the run, and across runs in `cacheFile` while
 * the config it came from is unchanged (resolve_cache.ts). Null when ssh
 * rejects the target.
 */
export function resolveTarget(
  target: string,
  config: string | undefined = Deno.env.get("POOL_SSH_CONFIG"),
  cacheFile?: string,
): Promise<ResolvedTarget | null> {
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
    result = probe(target, config, key, cache).catch(() => null);
    resolved.set(key, result);
  }
  return result;
}

async function probe(
  target: string,
  config: string | undefined,
  key: string,
  cache: ResolveCache<ResolvedTarget> | undefined,
): Promise<ResolvedTarget | null> {
  const text = probeConfig(config);
  if (text === null) return null;
  const kept = cache?.get(key);
  if (kept && kept.logLevel !== undefined) return kept;
  // A file of its own per probe, removed at once: a run killed later leaves nothing behind.
  const file = await Deno.makeTempFile({ prefix: "pool-ssh-probe-", suffix: ".conf" });
  const ask = (verbose: boolean) =>
    new Deno.Command("ssh", {
      args: ["-F", file, "-G", ...(verbose ? ["-v"] : []), "--", target],
      stdin: "null",
      stdout: verbose ? "null" : "piped",
      stderr: verbose ? "piped" : "null",
    }).output();
  let answer: ResolvedTarget | null;
  let traced: Deno.CommandOutput | null = null;
  try {
    await Deno.writeTextFile(file, text);
    const out = await ask(false);
    answer = out.success ? parseResolved(new TextDecoder().decode(out.stdout)) : null;
    // -v: ssh names each config file it reads, which is what the cache stamps. It also sets
    // the log level, hiding the user's: so a second ssh -G, one after the other (a cold
    // fan-out's descriptors), only where the answer is to be kept.
    if (answer && cache) traced = await ask(true);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
  if (answer && cache && traced?.success) {
    const inputs = await configInputs(new TextDecoder().decode(traced.stderr), file);
    if (inputs) cache.put(key, inputs, answer);
  }
  return answer;
}

/**
 * Why ssh cannot read the config file `file` (its first complaint, e.g. a
 * bad option), or null when it can or when there is no such file.
 */
export async function configError(file: string): Promise<string | null> {
  try {
    await Deno.stat(file);
  } catch {
    return null;
  }
  const out = await new Deno.Command("ssh", {
    args: ["-F", file, "-G", "--", "pool-config-check"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (out.success) return null;
  // Only ssh's words about reading its config: a canonicalizing config that cannot resolve the
  // check's name is a config ssh reads.
  const said = new TextDecoder().decode(out.stderr);
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
  return {
    user: values.get("user") ?? "",
    hostname: values.get("hostname")!,
    port,
    // Not the name it was given, nor the log level (no part of how it connects).
    settings: sha256Hex(lines.filter((l) => !/^(host|loglevel) /.test(l)).join("\n")),
    hostKeyChecking: checking === POOL_DEFAULT ? null : checking,
    remoteCommand: values.has("remotecommand"),
    logLevel: values.get("loglevel") ?? "INFO",
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
 *   VERBOSE stays.
 */
export function configOverrides(target: ResolvedTarget | null): string[] {
  return [
    ...(target?.remoteCommand ? ["-o", "RemoteCommand=none"] : []),
    ...(/^(silent|quiet|fatal)$/i.test(target?.logLevel ?? "") ? ["-o", "LogLevel=ERROR"] : []),
  ];
}
