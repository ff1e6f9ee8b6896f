/**
 * One command on one host in the foreground, as `pool on <host>` and `route`
 * run it: stdin, stdout and stderr pass straight through, and its exit code
 * is ours.
 */

import type { Host } from "../roster/host.ts";
import type { HostResult } from "./exec.ts";
import type { Runner } from "./runner.ts";

export interface ForegroundOptions {
  /** Milliseconds before the command is killed (exit 124); Infinity = none. */
  timeoutMs: number;
  tty?: boolean;
  /** Bytes for the command's stdin instead of the user's; "none" for no stdin at all (ssh -n). */
  stdin?: Uint8Array | "none";
  signal: AbortSignal;
  /** Where the command's stderr goes, byte for byte. */
  onStderrChunk: (chunk: Uint8Array) => void;
  /** Holds reading back while pool's own output is backed up (ProcessOptions.readGate). */
  readGate?: () => Promise<void> | undefined;
}

export function runForeground(
  runner: Runner,
  host: Host,
  command: string,
  options: ForegroundOptions,
): Promise<HostResult> {
  return runner.exec(host, command, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    tty: options.tty,
    stdin: options.stdin === undefined ? "inherit" : "null",
    input: options.stdin instanceof Uint8Array ? options.stdin : undefined,
    stdoutInherit: true,
    onStderrChunk: options.onStderrChunk,
    readGate: options.readGate,
    // A terminal program needs to stay in the terminal's process group.
    ownGroup: !options.tty,
  });
}
