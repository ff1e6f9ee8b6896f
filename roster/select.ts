/**
 * Host selection: `name`, `all`, `h1,h2`, `@tag`, and `!term` to leave out.
 *
 * `all` and `@tag` never include excluded hosts; naming a host always does.
 * The implicit `local` host is only ever chosen by name.
 */

import { EXIT, PoolError, UsageError } from "../errors.ts";
import { type Host, isExcluded, LOCAL, localHost } from "./host.ts";

export interface Selection {
  hosts: Host[];
  /** More than one host could match (all, a list, a tag): output is prefixed per host. */
  fanOut: boolean;
  /** Hosts that `all`/`@tag` matched but skipped because they are excluded. */
  skipped: Host[];
}

/** The one wording of "the roster is empty", wherever a verb needs to say it. */
export const EMPTY_ROSTER = "no hosts in the roster yet; add one with: pool add <name> <user@host>";

export function isSingleName(spec: string): boolean {
  return spec !== "all" && !/[,@!]/.test(spec);
}

export function selectHosts(spec: string, roster: readonly Host[]): Selection {
  const terms = spec.split(",").map((t) => t.trim());
  if (terms.some((t) => t === "" || t === "!")) {
    throw new UsageError(`empty term in host selection "${spec}"`);
  }
  const byName = new Map(roster.map((h) => [h.name, h]));
  const lookup = (name: string): Host => {
    const host = byName.get(name) ?? (name === LOCAL ? localHost() : undefined);
    if (!host) throw new PoolError(`not in roster: ${name}`, EXIT.failure, "not_in_roster");
    return host;
  };
  const group = (term: string): { hosts: Host[]; skipped: Host[] } => {
    let members: Host[];
    if (term === "all") {
      members = [...roster];
    } else if (term.startsWith("@")) {
      const tag = term.slice(1);
      members = roster.filter((h) => h.tags?.includes(tag));
      if (members.length === 0) {
        throw new PoolError(`no host carries tag @${tag}`, EXIT.failure, "no_match");
      }
    } else {
      return { hosts: [lookup(term)], skipped: [] };
    }
    return { hosts: members.filter((h) => !isExcluded(h)), skipped: members.filter(isExcluded) };
  };

  const chosen = new Map<string, Host>();
  const skipped = new Map<string, Host>();
  const positives = terms.filter((t) => !t.startsWith("!"));
  for (const term of positives.length > 0 ? positives : ["all"]) {
    const g = group(term);
    for (const h of g.hosts) chosen.set(h.name, h);
    for (const h of g.skipped) skipped.set(h.name, h);
  }
  for (const term of terms.filter((t) => t.startsWith("!"))) {
    for (const h of group(term.slice(1)).hosts) chosen.delete(h.name);
  }
  for (const name of chosen.keys()) skipped.delete(name);

  if (roster.length === 0 && !terms.every(isSingleName)) {
    throw new PoolError(EMPTY_ROSTER, EXIT.failure, "empty_roster");
  }
  if (chosen.size === 0) {
    throw new PoolError(`host selection "${spec}" matches no host`, EXIT.failure, "no_match");
  }
  const order = (hosts: Iterable<Host>) => [...hosts].sort((a, b) => rank(a) - rank(b));
  const rank = (h: Host) => {
    const i = roster.indexOf(h);
    return i === -1 ? roster.length : i;
  };
  return {
    hosts: order(chosen.values()),
    fanOut: !(terms.length === 1 && isSingleName(spec)),
    skipped: order(skipped.values()),
  };
}
