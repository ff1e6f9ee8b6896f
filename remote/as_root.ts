/**
 * Running a payload as root on a host, for init and clean: directly when the
 * login is root, with `sudo -n` when the roster allows sudo (never a password
 * prompt: a missing sudo right is an error message), otherwise not at all.
 */

import type { Host } from "../roster/host.ts";
import type { HostResult } from "./exec.ts";
import { shQuote } from "./quote.ts";
import type { Runner } from "./runner.ts";

export const NOT_ROOT = "not root, and the roster does not allow sudo here (pool add --sudo)";

/** The remote command: decides root / sudo / refuse on the host itself, in POSIX sh whatever the login shell. */
export function asRootCommand(host: Host, args: string[]): string {
  const run = ["sh", "-s", "--", ...args].map(shQuote).join(" ");
  const otherwise = host.sudo
    ? `exec sudo -n ${run}`
    : `echo ${shQuote(`@@ result failed ${NOT_ROOT}`)}; exit 1`;
  return `sh -c ${shQuote(`if [ "$(id -u)" -eq 0 ]; then exec ${run}; fi; ${otherwise}`)}`;
}

/**
 * `pool on --sudo`: `command` run by the login shell as root — directly
 * when the login is root, through `sudo -n` where the roster allows sudo
 * (a password it would ask for fails the host at once: `-n` never prompts),
 * refused with the reason on stderr elsewhere.
 */
export function sudoCommand(host: Host, command: string): string {
  const otherwise = host.sudo
    ? `exec sudo -n -- "$shell" -c "$1"`
    : `echo ${shQuote(`pool: ${NOT_ROOT}`)} >&2; exit 1`;
  const script =
    `shell=\${SHELL:-/bin/sh}; if [ "$(id -u)" -eq 0 ]; then exec "$shell" -c "$1"; fi; ${otherwise}`;
  return ["sh", "-c", script, "pool-sudo", command].map(shQuote).join(" ");
}

/** What sudo says when `-n` meets a rule that wants a password. */
export const SUDO_PASSWORD = /^sudo: (a password is required|a terminal is required)/m;

export async function runAsRoot(
  runner: Runner,
  host: Host,
  payload: string,
  args: string[],
  options: { timeoutMs: number; signal?: AbortSignal; onLine?: (line: string) => void },
): Promise<HostResult> {
  return await runner.exec(host, asRootCommand(host, args), {
    payload,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onStdoutLine: options.onLine,
    onStderrLine: options.onLine,
  });
}

/** The last thing a failed run said, for a one-line reason. */
export function lastWords(result: HostResult): string {
  if (result.reason) return `unreachable (${result.reason})`;
  if (result.outcome === "timeout") return "timed out";
  // What the root wrapper itself said (not root, and no sudo allowed): its own words.
  const said = /^@@ result failed (.+)$/m.exec(result.stdout);
  if (said) return said[1];
  const lines = (result.stderr + result.stdout).trim().split("\n").filter((l) =>
    l && !l.startsWith("@@ ")
  );
  return lines.at(-1) ?? `exit ${result.code}`;
}
