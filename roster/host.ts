/**
 * One roster entry, and the rules for what may go in it.
 *
 * The shape is the old tool's (`name`, `ssh`, `sudo`, `os`, `description`)
 * plus optional keys of our own (`tags`, `exclude`). Unknown keys are kept:
 * the file is edited in place, never re-serialised from this type.
 *
 * The rules below are the only ones: `add`, `tag`, `import` and the roster
 * reader all call them, so a hand-edited host that holds what `add` refuses is
 * never used (the reader leaves it out, parse.ts).
 */

import { UsageError } from "../errors.ts";
import { splitTarget } from "./target.ts";

import type { Os } from "../probes/mod.ts";

export type { Os };

export interface Host {
  name: string;
  ssh: string;
  sudo?: boolean;
  os?: string;
  description?: string;
  tags?: string[];
  /** true: never part of `all`, `@tag`, route, init or clean-all; explicit use still works. */
  exclude?: boolean;
  [key: string]: unknown;
}

/** The implicit host that is this machine, run without ssh. */
export const LOCAL = "local";

/**
 * Whether fan-outs skip this host.
 *
 * Compatibility: the old tool hard-excluded any host whose name or target
 * contains "akida" (`"akida" in name`: lower case only, so `Akida2` ran, and still
 * does). We keep that rule, but only for hosts that do not say `exclude` either
 * way, so a user can opt such a host back in.
 */
export function isExcluded(host: Host): boolean {
  if (typeof host.exclude === "boolean") return host.exclude;
  return host.name.includes("akida") || host.ssh.includes("akida");
}

/** C0, DEL and C1: a terminal acts on these (U+009B starts an escape), a roster line never holds one. */
// deno-lint-ignore no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WHITESPACE = /\s/;
/**
 * Names and tags are plain tokens: letters and digits of any script, and `. _ + -`.
 * Nothing a shell, a pdsh/ansible export or a selection (`a,b`, `@tag`, `!x`) reads specially.
 */
const TOKEN = /^[\p{L}\p{M}\p{N}._+-]+$/u;
/**
 * What a target's user and host must not hold: shell metacharacters (ssh puts
 * them into ProxyCommand `%h`/`%r`, the hole of CVE-2023-51385) and `,` (pdsh's separator).
 */
const TARGET_META = /[$`;|&<>'"\\*?{}()!^~#,\[\]]/;

/**
 * What is wrong with a word ssh or a shell could misread, or undefined. `what` names it;
 * `shown` follows the complaint (the word itself, or nothing where the caller names it).
 */
function wordProblem(
  word: string,
  what: string,
  shown = `: ${JSON.stringify(word)}`,
): string | undefined {
  if (word === "") return `${what} is empty`;
  if (word.startsWith("-")) {
    return `${what} must not start with '-' (ssh would read it as an option)${shown}`;
  }
  if (CONTROL.test(word)) return `${what} contains a control character${shown}`;
  if (WHITESPACE.test(word)) return `${what} contains whitespace${shown}`;
}

function tokenProblem(
  word: string,
  what: string,
  shown = `: ${JSON.stringify(word)}`,
): string | undefined {
  const problem = wordProblem(word, what, shown);
  if (problem) return problem;
  if (!TOKEN.test(word)) return `${what} may hold only letters, digits and . _ + -${shown}`;
}

// "local" is not reserved: a roster host named local deliberately replaces the implicit one.
const RESERVED = new Set(["all"]);

/**
 * What is wrong with a host name, or undefined: for callers that report rather than throw.
 * The roster reader names the host itself, so it asks for the complaint without the name.
 */
export function nameProblem(name: string, what = "host name", shown?: string): string | undefined {
  if (RESERVED.has(name)) return `${what} ${JSON.stringify(name)} is reserved`;
  return tokenProblem(name, what, shown);
}

/** What is wrong with a target (`user@host`, an ssh_config alias, `ssh://[user@]host[:port]`). */
export function targetProblem(target: string): string | undefined {
  const problem = wordProblem(target, "target");
  if (problem) return problem;
  if (target.includes("://")) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return `target is not a valid ssh:// address: ${JSON.stringify(target)}`;
    }
    if (
      url.protocol !== "ssh:" || url.hostname === "" ||
      (url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "" ||
      url.password !== ""
    ) {
      return `target must look like ssh://user@host:port: ${JSON.stringify(target)}`;
    }
    // URL takes 0 (and 00) as a port; ssh can never connect there. 65536 and up it refuses.
    if (url.port === "0") {
      return `target's port must be from 1 to 65535: ${JSON.stringify(target)}`;
    }
  }
  // Each part on its own: ssh reads `-x` as an option wherever it stands.
  let parts;
  try {
    parts = splitTarget(target);
  } catch {
    return `target is not a valid ssh:// address: ${JSON.stringify(target)}`;
  }
  const { user } = parts;
  // An IPv6 address keeps its brackets in `user@[::1]`; they are not metacharacters there.
  const host = parts.host.replace(/^\[(.*)\]$/, "$1");
  if (user !== undefined) {
    const bad = wordProblem(user, "target's user") ?? metaProblem(user, "target's user");
    if (bad) return bad;
  }
  return wordProblem(host, "target's host") ?? metaProblem(host, "target's host");
}

function metaProblem(part: string, what: string): string | undefined {
  if (TARGET_META.test(part)) {
    return `${what} contains a shell metacharacter or ',': ${JSON.stringify(part)}`;
  }
}

export function tagProblem(tag: string): string | undefined {
  return tokenProblem(tag, "tag");
}

/** Throws the usage error `add`, `tag` and `import` report; the roster reader uses the *Problem forms. */
export function checkName(name: string): void {
  const problem = nameProblem(name) ?? invisibleProblem(name, "host name") ?? folderProblem(name);
  if (problem) throw new UsageError(problem);
}

/** `pull` and `--out-dir` name a folder or file after each host: `.` and `..` cannot be one. */
function folderProblem(name: string): string | undefined {
  if (name === "." || name === "..") return `host name "${name}" cannot name a folder`;
}

/**
 * A name or tag is typed, completed and read back: one holding a character that shows as
 * nothing (a variation selector, a Hangul filler, a combining grapheme joiner) looks like
 * another (`h1` + U+FE0F reads as h1, and `pool on h1` misses it). Refused for new ones;
 * older rosters holding such still load.
 */
function invisibleProblem(word: string, what: string): string | undefined {
  // Variation selectors where a script uses them: an ideograph's variant (葛 + U+E0100), a
  // Mongolian letter's form (U+180B–U+180F). They change the glyph, so they show.
  const shown = word.replace(/\p{Script=Han}[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu, "")
    .replace(/\p{Script=Mongolian}[\u{180B}-\u{180F}]/gu, "");
  const invisible = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.exec(shown);
  if (!invisible) return undefined;
  const code = invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `${what} contains an invisible character (U+${code}): ${JSON.stringify(word)}`;
}

/** `add` and `import` also refuse a target that is safe to read but cannot work as meant. */
export function checkTarget(target: string): void {
  const problem = targetProblem(target) ?? misleadingTarget(target);
  if (problem) throw new UsageError(problem);
}

/**
 * Why a target, harmless to read (older rosters hold such and still load), would not do
 * what it says: ssh takes brackets only in an ssh:// address (`root@[::1]` resolves the
 * name "[::1]"), and a zero-width or bidi character makes `h1\u200b` read as h1 and
 * resolve elsewhere, or reorders what list shows.
 */
function misleadingTarget(target: string): string | undefined {
  const invisible = invisibleProblem(target, "target");
  if (invisible) return invisible;
  const { user, host } = splitTarget(target);
  if (!target.startsWith("ssh://") && /^\[.*\]$/.test(host)) {
    const bare = host.slice(1, -1);
    const at = user === undefined ? "" : `${user}@`;
    return `target ${JSON.stringify(target)}: ssh reads brackets only in ssh://${at}[${bare}]; ` +
      `write that, or ${at}${bare}`;
  }
}

/**
 * `user@host:2222`, the form scp and many tools print: ssh reads `host:2222` as the host's
 * name and never connects. Refused where a target is given (`pool add`); a roster that
 * already holds one still loads, as before. One colon only: a bare IPv6 address has more.
 */
export function portInHostProblem(target: string): string | undefined {
  if (target.includes("://")) return undefined;
  const { user, host } = splitTarget(target);
  const m = /^([^:]+):(\d+)$/.exec(host);
  if (!m) return undefined;
  const at = user === undefined ? "" : `${user}@`;
  return `target ${JSON.stringify(target)}: ssh reads ${host} as a host name, not a host and ` +
    `port; use ssh://${at}${m[1]}:${m[2]}`;
}

export function checkTag(tag: string): void {
  const problem = tagProblem(tag) ?? invisibleProblem(tag, "tag");
  if (problem) throw new UsageError(problem);
}

const IMPLICIT = Symbol("implicit local host");

export function localOs(): Os {
  if (Deno.build.os === "linux") return "linux";
  if (Deno.build.os === "darwin") return "macos";
  return "unknown";
}

/** This machine as a host: run directly, without ssh (like Ansible's implicit localhost). */
export function localHost(): Host {
  return { name: LOCAL, ssh: "(this machine)", os: localOs(), [IMPLICIT]: true };
}

export function isLocal(host: Host): boolean {
  return (host as unknown as Record<symbol, unknown>)[IMPLICIT] === true;
}
