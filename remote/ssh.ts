/**
 * The only place that builds an ssh command line.
 *
 * Order matters: the user's own options first (ssh takes the first value it
 * sees for most options, so theirs win where they overlap with defaults we
 * merely prefer), then pool's safety options, then `--`, then the target, so
 * nothing after the options can be read as one.
 */

export interface SshOptions {
  /** Seconds to wait for the TCP connection and the banner; Infinity leaves it to ssh. */
  connectTimeout: number;
  /** Allocate a terminal (`-t`), for interactive programs. */
  tty?: boolean;
  /** Extra `-o` style options from the user or from pool (multiplexing, port). */
  extra?: string[];
}

export const DEFAULT_CONNECT_TIMEOUT = 10;

/** `POOL_SSH_CONFIG=<file>` → `-F <file>`, so tests and users can swap the whole config. */
function configArgs(): string[] {
  const config = Deno.env.get("POOL_SSH_CONFIG");
  return config ? ["-F", config] : [];
}

export function sshArgv(target: string, command: string | null, options: SshOptions): string[] {
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
    "-o",
    "StrictHostKeyChecking=accept-new",
    "--",
    target,
    ...(command === null ? [] : [command]),
  ];
}

/**
 * Why ssh gave up, in one or two words, from the last lines it printed.
 * Used for `status` and for fan-out summaries; `null` when the lines look
 * like the remote command's own output rather than ssh's.
 */
export function sshFailureReason(stderr: string): string | null {
  const patterns: [RegExp, string][] = [
    [/Connection refused/i, "refused"],
    [/timed out|Connection timed out|Operation timed out/i, "timeout"],
    [
      /Permission denied|Too many authentication failures|no matching (host key|key exchange)/i,
      "auth",
    ],
    [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i, "host key"],
    [/Could not resolve hostname|Name or service not known/i, "unknown host"],
    [/No route to host|Network is unreachable/i, "no route"],
    [/Connection reset|Connection closed|kex_exchange_identification|banner exchange/i, "closed"],
  ];
  for (const [re, reason] of patterns) if (re.test(stderr)) return reason;
  return null;
}

export interface ResolvedTarget {
  user: string;
  hostname: string;
  port: number;
}

/**
 * What ssh would connect to for `target` after reading its config (`ssh -G`:
 * no connection is made). Null when ssh rejects the target.
 */
export async function resolveTarget(target: string): Promise<ResolvedTarget | null> {
  const out = await new Deno.Command("ssh", {
    args: [...configArgs(), "-G", "--", target],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return null;
  const values = new Map<string, string>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0 && !values.has(line.slice(0, space))) {
      values.set(line.slice(0, space), line.slice(space + 1));
    }
  }
  const port = Number(values.get("port"));
  if (!values.get("hostname") || !Number.isInteger(port)) return null;
  return { user: values.get("user") ?? "", hostname: values.get("hostname")!, port };
}
