/**
 * The lease ledger: `leases.json` beside the roster, changed only under its
 * exclusive lock and written atomically, like the roster. A ledger that does
 * not parse is reported, never silently dropped: it may be all that stops
 * two 17 GB jobs from landing on one 30 GB host.
 */

import { join } from "../paths.ts";
import { type ListFile, readListFile, updateListFile } from "../state/list_file.ts";
import type { Lease } from "./lease.ts";

export function ledgerPath(stateDir: string): string {
  return join(stateDir, "leases.json");
}

const LEDGER: ListFile<Lease> = { what: "lease ledger", key: "leases", isItem: isLease };

export function readLedger(path: string): Promise<Lease[]> {
  return readListFile(path, LEDGER);
}

function isLease(value: unknown): value is Lease {
  const l = value as Lease;
  return typeof l === "object" && l !== null && typeof l.id === "string" &&
    typeof l.host === "string" &&
    typeof l.mem_bytes === "number" && Array.isArray(l.gpus) && typeof l.pid === "number" &&
    typeof l.created_ms === "number" && typeof l.ttl_s === "number";
}

/** Read-modify-write under the lock; `change` returns the new leases and a result. */
export function updateLedger<T>(
  path: string,
  change: (leases: Lease[]) => { leases: Lease[]; result: T },
  signal?: AbortSignal,
): Promise<T> {
  return updateListFile(path, LEDGER, (before) => {
    const { leases, result } = change(before);
    return { items: leases, result };
  }, signal);
}
