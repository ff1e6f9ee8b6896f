/**
 * The few exit codes pool uses, and the error type that carries one.
 *
 * Every module throws `PoolError`; only `pool.ts` turns it into a message and
 * an exit status, so a verb never calls `Deno.exit` itself.
 */

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
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
  /** ssh could not reach the host (ssh's own code). */
  unreachable: 255,
} as const;

export class PoolError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
    this.name = "PoolError";
  }
}

export class UsageError extends PoolError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = "UsageError";
  }
}
