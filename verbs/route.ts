/**
 * `pool route [--mem SIZE] [--gpus N] [--gpu-mem SIZE] [--wait[=D]] <cmd...>`:
 * run a command on the host with the most room (or the least load), holding
 * a reservation in the ledger for as long as it runs.
 */

import { Command } from "commander";
import { durationOption } from "../flags.ts";
import { checkCommand, commandWords } from "../command_line.ts";
import { failedOnHost } from "../exit.ts";
import {
  addDispatchFlags,
  addPushFlags,
  type DispatchFlags,
  dispatchOptions,
} from "../dispatch_flags.ts";
import { HELD_OUTPUT_LIMIT, hostRecord, printForegroundFailure } from "../render/fanout.ts";
import { jsonLine } from "../render/json_line.ts";
import { printRanking } from "../render/ranking.ts";
import { selectHosts } from "../roster/select.ts";
import { noStdin, runForeground } from "../remote/foreground.ts";
import { addCarrier, giveBack, NoRoom, reserve } from "../dispatch/reserve.ts";
import { envPrefix, leaseEnv } from "../dispatch/pin.ts";
import { inShipped, planShipping, ship } from "../dispatch/ship.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

export const ROUTE_CEILING_MS = 3_600_000;
/** A route lease's TTL when its command has no ceiling (`--timeout 0`). */
export const NO_CEILING_TTL_S = 30 * 86_400;

export interface RouteOptions extends DispatchFlags {
  /** Foreground ceiling in milliseconds; Infinity = none. */
  timeout?: number;
  /** One object on stdout: the pick, the ranking, and the command's result (output captured). */
  json?: boolean;
  /** With json: keep only the last whole lines of each stream that fit in this many bytes. */
  keepLast?: number;
}

export async function route(words: string[], opts: RouteOptions, deps: Deps): Promise<number> {
  const command = commandWords(words).join(" ");
  checkCommand(command, "pool route [options] <cmd...>");
  // Checked before anything is reserved: a path that is not there never holds a host.
  const shipping = await planShipping(opts.push ?? []);
  const timeoutMs = opts.timeout ?? ROUTE_CEILING_MS;
  // The lease lives as long as this pool process (pid + start time), where pool can check it;
  // the TTL bounds one it cannot (a holder in another process space): the ceiling + 1 min, and
  // with no ceiling (--timeout 0) 30 days, not the hour a command without one outlives.
  const ttl = Number.isFinite(timeoutMs) ? timeoutMs / 1000 + 60 : NO_CEILING_TTL_S;
  const options = dispatchOptions(opts, command, ttl, deps);
  const { hosts } = selectHosts("all", (await loadRoster(deps)).hosts);
  let reservation;
  try {
    reservation = await reserve(hosts, options, deps);
  } catch (e) {
    if (e instanceof NoRoom && !opts.json) await printRanking(deps.out, e.ranked, options);
    throw e;
  }
  // The lease is given back whatever happens from here: exit, Ctrl-C, SIGTERM, SIGHUP.
  let carried = Promise.resolve();
  try {
    if (!opts.json) await printRanking(deps.out, reservation.ranked, options);
    if (deps.signal.aborted) return 0; // stopped before it started: the code is the signal's
    const failed = await ship(reservation.host, shipping, opts, deps);
    if (failed) return failedOnHost(failed.outcome, failed.code);
    // Its GPUs, pinned: set before the command, so a value the command sets itself wins.
    const pinned = envPrefix(leaseEnv(reservation.lease)) +
      inShipped(shipping, command, reservation.host);
    // A pool killed outright leaves its ssh (and a guard, where the command reads the user's
    // stdin, which ends that ssh and waits out the host's end of the command): the lease
    // lives while that carrier does, as long as the command on the host.
    const lease = reservation.lease;
    const onSpawn = lease
      ? (pid: number) =>
        void (carried = carried.then(() => addCarrier(deps.ledger, lease, pid)).catch((e) =>
          // Bookkeeping: the command runs on; only a pool killed outright would free the lease early.
          deps.out.warn(`the lease does not name its ssh: ${(e as Error).message}`)
        ))
      : undefined;
    if (opts.json) {
      const result = await deps.runner.exec(reservation.host, pinned, {
        timeoutMs,
        signal: deps.signal,
        // As on --json: a command that writes gigabytes would otherwise be held whole.
        keepLast: opts.keepLast ?? HELD_OUTPUT_LIMIT,
        onSpawn,
      });
      const ranking = reservation.ranked.map((r) => ({
        name: r.name,
        qualifies: r.qualifies,
        room_bytes: r.roomBytes === null ? null : Math.round(r.roomBytes),
        load_per_cpu: r.loadPerCpu,
        gpus: r.gpus,
        ...(r.why ? { reason: r.why } : {}),
      }));
      deps.out.outLine(jsonLine({ ...hostRecord(result), ranking }));
      return result.code;
    }
    const result = await runForeground(deps.runner, reservation.host, pinned, {
      timeoutMs,
      stdin: noStdin(deps.stdin.kind()) ? "none" : undefined,
      signal: deps.signal,
      out: deps.out,
      onSpawn,
    });
    printForegroundFailure(deps.out, reservation.host, result, timeoutMs);
    return result.code;
  } finally {
    await carried;
    await giveBack(deps, reservation.lease);
  }
}

export const routeCommand = (run: Run) =>
  addPushFlags(addDispatchFlags(
    new Command("route")
      .description(
        "run a command on the host with the most room (or least load), reserving what it needs",
      )
      .argument("<command...>", "run like pool on <pick> <command...>"),
  ))
    .addOption(durationOption("--timeout <duration>", "foreground ceiling (default 1h; 0 = none)"))
    .option(
      "--json",
      "one object: the pick's result (output captured, as on --json) and the ranking",
    )
    .passThroughOptions()
    .addHelpText(
      "after",
      `
Examples:
  pool route make -j8
      the least loaded host (load per CPU)
  pool route --mem 17G python eval.py --ckpt big
      a host with 17G room; never two on one 30G host
  pool route --gpus 2 --wait=10m torchrun train.py
      wait up to 10 minutes for two idle GPUs
  pool route xcodebuild -scheme App
      macOS-only commands go to macOS hosts
  pool route --push . --gitignore deno task test
      this checkout's tests, on whichever host has room
Exit: the command's own code; 75 when no host has room (the message names the best and the shortfall).`,
    )
    .action((words: string[], opts: RouteOptions) => run((deps) => route(words, opts, deps)));
