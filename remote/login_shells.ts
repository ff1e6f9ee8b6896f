/**
 * Which hosts' login shell is bash, as pool has found out by running there:
 * `<state>/login-shells.json`, keyed by user@host:port. It decides which
 * supervisor a command goes under (exec.ts): a bash login shell runs
 * supervise_bash.sh itself, any other gets supervise.sh. A host never seen is
 * tried as bash. One that turned it down is "other" until supervise.sh, run
 * there, says the login shell is bash now, and the refusal is a day old: an
 * account whose forced command runs instead of any supervisor never says so,
 * and is not asked twice again. A wrong or lost record costs one extra round
 * trip, never a wrong result: the bash form refuses to run in another shell.
 */

import { sleep } from "../timers.ts";
import { trackWrite } from "../state/pending_writes.ts";

export type LoginShell = "bash" | "other";

const VERSION = 1;
const RETRY_OTHER_MS = 24 * 3600_000;
/** Enough for any fleet; the oldest go first. */
const MAX_HOSTS = 2000;

interface Record {
  shell: LoginShell;
  at: number;
}

export class LoginShells {
  #file: string | undefined;
  #hosts: { [key: string]: Record } | null = null;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  /** No file: remembered for this run only. */
  constructor(file?: string) {
    this.#file = file;
  }

  /** What `key`'s login shell is known to be; undefined when never seen. */
  get(key: string): LoginShell | undefined {
    return this.#load()[key]?.shell;
  }

  /** Whether `key` turned the bash form down more than a day ago (or never did). */
  refusedLongAgo(key: string, now = Date.now()): boolean {
    const known = this.#load()[key];
    return known?.shell !== "other" || now - known.at > RETRY_OTHER_MS;
  }

  set(key: string, shell: LoginShell, now = Date.now()): void {
    const hosts = this.#load();
    if (hosts[key]?.shell === shell && shell === "bash") return;
    hosts[key] = { shell, at: now };
    this.#scheduleWrite();
  }

  /** One small file, read once a run. */
  #load(): { [key: string]: Record } {
    if (this.#hosts) return this.#hosts;
    this.#hosts = {};
    if (!this.#file) return this.#hosts;
    try {
      const data = JSON.parse(Deno.readTextFileSync(this.#file));
      if (data?.version === VERSION && typeof data.hosts === "object" && data.hosts) {
        this.#hosts = data.hosts;
      }
    } catch { /* none yet, or not ours: start afresh */ }
    return this.#hosts!;
  }

  /** One write after the current burst; a lost write only costs a later extra round trip. */
  #scheduleWrite(): void {
    if (!this.#file || this.#dirty) return;
    const file = this.#file;
    this.#dirty = true;
    this.#writing = this.#writing.then(() => sleep(0)).then(async () => {
      this.#dirty = false;
      const hosts = this.#load();
      const keys = Object.keys(hosts);
      if (keys.length > MAX_HOSTS) {
        keys.sort((a, b) => hosts[a].at - hosts[b].at);
        for (const key of keys.slice(0, keys.length - MAX_HOSTS)) delete hosts[key];
      }
      const temp = `${file}.tmp-${Deno.pid}`;
      try {
        await Deno.writeTextFile(temp, JSON.stringify({ version: VERSION, hosts }), {
          mode: 0o600,
        });
        await Deno.rename(temp, file);
      } catch {
        await Deno.remove(temp).catch(() => {});
      }
    });
    trackWrite(this.#writing);
  }

  /** Resolves when what was set so far is on disk (for tests). */
  async flushed(): Promise<void> {
    while (this.#dirty) await this.#writing;
    await this.#writing;
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
