/**
 * A state file that is one JSON list under one key (`{"leases": [...]}`,
 * `{"jobs": [...]}`): read strictly — a file that does not parse, or an item
 * of the wrong shape, is reported and left alone, never read as empty — and
 * changed only under its lock, written atomically. The lease ledger and the
 * job index are both this.
 */

import { PoolError } from "../errors.ts";
import { readTextIfExists, withFileLock, writeFileAtomically } from "./files.ts";

export interface ListFile<T> {
  /** What the file is, for messages: "lease ledger". */
  what: string;
  /** The key the list sits under: "leases". */
  key: string;
  isItem(value: unknown): value is T;
}

export async function readListFile<T>(path: string, spec: ListFile<T>): Promise<T[]> {
  const text = await readTextIfExists(path, spec.what);
  if (text === null) return [];
  // pool writes the whole file or none of it (writeFileAtomically): one that is there but
  // empty was cut by something else, and read as "nothing held" it would let a host's GPUs
  // or memory go out twice.
  if (text.trim() === "") {
    throw new PoolError(`Cannot read ${spec.what} ${path}: it is empty (fix or remove the file)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Not JSON.parse's words: they quote the file, control characters and newlines too.
    throw new PoolError(`Cannot read ${spec.what} ${path}: not JSON (fix or remove the file)`);
  }
  const items = (doc as Record<string, unknown> | null)?.[spec.key];
  if (!Array.isArray(items) || !items.every((i) => spec.isItem(i))) {
    throw new PoolError(
      `Cannot read ${spec.what} ${path}: expected {"${spec.key}": [...]} (fix or remove the file)`,
    );
  }
  return items;
}

/** Read-modify-write under the lock; `change` returns the new list and a result. */
export async function updateListFile<T, R>(
  path: string,
  spec: ListFile<T>,
  change: (items: T[]) => { items: T[]; result: R },
  /** A stop while waiting for the lock ends the wait (stopped), as for the roster's. */
  signal?: AbortSignal,
): Promise<R> {
  return await withFileLock(
    path,
    async () => {
      const before = await readListFile(path, spec);
      const { items, result } = change(before);
      if (JSON.stringify(items) !== JSON.stringify(before)) {
        await writeFileAtomically(path, JSON.stringify({ [spec.key]: items }, null, 2) + "\n");
      }
      return result;
    },
    `the lock on ${path}`,
    signal,
  );
}
