/**
 * One roster entry, and the rules for what may go in it.
 *
 * The shape is the old tool's (`name`, `ssh`, `sudo`, `os`, `description`)
 * plus optional keys of our own (`tags`, `exclude`). Unknown keys are kept:
 * the file is edited in place, never re-serialised from this type.
 */

import { UsageError } from "../errors.ts";

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
 * contains "akida". We keep that rule, but only for hosts that do not say
 * `exclude` either way, so a user can opt such a host back in.
 */
export function isExcluded(host: Host): boolean {
  if (typeof host.exclude === "boolean") return host.exclude;
  return /akida/i.test(host.name) || /akida/i.test(host.ssh);
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WHITESPACE = /\s/;

/** Rejects a word that ssh or a shell could misread. `what` names it in the message. */
function checkWord(word: string, what: string): void {
  if (word === "") throw new UsageError(`${what} is empty`);
  if (word.startsWith("-")) {
    throw new UsageError(
      `${what} must not start with '-' (ssh would read it as an option): "${word}"`,
    );
  }
  if (CONTROL.test(word)) {
    throw new UsageError(`${what} contains a control character: ${JSON.stringify(word)}`);
  }
  if (WHITESPACE.test(word)) {
    throw new UsageError(`${what} contains whitespace: ${JSON.stringify(word)}`);
  }
}

// "local" is not reserved: a roster host named local deliberately replaces the implicit one.
const RESERVED = new Set(["all"]);

export function checkName(name: string): void {
  checkWord(name, "Host name");
  if (RESERVED.has(name)) throw new UsageError(`Host name "${name}" is reserved`);
  if (/^[@!]|,/.test(name)) {
    throw new UsageError(`Host name must not contain ',' or start with '@' or '!': "${name}"`);
  }
}

/** A target is `user@host`, an ssh_config alias, or `ssh://[user@]host[:port]`. */
export function checkTarget(target: string): void {
  checkWord(target, "Target");
  if (target.includes("://")) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`Target is not a valid ssh:// address: "${target}"`);
    }
    if (
      url.protocol !== "ssh:" || url.hostname === "" ||
      (url.pathname !== "" && url.pathname !== "/")
    ) {
      throw new UsageError(`Target must look like ssh://user@host:port: "${target}"`);
    }
  }
}

export function checkTag(tag: string): void {
  checkWord(tag, "Tag");
  if (/[,@!]/.test(tag)) throw new UsageError(`Tag must not contain ',', '@' or '!': "${tag}"`);
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
