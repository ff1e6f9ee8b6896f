/** The few assertions the tests use, on node:assert (JSR's @std/assert is not reachable here). */
import { AssertionError } from "node:assert";
export {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";

/** Asserts `fn` throws (an instance of `type`, with a message matching `pattern`) and returns the error. */
export function assertThrows(
  fn: () => unknown,
  pattern?: RegExp | (new (...args: never[]) => Error),
  message?: string,
): Error {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Error)) throw new AssertionError({ message: `threw a non-Error: ${e}` });
    if (pattern instanceof RegExp && !pattern.test(e.message)) {
      throw new AssertionError({
        message: `${message ?? ""} error "${e.message}" does not match ${pattern}`,
      });
    }
    if (typeof pattern === "function" && !(e instanceof pattern)) {
      throw new AssertionError({
        message: `${message ?? ""} threw ${(e as Error).name}, expected ${pattern.name}`,
      });
    }
    return e;
  }
  throw new AssertionError({ message: `${message ?? "expected a throw"}: nothing was thrown` });
}

/** Awaits `fn`, asserts it rejects, and returns the error. */
export async function assertRejects(fn: () => Promise<unknown>, message?: string): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Error) return e;
    throw new AssertionError({ message: `rejected with a non-Error: ${e}` });
  }
  throw new AssertionError({ message: `${message ?? "expected a rejection"}: nothing was thrown` });
}
