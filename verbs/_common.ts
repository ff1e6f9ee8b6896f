/** Small helpers every verb shares: numeric options, roster warnings, Ctrl-C, connection sharing. */

import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { warn } from "../render/out.ts";
import {
  readRoster,
  type Roster,
  stateDir,
  type UpdateOptions,
  updateRoster,
} from "../roster/store.ts";
import type { RosterEditor } from "../roster/editor.ts";
import { selectHosts, type Selection } from "../roster/select.ts";
import type { MuxSettings } from "../remote/multiplex.ts";

/** Parses a positive number of seconds; 0 means "no limit". */
export function parseSeconds(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag} expects a number of seconds, got "${value}"`);
  }
  return n;
}

export function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`${flag} expects a whole number ≥ 1, got "${value}"`);
  }
  return n;
}

/** Seconds → milliseconds, with 0 ("no limit") as the largest timer Deno accepts. */
export function deadlineMs(seconds: number): number {
  return seconds === 0 ? 2 ** 31 - 1 : Math.round(seconds * 1000);
}

/** Reads the roster and says aloud anything it had to repair. */
export async function loadRoster(): Promise<Roster> {
  const roster = await readRoster();
  roster.warnings.forEach(warn);
  return roster;
}

/** Changes the roster (locked, atomic) and says aloud anything it had to repair, like loadRoster. */
export async function editRoster<T>(
  change: (editor: RosterEditor) => T,
  options?: UpdateOptions,
): Promise<T> {
  const { result, warnings } = await updateRoster(change, options);
  warnings.forEach(warn);
  return result;
}

/** The hosts a selection names, saying which excluded hosts `all`/`@tag` left out. */
export async function selectFromRoster(spec: string): Promise<Selection> {
  const selection = selectHosts(spec, (await loadRoster()).hosts);
  if (selection.skipped.length > 0) {
    warn(`skipping excluded hosts: ${selection.skipped.map((h) => h.name).join(", ")}`);
  }
  return selection;
}

/**
 * One AbortController tripped by Ctrl-C (SIGINT), SIGTERM or SIGHUP for as
 * long as `work` runs: children are killed, leases released, summaries
 * printed — the `finally` blocks run instead of the process just dying.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    return await work(controller.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/** A verb's exit code, read by pool.ts once commander has run the verb. */
export function exitWith(code: number): void {
  Deno.exitCode = code;
}

export const DEFAULT_CONTROL_PERSIST_S = 60;

/**
 * Connection sharing for this run: sockets under the state directory, idle
 * masters kept `POOL_CONTROL_PERSIST` seconds (default 60; 0 or "off" turns it off).
 */
export function muxSettings(): MuxSettings {
  const raw = (Deno.env.get("POOL_CONTROL_PERSIST") ?? "").trim().toLowerCase();
  let persistSeconds = DEFAULT_CONTROL_PERSIST_S;
  if (["off", "no", "false", "0"].includes(raw)) persistSeconds = 0;
  else if (raw !== "") {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new UsageError(`POOL_CONTROL_PERSIST must be seconds or "off", got "${raw}"`);
    }
    persistSeconds = n;
  }
  return {
    dir: join(stateDir(), "cm"),
    persistSeconds,
    sshConfig: Deno.env.get("POOL_SSH_CONFIG"),
  };
}
