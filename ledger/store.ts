/**
 * The lease ledger: `leases.json` beside the roster, changed only under its
 * exclusive lock and written atomically, like the roster. A ledger that does
 * not parse is reported, never silently dropped: it may be all that stops
 * two 17 GB jobs from landing on one 30 GB host.
 */

import { join } from "node:path";
import { PoolError } from "../errors.ts";
import { readTextIfExists, withFileLock, writeFileAtomically } from "../state/files.ts";
import type { Lease } from "./lease.ts";

export function ledgerPath(stateDir: string): string {
  return join(stateDir, "leases.json");
}

export async function readLedger(path: string): Promise<Lease[]> {
  const text = await readTextIfExists(path, "lease ledger");
  if (text === null || text.trim() === "") return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PoolError(
      `Cannot read lease ledger ${path}: ${(e as Error).message} (fix or remove the file)`,
    );
  }
  const leases = (doc as { leases?: unknown })?.leases;
  if (!Array.isArray(leases) || !leases.every(isLease)) {
    throw new PoolError(
      `Cannot read lease ledger ${path}: expected {"leases": [...]} (fix or remove the file)`,
    );
  }
  return leases;
}

function isLease(value: unknown): value is Lease {
  const l = value as Lease;
  return typeof l === "object" && l !== null && typeof l.id === "string" &&
    typeof l.host === "string" &&
    typeof l.mem_bytes === "number" && Array.isArray(l.gpus) && typeof l.pid === "number" &&
    typeof l.created_ms === "number" && typeof l.ttl_s === "number";
}

/** Read-modify-write under the lock; `change` returns the new leases and a result. */
export async function updateLedger<T>(
  path: string,
  change: (leases: Lease[]) => { leases: Lease[]; result: T },
): Promise<T> {
  return await withFileLock(path, async () => {
    const before = await readLedger(path);
    const { leases, result } = change(before);
    if (JSON.stringify(leases) !== JSON.stringify(before)) {
      await writeFileAtomically(path, JSON.stringify({ leases }, null, 2) + "\n");
    }
    return result;
  });
}
