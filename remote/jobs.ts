/**
 * The remote side of `pool jobs`, `logs`, `wait` and `kill`: each one round
 * trip to a host, answered about the records `remote/launch.sh` keeps.
 */

import type { Host } from "../roster/host.ts";
import { type JobsAnswer, parseJobs, parseKill, parsePartialJobs } from "../probes/mod.ts";
import { failureReason } from "./exec.ts";
import { shQuote } from "./quote.ts";
import { remoteScript, withoutComments } from "./scripts.ts";
import type { Runner } from "./runner.ts";

export interface JobsReply {
  answer: JobsAnswer | null;
  /** Why there is no answer: ssh's reason, a timeout, a broken answer. */
  error?: string;
  /** With no answer: the run's code (255 unreachable, 124 out of time), where it says why. */
  code?: number;
  /** With no answer: how, in every verb's words (unreachable, timeout; a broken answer: failed). */
  status?: string;
  /**
   * Out of time: the jobs the host had told of by then (`pool jobs` lists them, and says the
   * rest is missing). Never an answer: a job not in it may be any of the rest.
   */
  partial?: JobsAnswer;
}

/**
 * The most of a jobs answer kept, as the host probe's (1 MiB) but roomier: hundreds of
 * records, each with its whole command. Past it the host is flooding, not answering, and
 * holding all it sends would let one host fill this machine's memory.
 */
const JOBS_ANSWER_LIMIT = 64 << 20;
/** kill.sh answers with one record: a flood past this is not an answer. */
const KILL_ANSWER_LIMIT = 1 << 20;

/** Asks `host` about its jobs: `["list", ...ids]` or `["prune", days]`. */
export async function askJobs(
  runner: Runner,
  host: Host,
  args: string[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<JobsReply> {
  const result = await runner.exec(host, ["sh", "-s", "--", ...args].map(shQuote).join(" "), {
    payload: remoteScript("jobs"),
    stdoutLimit: JOBS_ANSWER_LIMIT,
    timeoutMs: options.timeoutMs,
    connectTimeout: Math.min(8, options.timeoutMs / 1000),
    signal: options.signal,
  });
  if (result.outcome !== "ok") {
    return {
      answer: null,
      error: failureReason(result),
      code: result.code || undefined,
      status: result.outcome,
      ...(result.outcome === "timeout" && result.stdout !== ""
        ? { partial: parsePartialJobs(result.stdout) }
        : {}),
    };
  }
  try {
    return { answer: parseJobs(result.stdout) };
  } catch (e) {
    return { answer: null, error: (e as Error).message, status: "failed" };
  }
}

/** Signals job `id`'s process group on `host`, then KILLs what is left after `graceS` seconds. */
export async function killJob(
  runner: Runner,
  host: Host,
  id: string,
  options: { signalName: string; graceS: number; signal?: AbortSignal },
) {
  const args = [id, options.signalName, String(options.graceS)];
  const result = await runner.exec(host, ["sh", "-s", "--", ...args].map(shQuote).join(" "), {
    payload: remoteScript("kill"),
    stdoutLimit: KILL_ANSWER_LIMIT,
    timeoutMs: (options.graceS + 20) * 1000,
    signal: options.signal,
  });
  const parsed = result.outcome === "ok" ? parseKill(id, result.stdout) : null;
  return { parsed, result };
}

/**
 * The remote command that prints job `id`'s log (the last `lines`, or all)
 * and with `follow` keeps printing until the job ends. A command, not a
 * payload: it runs under the remote supervisor and ends when pool does.
 */
export function followCommand(
  id: string,
  lines: number | "all",
  follow: boolean,
): string {
  const text = withoutComments(remoteScript("follow"));
  return ["sh", "-c", text, "pool-logs", id, String(lines), follow ? "1" : "0"].map(shQuote)
    .join(" ");
}
