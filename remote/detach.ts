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

/**
 * The remote command and stdin that start `launch.command` detached as job `launch.id`. The
 * command and its setup go in the stdin, as assignments ahead of launch.sh, not in the remote
 * command: its words are the argv of the launcher's `sh` and of the waiter it forks, which any
 * user on the host reads in `ps` for as long as the job runs (days, for a training run), and a
 * command can carry a token (`HF_TOKEN=… python train.py`). Its .cmd file is 0600, and
 * reading it back would take a second round trip to write it first.
 */
export function detachedLaunch(launch: Launch): { remote: string; payload: string } {
  const args = [launch.id, launch.gpus.length > 0 ? launch.gpus.join(",") : "-"];
  return {
    remote: ["sh", "-s", "--", ...args].map(shQuote).join(" "),
    payload: launchPayload(launch.setup, launch.command),
  };
}

/** launch.sh as sent: after the assignments of the setup and command it runs (no argv of theirs). */
export function launchPayload(setup: string, command: string): string {
  return `pool_setup=${shQuote(setup)}\npool_command=${shQuote(command)}\n` +
    remoteScript("launch");
}

/**
 * The launcher prints the job's pid and its start time, then its log path: `<home>/.pool/jobs/<id>.log`.
 * Anything else (a login file that printed after it, a shell that adds to what it prints) is no
 * answer: the path is shown on the terminal, and a control character in it would act there.
 */
export function parseLaunch(
  stdout: string,
  id: string,
): { pid: number; start: string | null; log: string } | null {
  const [first, log] = stdout.trim().split("\n").slice(-2);
  const m = /^(\d+)(?: (.*))?$/.exec(first ?? "");
  const pid = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(pid) || pid <= 0 || !isLogPath(log ?? "", id)) return null;
  return { pid, start: m[2]?.trim() || null, log };
}

// deno-lint-ignore no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function isLogPath(path: string, id: string): boolean {
  return path.startsWith("/") && path.endsWith(`/.pool/jobs/${id}.log`) && !CONTROL.test(path);
}
