/**
 * A small JSON cache in the state directory (`{ version, entries }`): read
 * once a run, synchronously (one small file costs less than an async round
 * trip on every run's critical path), kept in memory, and written once after
 * each burst of changes (writeFileAtomically). A missing, damaged or
 * foreign file is an empty cache; a lost write only costs a later miss. The
 * end of every run waits for the writes it started (`writesSettled`), but
 * never for long: a hung exit would cost the user more than the miss.
 */

import { sleep } from "../timers.ts";
import { writeFileAtomically } from "./files.ts";

export interface CacheOptions<E> {
  version: number;
  /** The most entries kept; those with the smallest `age` go first. */
  max: number;
  age: (entry: E) => number;
}

export class CacheFile<E> {
  #entries: Record<string, E> | null = null;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  /** No file: an in-memory cache, for this run only. */
  constructor(
    private readonly file: string | undefined,
    private readonly options: CacheOptions<E>,
  ) {}

  /** The entries, read on first use; change them in place and call `changed()`. */
  entries(): Record<string, E> {
    if (this.#entries) return this.#entries;
    this.#entries = {};
    if (!this.file) return this.#entries;
    try {
      const data = JSON.parse(Deno.readTextFileSync(this.file));
      if (
        data?.version === this.options.version && typeof data.entries === "object" && data.entries
      ) {
        this.#entries = data.entries;
      }
    } catch { /* none yet, or not ours: start afresh */ }
    return this.#entries!;
  }

  /** Writes the entries once the current burst of changes is in. */
  changed(): void {
    if (!this.file || this.#dirty) return;
    const file = this.file;
    this.#dirty = true;
    this.#writing = this.#writing.then(() => sleep(0)).then(async () => {
      this.#dirty = false;
      const entries = this.entries();
      const keys = Object.keys(entries);
      if (keys.length > this.options.max) {
        keys.sort((a, b) => this.options.age(entries[a]) - this.options.age(entries[b]));
        for (const key of keys.slice(0, keys.length - this.options.max)) delete entries[key];
      }
      const text = JSON.stringify({ version: this.options.version, entries });
      await writeFileAtomically(file, text).catch(() => {});
    });
    const write = this.#writing;
    pending.add(write);
    write.finally(() => pending.delete(write)).catch(() => {});
  }

  /** Resolves when what was changed so far is on disk. */
  async flushed(): Promise<void> {
    while (this.#dirty) await this.#writing;
    await this.#writing;
  }
}

const pending = new Set<Promise<unknown>>();

/** Resolves when every cache write of this run is done, or after `patienceMs`, whichever is first. */
export async function writesSettled(patienceMs = 1000): Promise<void> {
  if (pending.size === 0) return;
  const stop = new AbortController();
  const gaveUp = sleep(patienceMs, stop.signal).then(() => true);
  while (pending.size > 0) {
    if (await Promise.race([Promise.allSettled([...pending]).then(() => false), gaveUp])) break;
  }
  stop.abort();
}
