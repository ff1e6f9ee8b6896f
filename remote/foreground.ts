/**
 * One command on one host in the foreground, as `pool on <host>` and `route`
 * run it: stdin, stdout and stderr pass through, and its exit code is ours.
 *
 * stdout goes straight to the terminal (ssh writes it) only when it is one.
 * Anywhere else it goes through pool's Output, because ssh drops what it
 * cannot write and still exits 0: `pool on h cat big > file` on a full disk
 * would say success over a cut file. Through Output, a full disk stops the
 * command and exits 1 with one line saying so, and a reader that closes
 * (`| head -1`) stops it quietly with 141, as for many hosts.
 */

import type { Host } from "../roster/host.ts";
import type { Output } from "../render/out.ts";
import type { HostResult } from "./exec.ts";
import type { Runner } from "./runner.ts";

export interface ForegroundOptions {
  /** Milliseconds before the command is killed (exit 124); Infinity = none. */
  timeoutMs: number;
  tty?: boolean;
  /** Bytes for the command's stdin instead of the user's; "none" for no stdin at all (ssh -n). */
  stdin?: Uint8Array | "none";
  signal: AbortSignal;
  /** Where the command's stdout and stderr go, byte for byte. */
  out: Output;
  /** Told the pid of the ssh carrying the command. */
  onSpawn?: (pid: number) => void;
}

/**
 * Whether pool's stdin, of this kind (deps' Stdin.kind), is /dev/null (or was closed), off a pty:
 * then the command gets none, as `-n` gives it, and reads the same end of file. Passed on
 * instead, it tied the run to the user's stdin for no byte to send: a local guard process,
 * and the heavier of the two supervisors (exec.ts).
 */
export function noStdin(kind: string, tty = false): boolean {
  return !tty && kind === "none";
}

export function runForeground(
  runner: Runner,
  host: Host,
  command: string,
  options: ForegroundOptions,
): Promise<HostResult> {
  const stdin = options.stdin === undefined ? "inherit" : "null";
  return runner.exec(host, command, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    tty: options.tty,
    // At a terminal, a connection of its own: through a shared one, the master (a session of
    // its own, never stopped) reads the terminal and writes to it, so after Ctrl-Z the command
    // went on taking the lines typed at the shell's prompt, and printing over it.
    unshared: !options.tty &&
      ((stdin === "inherit" && Deno.stdin.isTerminal()) || options.out.stdout.isTerminal()),
    stdin,
    input: options.stdin instanceof Uint8Array ? options.stdin : undefined,
    ...passThrough(options.out, options.tty === true),
    onSpawn: options.onSpawn,
    // A terminal program needs to stay in the terminal's process group.
    ownGroup: !options.tty,
  });
}

/**
 * A command's output passed on as it comes: stdout straight from ssh where it is a terminal
 * (or `direct`), else through `out` (why: this module's comment); stderr through `out`; and
 * reading held back while `out` is backed up (ProcessOptions.readGate).
 */
export function passThrough(out: Output, direct = false) {
  return {
    stdoutInherit: direct || out.stdout.isTerminal(),
    onStdoutChunk: (chunk: Uint8Array) => out.outBytes(chunk),
    onStderrChunk: (chunk: Uint8Array) => out.errBytes(chunk),
    readGate: () => out.room(),
  };
}
