/**
 * Where `pool bg` jobs run, and what became of them: the job index says which
 * host each runs on; that host's records (one round trip, all hosts at once)
 * say the rest. Shared by `pool jobs`, `logs`, `wait` and `kill`.
 */

import { PoolError, UsageError } from "../errors.ts";
import type { Host } from "../roster/host.ts";
import { isExcluded, LOCAL, localHost } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { askJobs, type JobsReply } from "../remote/jobs.ts";
import { JOB_ID } from "../ledger/jobs.ts";
import { type Deps, loadRoster } from "../deps/deps.ts";

/** How long one host may take to answer about its jobs. */
export const JOBS_TIMEOUT_MS = 15_000;
const HOSTS_AT_ONCE = 8;

function checkJobIds(ids: string[]): void {
  for (const id of ids) {
    if (!JOB_ID.test(id)) throw new UsageError(`not a job id: "${id}" (pool jobs lists them)`);
  }
}

/** The roster's hosts by name, `local` included. */
export async function hostsByName(deps: Deps): Promise<Map<string, Host>> {
  const hosts = new Map((await loadRoster(deps)).hosts.map((h) => [h.name, h]));
  if (!hosts.has(LOCAL)) hosts.set(LOCAL, localHost());
  return hosts;
}

/**
 * The host of each of `ids`: from the job index, or, for an id it does not
 * know (a job started from another machine), by asking every host in the
 * roster. An id found nowhere, or on two hosts, is an error.
 */
export async function locateJobs(
  deps: Deps,
  ids: string[],
  timeoutMs = JOBS_TIMEOUT_MS,
): Promise<Map<string, Host>> {
  checkJobIds(ids);
  const hosts = await hostsByName(deps);
  const index = await deps.jobs.read();
  const located = new Map<string, Host>();
  for (const id of ids) {
    const entry = index.find((j) => j.id === id);
    const host = entry && hosts.get(entry.host);
    if (host) located.set(id, host);
  }
  const unknown = ids.filter((id) => !located.has(id));
  if (unknown.length === 0) return located;
  const everyHost = [...hosts.values()].filter((h) => !isExcluded(h));
  const replies = await askHosts(
    deps,
    everyHost.map((host) => ({ host, ids: unknown })),
    timeoutMs,
  );
  for (const id of unknown) {
    const on = everyHost.filter((_, i) => replies[i].answer?.jobs.some((j) => j.id === id));
    if (on.length === 0) {
      // Not "no such job" when a host that might hold it did not say.
      const silent = everyHost.filter((_, i) => !replies[i].answer).map((h) => h.name);
      throw new PoolError(
        silent.length === 0
          ? `no job ${id} (pool jobs lists them)`
          : `no job ${id} on the hosts that answered; ${silent.join(", ")} did not`,
      );
    }
    if (on.length > 1) {
      throw new PoolError(`job ${id} is on ${on.map((h) => h.name).join(" and ")}; prune one`);
    }
    located.set(id, on[0]);
  }
  return located;
}

/** Asks each host about `ids` (or every job it has, for null), all at once. */
export async function askHosts(
  deps: Deps,
  targets: { host: Host; ids: string[] | null }[],
  timeoutMs = JOBS_TIMEOUT_MS,
): Promise<JobsReply[]> {
  return await poolMap(
    targets,
    HOSTS_AT_ONCE,
    ({ host, ids }) =>
      askJobs(deps.runner, host, ["list", ...(ids ?? [])], { timeoutMs, signal: deps.signal }),
  );
}

/** Groups ids by the host they run on. */
export function byHost(located: Map<string, Host>): { host: Host; ids: string[] }[] {
  const groups = new Map<string, { host: Host; ids: string[] }>();
  for (const [id, host] of located) {
    const group = groups.get(host.name) ?? { host, ids: [] };
    group.ids.push(id);
    groups.set(host.name, group);
  }
  return [...groups.values()];
}
