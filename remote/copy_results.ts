/**
 * The results a copy gives without copying: a dry run's plan, and pool's own refusal. Apart from
 * transfer.ts so that it and tar_copy.ts both build them without importing one another.
 */

import { EXIT } from "../exit.ts";
import type { Host } from "../roster/host.ts";
import { shellLine } from "./quote.ts";
import type { CopyMethod, CopyResult } from "./transfer.ts";

/** A dry run's answer: the method and the command line that would copy, as a success. */
export function planned(
  host: Host,
  method: CopyMethod,
  argv: string[] | null,
  started: number,
  line = argv ? shellLine(argv) : "",
  fallback?: string,
): CopyResult {
  return {
    host: host.name,
    code: 0,
    outcome: "ok",
    stdout: "",
    stderr: "",
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new Uint8Array(0),
    durationMs: Math.round(performance.now() - started),
    method,
    ...(fallback ? { fallback } : {}),
    commandLine: line,
  };
}

/** A copy pool itself refused or could not start: its words on stderr, as a failure. */
export function failed(host: Host, message: string, started: number): CopyResult {
  const stderr = `pool: ${message}\n`;
  return {
    host: host.name,
    code: EXIT.failure,
    outcome: "failed",
    stdout: "",
    stderr,
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new TextEncoder().encode(stderr),
    durationMs: Math.round(performance.now() - started),
    reason: message,
  };
}
