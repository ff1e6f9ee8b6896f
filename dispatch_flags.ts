/**
 * The dispatch flags `route` and `bg` share (what a job needs, how long to wait for room,
 * `--push`), and the reservation they ask for. Apart from flags.ts, whose value parsers every
 * verb uses, because only these two verbs take them and they reach into dispatch/.
 */

import type { Command } from "commander";
import { UsageError } from "./errors.ts";
import {
  choiceOption,
  durationOption,
  parseDuration,
  parsePercent,
  sizeOption,
  typed,
  wholeOption,
} from "./flags.ts";
import { formatDuration } from "./render/duration.ts";
import type { DispatchOptions } from "./dispatch/reserve.ts";
import { parsePushSpec, type PushSpec } from "./dispatch/ship.ts";

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

/** `$POOL_HEADROOM`, else 10%; empty is unset, as for every POOL_* setting. */
export function headroomSetting(env: (name: string) => string | undefined): number {
  const fromEnv = (env("POOL_HEADROOM") ?? "").trim();
  return fromEnv === "" ? DEFAULT_HEADROOM : parsePercent(fromEnv, "POOL_HEADROOM");
}

/** The reservation `route` and `bg` ask for, from their shared flags. */
export function dispatchOptions(
  flags: DispatchFlags,
  command: string,
  ttlDefaultSeconds: number,
  deps: { env(name: string): string | undefined },
): DispatchOptions {
  return {
    command,
    memBytes: flags.mem ?? 0,
    gpus: flags.gpus ?? 0,
    gpuMemBytes: flags.gpuMem ?? 0,
    os: flags.os,
    pack: flags.pack ?? false,
    headroom: flags.headroom ?? headroomSetting(deps.env),
    waitMs: flags.wait === undefined ? 0 : flags.wait === true ? DEFAULT_WAIT_MS : flags.wait,
    ttlSeconds: flags.ttl === undefined
      ? ttlDefaultSeconds
      : Number.isFinite(flags.ttl)
      ? flags.ttl / 1000
      : Number.MAX_SAFE_INTEGER,
  };
}
