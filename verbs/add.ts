import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { shQuote } from "../remote/quote.ts";
import { PoolError, UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import {
  checkName,
  checkTag,
  checkTarget,
  type Host,
  isExcluded,
  portInHostProblem,
} from "../roster/host.ts";
import { probeOs } from "../remote/probe.ts";
import { machineKey, rosterMachines, shownTarget } from "../remote/same_host.ts";
import { after } from "../timers.ts";
import { type Deps, editRoster, loadRoster, type Run } from "../deps/deps.ts";

/** How long add looks among the roster's hosts for the machine it adds. */
const TWIN_CHECK_MS = 3_000;

export interface AddOptions {
  name: string;
  target: string;
  sudo?: boolean;
  tags?: string[];
  json?: boolean;
}

export async function add(options: AddOptions, deps: Deps): Promise<number> {
  const { name, target, sudo = false, tags = [] } = options;
  checkName(name);
  checkTarget(target);
  const port = portInHostProblem(target);
  if (port) throw new UsageError(port);
  tags.forEach(checkTag);
  // Checked again under the lock; this early check only saves a useless ssh round trip.
  const roster = await loadRoster(deps);
  if (roster.hosts.some((h) => h.name === name)) {
    throw new PoolError(`already in roster: ${name}`, EXIT.failure, "already_in_roster");
  }

  const [answer, twin] = await Promise.all([
    probeOs(deps.runner, { name, ssh: target }, deps.signal),
    sameMachine(target, roster.hosts, deps),
  ]);
  if (deps.signal.aborted) return 0; // stopped: the exit code is the signal's, nothing is added
  if (answer.failure) deps.out.warn(`${name} (${target}) ${unanswered(answer.failure, target)}`);
  // Warned, not refused: two accounts, or two identities, on one address can be meant.
  if (twin) {
    deps.out.warn(
      `${name} reaches the same ssh target as ${twin.name} (${twin.where}): ` +
        `pool on all would run there twice`,
    );
  }

  const host: Host = { name, ssh: target, sudo, os: answer.os };
  if (tags.length > 0) host.tags = [...new Set(tags)];
  await editRoster(deps, (roster) => roster.add(host));
  if (options.json) {
    // How the probe ended, in every verb's words (as import says it): a host that logged in
    // and then said nothing in time is `timeout`, one ssh could not reach `unreachable`.
    const reached = answer.failure
      ? { status: answer.result.outcome, reason: answer.failure }
      : { status: "ok" };
    deps.out.outLine(jsonLine({ ...host, tags: host.tags ?? [], ...reached }));
  } else deps.out.outLine(`+ ${name} (${target})  ${answer.os}${sudo ? "  sudo" : ""}`);
  return 0;
}

/**
 * The host already in the roster (not excluded: `all` leaves it out) that `target` reaches too:
 * the same target as written, or the same machine by what `ssh -G` says of both (same_host.ts).
 * The hosts there are resolved as every verb resolves them, through the resolve cache: `ssh -G`
 * connects to nothing, and a roster's answers are mostly kept from the verbs run before.
 */
async function sameMachine(
  target: string,
  hosts: Host[],
  deps: Deps,
): Promise<{ name: string; where: string } | null> {
  const others = hosts.filter((h) => !isExcluded(h));
  const literal = others.find((h) => h.ssh === target);
  const mine = await deps.runner.resolve(target, undefined, deps.signal);
  if (literal) return { name: literal.name, where: mine ? shownTarget(mine) : target };
  if (!mine) return null;
  // Bounded as a whole: a `Match exec` that stalls for the roster's hosts (a VPN check), never
  // cached, would have every add wait on their resolution, 8 at a time, 10 s each.
  const enough = new AbortController();
  const stop = () => enough.abort();
  deps.signal.addEventListener("abort", stop);
  const cancel = after(TWIN_CHECK_MS, stop);
  let machines: Map<string, string>;
  try {
    machines = await rosterMachines(others, deps.runner, enough.signal);
  } finally {
    cancel();
    deps.signal.removeEventListener("abort", stop);
  }
  const twin = machines.get(machineKey(mine, target));
  if (twin !== undefined) return { name: twin, where: shownTarget(mine) };
  if (enough.signal.aborted && !deps.signal.aborted) {
    deps.out.errLine(
      `pool: note: not every host was checked for being the same machine as ${target}: ` +
        `ssh -G took over ${TWIN_CHECK_MS / 1000} s for them`,
    );
  }
  return null;
}

/**
 * Why the host added has no OS yet, and what to do where pool can tell: a host that refused the
 * key did answer, and a newcomer whose hosts take passwords learns here that pool never asks.
 */
function unanswered(failure: string, target: string): string {
  const added = "added with os unknown";
  if (failure === "auth") {
    return `answered but refused the login (auth); ${added}: pool never asks for a password, ` +
      `so give it a key (ssh-copy-id ${shQuote(target)}) or an ssh agent`;
  }
  if (failure === "host key" || failure === "host key changed") {
    return `answered with a host key ssh will not take (${failure}); ${added}: ` +
      `ssh ${shQuote(target)} says which and how to fix it`;
  }
  return `did not answer (${failure}); ${added}`;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const addCommand = (run: Run) =>
  new Command("add")
    .description("add a host to the roster (asks it for its OS with `uname -s`)")
    .argument("<name>", "a short name for the host")
    .argument("<target>", "user@host, an ssh_config alias, or ssh://user@host:port")
    .option("--sudo", "pool may use sudo -n on this host")
    .option("--tag <tag>", "tag the host (repeatable); select tagged hosts with @tag", collect)
    .option("--json", "the new entry as JSON, with status ok or unreachable (and the reason)")
    .addHelpText("after", "\nExample:\n  pool add gpu1 ubuntu@10.0.0.7 --sudo --tag gpu")
    .action((
      name: string,
      target: string,
      opts: { sudo?: boolean; tag?: string[]; json?: boolean },
    ) =>
      run((deps) => add({ name, target, sudo: opts.sudo, tags: opts.tag, json: opts.json }, deps))
    );
