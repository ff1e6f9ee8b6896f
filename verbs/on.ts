/**
 * `pool on <hosts> <cmd...>`: run a command on one host (its output raw, its
 * exit code ours) or fan it out (prefixed lines streamed as they arrive).
 */

import { Command } from "commander";
import { EXIT, UsageError } from "../errors.ts";
import { errBytes, errLine, outLine } from "../render/out.ts";
import { hostJson, prefixer, printCollapsed, printSummary } from "../render/fanout.ts";
import type { Host } from "../roster/host.ts";
import { isSingleName } from "../roster/select.ts";
import { execOnHost, type HostResult } from "../remote/exec.ts";
import { poolMap } from "../remote/pool_map.ts";
import {
  deadlineMs,
  exitWith,
  muxSettings,
  parseCount,
  parseSeconds,
  selectFromRoster,
  withInterrupt,
} from "./_common.ts";

export interface OnOptions {
  hosts: string;
  /** The words as typed; joined with spaces, the remote shell reads them (like `ssh host cmd...`). */
  command: string[];
  tty?: boolean;
  /** Seconds per host; default 30 for a fan-out, 3600 (the foreground ceiling) for one host. */
  timeout?: number;
  jobs?: number;
  json?: boolean;
  collapse?: boolean;
}

export const SINGLE_HOST_CEILING_S = 3600;
export const FAN_OUT_TIMEOUT_S = 30;

export async function on(options: OnOptions): Promise<number> {
  if (options.command.length === 0) {
    throw new UsageError("Missing command: pool on <hosts> <cmd...>");
  }
  const command = options.command.join(" ");
  const selection = await selectFromRoster(options.hosts);
  if (!selection.fanOut && !options.json && !options.collapse) {
    return await onOne(selection.hosts[0], command, options);
  }
  return await onMany(selection.hosts, command, options);
}

/** One host in the foreground: stdin, stdout and stderr pass through; its exit code is ours. */
export async function onOne(
  host: Host,
  command: string,
  options: Pick<OnOptions, "timeout" | "tty">,
): Promise<number> {
  const timeout = options.timeout ?? SINGLE_HOST_CEILING_S;
  const result = await withInterrupt((signal) =>
    execOnHost(host, command, {
      timeoutMs: deadlineMs(timeout),
      signal,
      mux: muxSettings(),
      tty: options.tty,
      stdin: "inherit",
      stdoutInherit: true,
      onStderrChunk: errBytes,
      // A terminal program needs to stay in the terminal's process group.
      ownGroup: !options.tty,
    })
  );
  if (result.outcome === "timeout") {
    errLine(`pool: ${host.name}: timed out after ${timeout}s, killed`);
  }
  if (result.outcome === "unreachable") {
    errLine(`pool: ${host.name} (${host.ssh}) unreachable: ${result.reason}`);
  }
  return result.code;
}

/** Many hosts at once: stdin closed, each line whole and prefixed, a summary of failures at the end. */
async function onMany(hosts: Host[], command: string, options: OnOptions): Promise<number> {
  if (options.tty) throw new UsageError("--tty needs a single host");
  const timeout = options.timeout ?? FAN_OUT_TIMEOUT_S;
  const prefix = prefixer(hosts.map((h) => h.name));
  // For -b: every host's lines in arrival order, stdout and stderr merged.
  const merged = new Map<string, string[]>(hosts.map((h) => [h.name, []]));
  const onLine = (host: Host) => (line: string) => {
    if (options.json) return;
    if (options.collapse) merged.get(host.name)!.push(line);
    else if (line.trim() !== "") outLine(prefix(host.name) + line);
  };

  const results = await withInterrupt((signal) =>
    poolMap(hosts, options.jobs ?? hosts.length, async (host): Promise<HostResult> => {
      const result = signal.aborted ? notStarted(host) : await execOnHost(host, command, {
        timeoutMs: deadlineMs(timeout),
        signal,
        mux: muxSettings(),
        onStdoutLine: onLine(host),
        onStderrLine: onLine(host),
      });
      if (options.json) outLine(hostJson(result));
      return result;
    })
  );
  if (options.collapse) printCollapsed(results, merged);
  printSummary(results, timeout);
  if (results.some((r) => r.outcome === "interrupted")) return EXIT.interrupted;
  return Math.max(0, ...results.map((r) => r.code));
}

function notStarted(host: Host): HostResult {
  return {
    host: host.name,
    code: EXIT.interrupted,
    outcome: "interrupted",
    stdout: "",
    stderr: "",
    durationMs: 0,
  };
}

/**
 * Pool's own flags may also come after the host selection, before the command
 * words (`pool on all --jobs 4 uptime`), and — as the old tool allowed for
 * fan-outs — `--jobs N` / `--timeout S` after the command words. `--` ends pool's flags:
 * everything after it is the command, even words that look like our flags.
 */
export function splitOnWords(
  words: readonly string[],
  fanOut = true,
): { flags: Record<string, string | boolean>; command: string[] } {
  const flags: Record<string, string | boolean> = {};
  const valued: Record<string, string> = { "--jobs": "jobs", "--timeout": "timeout" };
  const bool: Record<string, string> = {
    "-t": "tty",
    "--tty": "tty",
    "--json": "json",
    "-b": "collapse",
    "--collapse": "collapse",
  };
  const rest = [...words];
  let explicitEnd = false;
  while (rest.length > 0 && rest[0].startsWith("-")) {
    const word = rest[0];
    if (word === "--") {
      rest.shift();
      explicitEnd = true;
      break;
    }
    const [flag, inline] = word.includes("=")
      ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]
      : [word, undefined];
    if (bool[word]) {
      flags[bool[word]] = true;
      rest.shift();
    } else if (valued[flag]) {
      rest.shift();
      const value = inline ?? rest.shift();
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      flags[valued[flag]] = value;
    } else break;
  }
  if (fanOut && !explicitEnd) {
    for (;;) {
      const last = rest.at(-1) ?? "";
      const eq = /^(--jobs|--timeout)=(.*)$/.exec(last);
      if (eq) {
        flags[valued[eq[1]]] = eq[2];
        rest.pop();
      } else if (rest.length >= 3 && valued[rest.at(-2)!]) {
        flags[valued[rest.at(-2)!]] = rest.pop()!;
        rest.pop();
      } else break;
    }
  }
  return { flags, command: rest };
}

interface OnCliOptions {
  tty?: boolean;
  timeout?: string;
  jobs?: string;
  json?: boolean;
  collapse?: boolean;
}

export const onCommand = new Command("on")
  .description("run a command on a host, or on many at once (all, h1,h2, @tag, !name)")
  .argument("<hosts>", "a host name, local, all, a comma list, @tag; !name leaves one out")
  .argument("[command...]", "joined with spaces and run by the remote shell, like ssh host cmd...")
  .option("-t, --tty", "allocate a terminal (interactive programs; one host only)")
  .option(
    "--timeout <seconds>",
    "per-host deadline: exit 124 when it passes (default 30 for many hosts, 3600 for one; 0 = none)",
  )
  .option("--jobs <n>", "at most n hosts at once (default: all)")
  .option("--json", "one JSON object per host: name, exit, status, duration_ms, stdout, stderr")
  .option("-b, --collapse", "print hosts with identical output and exit code once")
  .passThroughOptions()
  .addHelpText(
    "after",
    `
Examples:
  pool on gpu1 nvidia-smi
  pool on gpu1 'echo $HOME'          # expands on the remote side
  pool on all --jobs 4 uptime
  pool on @gpu,!gpu3 -b nvidia-smi -L
  pool on local uptime               # this machine, no ssh
  pool on all -- grep --json x f     # words after -- are all command`,
  )
  .action(async (hosts: string, words: string[], opts: OnCliOptions) => {
    const { flags, command } = splitOnWords(words, !isSingleName(hosts));
    const merged = { ...opts, ...flags } as OnCliOptions;
    exitWith(
      await on({
        hosts,
        command,
        tty: merged.tty,
        json: merged.json,
        collapse: merged.collapse,
        timeout: merged.timeout === undefined
          ? undefined
          : parseSeconds(String(merged.timeout), "--timeout"),
        jobs: merged.jobs === undefined ? undefined : parseCount(String(merged.jobs), "--jobs"),
      }),
    );
  });
