/**
 * Choosing a host for `route` and `bg`, and holding the reservation: probe
 * the eligible hosts, then — under the ledger's lock — drop dead leases, rank
 * what is left and write the new lease before anything is launched.
 */

import { EXIT, PoolError } from "../errors.ts";
import { errLine } from "../render/out.ts";
import { renderTable } from "../render/table.ts";
import type { Host } from "../roster/host.ts";
import { selectHosts } from "../roster/select.ts";
import { stateDir } from "../roster/store.ts";
import { poolMap } from "../remote/pool_map.ts";
import { deadReason, type Lease } from "../ledger/lease.ts";
import { processAlive, processStart } from "../ledger/process.ts";
import { ledgerPath, readLedger, updateLedger } from "../ledger/store.ts";
import { osRefusal } from "../dispatch/classify.ts";
import {
  type Candidate,
  type Ranked,
  rankHosts,
  type Request,
  wantsResources,
} from "../dispatch/rank.ts";
import { formatSize } from "../dispatch/size.ts";
import { loadRoster } from "./_common.ts";
import { probeHost } from "./_probe.ts";

export interface DispatchOptions extends Request {
  command: string;
  /** Only hosts of this OS (overrides the macOS rule). */
  os?: string;
  /** Seconds to keep trying when nothing fits; 0 = fail at once. */
  waitSeconds: number;
  /** Seconds the lease lives at most, whatever happens to its holder. */
  ttlSeconds: number;
}

export interface Reservation {
  host: Host;
  lease: Lease | null;
  ranked: Ranked[];
}

const PROBE_TIMEOUT_MS = 8000;
const PROBE_JOBS = 8;
const POLL_MS = 500;
const REPROBE_MS = 10_000;

export function currentLedgerPath(): string {
  return ledgerPath(stateDir());
}

/** Probes every eligible host (asking about the bg jobs leased on it). */
async function probeCandidates(hosts: Host[], options: DispatchOptions, signal: AbortSignal) {
  const leases = await readLedger(currentLedgerPath());
  const pidsOn = (host: string) =>
    leases.filter((l) => l.host === host && l.remote_pid !== undefined).map((l) => l.remote_pid!);
  const answers = await poolMap(
    hosts,
    PROBE_JOBS,
    (h) => probeHost(h, PROBE_TIMEOUT_MS, signal, pidsOn(h.name)),
  );
  const remoteAlive = new Map<string, Set<number>>();
  const candidates: Candidate[] = hosts.map((h, i) => {
    const facts = answers[i].facts;
    if (!facts) {
      return { name: h.name, facts: null, excludedBecause: `unreachable (${answers[i].error})` };
    }
    remoteAlive.set(h.name, new Set(facts.alivePids));
    const refusal = osRefusal(facts.os, options.command, options.os);
    return { name: h.name, facts, ...(refusal ? { excludedBecause: refusal } : {}) };
  });
  return { candidates, remoteAlive };
}

export async function reserve(options: DispatchOptions, signal: AbortSignal): Promise<Reservation> {
  const roster = await loadRoster();
  const { hosts } = selectHosts("all", roster.hosts);
  const deadline = performance.now() + options.waitSeconds * 1000;
  let probed = await probeCandidates(hosts, options, signal);
  let probedAt = performance.now();
  const pid_start = processStart(Deno.pid);

  for (;;) {
    const attempt = await updateLedger(currentLedgerPath(), (leases) => {
      const now = Date.now();
      const live = leases.filter((l) =>
        deadReason(l, { now, localAlive: processAlive, remoteAlive: probed.remoteAlive }) === null
      );
      const ranked = rankHosts(probed.candidates, live, options);
      const pick = ranked[0]?.qualifies ? ranked[0] : null;
      let lease: Lease | null = null;
      if (pick && wantsResources(options)) {
        lease = {
          id: crypto.randomUUID(),
          host: pick.name,
          mem_bytes: options.memBytes,
          gpus: pick.gpus,
          gpu_mem_bytes: options.gpuMemBytes,
          command: options.command,
          pid: Deno.pid,
          pid_start,
          created_ms: now,
          ttl_s: options.ttlSeconds,
        };
        live.push(lease);
      }
      return { leases: live, result: { ranked, pick, lease } };
    });
    if (attempt.pick) {
      return {
        host: hosts.find((h) => h.name === attempt.pick!.name)!,
        lease: attempt.lease,
        ranked: attempt.ranked,
      };
    }
    if (signal.aborted) {
      throw new PoolError("interrupted while waiting for a host", EXIT.interrupted);
    }
    if (performance.now() >= deadline) {
      await printRanking(attempt.ranked, options);
      throw new PoolError(noRoomMessage(attempt.ranked, options), EXIT.tempfail);
    }
    await sleep(POLL_MS, signal);
    if (performance.now() - probedAt > REPROBE_MS) {
      probed = await probeCandidates(hosts, options, signal);
      probedAt = performance.now();
    }
  }
}

/** Gives the lease back (idempotent: a lease already reaped is simply gone). */
export async function release(lease: Lease | null): Promise<void> {
  if (!lease) return;
  await updateLedger(currentLedgerPath(), (leases) => ({
    leases: leases.filter((l) => l.id !== lease.id),
    result: undefined,
  }));
}

/** Records the remote process a bg lease now lives as long as. */
export async function handOver(lease: Lease, remotePid: number): Promise<void> {
  await updateLedger(currentLedgerPath(), (leases) => ({
    leases: leases.map((
      l,
    ) => (l.id === lease.id ? { ...l, pid: 0, pid_start: null, remote_pid: remotePid } : l)),
    result: undefined,
  }));
}

function describe(r: Request): string {
  const parts = [
    r.memBytes > 0 ? `${formatSize(r.memBytes)} RAM` : "",
    r.gpus > 0 ? `${r.gpus} GPU${r.gpus > 1 ? "s" : ""}` : "",
    r.gpuMemBytes > 0 ? `${formatSize(r.gpuMemBytes)} GPU memory` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "lowest load";
}

/** On stderr (stdout belongs to the command): every eligible host, best first, `→` at the pick. */
export async function printRanking(ranked: Ranked[], r: Request): Promise<void> {
  errLine(`pool: route (${describe(r)}${r.pack ? ", pack" : ""})`);
  const rows = ranked.map((x, i) => [
    i === 0 && x.qualifies ? "→" : " ",
    x.name,
    x.roomBytes === null ? "room -" : `room ${formatSize(x.roomBytes)}`,
    x.loadPerCpu === null ? "load/cpu -" : `load/cpu ${x.loadPerCpu.toFixed(2)}`,
    x.gpus.length > 0 ? `gpus ${x.gpus.join(",")}` : "",
    x.why ?? "",
  ]);
  errLine((await renderTable(rows)).trimEnd());
}

function noRoomMessage(ranked: Ranked[], r: Request): string {
  const best = ranked.find((x) => x.shortBytes !== undefined);
  if (best) {
    return `no host has room for ${describe(r)}: best is ${best.name} (room ${
      formatSize(best.roomBytes!)
    }, ` +
      `short by ${formatSize(best.shortBytes!)})`;
  }
  const reasons = ranked.map((x) => `${x.name}: ${x.why}`).join("; ");
  return `no host can take this command now${reasons ? ` (${reasons})` : ""}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
