/**
 * A reservation of a host's memory and GPUs, held for as long as the work it
 * covers runs. Pure: liveness takes the facts it needs as arguments.
 *
 * The rule: a lease lapses when its holder is gone — the local pool process
 * of a `route` (pid + start time), or the remote job of a `bg` (remote pid +
 * start time, as the host's probe reports it; on Linux, also the job's process
 * group, while work its leader left running is found still in it). A holder
 * found alive keeps its lease however old it is. The TTL bounds only what pool
 * cannot check: a bg job whose host has not answered since a probe first found
 * it silent, or a holder whose start time was never known.
 */

import { type Holders, type JobAnswer, sameStart } from "../probes/mod.ts";

export interface Lease {
  id: string;
  host: string;
  mem_bytes: number;
  /** GPU indices claimed, and the memory claimed on each. */
  gpus: number[];
  gpu_mem_bytes: number;
  /**
   * `--gpus N`: the GPUs are held whole, whatever `--gpu-mem` also asked for
   * (absent on older leases: then whole only when no GPU memory was claimed).
   */
  whole_gpus?: boolean;
  /** Whose numbering `gpus` uses, and so which variables pin them (absent: no GPUs). */
  gpu_vendor?: "nvidia" | "amd";
  command: string;
  /** The local pool process holding the lease (route), 0 when none (bg). */
  pid: number;
  /** That process's start time, so a recycled pid never keeps a lease alive. */
  pid_start: string | null;
  /** Where `pid` means something: "MACHINE BOOT PIDNS" (processSpace); absent on older leases: here. */
  pid_space?: string;
  /**
   * route: the local process carrying the command, and its start time: its
   * ssh, or where the command reads the user's stdin, that ssh's guard. A pool
   * killed outright (SIGKILL) leaves it running: the ssh until the command on
   * the host ends; the guard until it has ended that ssh and waited out the
   * host's end of the command. The lease lives while it does.
   */
  ssh_pid?: number;
  ssh_start?: string;
  /** bg: the remote process the lease lives as long as… */
  remote_pid?: number;
  /** …and its start time (absent on leases from before pool recorded it: then only the TTL ends them). */
  remote_start?: string;
  /** bg: the job the lease holds resources for. */
  job?: string;
  /** bg: when pool sent the job's launch (the lease named it then); its record may come later. */
  launched_ms?: number;
  created_ms: number;
  /** When a probe last found the remote holder alive. */
  seen_ms?: number;
  /**
   * bg: when a probe first found the holder's host not answering since then;
   * its TTL counts from here. A host nobody asked is not one that did not answer.
   */
  unanswered_ms?: number;
  ttl_s: number;
}

export interface Liveness {
  now: number;
  /** Is this local process (pid + start time) still running? */
  localAlive(pid: number, start: string | null): boolean;
  /** Where the local pids `localAlive` checks live (processSpace); absent: anywhere. */
  space?: string;
  /**
   * Per host the latest probe reached: each remote pid it asked about, with
   * its start time when alive, null when gone. Hosts not probed (or not
   * answering) are absent, and so is a pid not asked about: a bg job handed
   * its lease over after the probe read the ledger is not known to be gone.
   */
  remoteAlive?: ReadonlyMap<string, ReadonlyMap<number, string | null>>;
  /**
   * Per host the latest probe reached: what it said of each job asked about by id (bg leases
   * whose launch pool did not see through): its record's pid and start time, "starting" (a
   * record with no pid yet), or "none" (no record).
   */
  remoteJobs?: ReadonlyMap<string, ReadonlyMap<string, JobAnswer>>;
  /**
   * Per host the latest probe reached: the jobs asked about (a bg lease's job id) whose leader
   * is gone while processes it started still run (`Holders.groups`). A job absent here has no
   * such group, or a host that cannot say (not Linux): its leader alone holds its lease.
   */
  remoteGroups?: ReadonlyMap<string, Holders["groups"]>;
  /** When that probe ran (wall clock); a holder it found alive counts as seen then. */
  probedAt?: number;
  /** Hosts that probe asked and that did not answer. */
  unanswered?: ReadonlySet<string>;
}

/** What pool can tell about a lease's holder: alive, gone, or nothing (not asked, or not checkable). */
export type Holder = "alive" | "gone" | "unknown";

/**
 * How long after its lease a job's record may still be on its way: a pool killed between
 * sending launch.sh and hearing back leaves a job that has started, or is about to, or never will.
 */
export const LAUNCH_WINDOW_MS = 30_000;

export function holderState(lease: Lease, live: Liveness): Holder {
  if (lease.job !== undefined && lease.remote_pid === undefined) {
    // A bg lease before its hand-over: its pool, while that lives; then the job, by its id.
    const local = localHolder(lease, live);
    if (local !== "gone") return local;
    const job = live.remoteJobs?.get(lease.host)?.get(lease.job);
    if (job === undefined || job === "starting") return "unknown";
    if (job === "none") {
      // Either way of the clock: a launch dated an hour ahead (this machine's clock stepped
      // back since) is no launch still on its way, or its lease would hold a host for that hour.
      const sent = lease.launched_ms ?? lease.created_ms;
      return Math.abs(live.now - sent) < LAUNCH_WINDOW_MS ? "unknown" : "gone";
    }
    const start = live.remoteAlive?.get(lease.host)?.get(job.pid);
    if (start) {
      return sameStart(start, job.start) || markedRunOn(lease, job.pid, live) ? "alive" : "gone";
    }
    return groupRunsOn(lease, job.pid, live) === null ? "gone" : "alive";
  }
  if (lease.remote_pid !== undefined) {
    const start = live.remoteAlive?.get(lease.host)?.get(lease.remote_pid);
    if (start === undefined) return "unknown";
    if (start === null) {
      return groupRunsOn(lease, lease.remote_pid, live) === null ? "gone" : "alive";
    }
    if (lease.remote_start === undefined) return "unknown"; // the pid lives, but is it ours?
    return sameStart(start, lease.remote_start) || markedRunOn(lease, lease.remote_pid, live)
      ? "alive"
      : "gone";
  }
  return localHolder(lease, live);
}

/**
 * How many processes of a bg job's group run on once its leader (`pid`) is gone, or null when
 * none do (or the host cannot say). What a launcher started and left running (`nohup python
 * train.py &`) holds the job's memory and GPUs as surely as the leader did.
 */
function groupRunsOn(lease: Lease, pid: number, live: Liveness): number | null {
  if (lease.job === undefined) return null;
  const group = live.remoteGroups?.get(lease.host)?.get(lease.job);
  return group !== undefined && group.pid === pid && group.processes > 0 ? group.processes : null;
}

/**
 * Whether a bg job whose pid is another process's now runs on in processes that carry its
 * marker (pids.sh says `marked` of such a group: the number is not the job's, its marked
 * processes are). Any other group answer for that number is not the job's.
 */
function markedRunOn(lease: Lease, pid: number, live: Liveness): boolean {
  const group = lease.job === undefined
    ? undefined
    : live.remoteGroups?.get(lease.host)?.get(lease.job);
  return group?.markedOnly === true && groupRunsOn(lease, pid, live) !== null;
}

/**
 * Why a live lease is held, when it is not plain: a bg job whose leader is gone and whose group
 * still runs ("3 processes it started still run"). Null otherwise.
 */
export function heldBecause(lease: Lease, live: Liveness): string | null {
  if (holderState(lease, live) !== "alive" || lease.job === undefined) return null;
  const job = live.remoteJobs?.get(lease.host)?.get(lease.job);
  const pid = lease.remote_pid ?? (typeof job === "object" ? job.pid : undefined);
  const recorded = lease.remote_start ?? (typeof job === "object" ? job.start : undefined);
  const start = pid === undefined ? undefined : live.remoteAlive?.get(lease.host)?.get(pid);
  // Its command runs: held plainly. (A pid another process has now is the command ended.)
  if (pid === undefined || (start && (recorded === undefined || sameStart(start, recorded)))) {
    return null;
  }
  const n = groupRunsOn(lease, pid, live);
  if (n === null) return null;
  return `its command ended; ${n} process${n === 1 ? "" : "es"} it started still run${
    n === 1 ? "s" : ""
  }`;
}

/** A lease's local holder: the pool that took it, or the process carrying its command. */
function localHolder(lease: Lease, live: Liveness): Holder {
  // A holder in another process space cannot be looked up here: its TTL alone ends it. One
  // from this machine before its last boot is gone with that boot.
  if (lease.pid_space !== undefined && live.space !== undefined && lease.pid_space !== live.space) {
    const [machine, boot] = lease.pid_space.split(" ");
    const [ourMachine, ourBoot] = live.space.split(" ");
    return machine === ourMachine && boot !== ourBoot && boot !== "-" ? "gone" : "unknown";
  }
  if (lease.ssh_pid !== undefined && lease.ssh_start !== undefined) {
    if (live.localAlive(lease.ssh_pid, lease.ssh_start)) return "alive";
  }
  if (lease.pid_start === null) return live.localAlive(lease.pid, null) ? "unknown" : "gone";
  return live.localAlive(lease.pid, lease.pid_start) ? "alive" : "gone";
}

/** Why a lease is no longer live, or null while it is. */
export function deadReason(lease: Lease, live: Liveness): string | null {
  switch (holderState(lease, live)) {
    case "alive":
      return null;
    case "gone":
      if (lease.remote_pid !== undefined) return "remote process gone";
      if (lease.job === undefined) return "pool process gone";
      return live.remoteJobs?.get(lease.host)?.get(lease.job) === "none"
        ? "job never started"
        : "remote process gone";
    case "unknown": {
      // A bg job pool can check: its TTL runs only once its host stops answering. A silence
      // dated ahead of now (the clock stepped back since) has not run out; liveLeases restarts it.
      const since = checkable(lease)
        ? lease.unanswered_ms
        : Math.max(lease.created_ms, lease.seen_ms ?? 0);
      return since !== undefined && live.now > Math.min(since, live.now) + lease.ttl_s * 1000
        ? "expired"
        : null;
    }
  }
}

/** A bg lease whose holder a probe can tell (remote pid and start time). */
function checkable(lease: Lease): boolean {
  return lease.remote_pid !== undefined && lease.remote_start !== undefined;
}

/**
 * The leases still live at `live.now`: those whose remote holder the latest
 * probe found alive renewed (`seen_ms`, no longer unanswered), and those whose
 * host it found not answering marked so (`unanswered_ms`), once.
 */
export function liveLeases(leases: Lease[], live: Liveness): Lease[] {
  return leases.flatMap((l) => {
    if (deadReason(l, live) !== null) return [];
    const job = l.job !== undefined && l.remote_pid === undefined
      ? live.remoteJobs?.get(l.host)?.get(l.job)
      : undefined;
    if (typeof job === "object" && holderState(l, live) === "alive") {
      // Its pool died before the hand-over: the job found by its id takes the lease, as handOver.
      const at = live.probedAt ?? live.now;
      return [{
        ...l,
        pid: 0,
        pid_start: null,
        remote_pid: job.pid,
        remote_start: job.start,
        seen_ms: at,
      }];
    }
    if (l.remote_pid === undefined) return [l];
    const at = live.probedAt ?? live.now;
    // A later sighting (another pool's probe) is not undone by this one; one dated ahead of
    // now (a clock stepped back since) is no sighting at all, or it kept its silence forever.
    const seen = l.seen_ms ?? 0;
    if (holderState(l, live) === "alive" && (at > seen || seen > live.now)) {
      const { unanswered_ms: _, ...renewed } = l;
      return [{ ...renewed, seen_ms: at }];
    }
    const silentSince = l.unanswered_ms;
    if (live.unanswered?.has(l.host) && (silentSince === undefined || silentSince > live.now)) {
      return [{ ...l, unanswered_ms: at }];
    }
    return [l];
  });
}
