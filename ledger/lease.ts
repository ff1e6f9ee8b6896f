/**
 * A reservation of a host's memory and GPUs, held for as long as the work it
 * covers runs. Pure: liveness takes the facts it needs as arguments.
 */

export interface Lease {
  id: string;
  host: string;
  mem_bytes: number;
  /** GPU indices claimed, and the memory claimed on each. */
  gpus: number[];
  gpu_mem_bytes: number;
  command: string;
  /** The local pool process holding the lease (route), 0 when none (bg). */
  pid: number;
  /** That process's start time, so a recycled pid never keeps a lease alive. */
  pid_start: string | null;
  /** bg: the remote process the lease lives as long as. */
  remote_pid?: number;
  created_ms: number;
  ttl_s: number;
}

export interface Liveness {
  now: number;
  /** Is this local process (pid + start time) still running? */
  localAlive(pid: number, start: string | null): boolean;
  /** Remote pids found alive per host by the latest probe; hosts not probed are absent. */
  remoteAlive?: ReadonlyMap<string, ReadonlySet<number>>;
}

/** Why a lease is no longer live, or null while it is. */
export function deadReason(lease: Lease, live: Liveness): string | null {
  if (live.now > lease.created_ms + lease.ttl_s * 1000) return "expired";
  if (lease.remote_pid !== undefined) {
    const alive = live.remoteAlive?.get(lease.host);
    if (alive && !alive.has(lease.remote_pid)) return "remote process gone";
    return null;
  }
  return live.localAlive(lease.pid, lease.pid_start) ? null : "pool process gone";
}
