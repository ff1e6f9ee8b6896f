/**
 * `pool wait ID... [--timeout D] [--json]`: returns when every job has ended,
 * with the largest exit code among them, saying each one's end as it comes.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { abortCode, EXIT, worstCode } from "../exit.ts";
import { PoolError } from "../errors.ts";
import { durationOption } from "../flags.ts";
import { formatDuration } from "../render/duration.ts";
import { stateCode, stateWords } from "../render/jobs.ts";
import { jobState, leftRunning } from "../probes/mod.ts";
import { askHosts, byHost, JOBS_TIMEOUT_MS, locateJobs } from "../dispatch/jobs.ts";
import type { Deps, Run } from "../deps/deps.ts";

export interface WaitOptions {
  /** Milliseconds; Infinity (the default) waits as long as it takes. */
  timeout?: number;
  json?: boolean;
}

/** How often the hosts are asked again. */
export const WAIT_POLL_MS = 1000;

export async function wait(ids: string[], options: WaitOptions, deps: Deps): Promise<number> {
  // The deadline holds for all of it: finding the jobs, and each round of asking their hosts.
  const deadline = deps.clock.now() + (options.timeout ?? Infinity);
  const left = () => Math.max(1, Math.min(JOBS_TIMEOUT_MS, deadline - deps.clock.now()));
  const located = await locateJobs(deps, ids, left());
  const codes: number[] = [];
  const warned = new Set<string>();
  /** Hosts that answered since the wait began: of the others' jobs, nothing is known. */
  const heard = new Set<string>();
  /** Jobs whose own process ended while processes it started still run in its group. */
  const leftovers = new Set<string>();
  for (;;) {
    const groups = byHost(located);
    const budget = left();
    const replies = await askHosts(deps, groups, budget);
    groups.forEach(({ host, ids }, i) => {
      const { answer, error } = replies[i];
      if (!answer) {
        if (deps.signal.aborted) return; // stopped: the stop is the news, not the host
        // A host that does not answer now may answer later: say so once, keep waiting. A
        // round cut short by the wait's own deadline is no news about the host.
        const cut = budget < JOBS_TIMEOUT_MS && error === "timeout";
        if (!warned.has(host.name) && !cut) deps.out.warn(`${host.name}: ${error}; still waiting`);
        if (!cut) warned.add(host.name);
        return;
      }
      heard.add(host.name);
      for (const id of ids) {
        const job = answer.jobs.find((j) => j.id === id);
        const s = job ? jobState(job) : null;
        if (s?.state === "running") continue;
        // Its own process ended, its work did not: what it started still runs (its group, its marker).
        const left = job && s ? leftRunning(job, s) : null;
        if (left) {
          if (!leftovers.has(id)) {
            deps.out.errLine(
              `pool: note: ${id} ${stateWords(s!)}; waiting for the ${left} process(es) ` +
                `it left running`,
            );
          }
          leftovers.add(id);
          continue;
        }
        const code = s ? stateCode(s) : EXIT.failure;
        const words = s ? stateWords(s) : "gone (its record was removed)";
        if (options.json) {
          deps.out.outLine(
            jsonLine({ id, host: host.name, state: s?.state ?? "gone", exit: code }),
          );
        } else deps.out.outLine(`${id}  ${host.name}  ${words}`);
        codes.push(code);
        located.delete(id);
      }
    });
    if (located.size === 0) return worstCode(codes);
    if (deps.signal.aborted) {
      throw new PoolError("interrupted while waiting", abortCode(deps.signal), "stopped");
    }
    if (deps.clock.now() >= deadline) {
      const after = formatDuration(options.timeout!);
      const ids = (hosts: boolean) =>
        [...located].filter(([, h]) => heard.has(h.name) === hosts).map(([id]) => id);
      const unheard = ids(false);
      const silent = [...new Set(unheard.map((id) => located.get(id)!.name))].join(", ");
      const running = ids(true).map((id) => leftovers.has(id) ? `${id} (what it left)` : id);
      throw new PoolError(
        [
          running.length > 0 ? `still running after ${after}: ${running.join(", ")}` : "",
          unheard.length > 0 ? `no answer from ${silent} in ${after}: ${unheard.join(", ")}` : "",
        ].filter(Boolean).join("; "),
        EXIT.timeout,
      );
    }
    await deps.clock.sleep(Math.min(WAIT_POLL_MS, deadline - deps.clock.now()), deps.signal);
  }
}

export const waitCommand = (run: Run) =>
  new Command("wait")
    .description("wait until jobs end; exit with the largest of their exit codes")
    .argument("<ids...>", "the jobs (pool jobs lists them)")
    .addOption(durationOption("--timeout <duration>", "give up after this long (exit 124)"))
    .option("--json", "one JSON object a line, as each job ends")
    .addHelpText(
      "after",
      `
On Linux a job has ended once nothing it started is left running in its process group; its
code is its own process's.
Exit: the largest exit code of the jobs (128+n when signal n ended one, 1 for a lost one),
124 when --timeout passed first.
Example:
  pool wait k3x9q2 p0a1b2 --timeout 2h`,
    )
    .action((ids: string[], opts: WaitOptions) => run((deps) => wait(ids, opts, deps)));
