/**
 * pool's command lines as commander reads them: one error style and help output for every
 * command (usageStyle), the words after a verb's host split into its options and the command to
 * run, that command checked before any host is chosen, and `--json` spotted before a verb has
 * its options. Apart from flags.ts, which reads option values, because this is about the words
 * around them.
 */

import { Command } from "commander";
import { UsageError } from "./errors.ts";
import { OutputClosed, OutputFailed } from "./exit.ts";
import { writeAllSync } from "./render/out.ts";
import { visible } from "./render/visible.ts";

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
 * and the command would run for real with its output in ./--dry-run/. Short
 * flags bundled (`--out-dir -bn`) read as options just the same.
 */
function guardOptionValues(command: Command): void {
  const names = new Set(["-h", "--help"]);
  // Each short flag's letter, and whether the flag takes the rest of a bundle as its value.
  const shorts = new Map([["h", false]]);
  for (const option of command.options) {
    if (option.short) {
      names.add(option.short);
      shorts.set(option.short.slice(1), option.required || option.optional);
    }
    if (option.long) names.add(option.long);
  }
  for (const option of command.options) {
    if (!option.required || option.variadic) continue;
    const parse = option.parseArg;
    option.argParser((value: string, previous: unknown) => {
      if (names.has(value.split("=")[0]) || bundledShorts(value, shorts)) {
        throw new UsageError(
          `${option.long ?? option.short} expects a value, got the option ${value}`,
        );
      }
      return parse ? parse(value, previous) : value;
    });
  }
}

/** `-bn`, `-bx5`: known short flags run together, up to one that takes the rest as its value. */
function bundledShorts(value: string, shorts: Map<string, boolean>): boolean {
  if (!/^-[^-]/.test(value)) return false;
  for (const letter of value.slice(1)) {
    const takesValue = shorts.get(letter);
    if (takesValue === undefined) return false;
    if (takesValue) return true;
  }
  return true;
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
 * The first of pool's arguments that was not valid UTF-8, counted from 1; undefined when all
 * were. Deno hands them over decoded, each bad byte replaced by U+FFFD: `rm -v $'/tmp/x-\xff'`
 * would reach the host as another file's name, and `desc h1 $'\xff'` store what was never
 * typed. `typed` holds the arguments' own bytes where the system can say (typedArguments);
 * without them, or when they do not line up with `args`, a U+FFFD stands for a bad byte.
 */
export function notUtf8Argument(
  args: readonly string[],
  typed: readonly Uint8Array[] | undefined,
): number | undefined {
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const decoded = typed?.map((bytes) => {
    try {
      return strict.decode(bytes);
    } catch {
      return null;
    }
  });
  const linedUp = decoded !== undefined && decoded.length === args.length &&
    decoded.every((text, i) => text === null || text === args[i]);
  const at = linedUp ? decoded.indexOf(null) : args.findIndex((arg) => arg.includes("\uFFFD"));
  return at === -1 ? undefined : at + 1;
}

/**
 * The last `count` arguments of this process as the kernel holds them (Linux's
 * /proc/self/cmdline: each ends with a NUL), which are pool's own whatever ran it (deno run
 * and its flags, or a compiled binary); undefined where there is no such file.
 */
export function typedArguments(count: number): Uint8Array[] | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync("/proc/self/cmdline");
  } catch {
    return undefined;
  }
  const words: Uint8Array[] = [];
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(0, start);
    words.push(bytes.subarray(start, end === -1 ? bytes.length : end));
    start = end === -1 ? bytes.length : end + 1;
  }
  return words.length >= count ? words.slice(words.length - count) : undefined;
}

/** Refuses, before anything acts on them, arguments pool could only pass on changed. */
export function checkArguments(args: readonly string[]): void {
  // A bad byte always reaches Deno.args as U+FFFD: without one, every argument is as typed, and
  // a start pays nothing (no /proc read) to know it.
  if (!args.some((arg) => arg.includes("\uFFFD"))) return;
  const at = notUtf8Argument(args, typedArguments(args.length));
  if (at !== undefined) {
    throw new UsageError(
      `argument ${at} is not valid UTF-8: pool cannot pass it on unchanged`,
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
