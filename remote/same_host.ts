/**
 * Whether two roster targets reach one machine, from what `ssh -G` said of each.
 *
 * Two names for one box (`Host web1 web1.lan`, or `pool add dup h5` beside h5) make
 * `pool on all` run there twice. The machine is the account, address and port ssh
 * connects to, and the way it gets there: through another ProxyCommand or jump host
 * the same address (10.0.0.5, localhost) may be another machine. What does not make
 * another machine: an identity file, or a HostKeyAlias (which known_hosts line checks the
 * key; one address and port is one sshd, whatever line vouches for it).
 */

import type { ResolvedTarget } from "./ssh.ts";
import type { Runner } from "./runner.ts";
import { poolMap } from "./pool_map.ts";
import type { Host } from "../roster/host.ts";

/** `ssh -G` for the roster's hosts: short local processes, most answers kept in the cache. */
const RESOLVE_JOBS = 8;

/**
 * A key equal for two targets that reach the same machine. `name` is the target as given:
 * a ProxyCommand that uses `%n` (the name) or `%k` (the host key alias, else the name)
 * hands the proxy something that differs by name, so no other name shares its key.
 */
export function machineKey(resolved: ResolvedTarget, name: string): string {
  const via = resolved.via ?? null;
  const byName = via !== null && via.startsWith("command ") && /%[nk]/.test(via);
  return JSON.stringify([
    resolved.user,
    resolved.hostname.toLowerCase(),
    resolved.port,
    via,
    byName ? name : null,
  ]);
}

/**
 * Where ssh -G said it connects, for messages: as ssh://user@host:port, the form `pool add` takes
 * (ssh reads `user@host:port` as a host named `host:port`, and people copy what they are shown).
 * Behind a jump host or a ProxyCommand, that is said after it: `ssh://root@localhost:22` alone,
 * copied into `pool add`, would reach another machine (this one).
 */
export function shownTarget(resolved: ResolvedTarget): string {
  const host = resolved.hostname.includes(":") ? `[${resolved.hostname}]` : resolved.hostname;
  const where = `ssh://${resolved.user}@${host}:${resolved.port}`;
  const via = resolved.via ?? null;
  if (via === null) return where;
  return via.startsWith("jump ")
    ? `${where} via ProxyJump ${via.slice("jump ".length)}`
    : `${where} via its ProxyCommand`;
}

/**
 * Which roster host each machine is, by machineKey, the first name of one first. Resolved as
 * every verb resolves them, through the resolve cache (`ssh -G` connects to nothing); a host
 * whose resolution `signal` cut short is left out.
 */
export async function rosterMachines(
  hosts: Host[],
  runner: Pick<Runner, "resolve">,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const answers = await poolMap(
    hosts,
    RESOLVE_JOBS,
    (h) => signal.aborted ? Promise.resolve(null) : runner.resolve(h.ssh, undefined, signal),
  );
  const machines = new Map<string, string>();
  for (const [i, answer] of answers.entries()) {
    const key = answer && machineKey(answer, hosts[i].ssh);
    if (key && !machines.has(key)) machines.set(key, hosts[i].name);
  }
  return machines;
}
