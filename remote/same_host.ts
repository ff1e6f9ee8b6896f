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
