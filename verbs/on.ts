/**
 * `pool on <hosts> [options] <cmd...>`: run a command on one host (its output
 * raw, its exit code ours) or fan it out (prefixed lines streamed as they arrive).
 *
 * pool's options are read up to the first word that is not one of them; an
 * unknown option there is a usage error and nothing runs. `--` ends them.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { UsageError } from "../errors.ts";
import { abortCode, worstCode } from "../exit.ts";
import { choiceOption, durationOption, jobsOption, parseDuration, parseJobs } from "../flags.ts";
import {
  checkCommand,
  commandWords,
  dashedBefore,
  optionsThenCommand,
  wantsJson,
} from "../command_line.ts";
import {
  HELD_OUTPUT_LIMIT,
  hostJson,
  prefixer,
  printCollapsed,
  printForegroundFailure,
  printSummary,
} from "../render/fanout.ts";
import type { Host } from "../roster/host.ts";
import { isSingleName, splitSelection } from "../roster/select.ts";
import type { HostResult } from "../remote/exec.ts";
import { NOT_ROOT, SUDO_PASSWORD, sudoCommand } from "../remote/as_root.ts";
import { shellLine } from "../remote/quote.ts";
import { hostFiles } from "../render/host_files.ts";
import { noStdin, runForeground } from "../remote/foreground.ts";
import { LinePrefixer } from "../remote/lines.ts";
import { foldNames } from "../roster/nodeset.ts";
import { poolMap } from "../remote/pool_map.ts";
import { type Deps, type Run, selectFromRoster } from "../deps/deps.ts";

export interface OnOptions {
  hosts: string;
  /** Selections to leave out (`-x`), the shell-safe spelling of `!name`. */
  exclude?: string[];
  /** The words as typed; joined with spaces, the remote shell reads them (like `ssh host cmd...`). */
  command: string[];
  tty?: boolean;
  /**
   * true: read pool's stdin once and send it to every host; false: the command
   * gets none (ssh -n); unset: one host reads it as ssh would, many get none.
   */
  stdin?: boolean;
  /** Milliseconds per host; default 30 s for a fan-out, 1 h (the foreground ceiling) for one host. */
  timeout?: number;
  jobs?: number;
  json?: boolean;
  collapse?: boolean;
  /** Run the command as root: directly for a root login, `sudo -n` where the roster allows it. */
  sudo?: boolean;
  /** Print each host and the ssh argv that would run; start nothing. */
  dryRun?: boolean;
  /** Each host's stdout and stderr to DIR/<host>.out and DIR/<host>.err (pssh -o/-e). */
  outDir?: string;
  /** How lines are marked: `[host] ` (padded, the default) or `host: ` (pdsh's, for dshbak). */
  prefix?: Prefix;
  /** With --json: keep only the last whole lines of each stream that fit in this many bytes. */
  keepLast?: number;
}

export const PREFIXES = ["[host]", "host:"] as const;
export type Prefix = typeof PREFIXES[number];

export const SINGLE_HOST_CEILING_MS = 3_600_000;
export const FAN_OUT_TIMEOUT_MS = 30_000;
/**
 * Hosts at once by default: 32, pdsh's and pssh's width. That is every host of the fleets pool is
 * for (3–30), as the old tool ran them; for a larger one, all at once under a low descriptor
 * limit lost a host of 200 to its wait for a descriptor, where 32 at a time never wait.
 * `--jobs 0` is all at once, as the old tool read it.
 */
export const FAN_OUT_JOBS = 32;

/**
 * `h1,h2` minus `-x a,b` → `h1,h2,!a,!b` (a comma inside `web[1,3]` stays in
 * its range). An empty term is an error, as in the selection: `-x "$UNSET"`
 * must not leave every host in.
 */
export function withExclusions(hosts: string, exclude: string[] = []): string {
  const minus = exclude.flatMap((value) => {
    const terms = splitSelection(value);
    if (terms.some((t) => t === "" || t === "!")) {
      throw new UsageError(`empty term in -x "${value}"`);
    }
    return terms;
  });
  return [hosts, ...minus.map((t) => (t.startsWith("!") ? t : "!" + t))].join(",");
}

export async function on(options: OnOptions, deps: Deps): Promise<number> {
  // A blank command (`pool on all "$UNSET"`, an MCP call with "") is a mistake, not a no-op.
  checkCommand(options.command.join(" "), "pool on <hosts> <cmd...>");
  const typed = options.command.join(" ");
  const command = (host: Host) => options.sudo ? sudoCommand(host, typed) : typed;
  const selection = await selectFromRoster(deps, withExclusions(options.hosts, options.exclude));
  if (options.dryRun) return await dryRun(selection.hosts, command, options, deps);
  const gathered = options.json || options.collapse || options.outDir !== undefined ||
    options.prefix !== undefined;
  if (!selection.fanOut && !gathered) {
    const host = selection.hosts[0];
    const timeoutMs = options.timeout ?? SINGLE_HOST_CEILING_MS;
    const input = options.stdin === true ? await readStdin(deps, timeoutMs) : undefined;
    if (input === null) return abortCode(deps.signal);
    const result = await runForeground(deps.runner, host, command(host), {
      timeoutMs,
      tty: options.tty,
      stdin: input ??
        (options.stdin === false || noStdin(deps.stdin.kind(), options.tty) ? "none" : undefined),
      signal: deps.signal,
      out: deps.out,
    });
    printForegroundFailure(deps.out, host, result, timeoutMs);
    const why = options.sudo ? sudoFailure(result) : undefined;
    if (why) deps.out.errLine(`pool: ${host.name}: ${why}`);
    return result.code;
  }
  return await onMany(selection.hosts, command, options, deps, selection.skipped);
}

/** The most `--stdin` keeps: it is all held before any host starts, to send to each. */
export const STDIN_MAX_BYTES = 256 * 1024 ** 2;

/** `--stdin`'s bytes, read within the run's deadline; null when pool was stopped meanwhile. */
function readStdin(deps: Deps, timeoutMs: number): Promise<Uint8Array | null> {
  return deps.stdin.readAll({ maxBytes: STDIN_MAX_BYTES, timeoutMs, signal: deps.signal });
}

/** Why `--sudo` failed a host, when it was sudo (or the roster) and not the command. */
function sudoFailure(result: HostResult): string | undefined {
  if (result.outcome !== "failed") return undefined;
  if (SUDO_PASSWORD.test(result.stderr)) return "sudo wants a password here (pool never prompts)";
  if (result.stderr.includes(NOT_ROOT)) return "no sudo: the roster does not allow it";
}

/** `--dry-run`: each host and the exact argv pool would start for it, and nothing started. */
async function dryRun(
  hosts: Host[],
  command: (host: Host) => string,
  options: OnOptions,
  deps: Deps,
): Promise<number> {
  const timeoutMs = options.timeout ?? FAN_OUT_TIMEOUT_MS;
  for (const host of hosts) {
    const argv = await deps.runner.argv(host, command(host), { timeoutMs, tty: options.tty });
    if (options.json) deps.out.outLine(jsonLine({ name: host.name, argv }));
    else deps.out.outLine(`${host.name}: ${shellLine(argv)}`);
  }
  deps.out.errLine(
    `pool: dry run: ${hosts.length} host${
      hosts.length === 1 ? "" : "s"
    }, nothing started (pool runs each command under its remote supervisor)`,
  );
  return 0;
}

/** Many hosts at once: stdin closed, each line whole and prefixed, a summary of failures at the end. */
async function onMany(
  hosts: Host[],
  command: (host: Host) => string,
  options: OnOptions,
  deps: Deps,
  excluded: Host[] = [],
): Promise<number> {
  const { out, signal } = deps;
  // Hosts the selection matched but left out are part of the answer, not silence.
  if (options.json) {
    for (const h of excluded) out.outLine(jsonLine({ name: h.name, status: "excluded" }));
  }
  if (options.tty) throw new UsageError("--tty needs a single host");
  const timeoutMs = options.timeout ?? FAN_OUT_TIMEOUT_MS;
  // Read once, sent to every host (like pssh -I); without --stdin say that it is not sent.
  let input: Uint8Array | undefined;
  if (options.stdin === true) {
    const read = await readStdin(deps, timeoutMs);
    if (read === null) return abortCode(deps.signal);
    input = read;
  } else if (options.stdin === undefined && ["file", "pipe"].includes(deps.stdin.kind())) {
    // One host gathered (--json, --prefix, --collapse, --out-dir) runs as many do: not "many hosts".
    out.errLine(
      hosts.length > 1
        ? "pool: note: stdin is not sent to many hosts; --stdin sends it to each"
        : "pool: note: stdin is not sent with --json, --prefix, --collapse or --out-dir; --stdin sends it",
    );
  }
  const prefix = options.prefix === "host:"
    ? (name: string) => `${name}: `
    : await prefixer(hosts.map((h) => h.name));
  const live = !options.json && options.outDir === undefined;
  const files = options.outDir === undefined ? null : await hostFiles(options.outDir);

  // Each chunk a host sends is printed as one write of its whole lines, prefixed,
  // never a line at a time. pdsh keeps empty lines (`host: `), and dshbak needs them.
  const printer = (host: Host) => {
    const bytes = new TextEncoder().encode(prefix(host.name));
    const write = (block: Uint8Array) => out.outBytes(block);
    const keepBlank = options.prefix === "host:";
    const stdout = new LinePrefixer(bytes, write, keepBlank);
    const stderr = new LinePrefixer(bytes, write, keepBlank);
    return {
      stdout: (chunk: Uint8Array) => stdout.push(chunk),
      stderr: (chunk: Uint8Array) => stderr.push(chunk),
      /** The last lines, when they had no newline. */
      end: () => {
        stdout.end();
        stderr.end();
      },
    };
  };

  const results = await poolMap(
    hosts,
    options.jobs ?? FAN_OUT_JOBS,
    async (host): Promise<HostResult> => {
      const printed = live && !options.collapse ? printer(host) : undefined;
      let result = signal.aborted
        ? notStarted(host, abortCode(signal))
        : await deps.runner.exec(host, command(host), {
          timeoutMs,
          signal,
          input,
          onStdoutChunk: printed?.stdout,
          onStderrChunk: printed?.stderr,
          readGate: () => deps.out.room(),
          // Output held for --json or -b is each stream's end, not all of it: `yes` would
          // fill memory until V8 gave up, taking every host's result with it. --out-dir's
          // files get all of both.
          keepLast: options.keepLast ?? (files ? Infinity : HELD_OUTPUT_LIMIT),
        });
      printed?.end();
      const why = options.sudo ? sudoFailure(result) : undefined;
      if (why) result = { ...result, reason: why };
      if (files) {
        const { line, error } = await files.write(result);
        if (!options.json) out.outLine(`${prefix(host.name)}${line}`);
        // Output that was asked for and lost is a failure, whatever the command did.
        if (error && result.outcome === "ok") {
          result = { ...result, code: 1, outcome: "failed", reason: error };
        }
      }
      if (options.json) out.outLine(hostJson(result));
      return result;
    },
  );
  if (options.collapse && !options.json) printCollapsed(out, results);
  const cut = results.filter((r) => r.stdoutOmittedLines || r.stderrOmittedLines).map((r) =>
    r.host
  );
  if (cut.length > 0 && out.stdoutOpen) {
    out.errLine(
      `pool: note: ${foldNames(cut)}: ${options.json ? "--json" : "-b"} held the last ` +
        `${HELD_OUTPUT_LIMIT >> 20} MiB of each stream; the lines before were left out ` +
        `(--out-dir keeps all of it)`,
    );
  }
  // A reader that closed stdout said "enough": no summary of what that stopped.
  if (out.stdoutOpen) printSummary(out, results, timeoutMs);
  if (results.some((r) => r.outcome === "interrupted")) return abortCode(signal);
  return worstCode(results.map((r) => r.code));
}

function notStarted(host: Host, code: number): HostResult {
  return {
    host: host.name,
    code,
    outcome: "interrupted",
    stdout: "",
    stderr: "",
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new Uint8Array(0),
    durationMs: 0,
  };
}

/** The options as commander parses them: OnOptions less the selection and the command. */
type OnFlags = Omit<OnOptions, "hosts" | "command">;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** pool's own options for `on`, declared once: for `--help`, completions and parsing alike. */
function onFlags(command: Command): Command {
  return command
    .option("-t, --tty", "allocate a terminal (interactive programs; one host only)")
    .option("--stdin", "send pool's stdin to every host (read once)")
    .option("-n, --no-stdin", "give the command no stdin, like ssh -n (for while-read loops)")
    .option("-x, --exclude <hosts>", "leave these hosts out (repeatable; same as !name)", collect)
    .addOption(
      durationOption(
        "--timeout <duration>",
        "per-host deadline: exit 124 when it passes (default 30s for many hosts, 1h for one; 0 = none)",
      ),
    )
    .addOption(
      jobsOption(
        "--jobs <n>",
        `at most n hosts at once (default ${FAN_OUT_JOBS}; 0 = all at once)`,
      ),
    )
    .option("--json", "one JSON object per host: name, exit, status, duration_ms, stdout, stderr")
    .option("-b, --collapse", "print hosts with identical output and exit code once, names folded")
    .option("--sudo", "run as root: sudo -n where the roster says sudo (never a password prompt)")
    .option("--out-dir <dir>", "write each host's output to DIR/<host>.out and DIR/<host>.err")
    .addOption(
      choiceOption("--prefix <style>", "mark lines [host] (default) or host: (for dshbak -c)", [
        ...PREFIXES,
      ]),
    )
    .option("--dry-run", "print each host and the ssh command line; run nothing");
}

/**
 * The words after the host selection: pool's options up to the first other
 * word (an unknown option there is a usage error), then the command.
 */
export function parseOnWords(words: string[]): { flags: OnFlags; command: string[] } {
  return optionsThenCommand<OnFlags>(words, onFlags(new Command("on")), onCommand);
}

/**
 * The old tool took `--jobs N` / `--timeout S` after the command words of a
 * fan-out. Still honoured (with a notice), unless `--` marked where the command starts.
 */
export function trailingLegacyFlags(
  words: string[],
  command: string[],
): { flags: OnFlags; command: string[]; taken: string[] } {
  const flags: OnFlags = {};
  const rest = [...command];
  const taken: string[] = [];
  const start = words.length - command.length;
  if (words[start - 1] === "--") return { flags, command, taken };
  for (;;) {
    const last = rest.at(-1) ?? "";
    const eq = /^--(jobs|timeout)=(.*)$/.exec(last);
    const [name, value] = eq
      ? [eq[1], eq[2]]
      : rest.length >= 3 && /^--(jobs|timeout)$/.test(rest.at(-2)!)
      ? [rest.at(-2)!.slice(2), rest.at(-1)!]
      : [null, null];
    if (name === null) break;
    if (name === "jobs") flags.jobs ??= parseJobs(value!, "--jobs");
    else flags.timeout ??= parseDuration(value!, "--timeout");
    taken.unshift(...rest.splice(eq ? -1 : -2));
  }
  return { flags, command: rest, taken };
}

export const onCommand = (run: Run) =>
  onFlags(
    new Command("on")
      .description("run a command on a host, or on many at once (all, h1,h2, @tag, -x name)")
      .argument("<hosts>", "a host name, local, all, a comma list, @tag, h[1-8], gpu*")
      .argument(
        "[command...]",
        "joined with spaces and run by the remote shell, like ssh host cmd...",
      ),
  )
    .passThroughOptions()
    .addHelpText(
      "after",
      `
pool's options go before the command; the first other word starts it, and -- ends them.

Examples:
  pool on gpu1 nvidia-smi
  pool on gpu1 'echo $HOME'
      expands on the remote side
  pool on all --jobs 4 uptime
  pool on @gpu -x gpu3 -b nvidia-smi -L
  pool on local uptime
      this machine, no ssh
  pool on all -- grep --json x f
      words after -- are all command
  pool on 'h[1-8],gpu*' -b uptime
      ranges and globs; quote them from the shell
  pool on all --prefix host: df -h / | dshbak -c
  pool on all --out-dir out uname -a
      out/<host>.out, out/<host>.err
  pool on @web --sudo systemctl restart nginx
  pool on all --dry-run uptime
      the hosts and the ssh command line, nothing run`,
    )
    .action((hosts: string, words: string[], before: OnFlags, verb: Command) =>
      run((deps) => {
        // pool's own options among the words count for errors as data (cli.ts) too.
        // After a `--` before the host (`on -- h1 --json x`), every word is the command's.
        const ended = dashedBefore(verb, [hosts, ...words]);
        let parsed;
        try {
          // A second `--` there (`on -- h1 -- cmd`) still only marks where the command starts.
          parsed = ended ? { flags: {}, command: commandWords(words) } : parseOnWords(words);
        } catch (e) {
          // Where the command starts is unknown: a --json before any `--` is taken as pool's.
          if (wantsJson(words)) verb.setOptionValue("json", true);
          throw e;
        }
        if (parsed.flags.json) verb.setOptionValue("json", true);
        const excluded = [...(before.exclude ?? []), ...(parsed.flags.exclude ?? [])];
        const fanOut = !isSingleName(hosts) || excluded.length > 0;
        const legacy = fanOut && !ended
          ? trailingLegacyFlags(words, parsed.command)
          : { flags: {}, command: parsed.command, taken: [] };
        if (legacy.taken.length > 0) {
          deps.out.errLine(
            `pool: note: took trailing ${
              legacy.taken.join(" ")
            } as pool's options; put them before the command`,
          );
        }
        const flags: OnFlags = { ...legacy.flags, ...before, ...parsed.flags };
        flags.exclude = excluded;
        return on({ hosts, command: legacy.command, ...flags }, deps);
      })
    );
