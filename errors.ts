/**
 * The error type that carries an exit code. Modules throw it; cli.ts turns it
 * into one `pool: <message>` line on stderr and the code (see exit.ts).
 */

import { EXIT } from "./exit.ts";

export { EXIT } from "./exit.ts";

export class PoolError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
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
