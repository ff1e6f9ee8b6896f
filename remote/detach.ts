/** `pool bg`'s launcher: the payload that starts a command detached on a host, and its answer. */

import { shQuote } from "./quote.ts";

let script: string | undefined;

async function launchScript(): Promise<string> {
  script ??= await Deno.readTextFile(new URL("./launch.sh", import.meta.url));
  return script;
}

/** The remote command and stdin that start `command` detached as job `id`. */
export async function detachedLaunch(
  id: string,
  command: string,
): Promise<{ remote: string; payload: string }> {
  return { remote: `sh -s -- ${shQuote(id)} ${shQuote(command)}`, payload: await launchScript() };
}

/** The launcher prints the job's pid, then its log path. */
export function parseLaunch(stdout: string): { pid: number; log: string } | null {
  const [pid, log] = stdout.trim().split("\n").slice(-2);
  return /^\d+$/.test(pid ?? "") && log ? { pid: Number(pid), log } : null;
}
