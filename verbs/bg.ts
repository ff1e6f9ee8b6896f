/**
 * `pool bg <host> <cmd...>` / `pool bg [route options] <cmd...>`: start a
 * command detached on a host and return at once with its job id, pid and
 * log. With --mem/--gpus it reserves like route (a GPU lease pins the
 * command to its GPUs); the lease then lives exactly as long as the remote
 * job: its pid and start time, checked by the next probe of that host.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { formatDuration } from "../render/duration.ts";
import { PoolError, UsageError } from "../errors.ts";
import { EXIT, failedOnHost } from "../exit.ts";
import {
  checkCommand,
  commandWords,
  dashedBefore,
  optionsThenCommand,
  wantsJson,
} from "../command_line.ts";
import {
  addDispatchFlags,
  addPushFlags,
  type DispatchFlags,
  dispatchOptions,
} from "../dispatch_flags.ts";
import { printRanking } from "../render/ranking.ts";
import { checkName, type Host, LOCAL, localHost } from "../roster/host.ts";
import { picksAnyHost, selectHosts } from "../roster/select.ts";
import { leftOut, type Unusable } from "../roster/parse.ts";
import { detachedLaunch, parseLaunch } from "../remote/detach.ts";
import { killJob } from "../remote/jobs.ts";
import { envPrefix, leaseEnv } from "../dispatch/pin.ts";
import {
  type DispatchOptions,
  giveBack,
  handOver,
  NoRoom,
  noteJob,
  type Reservation,
  reserve,
} from "../dispatch/reserve.ts";
import { type JobEntry, newJobId } from "../ledger/jobs.ts";
import { inShipped, planShipping, ship } from "../dispatch/ship.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

/** How long a bg lease outlives the last probe that found its job alive, while its host does not answer. */
export const BG_TTL_S = 24 * 3600;
const LAUNCH_TIMEOUT_MS = 20_000;
const BG_USAGE = "pool bg <host>|[route options] <cmd...>";
/** How long ending a launch pool did not see through may take: within cli.ts's grace after a stop. */
const STOP_LAUNCH_MS = 8_000;

export interface BgOptions extends DispatchFlags {
  json?: boolean;
  /**
   * The host, given apart from the command (the MCP tool): it must be in the
   * roster. Read from the words, a first word that names no host is the
   * command's, and the job is routed.
   */
  host?: string;
  /** A `--` came before the words: none of them is pool's option, not even after a host. */
  dashed?: boolean;
  /** Told when `--json` comes among the words after the host (so errors answer as JSON too). */
  onJson?: () => void;
}

/**
 * Whether a first word reads as a host selection (`all`, `@gpu`, `h1,h2`, `!h3`, or a range or
 * glob that names roster hosts) rather than a command: routed, it would start a job running
 * that text on a host nobody chose. No program is called so; a command starting with `[`
 * (`[ -f x ] && make`) names no host and stays a command.
 */
function isSelection(
  word: string | undefined,
  hosts: readonly Host[],
  unusable: readonly Unusable[],
): boolean {
  // One word with spaces is a whole command (as MCP passes it): `sort -t, -k2 f`.
  if (word === undefined || /\s/.test(word)) return false;
  if (word === "all" || word.startsWith("@") || word.startsWith("!") || word.includes(",")) {
    return true;
  }
  return /[*?[]/.test(word) && picksAnyHost(word, hosts, unusable);
}

/**
 * The roster names a first word that names no host comes close to: the same but for case or
 * surrounding whitespace, or one typo away (`gpu1` for gpu2; a swap counts as one). Routed, such
 * a word would run as a command on a host nobody chose. Only a word that could be a host name
 * counts (one word with spaces is MCP's whole command), and short names only by case: `ls` is
 * one typo from `h1`.
 */
function nearMisses(word: string, hosts: readonly { name: string }[]): string[] {
  const bare = word.trim();
  try {
    checkName(bare);
  } catch {
    return [];
  }
  return hosts.map((h) => h.name).filter((name) => {
    if (bare.toLowerCase() === name.toLowerCase()) return true;
    const length = [...name].length;
    return length >= 3 && typos(bare, name) <= (length >= 6 ? 2 : 1);
  });
}

/** Edits from a to b: a character inserted, dropped, changed, or two neighbours swapped. */
function typos(a: string, b: string): number {
  const x = [...a], y = [...b];
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const change = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + change);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[x.length][y.length];
}

/** A word as an error shows it: quoted where whitespace would hide what was typed. */
const shown = (word: string) => /\s/.test(word) ? JSON.stringify(word) : word;

/**
 * The options given with a host that only steer routing, and so would mean nothing there: what a
 * job needs, where to look (--os), how to pick (--pack, --headroom), how long to wait for room,
 * and a lease's TTL (a named host takes no lease). --push, --gitignore and --json still apply.
 */
function routeOnly(flags: BgOptions, options: DispatchOptions): string[] {
  const given: [boolean, string][] = [
    [options.memBytes > 0, "--mem"],
    [options.gpus > 0, "--gpus"],
    [options.gpuMemBytes > 0, "--gpu-mem"],
    [options.os !== undefined, "--os"],
    [flags.pack === true, "--pack"],
    [flags.wait !== undefined, "--wait"],
    [flags.headroom !== undefined, "--headroom"],
    [flags.ttl !== undefined, "--ttl"],
  ];
  return given.filter(([on]) => on).map(([, flag]) => flag);
}

export async function bg(wordsIn: string[], optsIn: BgOptions, deps: Deps): Promise<number> {
  let opts = optsIn;
  const words = commandWords(wordsIn);
  const roster = await loadRoster(deps);
  const byName = (name: string | undefined) => {
    // A host left out (unusable) is refused by name: routed, its name would run as the
    // command on another host; and a left-out `local` is not this machine.
    const left = roster.unusable.find((u) => u.name === name);
    if (left) throw leftOut(left);
    return roster.hosts.find((h) => h.name === name) ??
      (name === LOCAL ? localHost() : undefined);
  };
  let named: Host | undefined;
  let command: string;
  if (opts.host !== undefined) {
    named = byName(opts.host);
    if (!named) throw new PoolError(`not in roster: ${opts.host}`, EXIT.failure, "not_in_roster");
    command = words.join(" ");
  } else {
    // A first word that names a host (or local) picks it; anything else is routed. After
    // the host, as for `pool on`, pool's options come first, up to the first word that is
    // not one of them (`pool bg h1 --json python x`); `--` ends them. An empty first word
    // (`pool bg "$HOST" …` with HOST unset) or one a typo away from a host's name would,
    // routed, run the rest on a host nobody chose; after a `--` a near miss is the command's.
    if (words.length > 1 && words[0].trim() === "") {
      throw new UsageError(`empty host name: ${JSON.stringify(words[0])} (${BG_USAGE})`);
    }
    named = byName(words[0]);
    const near = named || opts.dashed
      ? []
      : nearMisses(words[0], [...roster.hosts, ...roster.unusable]);
    if (near.length > 0) {
      // Meant as a host, so what follows it was meant as pool's options: --json answers.
      if (wantsJson(words.slice(1))) opts.onJson?.();
      throw new PoolError(
        `not in roster: ${shown(words[0])} (did you mean ${near.join(" or ")}?` +
          ` to route a command named ${shown(words[0])}: pool bg -- ${shown(words[0])} …)`,
        EXIT.failure,
        "not_in_roster",
      );
    }
    if (!named && isSelection(words[0], roster.hosts, roster.unusable)) {
      throw new UsageError(
        `bg takes one host name or none (to route), not a selection: ${words[0]}` +
          ` (on each of them: pool on ${words[0]} …)`,
      );
    }
    let rest = named ? words.slice(1) : words;
    // After a `--` before the host, a second one right after it only marks the command's start.
    if (named && opts.dashed) rest = commandWords(rest);
    if (named && !opts.dashed && rest[0]?.startsWith("-")) {
      let after;
      try {
        after = parseBgWords(rest);
      } catch (e) {
        // Where the command starts is unknown: a --json before any `--` is taken as pool's.
        if (wantsJson(rest)) opts.onJson?.();
        throw e;
      }
      if (after.flags.json) opts.onJson?.();
      opts = mergeFlags(opts, after.flags);
      rest = after.command;
    }
    command = rest.join(" ");
  }
  checkCommand(command, BG_USAGE);
  const options = dispatchOptions(opts, command, BG_TTL_S, deps);
  // Checked before anything is reserved: a path that is not there never holds a host.
  const shipping = await planShipping(opts.push ?? []);
  const unused = named ? routeOnly(opts, options) : [];
  if (named && unused.length > 0) {
    throw new UsageError(
      `give a host or route options (--mem, --gpus, --gpu-mem, --os, --pack, --wait, --headroom,` +
        ` --ttl), not both: ${named.name} with ${unused.join(", ")}`,
    );
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
  // Until the lease follows the remote job, any failure or signal gives it back; a job that
  // did not start leaves the index again.
  let handedOver = false;
  let indexed: string | undefined;
  let started = false;
  try {
    if (!named) await printRanking(deps.out, reservation.ranked, options);
    const failed = await ship(reservation.host, shipping, opts, deps);
    if (failed) return failedOnHost(failed.outcome, failed.code);
    const host = reservation.host.name;
    const gpus = reservation.lease?.gpus ?? [];
    const entry = (id: string): JobEntry => ({
      id,
      host,
      command,
      started_ms: deps.clock.wall(),
      gpus,
    });
    // The job is in the index before it starts: a state folder that takes no write (a full or
    // read-only disk) refuses it here, with nothing started. Written after the launch, it could
    // only be a warning, and `pool jobs` said "no jobs" while the job ran.
    const id = await indexJob(deps, entry);
    indexed = id;
    // Counted from here, not from the reservation: shipping (--push) may have taken minutes.
    if (reservation.lease) await noteJob(deps.ledger, reservation.lease, id, deps.clock.wall());
    const { remote, payload } = detachedLaunch({
      id,
      gpus,
      setup: envPrefix(leaseEnv(reservation.lease)),
      command: inShipped(shipping, command, reservation.host),
    });
    const result = await deps.runner.exec(reservation.host, remote, {
      payload,
      timeoutMs: LAUNCH_TIMEOUT_MS,
      signal: deps.signal,
    });
    const launched = result.outcome === "ok" ? parseLaunch(result.stdout, id) : null;
    if (!launched) {
      // Stopped or out of time after launch.sh had started it, the job would run on with no
      // lease and in no index: it goes too (kill.sh finds no such job if it never started).
      if (result.outcome === "interrupted") {
        deps.out.errLine(
          `pool: stopped; making sure job ${id} did not start on ${reservation.host.name} ` +
            `(${formatDuration(STOP_LAUNCH_MS)} at most; Ctrl-C again to leave it)`,
        );
      }
      await killJob(deps.runner, reservation.host, id, {
        signalName: "TERM",
        graceS: 2,
        signal: AbortSignal.timeout(STOP_LAUNCH_MS),
      }).catch(() => {});
      if (result.outcome === "interrupted") return result.code;
      const why = result.reason ??
        (result.outcome === "timeout"
          ? `timed out after ${formatDuration(LAUNCH_TIMEOUT_MS)}`
          : result.outcome === "ok"
          ? "its launcher answered no pid and log path"
          : result.stderr.trim().split("\n").pop() || `exit ${result.code}`);
      throw new PoolError(
        `could not start the job on ${reservation.host.name}: ${why}`,
        failedOnHost(result.outcome, result.code),
      );
    }
    started = true;
    // The job runs from here on: what pool fails to write down about it (a full or read-only
    // state directory) is a warning, never an error. An error would say "not started" to a
    // script that then starts it again; logs, kill and wait find it on its host without the index.
    const noted = async (what: string, write: () => Promise<unknown>) => {
      try {
        await write();
      } catch (e) {
        deps.out.warn(`job ${id} runs on ${host}, but ${what}: ${(e as Error).message}`);
      }
    };
    if (reservation.lease) {
      const lease = reservation.lease;
      await noted(
        "its lease still ends with this pool",
        () => handOver(deps.ledger, lease, { id, ...launched }, deps.clock.wall()),
      );
    }
    handedOver = true;
    // A `jobs --prune` that asked the host before the job was there forgot its line: back it goes.
    await noted("it is not in the job index", () =>
      // Stopped while another pool holds the index: the job runs, and its line still comes.
      deps.jobs.update((jobs) => ({
        jobs: jobs.some((j) => j.id === id && j.host === host) ? jobs : [...jobs, entry(id)],
        result: undefined,
      }), deps.signal));
    if (opts.json) {
      deps.out.outLine(jsonLine({ id, host, pid: launched.pid, log: launched.log, gpus }));
    } else {
      const pinned = gpus.length > 0 ? `  gpu ${gpus.join(",")}` : "";
      deps.out.outLine(`${host}  job ${id}  pid ${launched.pid}${pinned}  log ${launched.log}`);
    }
    return 0;
  } finally {
    if (!handedOver) await giveBack(deps, reservation.lease);
    if (indexed !== undefined && !started) await unindexJob(deps, indexed);
  }
}

/** Puts a new job into the index under an id it does not hold yet, and returns the id. */
async function indexJob(deps: Deps, entry: (id: string) => JobEntry): Promise<string> {
  try {
    return await deps.jobs.update((jobs) => {
      // Not one the index already has: logs, kill and wait would find the older job first.
      const taken = new Set(jobs.map((j) => j.id));
      let id = newJobId();
      while (taken.has(id)) id = newJobId();
      return { jobs: [...jobs, entry(id)], result: id };
    }, deps.signal);
  } catch (e) {
    // The state files' own errors (a read-only folder, a full disk) are PoolErrors: they keep
    // their code and kind (state_unwritable, stopped), and still say that nothing started. A
    // stop while another pool held the index was no failure to write it.
    const why = (e as Error).message;
    const stopped = e instanceof PoolError && e.kind === "stopped";
    const message = stopped
      ? `nothing was started: ${why}`
      : `cannot write the job index, so nothing was started: ${why}`;
    if (e instanceof PoolError) throw new PoolError(message, e.exitCode, e.kind);
    throw new PoolError(message);
  }
}

/** Takes a job that did not start out of the index again (kept if that fails: nothing runs). */
async function unindexJob(deps: Deps, id: string): Promise<void> {
  await deps.jobs.update((jobs) => ({
    jobs: jobs.filter((j) => j.id !== id),
    result: undefined,
  })).catch(() => {});
}
/** bg's own options, on `command`. */
function bgFlags(command: Command): Command {
  return addPushFlags(addDispatchFlags(command))
    .option("--json", "print the job as one JSON object: id, host, pid, log, gpus");
}

/** The words after a named host: pool's options up to the first word that is not one of them. */
function parseBgWords(words: string[]): { flags: BgOptions; command: string[] } {
  return optionsThenCommand<BgOptions>(words, bgFlags(new Command("bg")), bgCommand);
}

/** Options given before the host and after it: a list option keeps both lists. */
function mergeFlags(before: BgOptions, after: BgOptions): BgOptions {
  const merged: Record<string, unknown> = { ...before };
  for (const [key, value] of Object.entries(after)) {
    const old = merged[key];
    merged[key] = Array.isArray(old) && Array.isArray(value) ? [...old, ...value] : value;
  }
  return merged as BgOptions;
}

export const bgCommand = (run: Run) =>
  bgFlags(
    new Command("bg")
      .description(
        "start a command detached (on a host, or routed) and return at once with its job id and log",
      )
      .argument("<words...>", "a host name then the command, or just the command to route it"),
  )
    .passThroughOptions()
    .addHelpText(
      "after",
      `
Examples:
  pool bg gpu1 python train.py
      detached on gpu1; prints: gpu1  job k3x9q2  pid 4242  log …
  pool bg --gpus 2 torchrun train.py
      routed like pool route; CUDA_VISIBLE_DEVICES set to its two GPUs
  pool bg --push .:work/train python train.py
      this directory copied first, the job run in it
  pool bg -- gpu3 --check
      routed: a command named like a host (gpu3 when the roster has gpu2, refused
      without --); a host's name itself, even after --, still picks that host
  pool jobs; pool logs -f k3x9q2; pool wait k3x9q2; pool kill k3x9q2`,
    )
    .action((words: string[], opts: BgOptions, verb: Command) =>
      run((deps) =>
        bg(words, {
          ...opts,
          dashed: dashedBefore(verb, words),
          onJson: () => verb.setOptionValue("json", true),
        }, deps)
      )
    );
