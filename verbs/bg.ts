/**
 * `pool bg <host> <cmd...>` / `pool bg [route options] <cmd...>`: start a
 * command detached on a host and return at once with its pid and log. With
 * --mem/--gpus it reserves like route; the lease then lives as long as the
 * remote process (checked by pid on the next probe).
 */

import { Command } from "commander";
import { PoolError, UsageError } from "../errors.ts";
import {
  addDispatchFlags,
  addPushFlags,
  commandWords,
  type DispatchFlags,
  dispatchOptions,
} from "../flags.ts";
import { printRanking } from "../render/ranking.ts";
import { type Host, LOCAL, localHost } from "../roster/host.ts";
import { selectHosts } from "../roster/select.ts";
import { detachedLaunch, parseLaunch } from "../remote/detach.ts";
import { wantsResources } from "../dispatch/rank.ts";
import { handOver, NoRoom, release, type Reservation, reserve } from "../dispatch/reserve.ts";
import { inShipped, planShipping, ship } from "../dispatch/ship.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

/** A bg lease lives at most a day unless --ttl says otherwise. */
export const BG_TTL_S = 24 * 3600;
const LAUNCH_TIMEOUT_MS = 20_000;

function jobId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}

export async function bg(wordsIn: string[], opts: DispatchFlags, deps: Deps): Promise<number> {
  const words = commandWords(wordsIn);
  const roster = await loadRoster(deps);
  // A first word that names a host (or local) picks it; anything else is routed.
  const named: Host | undefined = roster.hosts.find((h) => h.name === words[0]) ??
    (words[0] === LOCAL ? localHost() : undefined);
  const command = (named ? words.slice(1) : words).join(" ");
  if (command.trim() === "") {
    throw new UsageError("missing command: pool bg <host>|[route options] <cmd...>");
  }
  const options = dispatchOptions(opts, command, BG_TTL_S, deps);
  // Checked before anything is reserved: a path that is not there never holds a host.
  const shipping = await planShipping(opts.push ?? []);
  if (named && (wantsResources(options) || options.os)) {
    throw new UsageError("give a host or route options (--mem, --gpus, --os), not both");
  }

  let reservation: Reservation;
  if (named) reservation = { host: named, lease: null, ranked: [] };
  else {
    try {
      reservation = await reserve(selectHosts("all", roster.hosts).hosts, options, deps);
    } catch (e) {
      if (e instanceof NoRoom) await printRanking(deps.out, e.ranked, options);
      throw e;
    }
  }
  // Until the lease follows the remote job, any failure or signal gives it back.
  let handedOver = false;
  try {
    if (!named) await printRanking(deps.out, reservation.ranked, options);
    const failed = await ship(reservation.host, shipping, opts, deps);
    if (failed) return failed.code || 1;
    const { remote, payload } = await detachedLaunch(jobId(), inShipped(shipping, command));
    const result = await deps.runner.exec(reservation.host, remote, {
      payload,
      timeoutMs: LAUNCH_TIMEOUT_MS,
      signal: deps.signal,
    });
    if (result.outcome === "interrupted") return result.code;
    const launched = result.outcome === "ok" ? parseLaunch(result.stdout) : null;
    if (!launched) {
      const why = result.reason ??
        (result.stderr.trim().split("\n").pop() || `exit ${result.code}`);
      throw new PoolError(
        `could not start the job on ${reservation.host.name}: ${why}`,
        result.code || 1,
      );
    }
    if (reservation.lease) await handOver(deps.ledger, reservation.lease, launched.pid);
    handedOver = true;
    deps.out.outLine(`${reservation.host.name}  pid ${launched.pid}  log ${launched.log}`);
    return 0;
  } finally {
    if (!handedOver) await release(deps.ledger, reservation.lease);
  }
}
export const bgCommand = (run: Run) =>
  addPushFlags(addDispatchFlags(
    new Command("bg")
      .description(
        "start a command detached (on a host, or routed) and return at once with its pid and log",
      )
      .argument("<words...>", "a host name then the command, or just the command to route it"),
  ))
    .passThroughOptions()
    .addHelpText(
      "after",
      `
Examples:
  pool bg gpu1 python train.py            # detached on gpu1; prints: gpu1  pid 4242  log ~/.pool/jobs/<id>.log
  pool bg --mem 17G python upload.py      # routed like pool route, the reservation kept while it runs
  pool bg --push .:work/train python train.py  # this directory copied first, the job run in it
  pool on gpu1 tail -f ~/.pool/jobs/<id>.log`,
    )
    .action((words: string[], opts: DispatchFlags) => run((deps) => bg(words, opts, deps)));
