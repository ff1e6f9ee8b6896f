/**
 * A reservation of a host's memory and GPUs, held for as long as the work it
 * covers runs. Pure: liveness takes the facts it needs as arguments.
 *
 * The rule: a lease lapses when its holder is gone — the local pool process
 * of a `route` (pid + start time), or the remote job of a `bg` (remote pid +
 * start time, as the host's probe reports it). A holder found alive keeps its
 * lease however old it is. The TTL bounds only what pool cannot check: a bg
 * job whose host has not answered since a probe first found it silent, or a
 * holder whose start time was never known.
 */

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
  /** When that probe ran (wall clock); a holder it found alive counts as seen then. */
  probedAt?: number;
  /** Hosts that probe asked and that did not answer. */
  unanswered?: ReadonlySet<string>;
}

/** What pool can tell about a lease's holder: alive, gone, or nothing (not asked, or not checkable). */
export type Holder = "alive" | "gone" | "unknown";

export function holderState(lease: Lease, live: Liveness): Holder {
  if (lease.remote_pid !== undefined) {
    const start = live.remoteAlive?.get(lease.host)?.get(lease.remote_pid);
    if (start === undefined) return "unknown";
    if (start === null) return "gone";
    if (lease.remote_start === undefined) return "unknown"; // the pid lives, but is it ours?
    return sameStart(start, lease.remote_start) ? "alive" : "gone";
  }
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
      return lease.remote_pid !== undefined ? "remote process gone" : "pool process gone";
    case "unknown": {
      // A bg job pool can check: its TTL runs only once its host stops answering.
      const since = checkable(lease)
        ? lease.unanswered_ms
        : Math.max(lease.created_ms, lease.seen_ms ?? 0);
      return since !== undefined && live.now > since + lease.ttl_s * 1000 ? "expired" : null;
    }
  }
}

/** A bg lease whose holder a probe can tell (remote pid and start time). */
function checkable(lease: Lease): boolean {
  return lease.remote_pid !== undefined && lease.remote_start !== undefined;
}

/** Start times compare as words: macOS `ps -o lstart` pads with spaces. */
export function sameStart(a: string, b: string): boolean {
  return a.trim().split(/\s+/).join(" ") === b.trim().split(/\s+/).join(" ");
}

/**
 * The leases still live at `live.now`: those whose remote holder the latest
 * probe found alive renewed (`seen_ms`, no longer unanswered), and those whose
 * host it found not answering marked so (`unanswered_ms`), once.
 */
export function liveLeases(leases: Lease[], live: Liveness): Lease[] {
  return leases.flatMap((l) => {
    if (deadReason(l, live) !== null) return [];
    if (l.remote_pid === undefined) return [l];
    const at = live.probedAt ?? live.now;
    if (holderState(l, live) === "alive" && at > (l.seen_ms ?? 0)) {
      const { unanswered_ms: _, ...renewed } = l;
      return [{ ...renewed, seen_ms: at }];
    }
    if (live.unanswered?.has(l.host) && l.unanswered_ms === undefined) {
      return [{ ...l, unanswered_ms: at }];
    }
    return [l];
  });
}
