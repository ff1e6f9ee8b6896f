/**
 * The error type that carries an exit code. Modules throw it; cli.ts turns it
 * into one `pool: <message>` line on stderr and the code (see exit.ts).
 */

import { EXIT } from "./exit.ts";

/**
 * What went wrong, as a word a script can branch on (`--json` prints it as
 * `error.kind`). The message is for people; the kind is stable.
 */
export type ErrorKind =
  | "failed"
  | "usage"
  | "not_in_roster"
  | "already_in_roster"
  | "no_match"
  | "empty_roster"
  | "roster_unreadable"
  | "state_unwritable"
  | "lock_timeout"
  | "no_room"
  | "stopped";

export class PoolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    readonly kind: ErrorKind = exitCode === EXIT.usage ? "usage" : "failed",
  ) {
    super(message);
    this.name = "PoolError";
  }
}

/** The command line itself is wrong: exit 2, and nothing was started. */
export class UsageError extends PoolError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = "UsageError";
  }
}

/** What an error says, whatever was thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** errorText without Deno's trailing `: syscall 'path'`: the message names its path itself. */
export function errorReason(e: unknown): string {
  return errorText(e).replace(/: \w+ '.*'$/, "");
}
