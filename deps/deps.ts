/**
 * The seam: everything a verb depends on, passed in. A verb is
 * `verb(options, deps) → exit code`; cli.ts wires the real dependencies, and a
 * test passes its own (a recording runner, a fake clock, captured output) to
 * exercise the verb's logic without sshd.
 */

import type { Output } from "../render/out.ts";
import { sleep } from "../timers.ts";
import type { Runner } from "../remote/runner.ts";
import { readRoster, type Roster, type UpdateOptions, updateRoster } from "../roster/store.ts";
import type { RosterEditor } from "../roster/editor.ts";
import type { Host } from "../roster/host.ts";
import { noHostMessage, selectHosts, type Selection } from "../roster/select.ts";
import type { Lease } from "../ledger/lease.ts";
import { readLedger, updateLedger } from "../ledger/store.ts";
import { type JobEntry, readJobIndex, updateJobIndex } from "../ledger/jobs.ts";

/** Time, so waits and expiry can be tested without waiting. */
export interface Clock {
  /** Milliseconds on a monotonic clock, for deadlines. */
  now(): number;
  /** Milliseconds since the epoch, for what is written down (lease creation). */
  wall(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RosterStore {
  readonly path: string;
  read(): Promise<Roster>;
  update<T>(
    change: (editor: RosterEditor) => T,
    options?: UpdateOptions,
  ): Promise<{ result: T; warnings: string[] }>;
}

export interface LedgerStore {
  readonly path: string;
  read(): Promise<Lease[]>;
  /** `signal`: a stop ends a wait for the lock (stopped). Giving back takes none: it waits. */
  update<T>(
    change: (leases: Lease[]) => { leases: Lease[]; result: T },
    signal?: AbortSignal,
  ): Promise<T>;
}

/** Where each `pool bg` job runs (the job index). */
export interface JobStore {
  readonly path: string;
  read(): Promise<JobEntry[]>;
  /** `signal`: a stop ends a wait for the lock (stopped). */
  update<T>(
    change: (jobs: JobEntry[]) => { jobs: JobEntry[]; result: T },
    signal?: AbortSignal,
  ): Promise<T>;
}

/** pool's own stdin: what it is, and (once) what it holds. */
export interface Stdin {
  /**
   * "none" is /dev/null (or closed, which the runtime makes /dev/null): nothing a user could
   * expect to be sent. "other": any other device (/dev/zero), or not known.
   */
  kind(): "terminal" | "file" | "pipe" | "none" | "other";
  /**
   * All of it, or null when `signal` stopped the reading. Throws a PoolError past
   * `maxBytes`, or when it has not ended within `timeoutMs` (exit 124).
   */
  readAll(limits: StdinLimits): Promise<Uint8Array | null>;
}

export interface StdinLimits {
  maxBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface Deps {
  roster: RosterStore;
  ledger: LedgerStore;
  jobs: JobStore;
  runner: Runner;
  clock: Clock;
  out: Output;
  /** Aborted when pool is told to stop (SIGINT, SIGTERM, SIGHUP, a closed stdout). */
  signal: AbortSignal;
  stdin: Stdin;
  /** The environment pool reads its settings from (POOL_*). */
  env(name: string): string | undefined;
}

/** The roster file; a wait for its lock ends when `signal` aborts. */
export function fileRoster(path: string, signal?: AbortSignal): RosterStore {
  return {
    path,
    read: () => readRoster(path),
    update: (change, options) => updateRoster(change, { signal, ...options }, path),
  };
}

export function fileLedger(path: string): LedgerStore {
  return {
    path,
    read: () => readLedger(path),
    update: (change, signal) => updateLedger(path, change, signal),
  };
}

export function fileJobs(path: string): JobStore {
  return {
    path,
    read: () => readJobIndex(path),
    update: (change, signal) => updateJobIndex(path, change, signal),
  };
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => Date.now(),
  sleep,
};

/** Reads the roster and says aloud anything it had to repair or leave out. */
export async function loadRoster(deps: Deps): Promise<Roster> {
  const roster = await deps.roster.read();
  roster.warnings.forEach((w) => warnOnce(deps, w));
  return roster;
}

const said = new WeakMap<Output, Set<string>>();

/** A verb that reads the roster and then changes it (add, refresh) says each warning once. */
function warnOnce(deps: Pick<Deps, "out">, message: string): void {
  const seen = said.get(deps.out) ?? new Set();
  said.set(deps.out, seen);
  if (seen.has(message)) return;
  seen.add(message);
  deps.out.warn(message);
}

/** Changes the roster (locked, atomic) and says aloud anything it had to repair. */
export async function editRoster<T>(
  deps: Deps,
  change: (editor: RosterEditor) => T,
  options?: UpdateOptions,
): Promise<T> {
  const { result, warnings } = await deps.roster.update(change, options);
  warnings.forEach((w) => warnOnce(deps, w));
  return result;
}

/** The hosts a selection names, saying which excluded hosts `all`/`@tag` left out. */
export async function selectFromRoster(deps: Deps, spec: string): Promise<Selection> {
  const roster = await loadRoster(deps);
  const selection = selectHosts(spec, roster.hosts, roster.unusable);
  sayExcluded(deps, selection.skipped);
  return selection;
}

/**
 * What a reporting verb (status, refresh) answers when the roster has no host to use: an empty
 * roster is no failure (exit 0); one whose every entry is left out is no healthy fleet (1).
 */
export function sayNoHosts(deps: Deps, roster: Roster, json?: boolean): number {
  deps.out.errLine(`pool: ${noHostMessage(roster.unusable)}`);
  if (json) deps.out.outLine(JSON.stringify({ hosts: [] }));
  return roster.unusable.length > 0 ? 1 : 0;
}

/** One line on stderr naming the excluded hosts a verb left out: left out, not forgotten. */
export function sayExcluded(deps: Pick<Deps, "out">, skipped: readonly Host[]): void {
  if (skipped.length === 0) return;
  deps.out.warn(`skipping excluded hosts: ${skipped.map((h) => h.name).join(", ")}`);
}

/**
 * How cli.ts hands a verb its dependencies and takes back its exit code: a
 * verb's commander action calls `run((deps) => verb(options, deps))`.
 */
export type Run = (work: (deps: Deps) => Promise<number> | number) => Promise<void>;
