/**
 * Which hosts' login shell is bash, as pool has found out by running there:
 * `<state>/login-shells.json`, keyed by user@host:port. It decides which
 * supervisor a command goes under (exec.ts): a bash login shell runs
 * supervise_bash.sh itself, any other gets supervise.sh. A host never seen
 * gets supervise.sh, whose marker names the login shell. One that turned the
 * bash form down is "other" until supervise.sh, run there, says the login
 * shell is bash, and the refusal is a day old. One whose bash form said
 * nothing at all (a forced command runs instead) is forgotten, so
 * supervise.sh asks again. A wrong or lost record costs one extra round trip,
 * never a wrong result: the bash form refuses to run in another shell.
 */
import { CacheFile } from "../state/cache_file.ts";

export type LoginShell = "bash" | "other";

const DAY_MS = 24 * 3600_000;

interface Known {
  shell: LoginShell;
  at: number;
}

export class LoginShells {
  #cache: CacheFile<Known>;

  /** No file: remembered for this run only. */
  constructor(file?: string) {
    this.#cache = new CacheFile<Known>(file, { version: 1, max: 2000, age: (k) => k.at });
  }

  /** What `key`'s login shell is known to be; undefined when never seen. */
  get(key: string): LoginShell | undefined {
    return this.#cache.entries()[key]?.shell;
  }

  /** Whether `key` turned the bash form down more than a day ago (or never did). */
  refusedLongAgo(key: string, now = Date.now()): boolean {
    const known = this.#cache.entries()[key];
    return known?.shell !== "other" || now - known.at > DAY_MS;
  }

  set(key: string, shell: LoginShell, now = Date.now()): void {
    const entries = this.#cache.entries();
    // Unchanged: no write, and a refusal's day keeps counting from the refusal.
    if (entries[key]?.shell === shell) return;
    entries[key] = { shell, at: now };
    this.#cache.changed();
  }

  forget(key: string): void {
    const entries = this.#cache.entries();
    if (!(key in entries)) return;
    delete entries[key];
    this.#cache.changed();
  }

  /** Resolves when what was set so far is on disk (for tests). */
  flushed(): Promise<void> {
    return this.#cache.flushed();
  }
}

const stores = new Map<string, LoginShells>();

/** The one store for `file` in this run (every host of a fan-out shares it). */
export function loginShells(file?: string): LoginShells {
  const key = file ?? "";
  let store = stores.get(key);
  if (!store) stores.set(key, store = new LoginShells(file));
  return store;
}
