/**
 * Host selection: `name`, `all`, `h1,h2`, `@tag`, ranges (`h[1-8]`,
 * `gpu[01-04]`, `web[1,3,5-7]`), globs on names (`gpu*`, `h?`), and `!term`
 * to leave out.
 *
 * `all`, `@tag` and globs never include excluded hosts; naming a host (or a
 * range of names) always does, and `!` leaves a host out however it came in.
 * The implicit `local` host is only ever chosen by name.
 */

import { PoolError, UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import { type Host, isExcluded, LOCAL, localHost } from "./host.ts";
import { expandRange, foldNames, hasRange } from "./nodeset.ts";
import { leftOut, type Unusable } from "./parse.ts";

export interface Selection {
  hosts: Host[];
  /** More than one host could match (all, a list, a tag): output is prefixed per host. */
  fanOut: boolean;
  /** Hosts that `all`/`@tag` matched but skipped because they are excluded. */
  skipped: Host[];
}

/** Missing names folded for the error message; past this, the range as typed. */
const FOLD_AT_MOST = 1000;
/** The one wording of "the roster is empty", wherever a verb needs to say it. */
export const EMPTY_ROSTER = "no hosts in the roster yet; add one with: pool add <name> <user@host>";

/**
 * Why a roster has no host to use: empty, or every entry left out (unusable), which is not
 * empty and not to be said so.
 */
export function noHostMessage(unusable: readonly Unusable[]): string {
  if (unusable.length === 0) return EMPTY_ROSTER;
  return `every host in the roster is left out (unusable): ${
    foldNames(unusable.map((u) => u.name))
  }; pool list says why`;
}

export function isSingleName(spec: string): boolean {
  return spec !== "all" && !/[,@!\[*?]/.test(spec);
}

/** `a,web[1,3],!b` → a, web[1,3], !b: a comma inside brackets belongs to the range. */
export function splitSelection(spec: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < spec.length; i++) {
    if (spec[i] === "[") depth++;
    else if (spec[i] === "]") depth = Math.max(0, depth - 1);
    else if (spec[i] === "," && depth === 0) {
      terms.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(spec.slice(start));
  return terms.map((t) => t.trim());
}

/** Whether a term is a shell-style pattern on names (`*`, `?`). */
const isGlob = (term: string) => /[*?]/.test(term);

function globRegExp(glob: string): RegExp {
  const body = [...glob].map((c) =>
    c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|\\]/g, "\\$&")
  ).join("");
  return new RegExp(`^${body}$`, "u");
}

/** A selection whose every host is excluded: said so, or the tag or glob would look wrong. */
export class OnlyExcluded extends PoolError {
  constructor(spec: string, names: string[]) {
    super(
      `host selection "${spec}" matches only excluded hosts: ${foldNames(names)}` +
        ` (name one to take it anyway)`,
      EXIT.failure,
      "no_match",
    );
  }
}

/** Whether `spec` picks any roster host, an excluded one too; never throws. */
export function picksAnyHost(
  spec: string,
  roster: readonly Host[],
  unusable: readonly Unusable[] = [],
): boolean {
  try {
    return selectHosts(spec, roster, unusable).hosts.length > 0;
  } catch (e) {
    return e instanceof OnlyExcluded;
  }
}

/**
 * `unusable`: the roster's hosts left out (parse.ts). Named, one is refused with why, never read
 * as missing nor as the implicit `local`; left out again (`!name`, `-x name`), it is a no-op.
 */
export function selectHosts(
  spec: string,
  roster: readonly Host[],
  unusable: readonly Unusable[] = [],
): Selection {
  const terms = splitSelection(spec);
  if (terms.some((t) => t === "" || t === "!")) {
    throw new UsageError(`empty term in host selection "${spec}"`);
  }
  // `@` alone (`@$UNSET`) names no tag: not a tag no host carries, nor one to leave out.
  if (terms.some((t) => t === "@" || t === "!@")) {
    throw new UsageError(`empty tag in host selection "${spec}"`);
  }
  const byName = new Map(roster.map((h) => [h.name, h]));
  const unusableByName = new Map(unusable.map((u) => [u.name, u]));
  const lookup = (name: string, negated: boolean): Host[] => {
    const left = unusableByName.get(name);
    if (left) {
      if (negated) return [];
      throw leftOut(left);
    }
    const host = byName.get(name) ?? (name === LOCAL ? localHost() : undefined);
    if (!host) throw new PoolError(`not in roster: ${name}`, EXIT.failure, "not_in_roster");
    return [host];
  };
  // `negated`: a tag or glob that matches nothing leaves nothing out (`-x @busy` when nothing
  // is busy); a name not in the roster stays an error, as a typo there would run on that host.
  const group = (term: string, negated = false): { hosts: Host[]; skipped: Host[] } => {
    let members: Host[];
    if (term === "all") {
      members = [...roster];
    } else if (term.startsWith("@")) {
      const tag = term.slice(1);
      members = roster.filter((h) => h.tags?.includes(tag));
      if (members.length === 0 && !negated) {
        throw new PoolError(`no host carries tag @${tag}`, EXIT.failure, "no_match");
      }
    } else if (hasRange(term)) {
      // A range names its hosts, so each must exist; a glob inside it matches like one.
      const names = expandRange(term);
      const missing = names.filter((n) =>
        !isGlob(n) && !byName.has(n) && !unusableByName.has(n) && n !== LOCAL
      );
      if (missing.length > 0) {
        // Folding is cheap for a roster's worth of names; for a runaway range it is not
        // (90,000 names took a minute), and the range as typed says it as well.
        const shown = missing.length <= FOLD_AT_MOST
          ? foldNames(missing)
          : `${term} (${missing.length} names)`;
        throw new PoolError(`not in roster: ${shown}`, EXIT.failure, "not_in_roster");
      }
      const parts = names.map((n) => group(n, negated));
      return { hosts: parts.flatMap((p) => p.hosts), skipped: parts.flatMap((p) => p.skipped) };
    } else if (isGlob(term)) {
      const re = globRegExp(term);
      members = roster.filter((h) => re.test(h.name));
      if (members.length === 0 && !negated) {
        throw new PoolError(`no host name matches ${term}`, EXIT.failure, "no_match");
      }
    } else {
      return { hosts: lookup(term, negated), skipped: [] };
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
    // Excluded hosts too: one named on purpose is still left out by `!@tag`, `!glob`, `!all`.
    const g = group(term.slice(1), true);
    for (const h of [...g.hosts, ...g.skipped]) chosen.delete(h.name);
  }
  for (const name of chosen.keys()) skipped.delete(name);

  if (roster.length === 0 && !terms.every(isSingleName)) {
    throw new PoolError(noHostMessage(unusable), EXIT.failure, "empty_roster");
  }
  if (chosen.size === 0 && skipped.size > 0) {
    throw new OnlyExcluded(spec, [...skipped.keys()]);
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
