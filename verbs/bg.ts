/**
 * `pool bg <host> <cmd...>` / `pool bg [route options] <cmd...>`: start a
 * command detached on a host and return at once with its pid and log. With
 * --mem/--gpus it reserves like route; the lease then lives as long as the
 * remote process (checked by pid on the next probe).
 */

import { Command } from "commander";
import { PoolError, UsageError } from "../errors.ts";
import { outLine } from "../render/out.ts";
import { type Host, LOCAL, localHost } from "../roster/host.ts";
import { detachedLaunch, parseLaunch } from "../remote/detach.ts";
import { execOnHost } from "../remote/exec.ts";
import { wantsResources } from "../dispatch/rank.ts";
import { exitWith, loadRoster, muxSettings, withInterrupt } from "./_common.ts";
import { handOver, printRanking, release, reserve } from "./_dispatch.ts";
import { addDispatchFlags, commandWords, dispatchOptions, type RouteCliOptions } from "./route.ts";

/** A bg lease lives at most a day unless --ttl says otherwise. */
export const BG_TTL_S = 24 * 3600;

function jobId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}

export async function bg(wordsIn: string[], opts: RouteCliOptions): Promise<number> {
  const words = commandWords(wordsIn);
  const roster = await loadRoster();
  // A first word that names a host (or local) picks it; anything else is routed.
  const named: Host | undefined = roster.hosts.find((h) => h.name === words[0]) ??
    (words[0] === LOCAL ? localHost() : undefined);
  const command = (named ? words.slice(1) : words).join(" ");
  if (command.trim() === "") {
    throw new UsageError("Missing command: pool bg <host>|[route options] <cmd...>");
  }
  const options = dispatchOptions(opts, command, BG_TTL_S);
  if (named && (wantsResources(options) || options.os)) {
    throw new UsageError("Give a host or route options (--mem, --gpus, --os), not both");
  }

  // One interrupt scope from the reservation until the lease follows the remote job.
  const { host, launched } = await withInterrupt(async (signal) => {
    const reservation = named
      ? { host: named, lease: null, ranked: [] }
      : await reserve(options, signal);
    try {
      if (!named) await printRanking(reservation.ranked, options);
      const id = jobId();
      const { remote, input } = await detachedLaunch(id, command);
      const result = await execOnHost(reservation.host, remote, {
        input,
        timeoutMs: 20_000,
        signal,
        mux: muxSettings(),
      });
      const launched = result.outcome === "ok" ? parseLaunch(result.stdout) : null;
      if (!launched) {
        const why = result.reason ??
          (result.stderr.trim().split("\n").pop() || `exit ${result.code}`);
        throw new PoolError(
          `could not start the job on ${reservation.host.name}: ${why}`,
          result.code || 1,
        );
      }
      if (reservation.lease) await handOver(reservation.lease, launched.pid);
      return { host: reservation.host, launched };
    } catch (e) {
      await release(reservation.lease);
      throw e;
    }
  });
  outLine(`${host.name}  pid ${launched.pid}  log ${launched.log}`);
  return 0;
}

export const bgCommand = addDispatchFlags(
  new Command("bg")
    .description(
      "start a command detached (on a host, or routed) and return at once with its pid and log",
    )
    .argument("<words...>", "a host name then the command, or just the command to route it"),
)
  .passThroughOptions()
  .addHelpText(
    "after",
    `
Examples:
  pool bg gpu1 python train.py            # detached on gpu1; prints: gpu1  pid 4242  log ~/.pool/jobs/<id>.log
  pool bg --mem 17G python upload.py      # routed like pool route, the reservation kept while it runs
  pool on gpu1 tail -f ~/.pool/jobs/<id>.log`,
  )
  .action(async (words: string[], opts: RouteCliOptions) => exitWith(await bg(words, opts)));
