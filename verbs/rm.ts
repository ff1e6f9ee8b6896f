import { Command } from "commander";
import { errorText } from "../errors.ts";
import { type Deps, editRoster, type Run } from "../deps/deps.ts";
import { jsonLine } from "../render/json_line.ts";
import { visible } from "../render/visible.ts";
import { shQuote } from "../remote/quote.ts";
import type { Lease } from "../ledger/lease.ts";

/** Ids named in a warning line; the rest are counted (all of them are in --json). */
const NAMED = 8;

export async function rm(name: string, json: boolean, deps: Deps): Promise<number> {
  // The one verb allowed to leave the roster empty.
  const target = await editRoster(deps, (roster) => {
    const ssh = roster.find(name)?.ssh;
    roster.remove(name);
    return ssh;
  }, { allowEmpty: true });
  const left = await leftBehind(name, target, deps);
  left.warnings.forEach((w) => deps.out.warn(w));
  deps.out.outLine(json ? jsonLine({ name, removed: true, ...left }) : `- ${name}`);
  return 0;
}

interface LeftBehind {
  /** Ids of the bg jobs the job index says were started on the host, newest first. */
  jobs: string[];
  /** Ids of the leases the ledger holds on the host. */
  leases: string[];
  /** The lines said on stderr (after `pool: warning: `). */
  warnings: string[];
}

/**
 * What pool started on the removed host and can no longer reach by its name: the job index's
 * jobs (logs, kill and wait find a job's host by its name) and the ledger's leases. From the
 * files alone, changing neither: rm stays instant and offline, so it cannot say whether a job
 * still runs, only that pool started it. The index keeps the jobs' host, so adding the name
 * back with the same target reaches them again. The ledger keeps the leases: a holder may run
 * on (a route under way, a bg job), and with its lease dropped, a host added back under the
 * name would read as free while that work still held its memory and GPUs. Kept, a lease holds
 * a new host of that name only until pool sees its holder gone (the route's pool ends; the
 * first probe of the new host finds no such job): a wait, where dropping risks an overload.
 */
async function leftBehind(
  name: string,
  target: string | undefined,
  deps: Deps,
): Promise<LeftBehind> {
  const left: LeftBehind = { jobs: [], leases: [], warnings: [] };
  try {
    left.jobs = (await deps.jobs.read()).filter((j) => j.host === name)
      .sort((a, b) => b.started_ms - a.started_ms).map((j) => j.id);
  } catch (e) {
    left.warnings.push(`${name}: jobs pool started there not listed: ${errorText(e)}`);
  }
  if (left.jobs.length > 0) {
    const [one, it] = left.jobs.length === 1 ? ["it", "it still runs"] : ["them", "they still run"];
    const again = `pool add ${shQuote(name)} ${
      target === undefined ? "<target>" : shQuote(target)
    }`;
    left.warnings.push(
      `${name}: pool bg started ${count(left.jobs.length, "job")} there (${ids(left.jobs)}), ` +
        `not checked for whether ${it}; pool no longer reaches ${one} by this name ` +
        `(logs, kill, wait): ${again} reaches ${one} again, then pool kill ID`,
    );
  }
  try {
    const leases = (await deps.ledger.read()).filter((l) => l.host === name);
    left.leases = leases.map((l) => l.id);
    if (leases.length > 0) {
      const [stay, their] = leases.length === 1
        ? ["stays", "its holder"]
        : ["stay", "their holders"];
      left.warnings.push(
        `${name}: ${count(leases.length, "lease")} held there (${leases.map(holder).join(", ")}) ` +
          `${stay} in the ledger until pool sees ${their} end, counted against any host ` +
          `added as ${name} until then`,
      );
    }
  } catch (e) {
    left.warnings.push(`${name}: leases held there not listed: ${errorText(e)}`);
  }
  return left;
}

/** Who holds a lease, as `pool leases` names it. */
function holder(lease: Lease): string {
  return lease.job !== undefined ? `bg job ${visible(lease.job)}` : `route pid ${lease.pid}`;
}

function ids(all: string[]): string {
  const named = all.slice(0, NAMED).map(visible).join(", ");
  return all.length > NAMED ? `${named} and ${all.length - NAMED} more` : named;
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const rmCommand = (run: Run) =>
  new Command("rm")
    .description("remove a host from the roster")
    .argument("<name>")
    .option("--json", "the result as one JSON object")
    .addHelpText(
      "after",
      "\nWarns (stderr) of the bg jobs pool started on the host and the leases held there:" +
        "\npool no longer reaches them by that name.\n\nExample:\n  pool rm gpu1",
    )
    .action((name: string, opts: { json?: boolean }) =>
      run((deps) => rm(name, opts.json ?? false, deps))
    );
