/** Runs the probes of probes/ on hosts: one round trip each, the payload on stdin to `sh -s`. */

import type { Host } from "../roster/host.ts";
import {
  type Holders,
  type HostFacts,
  type Os,
  parseHolders,
  parseHostProbe,
  parseOs,
  type ProbeName,
  probeScript,
} from "../probes/mod.ts";
import { failureReason, type HostResult } from "./exec.ts";
import type { Outcome } from "./process.ts";
import { shQuote } from "./quote.ts";
import type { Runner } from "./runner.ts";
import { remoteScript } from "./scripts.ts";

const PROBE_ANSWER_LIMIT = 1 << 20;

async function runProbe(
  runner: Runner,
  name: ProbeName,
  host: Host,
  timeoutMs: number,
  signal?: AbortSignal,
  args: string[] = [],
) {
  // The payload travels on stdin; its arguments are numbers or pool's own words, quoted all the same.
  return await runner.exec(host, ["sh", "-s", "--", ...args].map(shQuote).join(" "), {
    // The pid checks (pids.sh, after host.sh too) read start times with _proc.sh's start_of.
    payload: name === "os"
      ? probeScript(name)
      : remoteScript(name === "host" ? "host_probe" : name),
    // An answer is a few kB (eight GPUs: 2 kB); a host that floods fails, and pool stays small.
    stdoutLimit: PROBE_ANSWER_LIMIT,
    timeoutMs,
    connectTimeout: Math.min(8, timeoutMs / 1000),
    signal,
  });
}

export interface OsAnswer {
  os: Os;
  /** Set when the host could not be asked. */
  failure?: string;
  result: HostResult;
}

/** `add` and `refresh`: what the host runs. */
export async function probeOs(runner: Runner, host: Host, signal?: AbortSignal): Promise<OsAnswer> {
  const result = await runProbe(runner, "os", host, 10_000, signal);
  if (result.outcome === "ok") return { os: parseOs(result.stdout), result };
  return { os: "unknown", failure: failureReason(result), result };
}

export interface HostAnswer {
  facts: HostFacts | null;
  /** How the probe ended, in the vocabulary of every verb's JSON (a broken answer is "failed"). */
  status: Outcome;
  /** Why there are no facts: unreachable (with ssh's reason), timeout, a broken answer. */
  error?: string;
  durationMs: number;
}

/**
 * `list` and `route`: load, memory, GPUs, disk, in one round trip; `asked`: bg jobs to check
 * on, each a pid, `job:<id>` or `group:<id>` (pids.sh); with `memory`, also what each job's
 * process group holds (`HostFacts.jobMemBytes`: route --mem, the one that counts it; reading it
 * walks each of the group's processes' memory map).
 */
export async function probeHost(
  runner: Runner,
  host: Host,
  timeoutMs: number,
  signal?: AbortSignal,
  asked: string[] = [],
  memory = false,
): Promise<HostAnswer> {
  const args = memory && asked.length > 0 ? ["memory", ...asked] : asked;
  const result = await runProbe(runner, "host", host, timeoutMs, signal, args);
  const { durationMs } = result;
  if (result.outcome !== "ok") {
    return { facts: null, status: result.outcome, error: failureReason(result), durationMs };
  }
  try {
    return { facts: parseHostProbe(result.stdout), status: "ok", durationMs };
  } catch (e) {
    return { facts: null, status: "failed", error: (e as Error).message, durationMs };
  }
}

/** `pool leases`: what the host says of the bg jobs asked about (pids.sh alone); null: no answer. */
export async function probeHolders(
  runner: Runner,
  host: Host,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  asked: string[],
): Promise<Holders | null> {
  const result = await runProbe(runner, "pids", host, timeoutMs, signal, asked);
  if (result.outcome !== "ok") return null;
  try {
    return parseHolders(result.stdout);
  } catch {
    return null;
  }
}
