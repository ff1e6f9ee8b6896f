/**
 * What `probes/jobs.sh` (and `remote/kill.sh`) say about `pool bg` jobs, and
 * what became of each: pure, so every state is a unit test.
 *
 * A job is running while the process its record names — pid and start time —
 * still runs (or its waiter, about to write the end); it exited (or was killed
 * by a signal) once its record says how it ended; and it is lost when neither
 * runs and no end was written: the host rebooted, or something killed the waiter.
 */

import { splitSections, toInt, toPid } from "./host.ts";

export interface JobProcess {
  pid: number;
  start: string;
}

export interface JobRecord {
  id: string;
  /** Epoch seconds on the host's clock. */
  startedS: number | null;
  endedS: number | null;
  gpus: number[];
  /** The command: the leader of the job's process group. */
  process: JobProcess | null;
  /** The process that waits for it and writes the end. */
  waiter: JobProcess | null;
  /** The status the shell saw: 128+n when signal n ended it. */
  exit: number | null;
  /** The signal's name (TERM), when the status says one ended it. */
  signal: string | null;
  /** As it was given, lines and all (past its first KiB, its first lines and `…`). */
  command: string;
  /** Its processes that run now, with their start times now. */
  alive: JobProcess[];
  /**
   * How many processes of its process group run (Linux; null where not known): the leader
   * while it runs, and what it started and left behind in its group after it ended.
   */
  group: number | null;
  /** Epoch seconds: when its record or log last changed, for a job with no end written. */
  seenS: number | null;
  /** The record went on past what jobs.sh reads of one (4 KiB): this is its start. */
  cut: boolean;
}

export type JobState =
  | { state: "running" }
  | { state: "exited"; code: number }
  | { state: "killed"; signal: string; code: number }
  | { state: "lost" };

export interface JobsAnswer {
  /** The host's clock, epoch seconds. */
  now: number | null;
  /** Where the records and logs are. */
  dir: string | null;
  jobs: JobRecord[];
  pruned: string[];
  kept: string[];
}

/** A job id as launch.sh accepts one (jobs.sh's `valid`). */
const JOB_ID = /^[A-Za-z0-9_-]+$/;

/** Throws when the output is not a complete answer. */
export function parseJobs(text: string): JobsAnswer {
  const { answer, complete } = readJobs(text);
  if (!complete) throw new Error("incomplete answer about jobs");
  return answer;
}

/**
 * What an answer cut short (a host that ran out of time) said: every job it had finished
 * telling, without the one it was telling when it stopped.
 */
export function parsePartialJobs(text: string): JobsAnswer {
  const { answer, complete } = readJobs(text, true);
  if (!complete) answer.jobs.pop();
  return answer;
}

function readJobs(text: string, partial = false): { answer: JobsAnswer; complete: boolean } {
  const answer: JobsAnswer = { now: null, dir: null, jobs: [], pruned: [], kept: [] };
  let job: string[] | null = null;
  let complete = false;
  const seen = new Map<string, number>();
  const flush = () => {
    if (job) answer.jobs.push(parseListed(job[0], job.slice(1)));
    job = null;
  };
  const lines = text.split("\n");
  // The last line of an answer cut short may be half of one.
  if (partial) lines.pop();
  for (const line of lines) {
    const header = /^@@ (\S+)(?: (.*))?$/.exec(line);
    if (!header) {
      job?.push(line);
      continue;
    }
    flush();
    const [, name, value = ""] = header;
    if (name === "now") answer.now = toInt(value);
    else if (name === "dir") answer.dir = value;
    else if (name === "job") job = [value];
    // Ids are pool's own words: anything else did not come from jobs.sh.
    else if (name === "pruned" && JOB_ID.test(value)) answer.pruned.push(value);
    else if (name === "kept" && JOB_ID.test(value)) answer.kept.push(value);
    else if (name === "seen") {
      const m = /^([A-Za-z0-9_-]+)\.(?:job|log) (\d+)$/.exec(value);
      const time = toInt(m?.[2]);
      if (m && time !== null) seen.set(m[1], Math.max(time, seen.get(m[1]) ?? 0));
    } else if (name === "end") complete = true;
  }
  flush();
  for (const j of answer.jobs) j.seenS = seen.get(j.id) ?? null;
  return { answer, complete };
}

/**
 * A job as jobs.sh lists it: its record's lines (`rec <line>`: the record is the job's to
 * write, so nothing in it reads as jobs.sh's own), then the lines jobs.sh adds.
 */
function parseListed(id: string, lines: string[]): JobRecord {
  const job = parseRecord(id, lines.flatMap((l) => l.startsWith("rec ") ? [l.slice(4)] : []));
  let seenCommand = false;
  for (const line of lines) {
    const at = line.indexOf(" ");
    const key = at === -1 ? line : line.slice(0, at);
    const value = at === -1 ? "" : line.slice(at + 1);
    switch (key) {
      case "cmd":
        // One line each: a command of several lines comes whole, or up to `cmdcut`.
        job.command = seenCommand ? `${job.command}\n${value}` : value;
        seenCommand = true;
        break;
      case "cmdcut":
        job.command += "\n…";
        break;
      case "cut":
        job.cut = true;
        break;
      case "group":
        job.group = toInt(value);
        break;
      case "alive": {
        const p = parseProcess(value);
        if (p) job.alive.push(p);
      }
    }
  }
  return job;
}

/** A record as launch.sh writes it (and kill.sh shows it). */
export function parseRecord(id: string, lines: string[]): JobRecord {
  const job: JobRecord = {
    id,
    startedS: null,
    endedS: null,
    gpus: [],
    process: null,
    waiter: null,
    exit: null,
    signal: null,
    command: "",
    alive: [],
    group: null,
    seenS: null,
    cut: false,
  };
  for (const line of lines) {
    const at = line.indexOf(" ");
    const key = at === -1 ? line : line.slice(0, at);
    const value = at === -1 ? "" : line.slice(at + 1);
    switch (key) {
      case "started":
        job.startedS = toInt(value);
        break;
      case "ended":
        job.endedS = toInt(value);
        break;
      case "gpus":
        job.gpus = gpuList(value);
        break;
      case "pid":
        job.process = parseProcess(value);
        break;
      case "waiter":
        job.waiter = parseProcess(value);
        break;
      case "exit": {
        // A shell's $?: 0–255. Anything else is not an exit code, and would read as success.
        const code = toInt(value);
        job.exit = code !== null && code >= 0 && code <= 255 ? code : null;
        break;
      }
      case "signal":
        // A signal's name as kill -l prints it (TERM, RTMIN+3); anything else is not one.
        job.signal = /^[A-Z][A-Z0-9+-]{0,15}$/.test(value.trim()) ? value.trim() : null;
        break;
    }
  }
  return job;
}

/** What became of a job (see the module's comment). */
export function jobState(job: JobRecord): JobState {
  if (job.exit !== null) {
    return job.signal !== null && job.exit > 128
      ? { state: "killed", signal: `SIG${job.signal}`, code: job.exit }
      : { state: "exited", code: job.exit };
  }
  return runs(job, job.process) || runs(job, job.waiter) ? { state: "running" } : { state: "lost" };
}

/**
 * How many processes a job whose own process is over left running in its process group
 * (Linux; null where not known, and for a job still running): its work is not done while
 * any run. A process that left the group (setsid, a daemon) counts while it carries the job's
 * marker (POOL_JOB=<id>: jobs.sh).
 */
export function leftRunning(job: JobRecord, s: JobState = jobState(job)): number | null {
  return s.state === "running" ? null : job.group;
}

/** Whether the process `p` of the job still runs: the same pid, started at the same time. */
export function runs(job: JobRecord, p: JobProcess | null): boolean {
  return p !== null && job.alive.some((a) => a.pid === p.pid && sameStart(a.start, p.start));
}

/** Start times compare as words: macOS `ps -o lstart` pads with spaces. */
export function sameStart(a: string, b: string): boolean {
  return a.trim().split(/\s+/).join(" ") === b.trim().split(/\s+/).join(" ");
}

function parseProcess(text: string): JobProcess | null {
  const m = /^(\d+) (\S.*)$/.exec(text.trim());
  const pid = toPid(m?.[1]);
  return m && pid !== null ? { pid, start: m[2].trim() } : null;
}

/** `gpus 0,3` as launch.sh writes it; a list with anything else in it ("0x10", "-3", "") is none. */
function gpuList(text: string): number[] {
  const gpus = text.split(",").map(toInt);
  return gpus.every((g) => g !== null) ? gpus as number[] : [];
}

/**
 * kill.sh's answer: what it found, and the record as it stands after.
 * `leftovers`: the job had ended, and what it left running in its group was killed.
 */
export function parseKill(id: string, text: string): {
  found: "missing" | "over" | "lost" | "killed" | "leftovers";
  job: JobRecord | null;
} | null {
  const s = splitSections(text);
  if (!s.has("end")) return null;
  for (const found of ["missing", "over", "lost", "killed", "leftovers"] as const) {
    if (s.has(found)) {
      const lines = (s.get(found) ?? "").split("\n").filter(Boolean);
      return { found, job: found === "missing" ? null : parseRecord(id, lines) };
    }
  }
  return null;
}
