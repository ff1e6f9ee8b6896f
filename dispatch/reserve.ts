/**
 * The reservation transaction behind `route` and `bg`: probe the eligible
 * hosts, then — under the ledger's lock — drop dead leases, rank what is left
 * and write the new lease before anything is launched; when nothing fits,
 * wait (re-reading the ledger often, re-probing now and then) until something
 * does or the wait runs out. Released in the caller's `finally`.
 */

import { abortCode, EXIT } from "../exit.ts";
import { PoolError } from "../errors.ts";
import type { Clock, Deps, LedgerStore } from "../deps/deps.ts";
import type { Host } from "../roster/host.ts";
import { foldNames } from "../roster/nodeset.ts";
import type { Runner } from "../remote/runner.ts";
import { poolMap } from "../remote/pool_map.ts";
import { probeHolders, probeHost } from "../remote/probe.ts";
import type { Holders, JobAnswer } from "../probes/mod.ts";
import { type Lease, liveLeases } from "../ledger/lease.ts";
import { processAlive, processSpace, processStart } from "../ledger/process.ts";
import { osRefusal } from "./classify.ts";
import { type Candidate, type Ranked, rankHosts, type Request, wantsResources } from "./rank.ts";
import { describeRequest, formatSize } from "./size.ts";

export interface DispatchOptions extends Request {
  command: string;
  /** Only hosts of this OS (overrides the macOS rule). */
  os?: string;
  /** Milliseconds to keep trying when nothing fits; 0 = fail at once, Infinity = forever. */
  waitMs: number;
  /** Seconds a lease outlives the last sign of its holder when pool cannot check on it. */
  ttlSeconds: number;
}

/** What the transaction needs from the world (a subset of the verbs' Deps). */
export interface DispatchDeps {
  ledger: LedgerStore;
  runner: Runner;
  clock: Clock;
  signal: AbortSignal;
  /** Whether a local process (pid + start time) still runs; pid 0 never does. */
  localAlive?: (pid: number, start: string | null) => boolean;
  /** This process, as the holder of a route lease, and where its pid means something. */
  self?: { pid: number; start: string | null; space: string };
}

export interface Reservation {
  host: Host;
  lease: Lease | null;
  ranked: Ranked[];
}

export const PROBE_TIMEOUT_MS = 8000;
const PROBE_JOBS = 8;
/** How often a waiting reservation re-reads the ledger (a release is seen this fast)… */
export const POLL_MS = 500;
/** …and how often it asks the hosts again (their load and memory move on their own). */
export const REPROBE_MS = 10_000;

/**
 * What to ask `host` about the bg jobs leased on it (pids.sh's words): each job's remote pid,
 * or, for one whose pool did not live to hand its lease over, `job:<id>`; and for each job
 * named, `group:<id>`: whether its process group runs on after its leader ended.
 */
function askedOn(leases: Lease[], host: string): string[] {
  return leases.filter((l) => l.host === host).flatMap((l) => [
    ...(l.remote_pid !== undefined
      ? [String(l.remote_pid)]
      : l.job !== undefined
      ? [`job:${l.job}`]
      : []),
    ...(l.job !== undefined ? [`group:${l.job}`] : []),
  ]);
}

/**
 * Per host that answered: each pid asked about with its start time when alive, null when gone
 * (`Liveness.remoteAlive`), each job asked about by id (`Liveness.remoteJobs`), and the jobs
 * whose group outlived its leader (`Liveness.remoteGroups`).
 */
function holdersByHost(
  hosts: Host[],
  leases: Lease[],
  answers: (Pick<Holders, "alivePids" | "jobs" | "groups"> | null)[],
) {
  const remoteAlive = new Map<string, Map<number, string | null>>();
  const remoteJobs = new Map<string, Map<string, JobAnswer>>();
  const remoteGroups = new Map<string, Holders["groups"]>();
  hosts.forEach((h, i) => {
    const answer = answers[i];
    if (!answer) return;
    const asked = askedOn(leases, h.name).filter((a) => /^\d+$/.test(a)).map(Number);
    const pids = new Map<number, string | null>(asked.map((pid) => [pid, null]));
    for (const p of answer.alivePids) pids.set(p.pid, p.start);
    remoteAlive.set(h.name, pids);
    remoteJobs.set(h.name, answer.jobs);
    remoteGroups.set(h.name, answer.groups);
  });
  return { remoteAlive, remoteJobs, remoteGroups };
}

/** Stopped while asking: the hosts that did not answer in time are not to blame. */
function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new PoolError("stopped while probing hosts", abortCode(signal), "stopped");
  }
}

/**
 * Probes `hosts` (route's whole probe), asking each about the bg jobs leased on it; with
 * `memory` (a request for RAM, whose room counts it), also what each job holds.
 */
async function probeCandidateHosts(
  hosts: Host[],
  leases: Lease[],
  deps: DispatchDeps,
  memory: boolean,
) {
  const answers = await poolMap(
    hosts,
    PROBE_JOBS,
    (h) =>
      probeHost(deps.runner, h, PROBE_TIMEOUT_MS, deps.signal, askedOn(leases, h.name), memory),
  );
  throwIfStopped(deps.signal);
  const holders = holdersByHost(
    hosts,
    leases,
    answers.map((a) =>
      a.facts && {
        alivePids: a.facts.alivePids,
        jobs: a.facts.jobs ?? new Map(),
        groups: a.facts.groups ?? new Map(),
      }
    ),
  );
  const unanswered = new Set(hosts.filter((_, i) => !answers[i].facts).map((h) => h.name));
  return { answers, ...holders, unanswered };
}

/**
 * `pool leases`: asks the hosts holding bg leases only about those jobs (no load, memory or
 * GPU tools), as `Liveness.remoteAlive`, `remoteJobs` and `remoteGroups`.
 */
export async function askHolders(
  hosts: Host[],
  leases: Lease[],
  deps: Pick<DispatchDeps, "runner" | "signal">,
) {
  const answers = await poolMap(
    hosts,
    PROBE_JOBS,
    (h) => probeHolders(deps.runner, h, PROBE_TIMEOUT_MS, deps.signal, askedOn(leases, h.name)),
  );
  throwIfStopped(deps.signal);
  return holdersByHost(hosts, leases, answers);
}

/** Probes every eligible host (asking about the bg jobs leased on it). */
async function probeCandidates(hosts: Host[], options: DispatchOptions, deps: DispatchDeps) {
  const probedAt = deps.clock.wall();
  const { answers, remoteAlive, remoteJobs, remoteGroups, unanswered } = await probeCandidateHosts(
    hosts,
    await deps.ledger.read(),
    deps,
    options.memBytes > 0,
  );
  const candidates: Candidate[] = hosts.map((h, i) => {
    const facts = answers[i].facts;
    if (!facts) {
      return { name: h.name, facts: null, excludedBecause: `unreachable (${answers[i].error})` };
    }
    const refusal = osRefusal(facts.os, options.command, options.os);
    return {
      name: h.name,
      facts,
      ...(refusal ? { excludedBecause: refusal, excludedForGood: true } : {}),
    };
  });
  return { candidates, remoteAlive, remoteJobs, remoteGroups, unanswered, probedAt };
}

/**
 * Picks a host among `hosts` and, when the request asks for resources, holds
 * them with a lease (only then is the ledger written). Throws exit 75 when nothing fits within the wait (the
 * message names the best host and its shortfall), or the stop code when
 * `deps.signal` aborts while waiting.
 */
export async function reserve(
  hosts: Host[],
  options: DispatchOptions,
  deps: DispatchDeps,
): Promise<Reservation> {
  const { clock, signal } = deps;
  const localAlive = deps.localAlive ?? processAlive;
  const self = deps.self ?? { pid: Deno.pid, start: processStart(Deno.pid), space: processSpace() };
  const deadline = clock.now() + options.waitMs;
  let probed = await probeCandidates(hosts, options, deps);
  let probedAt = clock.now();

  for (;;) {
    const decide = (leases: Lease[]) => {
      const now = clock.wall();
      const { remoteAlive, remoteJobs, remoteGroups, unanswered, probedAt } = probed;
      const live = liveLeases(leases, {
        now,
        localAlive,
        space: self.space,
        remoteAlive,
        remoteJobs,
        remoteGroups,
        unanswered,
        probedAt,
      });
      const ranked = rankHosts(probed.candidates, live, options);
      const pick = ranked[0]?.qualifies ? ranked[0] : null;
      let lease: Lease | null = null;
      if (pick && wantsResources(options)) {
        lease = {
          id: crypto.randomUUID(),
          host: pick.name,
          mem_bytes: options.memBytes,
          gpus: pick.gpus,
          ...(options.gpus > 0 ? { whole_gpus: true } : {}),
          ...(pick.gpus.length > 0 ? { gpu_vendor: gpuVendor(probed.candidates, pick) } : {}),
          // Held whole, none of a GPU's memory is a share: 0, as pools from before whole_gpus
          // (still run beside this one on the same ledger) read a whole claim, not a share of
          // --gpu-mem they would hand the rest of out.
          gpu_mem_bytes: options.gpus > 0 ? 0 : options.gpuMemBytes,
          command: options.command,
          pid: self.pid,
          pid_start: self.start,
          pid_space: self.space,
          created_ms: now,
          ttl_s: options.ttlSeconds,
        };
        live.push(lease);
      }
      return { leases: live, result: { ranked, pick, lease } };
    };
    // Only a lease is written, under the lock; a command that holds nothing only reads the
    // ledger (its leases still rank the hosts), so it runs with a read-only state directory.
    const attempt = wantsResources(options)
      ? await deps.ledger.update(decide, deps.signal)
      : decide(await deps.ledger.read()).result;
    if (attempt.pick) {
      return {
        host: hosts.find((h) => h.name === attempt.pick!.name)!,
        lease: attempt.lease,
        ranked: attempt.ranked,
      };
    }
    if (signal.aborted) {
      throw new PoolError("interrupted while waiting for a host", abortCode(signal), "stopped");
    }
    // No host could ever take it (`--gpus 2` on a fleet without two GPUs anywhere): said at
    // once, not after the whole --wait, since no lease given back would change it.
    const never = attempt.ranked.length > 0 && attempt.ranked.every((x) => x.never);
    if (never || clock.now() >= deadline) {
      throw new NoRoom(attempt.ranked, noRoomMessage(attempt.ranked, options, never));
    }
    await clock.sleep(POLL_MS, signal);
    if (clock.now() - probedAt >= REPROBE_MS) {
      probed = await probeCandidates(hosts, options, deps);
      probedAt = clock.now();
    }
  }
}

/** Nothing fits (exit 75); carries the ranking so the caller can show it. */
export class NoRoom extends PoolError {
  constructor(readonly ranked: Ranked[], message: string) {
    super(message, EXIT.tempfail, "no_room");
    this.name = "NoRoom";
  }
}

/** Gives the lease back (idempotent: a lease already reaped is simply gone). */
export async function release(ledger: LedgerStore, lease: Lease | null): Promise<void> {
  if (!lease) return;
  await ledger.update((leases) => ({
    leases: leases.filter((l) => l.id !== lease.id),
    result: undefined,
  }));
}

/**
 * route: the local process carrying the command (`pid`: its ssh, or that ssh's guard) holds
 * the lease too, so that a pool killed outright does not free a host its command still runs on.
 */
export async function addCarrier(ledger: LedgerStore, lease: Lease, pid: number): Promise<void> {
  const start = processStart(pid);
  if (start === null) return; // already gone: nothing left to hold the lease
  await ledger.update((leases) => ({
    leases: leases.map((l) => (l.id === lease.id ? { ...l, ssh_pid: pid, ssh_start: start } : l)),
    result: undefined,
  }));
}

/**
 * Gives a lease back once its work is over, and says so if the ledger cannot
 * be written (a full disk): the work's own code stands, and the lease is
 * anyone's once this pool has exited, as its holder is gone.
 */
export async function giveBack(deps: Pick<Deps, "ledger" | "out">, lease: Lease | null) {
  try {
    await release(deps.ledger, lease);
  } catch (e) {
    deps.out.warn(
      `could not give the lease back (${(e as Error).message}); it ends with this pool`,
    );
  }
}

/**
 * bg, before it sends launch.sh: the lease names the job it is for. A pool killed before it
 * hears the job's pid leaves the lease to the job (found on its host by this id), not to a
 * pool that is gone while the job runs.
 */
export async function noteJob(
  ledger: LedgerStore,
  lease: Lease,
  id: string,
  now: number,
): Promise<void> {
  await ledger.update((leases) => ({
    leases: leases.map((l) => (l.id === lease.id ? { ...l, job: id, launched_ms: now } : l)),
    result: undefined,
  }));
}

/** Hands a bg lease over to the remote job it now lives as long as (its pid + start time). */
export async function handOver(
  ledger: LedgerStore,
  lease: Lease,
  job: { id: string; pid: number; start: string | null },
  now: number,
): Promise<void> {
  await ledger.update((leases) => ({
    leases: leases.map((l) =>
      l.id === lease.id
        ? {
          ...l,
          pid: 0,
          pid_start: null,
          remote_pid: job.pid,
          ...(job.start ? { remote_start: job.start } : {}),
          job: job.id,
          seen_ms: now,
        }
        : l
    ),
    result: undefined,
  }));
}

/** Gives back the lease of job `id` on `host` (`pool kill`): gone with its job. */
export async function releaseJob(ledger: LedgerStore, host: string, id: string): Promise<number> {
  return await ledger.update((leases) => {
    const kept = leases.filter((l) => !(l.host === host && l.job === id));
    return { leases: kept, result: leases.length - kept.length };
  });
}

/** Whose numbering the picked GPUs are in: the probe said which tool reported them. */
function gpuVendor(candidates: Candidate[], pick: Ranked): "nvidia" | "amd" {
  const gpus = candidates.find((c) => c.name === pick.name)?.facts?.gpus ?? [];
  return gpus.find((g) => g.index === pick.gpus[0])?.vendor ?? "nvidia";
}

function noRoomMessage(ranked: Ranked[], r: Request, never: boolean): string {
  const best = ranked.find((x) => x.shortBytes !== undefined);
  if (best && !never) {
    return `no host has room for ${describeRequest(r)}: best is ${best.name} (room ${
      formatSize(best.roomBytes!)
    }, short by ${formatSize(best.shortBytes!)})`;
  }
  // Hosts with one reason share it, their names folded (`h[1-20]: needs 2 GPUs, has 0`): one
  // line a person can read, however many hosts there are.
  const byReason = new Map<string, string[]>();
  for (const x of ranked) byReason.set(x.why ?? "", [...byReason.get(x.why ?? "") ?? [], x.name]);
  const reasons = [...byReason].map(([why, names]) => `${foldNames(names)}: ${why}`).join("; ");
  const when = never ? "ever take this command" : "take this command now";
  return `no host can ${when}${reasons ? ` (${reasons})` : ""}`;
}
