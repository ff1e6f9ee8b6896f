/**
 * `pool route [--mem SIZE] [--gpus N] [--gpu-mem SIZE] [--wait[=D]] <cmd...>`:
 * run a command on the host with the most room (or the least load), holding
 * a reservation in the ledger for as long as it runs.
 */

import { Command } from "commander";
import { EXIT, UsageError } from "../errors.ts";
import { parseSize } from "../dispatch/size.ts";
import { exitWith, parseSeconds, withInterrupt } from "./_common.ts";
import { type DispatchOptions, printRanking, release, reserve } from "./_dispatch.ts";
import { onOne, SINGLE_HOST_CEILING_S } from "./on.ts";

export interface RouteCliOptions {
  mem?: string;
  gpus?: string;
  gpuMem?: string;
  os?: string;
  pack?: boolean;
  wait?: string | boolean;
  ttl?: string;
  headroom?: string;
  timeout?: string;
}

export const DEFAULT_WAIT_S = 1800;
export const DEFAULT_HEADROOM = 0.1;

/** `90`, `90s`, `5m`, `2h` → seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} expects a duration like 90s, 5m or 1h, got "${text}"`);
  return Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600 }[m[2]]!;
}

/** The dispatch flags shared by `route` and `bg`, validated. */
export function dispatchOptions(
  opts: RouteCliOptions,
  command: string,
  ttlDefault: number,
): DispatchOptions {
  const gpus = opts.gpus === undefined ? 0 : Number(opts.gpus);
  if (!Number.isInteger(gpus) || gpus < 0) {
    throw new UsageError(`--gpus expects a whole number, got "${opts.gpus}"`);
  }
  if (opts.os !== undefined && !["linux", "macos"].includes(opts.os)) {
    throw new UsageError(`--os expects linux or macos, got "${opts.os}"`);
  }
  let headroom = DEFAULT_HEADROOM;
  const raw = opts.headroom ?? Deno.env.get("POOL_HEADROOM");
  if (raw !== undefined) {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(raw.trim());
    if (!m || Number(m[1]) >= 100) {
      throw new UsageError(`headroom expects a percentage like 10%, got "${raw}"`);
    }
    headroom = Number(m[1]) / 100;
  }
  return {
    command,
    memBytes: opts.mem === undefined ? 0 : parseSize(opts.mem, "--mem"),
    gpus,
    gpuMemBytes: opts.gpuMem === undefined ? 0 : parseSize(opts.gpuMem, "--gpu-mem"),
    os: opts.os,
    pack: opts.pack ?? false,
    headroom,
    waitSeconds: opts.wait === undefined || opts.wait === false
      ? 0
      : opts.wait === true
      ? DEFAULT_WAIT_S
      : parseDuration(opts.wait, "--wait"),
    ttlSeconds: opts.ttl === undefined ? ttlDefault : parseDuration(opts.ttl, "--ttl"),
  };
}

/** Commander keeps a `--` that ends the options among the words: it is not the command's. */
export function commandWords(words: string[]): string[] {
  return words[0] === "--" ? words.slice(1) : words;
}

export async function route(words: string[], opts: RouteCliOptions): Promise<number> {
  const command = commandWords(words).join(" ");
  if (command.trim() === "") throw new UsageError("Missing command: pool route [options] <cmd...>");
  const timeout = opts.timeout === undefined
    ? SINGLE_HOST_CEILING_S
    : parseSeconds(opts.timeout, "--timeout");
  // The lease outlives a crash of pool by at most the command's own ceiling (plus a minute).
  const options = dispatchOptions(opts, command, (timeout || SINGLE_HOST_CEILING_S) + 60);
  // One interrupt scope from the reservation to its release: a signal arriving
  // between the two must still run the finally that gives the lease back.
  return await withInterrupt(async (signal) => {
    let reservation;
    try {
      reservation = await reserve(options, signal);
    } catch (e) {
      if ((e as { exitCode?: number }).exitCode === EXIT.interrupted) return EXIT.interrupted;
      throw e;
    }
    try {
      await printRanking(reservation.ranked, options);
      if (signal.aborted) return EXIT.interrupted;
      return await onOne(reservation.host, command, { timeout });
    } finally {
      await release(reservation.lease);
    }
  });
}

export function addDispatchFlags(command: Command): Command {
  return command
    .option("--mem <size>", "RAM the job needs (17G, 512M); reserved while it runs")
    .option("--gpus <n>", "idle GPUs the job needs")
    .option("--gpu-mem <size>", "free GPU memory the job needs on each GPU")
    .option("--os <os>", "only linux or only macos hosts (overrides the macOS rule)")
    .option("--pack", "fill the fullest host that fits, instead of spreading")
    .option(
      "--wait [duration]",
      `when nothing fits, wait for room (default ${DEFAULT_WAIT_S / 60}m)`,
    )
    .option(
      "--headroom <percent>",
      "share of each host's RAM kept free (default 10%, or $POOL_HEADROOM)",
    )
    .option("--ttl <duration>", "longest a reservation may live if its holder vanishes");
}

export const routeCommand = addDispatchFlags(
  new Command("route")
    .description(
      "run a command on the host with the most room (or least load), reserving what it needs",
    )
    .argument("<command...>", "run like pool on <pick> <command...>"),
)
  .option("--timeout <seconds>", "foreground ceiling (default 3600; 0 = none)")
  .passThroughOptions()
  .addHelpText(
    "after",
    `
Examples:
  pool route make -j8                              # the least loaded host (load per CPU)
  pool route --mem 17G python eval.py --ckpt big   # a host with 17G room; never two on one 30G host
  pool route --gpus 2 --wait=10m torchrun train.py # wait up to 10 minutes for two idle GPUs
  pool route xcodebuild -scheme App                # macOS-only commands go to macOS hosts
Exit: the command's own code; 75 when no host has room (the message names the best and the shortfall).`,
  )
  .action(async (words: string[], opts: RouteCliOptions) => exitWith(await route(words, opts)));
