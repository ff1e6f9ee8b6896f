/**
 * The option layer: every flag value pool accepts is parsed here, once, with
 * one syntax per kind and one error style (`pool: --flag expects …`, exit 2).
 * Verbs hand these to commander's `argParser`, so a bad value stops the
 * command line before anything starts.
 */

import { Option } from "commander";
import { UsageError } from "./errors.ts";

/**
 * The longest deadline a timer can hold (2^31 - 1 ms, about 24.8 days).
 * Anything longer means "no limit": a deadline must never wrap into an instant kill.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** "No limit", as a duration in milliseconds. */
export const NO_LIMIT = Infinity;

const UNIT_MS: Record<string, number> = {
  "": 1000,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * `30`, `30s`, `1.5m`, `5m`, `1h`, `2d` → milliseconds; a bare number is seconds.
 * `0` and anything past what a timer can hold mean no limit (Infinity). Digits and a
 * point only, as counts are read: `1e3` is no duration anyone types by hand.
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/i.exec(text.trim());
  if (!m) {
    throw new UsageError(
      `${flag} expects a duration like 30, 30s, 5m or 1h (0 = no limit), got "${text}"`,
    );
  }
  const ms = Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  if (!Number.isFinite(ms) || ms === 0 || ms > MAX_TIMER_MS) return NO_LIMIT;
  return Math.max(1, Math.round(ms));
}

/** A whole number ≥ 1 (`--days`, `--tail`). */
export function parseCount(text: string, flag: string): number {
  const n = wholeNumber(text);
  if (n === null || n < 1) {
    throw new UsageError(`${flag} expects a whole number ≥ 1, got "${text}"`);
  }
  return n;
}

/** `--jobs 0`: no limit, every host at once. */
export const ALL_AT_ONCE = Infinity;

/**
 * `--jobs`: how many hosts at once, a whole number; 0 is all of them, as the old tool
 * read it (scripts written for it say `--jobs 0`).
 */
export function parseJobs(text: string, flag: string): number {
  const n = wholeNumber(text);
  if (n === null) {
    throw new UsageError(`${flag} expects a whole number (0 = all at once), got "${text}"`);
  }
  return n === 0 ? ALL_AT_ONCE : n;
}

/** A whole number ≥ 0 (`--gpus`). */
export function parseWhole(text: string, flag: string): number {
  const n = wholeNumber(text);
  if (n === null) throw new UsageError(`${flag} expects a whole number, got "${text}"`);
  return n;
}

/**
 * Digits only, as durations and sizes are read: Number() would also take 0x10, 1e3, +5 and
 * 5.0. Past 2^53 a number is no longer exact, and "1e+21" is what a host would be sent.
 */
function wholeNumber(text: string): number | null {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Sizes on the command line: `17G`, `512M`, `1.5T`, `800K`, `4096B`; binary
 * units (G = GiB). A bare number other than 0 is refused: `--mem 17` meant as
 * 17G would reserve 17 bytes and say nothing.
 */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(?:([KMGT])(?:i?B)?|(B))?$/i.exec(text.trim());
  const unit = m?.[2] ?? m?.[3] ?? "";
  if (!m || (unit === "" && Number(m[1]) !== 0)) {
    throw new UsageError(
      `${flag} expects a size with its unit like 17G, 512M or 4096B, got "${text}"`,
    );
  }
  const bytes = Math.round(
    Number(m[1]) * UNITS[unit.toUpperCase() === "B" ? "" : unit.toUpperCase()],
  );
  // Past 2^53 bytes (8 PiB) no count is exact: a host's shell would read it as garbage, or Infinity.
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${flag}: ${text.trim()} is too large`);
  return bytes;
}

/** `10%` → 0.1; below 100 %. */
export function parsePercent(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (!m || Number(m[1]) >= 100) {
    throw new UsageError(`${what} expects a percentage like 10%, got "${text}"`);
  }
  return Number(m[1]) / 100;
}

/** `a,b, c` → ["a", "b", "c"]. */
export function parseList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

/** One value from a fixed set. */
export function parseChoice<T extends string>(choices: readonly T[], flag: string) {
  return (text: string): T => {
    if (!(choices as readonly string[]).includes(text)) {
      throw new UsageError(`${flag} expects one of ${choices.join(", ")}, got "${text}"`);
    }
    return text as T;
  };
}

// Option builders: the flag's name is written once and reaches its error message.
type Parse<T> = (text: string, flag: string) => T;
/** An option whose value `parse` reads, told the option's long name for its error message. */
export function typed<T>(flags: string, description: string, parse: Parse<T>): Option {
  const long = /--[\w-]+/.exec(flags)![0];
  return new Option(flags, description).argParser((text: string) => parse(text, long));
}

export const durationOption = (flags: string, description: string) =>
  typed(flags, description, parseDuration);
export const graceOption = (flags: string, description: string) =>
  typed(flags, description, parseGrace);
const ZERO = /^\s*0+(\.0*)?[smhd]?\s*$/i;

/** A grace period: the duration syntax, but 0 is none at all (not "no limit"). */
export function parseGrace(text: string, flag: string): number {
  if (ZERO.test(text)) return 0;
  try {
    return parseDuration(text, flag);
  } catch {
    throw new UsageError(`${flag} expects a duration like 10s or 1m (0: none), got "${text}"`);
  }
}

export const countOption = (flags: string, description: string) =>
  typed(flags, description, parseCount);
export const jobsOption = (flags: string, description: string) =>
  typed(flags, description, parseJobs);
export const sizeOption = (flags: string, description: string) =>
  typed(flags, description, parseSize);
export const wholeOption = (flags: string, description: string) =>
  typed(flags, description, parseWhole);
/** A comma list; given again, it adds to what came before (`--skip a --skip b` skips both). */
export const listOption = (flags: string, description: string) =>
  new Option(flags, description).argParser((text: string, previous?: string[]) => [
    ...(previous ?? []),
    ...parseList(text),
  ]);
export const choiceOption = <T extends string>(
  flags: string,
  description: string,
  choices: readonly T[],
) => typed(flags, description, (text, flag) => parseChoice(choices, flag)(text));
