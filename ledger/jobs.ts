/**
 * The job index: `jobs.json` beside the roster, one entry per `pool bg` job
 * (its id, the host it runs on, what it runs), so `pool logs ID` and the
 * others know which host to ask. The job's own record lives on that host
 * (~/.pool/jobs/, see remote/launch.sh) and is the truth about it; this is
 * only where to look. Changed under its lock and written atomically, like the ledger.
 */

import { join } from "../paths.ts";
import { type ListFile, readListFile, updateListFile } from "../state/list_file.ts";

export interface JobEntry {
  id: string;
  host: string;
  command: string;
  started_ms: number;
  gpus: number[];
}

export function jobIndexPath(stateDir: string): string {
  return join(stateDir, "jobs.json");
}

const INDEX: ListFile<JobEntry> = { what: "job index", key: "jobs", isItem: isEntry };

export function readJobIndex(path: string): Promise<JobEntry[]> {
  return readListFile(path, INDEX);
}

function isEntry(value: unknown): value is JobEntry {
  const j = value as JobEntry;
  return typeof j === "object" && j !== null && typeof j.id === "string" &&
    typeof j.host === "string" && typeof j.command === "string" &&
    typeof j.started_ms === "number" && Array.isArray(j.gpus);
}

/** Read-modify-write under the lock; `change` returns the new entries and a result. */
export function updateJobIndex<T>(
  path: string,
  change: (jobs: JobEntry[]) => { jobs: JobEntry[]; result: T },
  signal?: AbortSignal,
): Promise<T> {
  return updateListFile(path, INDEX, (before) => {
    const { jobs, result } = change(before);
    return { items: jobs, result };
  }, signal);
}

const ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A short job id: 6 letters and digits, about 2 billion of them. */
export function newJobId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => ID_CHARS[b % ID_CHARS.length]).join("");
}

/** What a job id may be (it names files on the host): letters, digits, `_` and `-`. */
export const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;
