/**
 * `pool kill ID [--signal S] [--grace D] [--json]`: ends a `pool bg` job and
 * everything it started (its whole process group: the signal, then KILL to
 * whatever is left after the grace period), and gives back its lease.
 */

import { Command, Option } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { EXIT, failedOnHost, signalNumber } from "../exit.ts";
import { PoolError, UsageError } from "../errors.ts";
import { graceOption } from "../flags.ts";
import { stateWords } from "../render/jobs.ts";
import { jobState } from "../probes/mod.ts";
import { failureReason } from "../remote/exec.ts";
import { killJob } from "../remote/jobs.ts";
import { releaseJob } from "../dispatch/reserve.ts";
import { locateJobs } from "../dispatch/jobs.ts";
import type { Deps, Run } from "../deps/deps.ts";

export interface KillOptions {
  /** A signal name without SIG (TERM). */
  signal?: string;
  /** Milliseconds before KILL. */
  grace?: number;
  json?: boolean;
}

export const DEFAULT_GRACE_MS = 10_000;
/** A grace longer than a timer holds (`--grace 30d`) is a day: the job gets KILL some time. */
const MAX_GRACE_S = 86_400;

/**
 * The signals every host's `kill -s` takes by name (dash, bash, BusyBox; Linux and
 * macOS): Node also knows aliases and Linux-only ones (POLL, IOT, STKFLT, PWR) that
 * dash refuses, so the kill would fail on the host.
 */
const PORTABLE_SIGNALS = new Set(
  ("HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM CHLD CONT STOP " +
    "TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO SYS").split(" "),
);

/** `TERM`, `SIGTERM`, `term` → `TERM`; numbers are refused: they differ between Linux and macOS. */
export function parseSignal(text: string): string {
  const name = text.trim().toUpperCase().replace(/^SIG/, "");
  if (!PORTABLE_SIGNALS.has(name) || signalNumber(`SIG${name}`) === 0) {
    throw new UsageError(`--signal expects a signal name like TERM, INT or KILL, got "${text}"`);
  }
  return name;
}

export async function kill(id: string, options: KillOptions, deps: Deps): Promise<number> {
  // Here, not only in the flag: the MCP tool passes what its client sent.
  const signalName = parseSignal(options.signal ?? "TERM");
  const host = (await locateJobs(deps, [id])).get(id)!;
  const graceMs = options.grace ?? DEFAULT_GRACE_MS;
  const { parsed, result } = await killJob(deps.runner, host, id, {
    signalName,
    graceS: Number.isFinite(graceMs) ? Math.ceil(graceMs / 1000) : MAX_GRACE_S,
    signal: deps.signal,
  });
  if (result.outcome === "interrupted") return result.code;
  if (!parsed) {
    // kill.sh says why it refused (a record that names no job's process) on its last line.
    const said = result.outcome === "failed" ? result.stderr.trim().split("\n").pop() : "";
    throw new PoolError(
      `cannot kill ${id} on ${host.name}: ${said?.replace(/^pool: /, "") || failureReason(result)}`,
      failedOnHost(result.outcome, result.code),
    );
  }
  // Whatever the job's fate, it holds nothing any more.
  await giveBackJob(deps, host.name, id);
  if (parsed.found === "missing") throw new PoolError(`no job ${id} on ${host.name}`);
  const s = jobState(parsed.job!);
  const words = parsed.found === "lost" ? "lost" : stateWords(s);
  const why = parsed.found === "over"
    ? `job ${id} had already ended: ${words}`
    : parsed.found === "lost"
    ? `job ${id} on ${host.name} was lost: its process is gone, no exit code`
    : null;
  const killed = parsed.found === "killed" || parsed.found === "leftovers";
  if (!options.json) {
    if (why) throw new PoolError(why);
    const left = parsed.found === "leftovers" ? "; what it left running was killed" : "";
    deps.out.outLine(`${id}  ${host.name}  ${words}${left}`);
    return 0;
  }
  // One object, whatever happened: what became of the job says why nothing was killed. Its
  // state, exit and signal in the words jobs and wait use.
  const state = parsed.found === "lost" ? "lost" : s.state;
  deps.out.outLine(jsonLine({
    id,
    host: host.name,
    killed,
    state,
    exit: s.state === "exited" || s.state === "killed" ? s.code : null,
    signal: s.state === "killed" ? s.signal : null,
  }));
  if (why) deps.out.errLine(`pool: ${why}`);
  return why ? EXIT.failure : 0;
}

/**
 * Gives back the lease of a job that is gone, and only warns when the ledger cannot be
 * written (a read-only or full disk): the kill is done, and an error would send a script to
 * kill again, to hear "already ended". The lease lapses anyway: its holder is the job's
 * process. Read first, so a job that holds none never needs the ledger's lock.
 */
async function giveBackJob(deps: Deps, host: string, id: string): Promise<void> {
  try {
    if (!(await deps.ledger.read()).some((l) => l.host === host && l.job === id)) return;
    await releaseJob(deps.ledger, host, id);
  } catch (e) {
    deps.out.warn(
      `could not give job ${id}'s lease back (${(e as Error).message}); ` +
        `it lapses on its own, as the job is gone`,
    );
  }
}

export const killCommand = (run: Run) =>
  new Command("kill")
    .description("end a job and everything it started; its lease goes with it")
    .argument("<id>", "the job (pool jobs lists them)")
    .addOption(
      new Option("--signal <name>", "the signal to send first (default TERM)").argParser(
        parseSignal,
      ),
    )
    .addOption(
      graceOption(
        "--grace <duration>",
        "then KILL whatever is left after this (default 10s; 0: KILL at once)",
      ),
    )
    .option("--json", "what happened, as one JSON object")
    .addHelpText(
      "after",
      `
The signal goes to the job's whole process group, so children it forked end too,
also those left running after the job's own process ended.
Examples:
  pool kill k3x9q2
  pool kill k3x9q2 --signal INT --grace 1m`,
    )
    .action((id: string, opts: KillOptions) => run((deps) => kill(id, opts, deps)));
