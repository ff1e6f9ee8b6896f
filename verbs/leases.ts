/**
 * `pool leases`: the reservations in the ledger, and whether each is still
 * live. A bg lease lives as long as its job, so the hosts holding bg leases
 * are asked (one round trip each, in parallel) whether their jobs still run.
 */

import { Command } from "commander";
import { clip, renderTable } from "../render/table.ts";
import { deadReason, heldBecause } from "../ledger/lease.ts";
import { processAlive, processSpace } from "../ledger/process.ts";
import { formatSize } from "../dispatch/size.ts";
import { askHolders } from "../dispatch/reserve.ts";
import { foldNames } from "../roster/nodeset.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

export async function leases(options: { json?: boolean }, deps: Deps): Promise<number> {
  const { out } = deps;
  const ledger = await deps.ledger.read();
  const holding = new Set(
    ledger.filter((l) => l.remote_pid !== undefined || l.job !== undefined).map((l) => l.host),
  );
  const roster = holding.size ? (await loadRoster(deps)).hosts : [];
  const asked = roster.filter((h) => holding.has(h.name));
  // A host removed from the roster meanwhile cannot be asked: its leases stand by their TTL.
  const unknown = [...holding].filter((name) => !roster.some((h) => h.name === name));
  if (unknown.length > 0) {
    out.warn(`${foldNames(unknown)} not in the roster: their bg leases were not checked`);
  }
  const { remoteAlive, remoteJobs, remoteGroups } = await askHolders(asked, ledger, deps);
  // A lease on a host that did not answer reads live by its TTL, not because it was seen.
  const unanswered = asked.filter((h) => !remoteAlive.has(h.name)).map((h) => h.name);
  if (unanswered.length > 0) {
    out.warn(`${foldNames(unanswered)} did not answer: their bg leases were not checked`);
  }
  const now = deps.clock.wall();
  const space = processSpace();
  const live = { now, localAlive: processAlive, space, remoteAlive, remoteJobs, remoteGroups };
  // Why a live lease is held, where it is not its holder plainly running (JSON `held_because`).
  const all = ledger.map((l) => {
    const why = heldBecause(l, live);
    return { ...l, state: deadReason(l, live) ?? "live", ...(why ? { held_because: why } : {}) };
  });
  if (options.json) {
    out.outLine(JSON.stringify({ leases: all, unanswered, not_in_roster: unknown }, null, 2));
    return 0;
  }
  if (all.length === 0) {
    out.errLine("pool: no leases");
    return 0;
  }
  const rows = all.map((l) => [
    l.host,
    // GPU indices, never a count: "gpu 0" is GPU number 0.
    [l.mem_bytes ? formatSize(l.mem_bytes) : "", l.gpus.length ? `gpu ${l.gpus.join(",")}` : ""]
      .filter(Boolean)
      .join(" "),
    l.remote_pid !== undefined
      ? `${l.job ? `job ${l.job} ` : ""}${l.host}:${l.remote_pid}`
      : `pid ${l.pid}`,
    age(now - l.created_ms),
    l.held_because ? `live: ${l.held_because}` : l.state,
    clip(l.command, 60),
  ]);
  out.out(await renderTable([["host", "request", "holder", "age", "state", "command"], ...rows]));
  return 0;
}

export const leasesCommand = (run: Run) =>
  new Command("leases")
    .description(
      "show the reservations held by route and bg: host, request, holder, age, state, command",
    )
    .option("--json", "the ledger as JSON, each lease with its state")
    .addHelpText("after", "\nExample:\n  pool leases")
    .action((opts: { json?: boolean }) => run((deps) => leases(opts, deps)));
