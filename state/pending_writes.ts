/**
 * Writes to the state directory that should land before pool exits: the
 * caches (the `ssh -G` answers, which hosts run bash) write once a burst of
 * answers is in, and a short run would otherwise exit under its own write.
 * Waited for at the end of every run, and never for long: a lost cache write
 * costs a later miss, a hung exit costs the user.
 */

import { sleep } from "../timers.ts";

const pending = new Set<Promise<unknown>>();

/** Adds `write` to what the end of the run waits for. */
export function trackWrite(write: Promise<unknown>): void {
  pending.add(write);
  write.finally(() => pending.delete(write)).catch(() => {});
}

/** Resolves when every tracked write is done, or after `patienceMs`, whichever comes first. */
export async function writesSettled(patienceMs = 1000): Promise<void> {
  const stop = new AbortController();
  const gaveUp = sleep(patienceMs, stop.signal).then(() => true);
  while (pending.size > 0) {
    if (await Promise.race([Promise.allSettled([...pending]).then(() => false), gaveUp])) break;
  }
  stop.abort();
}
