/**
 * pool's timers, on Deno's own clock rather than the global setTimeout.
 *
 * In Deno 2 the global setTimeout is Node's (it returns a Timeout object), and
 * the first call loads Deno's Node layer: about 10 ms of CPU on every run that
 * starts a process, spent before the first ssh starts. AbortSignal.timeout
 * runs on the runtime's timer instead, and that timer keeps pool alive only
 * while the signal has an abort listener: removing the listener is the cancel.
 */

/** The longest delay one timer holds: longer ones wrap around and fire at once, as setTimeout's do. */
const LONGEST_MS = 2 ** 31 - 1;

/** Calls `fire` once, `ms` from now; the function returned cancels it. A non-finite delay never fires. */
export function after(ms: number, fire: () => void): () => void {
  if (!Number.isFinite(ms)) return () => {};
  const signal = AbortSignal.timeout(Math.min(Math.max(0, ms), LONGEST_MS));
  let rest: (() => void) | undefined;
  const onAbort = () => {
    if (ms > LONGEST_MS) rest = after(ms - LONGEST_MS, fire);
    else fire();
  };
  signal.addEventListener("abort", onAbort);
  return () => {
    signal.removeEventListener("abort", onAbort);
    rest?.();
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (first or meanwhile). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const cancel = after(ms, done);
    signal?.addEventListener("abort", done);
    function done() {
      cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
