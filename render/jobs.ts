/** How a `pool bg` job is shown: its state in words, its row, its JSON. */

import { type JobRecord, type JobState, leftRunning } from "../probes/mod.ts";
import { clip } from "./table.ts";

/** `running`, `exited 3`, `killed by SIGTERM`, `lost`. */
export function stateWords(s: JobState): string {
  switch (s.state) {
    case "running":
      return "running";
    case "exited":
      return `exited ${s.code}`;
    case "killed":
      return `killed by ${s.signal}`;
    case "lost":
      return "lost";
  }
}

/** `exited 0, 2 left running`: its state, and what its ended process left running in its group. */
export function jobWords(job: JobRecord, s: JobState): string {
  const left = leftRunning(job, s);
  return left ? `${stateWords(s)}, ${left} left running` : stateWords(s);
}

/** The exit code a job's end stands for: its own, 128+n for signal n, 1 for lost. */
export function stateCode(s: JobState): number {
  return s.state === "exited" || s.state === "killed" ? s.code : s.state === "lost" ? 1 : 0;
}

/** `45s`, `12m03s`, `3h07m`, `2d04h`. */
function formatRunTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/** Local time, to the minute: `2026-11-28 14:03`; `-` for a time no date can hold. */
export function formatStarted(epochS: number): string {
  const d = new Date(epochS * 1000);
  if (Number.isNaN(d.getTime())) return "-";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${
    pad(d.getMinutes())
  }`;
}

/**
 * How long it ran (or has run, by the host's clock `now`); null when the record does not say,
 * and for a lost job: when it ended is not known (see lastSeen).
 * Never below 0: a host clock stepped back while the job ran ends it before it started.
 */
function runSeconds(job: JobRecord, s: JobState, now: number | null): number | null {
  if (job.startedS === null || s.state === "lost") return null;
  const end = job.endedS ?? now;
  return end === null ? null : Math.max(0, end - job.startedS);
}

/**
 * A lost job's last sign of life: the last change to its record or log (epoch seconds, the
 * host's clock), else its start. It ran at least until then; when it ended, nothing says.
 */
export function lastSeen(job: JobRecord): number | null {
  if (job.seenS === null) return job.startedS;
  return job.startedS === null ? job.seenS : Math.max(job.seenS, job.startedS);
}

/** `12m03s`; for a lost job the least it ran, `12m03s+` (`-` when that is nothing). */
function ranWords(job: JobRecord, s: JobState, now: number | null): string {
  if (s.state === "lost") {
    const seen = lastSeen(job);
    if (seen === null || job.startedS === null || seen <= job.startedS) return "-";
    return `${formatRunTime(seen - job.startedS)}+`;
  }
  const ran = runSeconds(job, s, now);
  return ran === null ? "-" : formatRunTime(ran);
}

export function jobRow(host: string, job: JobRecord, s: JobState, now: number | null): string[] {
  return [
    job.id,
    host,
    jobWords(job, s),
    job.startedS === null ? "-" : formatStarted(job.startedS),
    ranWords(job, s, now),
    job.gpus.length > 0 ? `gpu ${job.gpus.join(",")}` : "-",
    clip(job.command, 60),
  ];
}

export const JOB_HEADER = ["id", "host", "state", "started", "ran", "gpu", "command"];

/**
 * One job as JSON: times in epoch seconds (the host's clock), `exit` and `signal` once it
 * ended; `left_running` what its ended process left running in its group (Linux; else null);
 * for a lost job `run_s` null and `last_seen_s` its last sign of life; `record_cut` when its
 * record was longer than jobs.sh reads (4 KiB), so only its start was read.
 */
export function jobJson(host: string, job: JobRecord, s: JobState, now: number | null) {
  return {
    id: job.id,
    host,
    state: s.state,
    exit: s.state === "exited" || s.state === "killed" ? s.code : null,
    signal: s.state === "killed" ? s.signal : null,
    pid: job.process?.pid ?? null,
    started_s: job.startedS,
    ended_s: job.endedS,
    run_s: runSeconds(job, s, now),
    last_seen_s: s.state === "lost" ? lastSeen(job) : null,
    left_running: leftRunning(job, s),
    gpus: job.gpus,
    command: job.command,
    record_cut: job.cut,
  };
}
