/**
 * The last check before a host leaves pool for another tool (pdsh and pssh
 * host lists, completion words, the Ansible inventory).
 *
 * `add` validates what goes into the roster, but the file is also edited by
 * hand, and those tools are less careful than pool's own ssh call: pdsh and
 * pssh put a target where ssh reads options (`root@-oProxyCommand=…` runs
 * code here), and shells expand `$(…)` in completion words. So every export
 * checks each host again, with the roster's own rules plus the few that
 * matter only outside pool, and leaves out a host that fails them.
 */

import { checkName, checkTag, checkTarget, type Host } from "./host.ts";
import { splitTarget } from "./target.ts";

/**
 * Characters a shell, pdsh or pssh gives a meaning: expansions, quotes,
 * separators, globs and pdsh's `[1-3]` ranges. `@` and `:` are left to the
 * target split below, `!` to checkName.
 */
const SHELL_ACTIVE = /[$`\\"';&|<>(){}*?[\]#,~]/;

function plain(word: string, what: string): void {
  if (SHELL_ACTIVE.test(word)) {
    throw new Error(
      `${what} contains a character a shell or pdsh would read: ${JSON.stringify(word)}`,
    );
  }
}

/** The user and host a target names, as ssh, pdsh and pssh will each split it. */
function checkTargetParts(target: string): void {
  let parts;
  try {
    parts = splitTarget(target);
  } catch {
    throw new Error(`target is not a valid ssh:// address: ${JSON.stringify(target)}`);
  }
  for (const [what, word] of [["user", parts.user], ["host", parts.host]] as const) {
    if (word === undefined) continue;
    // pssh splits at the first @, ssh at the last: one @ at most, so they agree.
    if (word === "" || word.startsWith("-") || word.includes("@")) {
      throw new Error(
        `target's ${what} ${JSON.stringify(word)} is empty, has an @ or starts with '-'`,
      );
    }
    plain(word, `target's ${what}`);
  }
}

/**
 * Why `host` must not be exported, or null when it may be. Calls the
 * roster's validators first, so whatever they learn to refuse, exports
 * refuse too. `withTarget` false: only its name and tags leave pool.
 */
export function exportProblem(host: Host, withTarget = true): string | null {
  try {
    checkName(host.name);
    plain(host.name, "name");
    // Names and completion words carry no target: one another tool cannot use is no reason there.
    if (withTarget) {
      checkTarget(host.ssh);
      checkTargetParts(host.ssh);
    }
    for (const tag of host.tags ?? []) {
      checkTag(tag);
      plain(tag, "tag");
    }
    return null;
  } catch (e) {
    const message = (e as Error).message;
    return message.charAt(0).toLowerCase() + message.slice(1);
  }
}
