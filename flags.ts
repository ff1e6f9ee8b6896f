/**
 * The option layer: every flag value pool accepts is parsed here, once, with
 * one syntax per kind and one error style (`pool: --flag expects …`, exit 2).
 * Verbs hand these to commander's `argParser`, so a bad value stops the
 * command line before anything starts.
 */

import { Command, Option } from "commander";
import { UsageError } from "./errors.ts";
import { OutputClosed, OutputFailed } from "./exit.ts";
import { parseSize } from "./dispatch/size.ts";
import { formatDuration } from "./render/duration.ts";
import { writeAllSync } from "./render/out.ts";
import { visible } from "./render/visible.ts";
import type { DispatchOptions } from "./dispatch/reserve.ts";
import { parsePushSpec, type PushSpec } from "./dispatch/ship.ts";

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
 * `0` and anything past what a timer can hold mean no limit (Infinity).
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([smhd]?)$/i.exec(text.trim());
  if (!m) {
    throw new UsageError(
      `${flag} expects a duration like 30, 30s, 5m or 1h (0 = no limit), got "${text}"`,
    );
  }
  const ms = Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  if (!Number.isFinite(ms) || ms === 0 || ms > MAX_TIMER_MS) return NO_LIMIT;
  return Math.max(1, Math.round(ms));
}

/** A whole number ≥ 1 (`--jobs`, `--days`). */
export function parseCount(text: string, flag: string): number {
  const n = wholeNumber(text);
  if (n === null || n < 1) {
    throw new UsageError(`${flag} expects a whole number ≥ 1, got "${text}"`);
  }
  return n;
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
function typed<T>(flags: string, description: string, parse: Parse<T>): Option {
  const long = /--[\w-]+/.exec(flags)![0];
  return new Option(flags, description).argParser((text: string) => parse(text, long));
}

export const durationOption = (flags: string, description: string) =>
  typed(flags, description, parseDuration);
export const graceOption = (flags: string, description: string) =>
  typed(flags, description, parseGrace);
const ZERO = /^\s*0+(\.0*)?[smhd]?\s*$/i;

/**
 * `--wait`'s value. commander gives an optional value the next word whatever it is, so a bare
 * `--wait` right before the command takes the command's first word: said as such, and nothing runs.
 */
function parseWait(text: string, flag: string): number {
  try {
    return parseDuration(text, flag);
  } catch {
    throw new UsageError(
      `--wait took "${text}" for its duration: write --wait=30m (or another duration) before the command`,
    );
  }
}

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

// The dispatch flags `route` and `bg` share.

export const DEFAULT_WAIT_MS = 30 * 60_000;
export const DEFAULT_HEADROOM = 0.1;

export interface DispatchFlags {
  mem?: number;
  gpus?: number;
  gpuMem?: number;
  os?: "linux" | "macos";
  pack?: boolean;
  /** true: --wait without a value. */
  wait?: number | true;
  ttl?: number;
  headroom?: number;
  /** `--push PATH[:DEST]`: copied to the chosen host before the command, which runs in the first. */
  push?: PushSpec[];
  gitignore?: boolean;
}

export function addDispatchFlags(command: Command): Command {
  return command
    .addOption(sizeOption("--mem <size>", "RAM the job needs (17G, 512M); reserved while it runs"))
    .addOption(wholeOption("--gpus <n>", "idle GPUs the job needs"))
    .addOption(sizeOption("--gpu-mem <size>", "free GPU memory the job needs on each GPU"))
    .addOption(
      choiceOption("--os <os>", "only linux or only macos hosts (overrides the macOS rule)", [
        "linux",
        "macos",
      ]),
    )
    .option("--pack", "fill the fullest host that fits, instead of spreading")
    .addOption(
      typed(
        "--wait [duration]",
        `when nothing fits, wait for room (default ${
          formatDuration(DEFAULT_WAIT_MS)
        }; right before the command, write --wait=30m)`,
        parseWait,
      ),
    )
    .addOption(
      typed(
        "--headroom <percent>",
        "share of each host's RAM kept free (default 10%, or $POOL_HEADROOM)",
        parsePercent,
      ),
    )
    .addOption(
      durationOption(
        "--ttl <duration>",
        "how long a reservation outlives its holder's last sign of life when pool cannot check it",
      ),
    );
}

/** `--push PATH[:DEST]` (repeatable) and `--gitignore`, for `route` and `bg`. */
export function addPushFlags(command: Command): Command {
  return command
    .option(
      "--push <path[:dest]>",
      "copy PATH to the chosen host first (default dest ~/.pool/push/<name>) and run there; repeatable",
      (text: string, previous: PushSpec[] = []) => [...previous, parsePushSpec(text)],
    )
    .option("--gitignore", "--push sends only what git keeps: tracked and not ignored, no .git");
}

/**
 * The words after a verb's host (`pool on h1 --json uptime`): the verb's own
 * options (given on `options`) up to the first word that is not one of them,
 * then the command; `--` ends them. `--help` there prints the verb's own help
 * (`Usage: pool on …` and its examples, from `make`), not this inner parser's.
 */
export function optionsThenCommand<F>(
  words: string[],
  options: Command,
  make: (run: () => Promise<void>) => Command,
): { flags: F; command: string[] } {
  let parsed: { flags: F; command: string[] } | undefined;
  const inner = usageStyle(options)
    .argument("[command...]")
    .passThroughOptions()
    .action((command: string[], flags: F) => void (parsed = { flags, command }));
  inner.outputHelp = (context?: { error: boolean } | ((text: string) => string)) => {
    const verb = usageStyle(make(() => Promise.resolve()));
    new Command("pool").enablePositionalOptions().addCommand(verb);
    if (typeof context === "function") verb.outputHelp(context);
    else verb.outputHelp(context);
  };
  inner.parse(words, { from: "user" });
  return parsed!;
}

/**
 * Commander's error text as one of pool's lines: no "error: ", its "(Did you mean …?)" on the
 * same line, and what the user typed shown, never acted on (a newline in a value forged a line).
 */
export function commanderMessage(text: string): string {
  return visible(
    text.replace(/^error: /, "").replace(/\n\(Did you mean (.*)\?\)/, " (did you mean $1?)")
      .replace(/\n$/, ""),
  );
}

/**
 * One error style for every command line problem: `pool: <message>` on
 * stderr, and (through cli.ts) exit 2. Applied to every command pool parses with.
 */
export function usageStyle(command: Command): Command {
  guardOptionValues(command);
  return command.exitOverride().configureOutput({
    writeOut: (text) => writeStdout(text),
    writeErr: (text) => writeAllSync(Deno.stderr, new TextEncoder().encode(text)),
    // One line, as every error: commander puts its "(Did you mean …?)" on a second.
    outputError: (text, write) => write(`pool: ${commanderMessage(text)}\n`),
    // Deno's own answers, not commander's defaults, which read `process` and so
    // load Deno's Node layer (~25 ms) for every --help. pool's help has no colour.
    getOutHelpWidth: () => terminalColumns(Deno.stdout),
    getErrHelpWidth: () => terminalColumns(Deno.stderr),
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
}

/**
 * Help on stdout, synchronously (commander expects it written on return). A
 * write that fails is the run's end, as for any output (cli.ts): a closed
 * reader quietly, anything else with one line, never a stack trace.
 */
function writeStdout(text: string): void {
  try {
    writeAllSync(Deno.stdout, new TextEncoder().encode(text));
  } catch (e) {
    throw e instanceof Deno.errors.BrokenPipe
      ? new OutputClosed()
      : new OutputFailed((e as Error).message);
  }
}

/**
 * An option that needs a value never takes one of its own command's options
 * for it: in `pool on all --out-dir --dry-run true` the value was forgotten,
 * and the command would run for real with its output in ./--dry-run/.
 */
function guardOptionValues(command: Command): void {
  const names = new Set(["-h", "--help"]);
  for (const option of command.options) {
    if (option.short) names.add(option.short);
    if (option.long) names.add(option.long);
  }
  for (const option of command.options) {
    if (!option.required || option.variadic) continue;
    const parse = option.parseArg;
    option.argParser((value: string, previous: unknown) => {
      if (names.has(value.split("=")[0])) {
        throw new UsageError(
          `${option.long ?? option.short} expects a value, got the option ${value}`,
        );
      }
      return parse ? parse(value, previous) : value;
    });
  }
}

/** Off a terminal, undefined: commander's own default does the same, though its types say number. */
function terminalColumns(file: typeof Deno.stdout): number {
  if (!file.isTerminal()) return undefined as unknown as number;
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined as unknown as number;
  }
}

/** The reservation `route` and `bg` ask for, from their shared flags. */
export function dispatchOptions(
  flags: DispatchFlags,
  command: string,
  ttlDefaultSeconds: number,
  deps: { env(name: string): string | undefined },
): DispatchOptions {
  const fromEnv = deps.env("POOL_HEADROOM");
  return {
    command,
    memBytes: flags.mem ?? 0,
    gpus: flags.gpus ?? 0,
    gpuMemBytes: flags.gpuMem ?? 0,
    os: flags.os,
    pack: flags.pack ?? false,
    headroom: flags.headroom ??
      (fromEnv === undefined ? DEFAULT_HEADROOM : parsePercent(fromEnv, "POOL_HEADROOM")),
    waitMs: flags.wait === undefined ? 0 : flags.wait === true ? DEFAULT_WAIT_MS : flags.wait,
    ttlSeconds: flags.ttl === undefined
      ? ttlDefaultSeconds
      : Number.isFinite(flags.ttl)
      ? flags.ttl / 1000
      : Number.MAX_SAFE_INTEGER,
  };
}

/** Commander keeps a `--` that ends the options among the words: it is not the command's. */
export function commandWords(words: string[]): string[] {
  return words[0] === "--" ? words.slice(1) : words;
}

/**
 * Whether a `--` came before a verb's first operand (`pool on -- h1 --json x`).
 * Commander drops that `--` and hands over the same operands as without it; yet
 * after it nothing is pool's option, not even after the host.
 */
export function dashedBefore(verb: Command, operands: string[]): boolean {
  const typed = verb.parent?.args ?? [];
  const at = typed.length - operands.length - 1;
  return at >= 0 && typed[at] === "--" && operands.every((word, i) => typed[at + 1 + i] === word);
}

/** The longest command line pool sends: Linux takes no single argument over 128 KiB. */
export const COMMAND_MAX_BYTES = 100 * 1024;

/**
 * The command a verb will send, checked before any host is chosen: blank, a NUL (no
 * argument can hold one) or too long for a command line are the command's faults, not a
 * host's, and would otherwise come back as "unreachable".
 */
export function checkCommand(command: string, usage: string): void {
  if (command.trim() === "") throw new UsageError(`missing command: ${usage}`);
  if (command.includes("\0")) throw new UsageError("the command contains a NUL byte");
  const bytes = new TextEncoder().encode(command).length;
  if (bytes > COMMAND_MAX_BYTES) {
    throw new UsageError(
      `the command is ${bytes} bytes, over ${COMMAND_MAX_BYTES} for a command line: ` +
        "send it as a script (pool push, or --stdin with sh -s)",
    );
  }
}

/**
 * `--json` among pool's words (before a `--`, after which words are a command's),
 * for an error in the words themselves, before the verb has its options.
 */
export function wantsJson(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
}
