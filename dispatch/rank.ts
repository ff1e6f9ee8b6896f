/**
 * Which host takes a job: pure, given each host's probe facts and the live
 * leases, so every rule here is a unit test.
 *
 * Room on a host = its live available memory − what live leases on it still
 * claim − a headroom (a share of its RAM). A request qualifies a host only if
 * the room covers it, and likewise for GPUs.
 *
 * "Still claim": a bg job's lease claims only what its job does not hold yet.
 * The part it holds is already gone from the host's available memory, and
 * counting it again kept a host that had room "full" until the job ended. The
 * same for GPU memory: what its job holds on a GPU is in that GPU's used memory.
 */

import { type Gpu, type HostFacts, sameStart } from "../probes/mod.ts";
import type { Lease } from "../ledger/lease.ts";
import { formatSize } from "./size.ts";

export interface Request {
  memBytes: number;
  /** Whole GPUs wanted (idle, unclaimed). */
  gpus: number;
  /** Free GPU memory wanted on each GPU taken (one GPU when `gpus` is 0). */
  gpuMemBytes: number;
  /** Share of a host's RAM kept free on top of every request (0.1 = 10 %). */
  headroom: number;
  /** Fill the fullest host that still fits, instead of spreading. */
  pack: boolean;
}

export interface Candidate {
  name: string;
  facts: HostFacts | null;
  /** Why the host cannot take this job before its numbers are even read (unreachable, macOS rule). */
  excludedBecause?: string;
  /** That reason holds for good (the macOS rule), not only now (a host that did not answer). */
  excludedForGood?: boolean;
}

export interface Ranked {
  name: string;
  qualifies: boolean;
  /** What stops it, when it does not qualify. */
  why?: string;
  roomBytes: number | null;
  loadPerCpu: number | null;
  /** The GPUs it would take. */
  gpus: number[];
  /** How much memory it lacks for the request (for the "nothing fits" message). */
  shortBytes?: number;
  /** No release of any lease could make it qualify: its OS, or less RAM or GPUs than asked in all. */
  never?: boolean;
}

export function wantsResources(r: Request): boolean {
  return r.memBytes > 0 || r.gpus > 0 || r.gpuMemBytes > 0;
}

/**
 * A GPU whose use the driver cannot read: no used memory (a MIG instance says `[N/A]`,
 * a pending reset says nothing at all). It may be idle or full: pool cannot tell, so it
 * takes none of them, and says so.
 */
function unreadable(g: Gpu): boolean {
  return g.memUsedBytes === null || g.memTotalBytes === null;
}

/**
 * A GPU split into MIG instances: pool pins whole GPUs by index (CUDA_VISIBLE_DEVICES), which
 * does not hand out an instance, and nvidia-smi reads no use of the whole. It stays so until an
 * administrator changes the mode (and resets the GPU): no lease given back makes it usable.
 */
function inMigMode(g: Gpu): boolean {
  return g.mig === true;
}

/** GPUs able to take the request, most free memory first; claimed = memory leased per GPU index. */
function usableGpus(f: HostFacts, leases: Lease[], r: Request): number[] {
  const leased = new Map<number, { mem: number; whole: boolean }>();
  for (const l of leases) {
    for (const index of l.gpus) {
      const prev = leased.get(index) ?? { mem: 0, whole: false };
      leased.set(index, {
        mem: prev.mem + stillClaimedOnGpu(l, index, f),
        whole: prev.whole || l.whole_gpus === true || l.gpu_mem_bytes === 0,
      });
    }
  }
  // Unknown where its used memory is: free is not its total.
  const free = (g: Gpu) =>
    unreadable(g) ? null : g.memTotalBytes! - g.memUsedBytes! - (leased.get(g.index)?.mem ?? 0);
  return f.gpus
    .filter((g) => {
      if (inMigMode(g)) return false;
      const claim = leased.get(g.index);
      if (claim?.whole) return false; // someone holds it whole
      if (r.gpus > 0) {
        // A whole GPU: nobody has a lease on it and it is nearly idle. Its memory decides: a
        // process computing on it holds a context there. Utilisation, where the driver reads
        // one, must be low too; where it says [N/A] or [Not Supported], memory alone tells.
        if (claim || unreadable(g)) return false;
        if (g.memUsedBytes! > 0.1 * g.memTotalBytes!) return false;
        if (g.utilPct !== null && g.utilPct > 10) return false;
      }
      if (r.gpuMemBytes > 0) {
        const f = free(g);
        if (f === null || f < r.gpuMemBytes) return false;
      }
      return true;
    })
    .sort((a, b) => (free(b) ?? 0) - (free(a) ?? 0))
    .map((g) => g.index);
}

/** "; the use of GPU 0 cannot be read": why a host that has GPUs takes none of them. */
function unreadableNote(gpus: Gpu[]): string {
  const indices = gpus.filter((g) => unreadable(g) && !inMigMode(g)).map((g) => g.index);
  if (indices.length === 0) return "";
  return `; the use of GPU${indices.length > 1 ? "s" : ""} ${indices.join(",")} cannot be read`;
}

/** "; GPU 0 is in MIG mode, which pool does not use": why a host's GPUs are fewer than it has. */
function migNote(gpus: Gpu[]): string {
  const indices = gpus.filter(inMigMode).map((g) => g.index);
  if (indices.length === 0) return "";
  const which = indices.length > 1 ? `GPUs ${indices.join(",")} are` : `GPU ${indices[0]} is`;
  return `; ${which} in MIG mode, which pool does not use`;
}

/**
 * "; nvidia-smi did not answer in time (a hung driver?)": why a host's GPUs read as none or
 * fewer. Not a lack for good: the tool may answer on the next probe, which --wait waits for.
 */
function toolNote(f: HostFacts): string {
  return f.gpuError === undefined ? "" : `; ${f.gpuError}`;
}

/**
 * What a host lacks for `r` in all, whatever is leased or running now: less RAM than asked
 * plus headroom, fewer GPUs (of the memory asked) than asked. Null when it has enough; a GPU
 * whose memory the driver cannot read now (a reset pending) may have it.
 */
function lacksForGood(f: HostFacts, r: Request, gpusWanted: number): string | null {
  if (f.mem && r.memBytes > (1 - r.headroom) * f.mem.totalBytes) {
    return `has ${formatSize(f.mem.totalBytes)} of RAM in all`;
  }
  // A GPU tool that failed (a driver mismatch, a busy driver past its seconds) says nothing
  // of how many there are: that may read otherwise on the next probe.
  const big = f.gpus.filter((g) =>
    !inMigMode(g) && (g.memTotalBytes === null || g.memTotalBytes >= r.gpuMemBytes)
  );
  if (big.length < gpusWanted && f.gpuError === undefined) {
    const of = r.gpuMemBytes > 0 ? ` of ${formatSize(r.gpuMemBytes)}` : "";
    return `needs ${gpusWanted} GPU(s)${of}, has ${big.length} in all${migNote(f.gpus)}`;
  }
  return null;
}

/** What lease `l` claims beyond the memory its job holds now (all of it where the host cannot say). */
function stillClaimed(l: Lease, f: HostFacts): number {
  const held = creditable(l, f) ? f.jobMemBytes?.get(l.remote_pid!) : undefined;
  return Math.max(0, l.mem_bytes - (held ?? 0));
}

/** What lease `l` claims on GPU `index` beyond the memory its job holds there now (likewise). */
function stillClaimedOnGpu(l: Lease, index: number, f: HostFacts): number {
  const held = creditable(l, f) ? f.jobGpuBytes?.get(l.remote_pid!)?.get(index) : undefined;
  return Math.max(0, l.gpu_mem_bytes - (held ?? 0));
}

/**
 * Whether what the host says its job's pid holds is the job's: not where that pid runs as another
 * process now (started at another time), whose group pids.sh measured too. The lease may still
 * live by the job's marked processes; it is then counted whole.
 */
function creditable(l: Lease, f: HostFacts): boolean {
  if (l.remote_pid === undefined) return false;
  const now = f.alivePids.find((p) => p.pid === l.remote_pid);
  return now === undefined || l.remote_start === undefined || sameStart(now.start, l.remote_start);
}

export function rankHosts(candidates: Candidate[], leases: Lease[], r: Request): Ranked[] {
  const ranked = candidates.map((c): Ranked => {
    const f = c.facts;
    const mine = leases.filter((l) => l.host === c.name);
    const loadPerCpu = f?.load && f.cpus ? f.load[0] / f.cpus : null;
    if (c.excludedBecause || !f) {
      return {
        name: c.name,
        qualifies: false,
        why: c.excludedBecause ?? "no probe",
        roomBytes: null,
        loadPerCpu,
        gpus: [],
        ...(c.excludedForGood ? { never: true } : {}),
      };
    }
    const gpusWanted = Math.max(r.gpus, r.gpuMemBytes > 0 ? 1 : 0);
    const claimed = mine.reduce((sum, l) => sum + stillClaimed(l, f), 0);
    const roomBytes = f.mem ? f.mem.availableBytes - claimed - r.headroom * f.mem.totalBytes : null;
    const base = { name: c.name, roomBytes, loadPerCpu, gpus: [] as number[] };
    // Short of what is asked in all, no lease given back and no job ending would help.
    const lacking = lacksForGood(f, r, gpusWanted);
    if (lacking) return { ...base, qualifies: false, why: lacking, never: true };
    if (r.memBytes > 0) {
      if (roomBytes === null) return { ...base, qualifies: false, why: "memory unknown" };
      if (roomBytes < r.memBytes) {
        return {
          ...base,
          qualifies: false,
          why: `too little RAM: room ${formatSize(roomBytes)} < ${formatSize(r.memBytes)}`,
          shortBytes: r.memBytes - roomBytes,
        };
      }
    }
    if (gpusWanted > 0) {
      const usable = usableGpus(f, mine, r);
      if (usable.length < gpusWanted) {
        const what = r.gpuMemBytes > 0
          ? `${gpusWanted} GPU(s) with ${formatSize(r.gpuMemBytes)} free`
          : `${gpusWanted} idle GPU(s)`;
        return {
          ...base,
          qualifies: false,
          why: `needs ${what}, has ${usable.length}${unreadableNote(f.gpus)}${migNote(f.gpus)}${
            toolNote(f)
          }`,
        };
      }
      base.gpus = usable.slice(0, gpusWanted);
    }
    if (loadPerCpu === null && !wantsResources(r)) {
      return { ...base, qualifies: false, why: "load unknown" };
    }
    return { ...base, qualifies: true };
  });

  const byLoad = (a: Ranked, b: Ranked) => (a.loadPerCpu ?? Infinity) - (b.loadPerCpu ?? Infinity);
  const byRoom = (a: Ranked, b: Ranked) => {
    const diff = (b.roomBytes ?? -Infinity) - (a.roomBytes ?? -Infinity);
    return r.pack ? -diff : diff;
  };
  return ranked.sort((a, b) => {
    if (a.qualifies !== b.qualifies) return a.qualifies ? -1 : 1;
    if (!a.qualifies) {
      return (a.shortBytes ?? Infinity) - (b.shortBytes ?? Infinity) ||
        a.name.localeCompare(b.name);
    }
    const order = r.memBytes > 0 ? byRoom(a, b) || byLoad(a, b) : byLoad(a, b) || byRoom(a, b);
    return order || a.name.localeCompare(b.name);
  });
}
