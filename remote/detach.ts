/** `pool bg`'s launcher: the payload that starts a command detached on a host, and its answer. */

import { shQuote } from "./quote.ts";
import { remoteScript } from "./scripts.ts";

export interface Launch {
  /** The job's id: names its record and log under ~/.pool/jobs/ on the host. */
  id: string;
  /** GPU indices it holds, for its record. */
  gpus: number[];
  /** Shell text run just before the command, in its shell (the GPU pins). */
  setup: string;
  command: string;
}

/** The remote command and stdin that start `launch.command` detached as job `launch.id`. */
export function detachedLaunch(launch: Launch): { remote: string; payload: string } {
  const args = [
    launch.id,
    launch.gpus.length > 0 ? launch.gpus.join(",") : "-",
    launch.setup,
    launch.command,
  ];
  return {
    remote: ["sh", "-s", "--", ...args].map(shQuote).join(" "),
    payload: remoteScript("launch"),
  };
}

/** The launcher prints the job's pid and its start time, then its log path. */
export function parseLaunch(
  stdout: string,
): { pid: number; start: string | null; log: string } | null {
  const [first, log] = stdout.trim().split("\n").slice(-2);
  const m = /^(\d+)(?: (.*))?$/.exec(first ?? "");
  return m && log ? { pid: Number(m[1]), start: m[2]?.trim() || null, log } : null;
}
