/**
 * The roster as Ansible's dynamic inventory (`--list` / `--host`): groups
 * from each host's OS and tags, and per-host variables.
 *
 * A group name must never change what Ansible's own names mean, nor put two
 * tags in one group: `all`, `ungrouped` and `_meta` are Ansible's (a tag
 * `all` would replace the group of every host; one named `_meta` would hide
 * the host variables), and making names identifier-safe can merge tags
 * (`web-tier`, `web_tier`), nor be a host's name (Ansible files a group and a
 * host of one name as one, and the host's variables go to the group's
 * members). See groupNames() for the rules.
 *
 * Every string from the roster, an ssh config or the environment is marked
 * `__ansible_unsafe`: Ansible templates variables, and `{{ lookup('pipe', …) }}`
 * in a description or a HostName would run on the control machine.
 */

import { sha256Hex } from "../digest.ts";
import type { Host } from "../roster/host.ts";
import type { ResolvedTarget } from "../remote/ssh.ts";
import { shQuote } from "../remote/quote.ts";
import { splitTarget } from "../roster/target.ts";

/** A string Ansible takes as it is, never as a template (its JSON loader reads the mark). */
const unsafe = (text: string) => ({ __ansible_unsafe: text });

/** Names Ansible gives a meaning of its own. */
const ANSIBLE_NAMES = new Set(["all", "ungrouped", "_meta"]);
/** The OS groups pool makes; a tag of the same name must not join them. */
const OS_GROUPS = ["linux", "macos", "unknown"];

/** Ansible group names are identifiers. */
const identifier = (word: string) => word.replace(/[^A-Za-z0-9_]/g, "_");

/** A name that cannot be taken as it is: reserved, or starting with a digit (Ansible warns). */
const needsPrefix = (name: string, taken: Set<string>) =>
  ANSIBLE_NAMES.has(name) || taken.has(name) || /^[0-9]/.test(name);

const hash = (word: string, length: number) => sha256Hex(word).slice(0, length);

export interface GroupNames {
  os: Map<string, string>;
  tags: Map<string, string>;
}

/**
 * Group names for OS words and tags, deterministic and distinct:
 * - OS groups are the OS made an identifier (`linux`, `macos`, `unknown`),
 *   prefixed `os_` if that is one of Ansible's names, a host's name, or
 *   starts with a digit;
 * - a tag is made an identifier (`web-tier` → `web_tier`) and prefixed
 *   `tag_` if that is one of Ansible's names, an OS group's, a host's name
 *   or starts with a digit (`all` → `tag_all`, `_meta` → `tag__meta`,
 *   `5g` → `tag_5g`);
 * - tags that would still share a name: the one already spelled that way
 *   keeps it, the others get `_` and the first 6 hex digits of the SHA-256
 *   of the tag (`web-tier` → `web_tier_<hex>` beside a tag `web_tier`), so a
 *   tag's group name does not depend on the order tags were added.
 */
export function groupNames(
  osWords: string[],
  tags: string[],
  hostNames: string[] = [],
): GroupNames {
  const hosts = new Set(hostNames);
  const os = new Map<string, string>();
  for (const word of new Set(osWords)) {
    const base = identifier(word);
    os.set(word, needsPrefix(base, hosts) ? `os_${base}` : base);
  }
  const taken = new Set([...OS_GROUPS, ...os.values(), ...hosts]);
  const byBase = new Map<string, string[]>();
  for (const tag of [...new Set(tags)].sort()) {
    let base = identifier(tag);
    if (needsPrefix(base, taken)) base = `tag_${base}`;
    byBase.set(base, [...(byBase.get(base) ?? []), tag]);
  }
  const named = new Map<string, string>();
  const used = new Set(taken);
  // First every tag that keeps its name, so a suffixed name can never take one.
  for (const [base, group] of byBase) {
    if (used.has(base)) continue;
    const keeper = group.length === 1 ? group[0] : group.find((t) => t === base);
    if (keeper !== undefined) {
      named.set(keeper, base);
      used.add(base);
    }
  }
  for (const [base, group] of byBase) {
    for (const tag of group.filter((t) => !named.has(t))) {
      let name = "";
      for (const length of [6, 12, 64]) {
        name = `${base}_${hash(tag, length)}`;
        if (!used.has(name)) break;
      }
      named.set(tag, name);
      used.add(name);
    }
  }
  return { os, tags: named };
}

/**
 * One host's variables: where to connect, and pool's own fields. The host is the
 * target's as typed (an ssh_config alias stays one, so its Host block — keys, jump
 * host, host key alias — applies to Ansible's ssh too); user and port as `ssh -G`
 * resolved them.
 */
export function hostvars(
  host: Host,
  resolved: ResolvedTarget | null,
  sshConfig: string | undefined,
): Record<string, unknown> {
  return {
    ansible_host: unsafe(splitTarget(host.ssh).host),
    ...(resolved ? { ansible_user: unsafe(resolved.user), ansible_port: resolved.port } : {}),
    // The same ssh config pool uses, so keys and known_hosts agree. Ansible splits this the way
    // a shell does: the path is quoted, or one with a space names a file that is not there.
    ...(sshConfig ? { ansible_ssh_common_args: unsafe(`-F ${shQuote(sshConfig)}`) } : {}),
    // As pool does: sudo only where the login is not already root (pool runs those directly).
    ...(host.sudo && resolved?.user !== "root" ? { ansible_become: true } : {}),
    pool_name: unsafe(host.name),
    pool_target: unsafe(host.ssh),
    pool_os: unsafe(host.os ?? "unknown"),
    pool_sudo: host.sudo ?? false,
    pool_tags: (host.tags ?? []).map(unsafe),
    ...(host.description ? { pool_description: unsafe(host.description) } : {}),
  };
}

/** `--list`: every host in `all`, a group per OS and per tag, and `_meta.hostvars`. */
export function inventoryList(
  hosts: Host[],
  vars: Record<string, unknown>[],
): Record<string, unknown> {
  const names = groupNames(
    hosts.map((h) => h.os || "unknown"),
    hosts.flatMap((h) => h.tags ?? []),
    hosts.map((h) => h.name),
  );
  const groups = new Map<string, string[]>();
  const join = (group: string, name: string) => {
    const members = groups.get(group) ?? [];
    if (!members.includes(name)) groups.set(group, [...members, name]);
  };
  for (const h of hosts) {
    join(names.os.get(h.os || "unknown")!, h.name);
    for (const tag of h.tags ?? []) join(names.tags.get(tag)!, h.name);
  }
  return {
    all: { hosts: hosts.map((h) => h.name), children: [...groups.keys()] },
    ...Object.fromEntries([...groups].map(([g, members]) => [g, { hosts: members }])),
    _meta: { hostvars: Object.fromEntries(hosts.map((h, i) => [h.name, vars[i]])) },
  };
}
