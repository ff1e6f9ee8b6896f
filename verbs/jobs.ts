/**
 * `pool jobs [hosts] [--all] [--json]`: what `pool bg` started and what became
 * of it — running, exited N, killed by SIG, or lost — one round trip per
 * host. `--prune [--days N]` removes the records and logs of jobs that ended
 * more than N days ago.
 */

import { Command } from "commander";
import { countOption } from "../flags.ts";
import { abortCode } from "../exit.ts";
import { PoolError, UsageError } from "../errors.ts";
import { renderTable } from "../render/table.ts";
import { visible } from "../render/visible.ts";
import { JOB_HEADER, jobJson, jobRow, lastSeen } from "../render/jobs.ts";
import type { Host } from "../roster/host.ts";
import { type JobRecord, type JobState, jobState, leftRunning } from "../probes/mod.ts";
import { askJobs, type JobsReply } from "../remote/jobs.ts";
import { poolMap } from "../remote/pool_map.ts";
import { askHosts, hostsByName, JOBS_TIMEOUT_MS } from "../dispatch/jobs.ts";
import { type Deps, type Run, selectFromRoster } from "../deps/deps.ts";
import type { JobEntry } from "../ledger/jobs.ts";

export interface JobsOptions {
  /** A host selection; without one, the hosts this pool started jobs on. */
  hosts?: string;
  all?: boolean;
  json?: boolean;
  prune?: boolean;
  days?: number;
}

/** Without --all, jobs that ended longer ago than this are left out. */
export const RECENT_S = 24 * 3600;
export const PRUNE_DAYS = 7;

/** The hosts to ask: the selection, or every host the job index names. */
async function targets(options: JobsOptions, deps: Deps): Promise<Host[]> {
  if (options.hosts !== undefined) return (await selectFromRoster(deps, options.hosts)).hosts;
  const hosts = await hostsByName(deps);
  const named = new Set((await deps.jobs.read()).map((j) => j.host));
  return [...named].flatMap((name) => hosts.get(name) ?? []);
}

export async function jobs(options: JobsOptions, deps: Deps): Promise<number> {
  const hosts = await targets(options, deps);
  if (options.prune) return await prune(hosts, options.days ?? PRUNE_DAYS, options, deps);
  const replies = await askHosts(deps, hosts.map((host) => ({ host, ids: null })));
  // Stopped while asking: the hosts that did not answer in time are not to blame.
  if (deps.signal.aborted) {
    throw new PoolError("stopped while asking hosts", abortCode(deps.signal), "stopped");
  }
  const rows: string[][] = [];
  const listed: ReturnType<typeof jobJson>[] = [];
  const errors: HostError[] = [];
  const notes: string[] = [];
  hosts.forEach((host, i) => {
    const reply = replies[i];
    // Out of time, what the host told before that is still listed, and it is an error.
    const answer = reply.answer ?? reply.partial;
    if (!reply.answer) errors.push(hostError(host, reply));
    if (!answer) return;
    const jobs = [...answer.jobs].sort((a, b) => (a.startedS ?? 0) - (b.startedS ?? 0));
    for (const job of jobs) {
      const s = jobState(job);
      if (!options.all && isOld(job, s, answer.now)) continue;
      rows.push(jobRow(host.name, job, s, answer.now));
      listed.push(jobJson(host.name, job, s, answer.now));
      if (job.cut) {
        notes.push(
          `${host.name}: job ${job.id}'s record is longer than 4 KiB: only its start was read`,
        );
      }
    }
  });
  if (options.json) {
    deps.out.outLine(JSON.stringify({ jobs: listed, errors }, null, 2));
  } else if (rows.length === 0) {
    if (errors.length === 0) deps.out.errLine("pool: no jobs");
  } else {
    deps.out.out(await renderTable([JOB_HEADER, ...rows]));
  }
  for (const n of notes) deps.out.errLine(`pool: note: ${n}`);
  for (const e of errors) deps.out.errLine(`pool: ${e.host}: ${e.error}`);
  return errors.length > 0 ? 1 : 0;
}

/**
 * Whether a job is past the default listing: it ended (or, lost, last showed a sign of life)
 * more than RECENT_S ago by its host's clock, and left nothing running.
 */
function isOld(job: JobRecord, s: JobState, now: number | null): boolean {
  if (now === null || s.state === "running" || (leftRunning(job, s) ?? 0) > 0) return false;
  const last = s.state === "lost" ? lastSeen(job) : job.endedS;
  return last !== null && now - last > RECENT_S;
}

/** A host that gave no answer: `error` as before, and `status`/`reason` in every verb's words. */
interface HostError {
  host: string;
  error: string;
  status: string;
  reason: string;
}

function hostError(host: Host, reply: JobsReply): HostError {
  const told = reply.partial?.jobs.length ?? 0;
  const error = (reply.error ?? "no answer") +
    (told > 0 ? `: listed the ${told} job(s) it told of by then, not the rest` : "");
  return { host: host.name, error, status: reply.status ?? "failed", reason: error };
}

async function prune(hosts: Host[], days: number, options: JobsOptions, deps: Deps) {
  // The index as it was before the hosts were asked: a `pool bg` that starts a job meanwhile
  // adds an entry no host could yet name as kept, and that entry must stay.
  const indexed = await deps.jobs.read();
  const replies = await poolMap(
    hosts,
    8,
    (host) =>
      askJobs(deps.runner, host, ["prune", String(days)], {
        timeoutMs: JOBS_TIMEOUT_MS,
        signal: deps.signal,
      }),
  );
  const pruned: { host: string; id: string }[] = [];
  const errors: HostError[] = [];
  // What each host still keeps; the index forgets the rest of what it held when asked.
  const kept = new Map<string, Set<string>>();
  hosts.forEach((host, i) => {
    const { answer } = replies[i];
    if (!answer) return errors.push(hostError(host, replies[i]));
    for (const id of answer.pruned) pruned.push({ host: host.name, id });
    kept.set(host.name, new Set(answer.kept));
  });
  // Said before the index is written: the hosts have deleted these, whatever the index does.
  if (options.json) deps.out.outLine(JSON.stringify({ pruned, errors }, null, 2));
  else {
    for (const p of pruned) deps.out.outLine(`${p.host}  pruned ${visible(p.id)}`);
    for (const e of errors) deps.out.errLine(`pool: ${e.host}: ${e.error}`);
  }
  await forget(deps, indexed, kept);
  return errors.length > 0 ? 1 : 0;
}

/**
 * Takes out of the index what it held when the hosts were asked and a host no longer keeps.
 * A failed write (a read-only or full disk) is a warning, not prune's failure: the hosts'
 * deletions are done, and an entry left behind costs nothing (`logs`/`kill` ask its host and
 * hear "no job"; the next prune forgets it). Nothing to forget takes no lock at all.
 */
async function forget(deps: Deps, indexed: JobEntry[], kept: Map<string, Set<string>>) {
  const was = new Set(indexed.map((j) => `${j.host}\0${j.id}`));
  const gone = (j: JobEntry) =>
    kept.has(j.host) && !kept.get(j.host)!.has(j.id) && was.has(`${j.host}\0${j.id}`);
  if (!indexed.some(gone)) return;
  try {
    await deps.jobs.update((jobs) => ({
      jobs: jobs.filter((j) => !gone(j)),
      result: undefined,
    }));
  } catch (e) {
    deps.out.warn(
      `the job index still names what was pruned (${(e as Error).message}); ` +
        `the next jobs --prune forgets it`,
    );
  }
}

export const jobsCommand = (run: Run) =>
  new Command("jobs")
    .description("list the jobs pool bg started: running, exited N, killed by SIG, or lost")
    .argument("[hosts]", "ask these hosts (default: every host this pool started jobs on)")
    .option("--all", `also jobs that ended more than ${RECENT_S / 3600} h ago`)
    .option("--json", "the jobs as JSON")
    .option("--prune", "remove the records and logs of jobs that ended more than --days ago")
    .addOption(countOption("--days <n>", `with --prune: age in days (default ${PRUNE_DAYS})`))
    .addHelpText(
      "after",
      `
A job is lost when its process is gone and it left no exit code (the host rebooted).
Examples:
  pool jobs
      the jobs this pool started, on their hosts
  pool jobs all --all --json
      every job record on every host
  pool jobs --prune --days 3`,
    )
    .action((hosts: string | undefined, opts: Omit<JobsOptions, "hosts">) => {
      // Not "jobs of the last 3 days" quietly listing the usual: the age is only prune's.
      if (opts.days !== undefined && !opts.prune) throw new UsageError("--days goes with --prune");
      return run((deps) => jobs({ hosts, ...opts }, deps));
    });
