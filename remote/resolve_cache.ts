/**
 * `ssh -G`'s answers, kept between runs in the state directory.
 *
 * pool asks `ssh -G` what each target connects to (ssh.ts: host-key default,
 * control-socket identity). That is one process per host per run, 8–10 ms of
 * CPU each: on a warm fan-out it cost more than the commands themselves. The
 * answer is a pure function of the config files ssh read, the environment
 * they refer to, and the ssh binary, so it is kept with a stamp of each of
 * those and used again only while every stamp still holds:
 *
 * - every file ssh says it read (`ssh -v`: "Reading configuration data"),
 *   by inode, size, mtime and ctime, and the folder it sits in (a file added
 *   beside it, as an `Include conf.d/*` would pick up);
 * - the folder of every Include that matched nothing (so creating it counts);
 * - the values of `${VAR}`s the files use, HOME, USER, the host name, PATH and
 *   the ssh binary found on it.
 *
 * Never kept: an answer from a config with `Match exec` (its result can
 * depend on anything) or `Match localnetwork` (OpenSSH 9.4+: it depends on
 * the network interfaces, so a laptop that moves to another network would
 * get the old answer and a socket keyed to the old HostName), or with an
 * Include ssh reports relative. Known limit:
 * an Include with a wildcard in a folder name (`~/.ssh/* /config`) notices a
 * new folder only when a folder it already read from changes.
 *
 * The file is a cache: a lost or damaged one is rebuilt, concurrent writers
 * each replace it whole (last one wins), and nothing waits on a lock.
 */

import { dirname, isAbsolute } from "../paths.ts";
import { sha256Hex } from "../digest.ts";
import { CacheFile } from "../state/cache_file.ts";
import { findOnPath } from "./process.ts";

/** Enough for every target of a large fleet under a few configs; the least used go first. */
const MAX_ENTRIES = 2000;

/** What ssh's `-v` output says it read, for the stamps above; null when the answer must not be kept. */
export interface ConfigInputs {
  paths: string[];
  env: string[];
}

interface Entry<T> {
  /** Every input path and its stamp when the answer was made ("-" for absent). */
  stamps: Record<string, string>;
  env: string[];
  world: string;
  value: T;
  used: number;
}

/**
 * Reads ssh's `-G -v` stderr: the files it read (but `skip`, pool's own probe
 * wrapper) and the folders of Includes that matched nothing. Then reads those
 * files for what makes an answer unkeepable, and for the `${VAR}`s they use.
 */
export async function configInputs(stderr: string, skip: string): Promise<ConfigInputs | null> {
  const files: string[] = [];
  const paths = new Set<string>();
  for (const line of stderr.split(/\r?\n/)) {
    const read = /^debug1: Reading configuration data (.+)$/.exec(line);
    if (read && read[1] !== skip) {
      files.push(read[1]);
      paths.add(read[1]).add(dirname(read[1]));
    }
    const none = /^debug1: .* line \d+: include (.+) matched no files$/.exec(line);
    if (none) {
      if (!isAbsolute(none[1])) return null;
      paths.add(globFreeFolder(none[1]));
    }
  }
  const env = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      return null;
    }
    if (/^\s*match\b[^\n]*\b(?:exec|localnetwork)\b/im.test(text)) return null;
    for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env.add(m[1]);
  }
  return { paths: [...paths], env: [...env].sort() };
}

/** The deepest folder of `pattern` above its first wildcard. */
function globFreeFolder(pattern: string): string {
  const wild = pattern.search(/[*?[]/);
  return dirname(wild === -1 ? pattern : pattern.slice(0, wild) + "x");
}

function stamp(path: string): string {
  try {
    const s = Deno.statSync(path);
    return [s.ino, s.isDirectory ? "d" : s.size, s.mtime?.getTime(), s.ctime?.getTime()].join(":");
  } catch {
    return "-";
  }
}

export class ResolveCache<T> {
  #cache: CacheFile<Entry<T>>;
  #stamps = new Map<string, string>();
  #base: string | null = null;
  /** By the names of the variables it covers: hashed once a run, not once a host. */
  #worlds = new Map<string, string>();

  constructor(file: string, private readonly env: (name: string) => string | undefined) {
    this.#cache = new CacheFile<Entry<T>>(file, {
      version: 1,
      max: MAX_ENTRIES,
      age: (e) => e.used,
    });
  }

  /** The kept answer for `key`, if every stamp it was made under still holds. */
  get(key: string): T | undefined {
    const entry = this.#cache.entries()[key];
    if (!entry || entry.world !== this.#world(entry.env)) return undefined;
    for (const [path, was] of Object.entries(entry.stamps)) {
      if (this.#stamp(path) !== was) return undefined;
    }
    entry.used = Date.now();
    return entry.value;
  }

  /** Keeps `value` for `key`, stamped now; written to the file shortly after. */
  put(key: string, inputs: ConfigInputs, value: T): void {
    const stamps: Record<string, string> = {};
    for (const path of inputs.paths) stamps[path] = this.#stamp(path);
    const world = this.#world(inputs.env);
    this.#cache.entries()[key] = { stamps, env: inputs.env, world, value, used: Date.now() };
    this.#cache.changed();
  }

  #stamp(path: string): string {
    let result = this.#stamps.get(path);
    if (result === undefined) this.#stamps.set(path, result = stamp(path));
    return result;
  }

  #world(env: string[]): string {
    const names = env.join("\0");
    let world = this.#worlds.get(names);
    if (world === undefined) this.#worlds.set(names, world = this.#hash(env));
    return world;
  }

  #hash(env: string[]): string {
    this.#base ??= (() => {
      const path = this.env("PATH") ?? "";
      const ssh = findOnPath("ssh", path) ?? "ssh";
      let host = "";
      try {
        host = Deno.hostname();
      } catch { /* none */ }
      return [
        this.env("HOME"),
        this.env("USER"),
        this.env("LOGNAME"),
        Deno.uid(),
        host,
        path,
        ssh,
        this.#stamp(ssh),
      ].join("\0");
    })();
    return sha256Hex([this.#base, ...env.map((n) => `${n}=${this.env(n) ?? ""}`)].join("\0"));
  }

  /** Resolves when what was put so far is on disk (for tests). */
  flushed(): Promise<void> {
    return this.#cache.flushed();
  }
}
