/**
 * The exit-code policy: every verb's result and every way pool can be
 * stopped become one of these codes here, and nowhere else.
 *
 * 0 ok · 1 failed · 2 usage · 75 no host has room · 124 timed out ·
 * 128+n stopped by signal n (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 139 SIGSEGV) ·
 * 255 unreachable. One host: the remote command's own code. Many: the largest.
 */

import { nodeOs } from "./node_os.ts";

export const EXIT = {
  ok: 0,
  /** Something the user asked for could not be done (unknown host, bad roster, a host down). */
  failure: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** Nothing can take the work now; try again later (EX_TEMPFAIL). */
  tempfail: 75,
  /** A deadline passed: the command was killed. Same code as timeout(1). */
  timeout: 124,
  /** Interrupted by SIGINT (128 + 2); SIGTERM and SIGHUP give their own 128 + n. */
  interrupted: 130,
  /** stdout was closed under us (`pool … | head -1`): what a shell reports for SIGPIPE. */
  brokenPipe: 128 + 13,
  /** ssh could not reach the host (ssh's own code). */
  unreachable: 255,
} as const;

/** What each code means, for the README's table and `--help` (tested against each other). */
export const EXIT_MEANINGS: readonly [string, string][] = [
  ["0", "ok"],
  ["1", "failed (an unknown host, a bad roster, a host down)"],
  ["2", "usage error (nothing was started)"],
  ["75", "no host has room now (route, bg)"],
  ["124", "timed out (the command was killed)"],
  ["128+n", "stopped by signal n: 130 SIGINT, 143 SIGTERM, 129 SIGHUP, 141 stdout closed"],
  ["255", "unreachable (ssh could not connect)"],
];

/**
 * pool's exit when a step of its own on a host failed (bg's launch and push, kill's kill.sh),
 * from that run's outcome and code: a host that did not answer (255), a deadline (124) and a
 * stop (128+n) say so; any other code is the step's, not a command's the user gave, and is a
 * failure (1). The host's sh exits 2 when a redirection fails (a full or read-only disk), rsync 2
 * on a protocol mismatch: passed on, that would read as pool's usage error, and a script would
 * stop there instead of trying again or elsewhere.
 */
export function failedOnHost(outcome: string, code: number): number {
  if (outcome === "interrupted" || outcome === "timeout") return code;
  // ssh's 255, also where pool could not tell why (no reason in its last words).
  if (outcome === "unreachable" || code === EXIT.unreachable) return EXIT.unreachable;
  return EXIT.failure;
}

/** The signals that stop pool and its work; the first one to arrive sets the exit code. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = typeof STOP_SIGNALS[number];

/** A signal's number from the platform's own table (node:os's); 0 for a name it does not know. */
export function signalNumber(name: string): number {
  return (nodeOs().constants.signals as Record<string, number>)[name] ?? 0;
}

/** A process killed by `signal` — or pool stopped by it — exits 128 + its number. */
export function signalledCode(signal: string): number {
  const n = signalNumber(signal);
  return n > 0 ? 128 + n : EXIT.failure;
}

/** Why work was aborted, carried as the AbortSignal's reason: a signal arrived… */
export class Stopped extends Error {
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
    this.name = "Stopped";
  }
}

/** …or stdout was closed by its reader (exit 141, quietly)… */
export class OutputClosed extends Error {
  constructor() {
    super("stdout was closed");
    this.name = "OutputClosed";
  }
}

/** …or writing to stdout failed (a full disk, EIO): exit 1 with one line. */
export class OutputFailed extends Error {
  constructor(message: string) {
    super(`cannot write to stdout: ${message}`);
    this.name = "OutputFailed";
  }
}

/** The code for work ended by `signal` (an AbortSignal whose reason says why). */
export function abortCode(signal?: AbortSignal): number {
  const reason = signal?.reason;
  if (reason instanceof Stopped) return signalledCode(reason.signal);
  if (reason instanceof OutputClosed) return EXIT.brokenPipe;
  if (reason instanceof OutputFailed) return EXIT.failure;
  return EXIT.interrupted;
}

/** A fan-out's code: the largest host code (0 when there were no hosts). */
export function worstCode(codes: Iterable<number>): number {
  return Math.max(0, ...codes);
}
