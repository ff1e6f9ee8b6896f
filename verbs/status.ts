/**
 * `pool status`: can every host be reached over ssh, and how fast. Excluded hosts too, marked:
 * exclusion keeps a host out of work (`all`, @tag, route, init), not out of sight, and the old
 * tool's status showed every host.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { durationOption, jobsOption } from "../flags.ts";
import { renderTable } from "../render/table.ts";
import { type Host, isExcluded } from "../roster/host.ts";
import { failureReason } from "../remote/exec.ts";
import { poolMap } from "../remote/pool_map.ts";
import { type Deps, loadRoster, type Run, sayNoHosts } from "../deps/deps.ts";

export interface StatusOptions {
  /** Per-host deadline in milliseconds, connection included; Infinity = none. */
  timeout?: number;
  jobs?: number;
  json?: boolean;
}

export const STATUS_TIMEOUT_MS = 10_000;

/**
 * Reachability of every host in parallel. Exit 1 when any is down, excluded hosts aside: they
 * are checked and shown, but a host is often excluded because it is parked or down.
 */
export async function status(options: StatusOptions, deps: Deps): Promise<number> {
  const roster = await loadRoster(deps);
  if (roster.hosts.length === 0) return sayNoHosts(deps, roster, options.json);
  const hosts = roster.hosts;
  const timeoutMs = options.timeout ?? STATUS_TIMEOUT_MS;
  const results = await poolMap(
    hosts,
    options.jobs ?? 32,
    (host) =>
      deps.runner.exec(host, "true", {
        timeoutMs,
        connectTimeout: timeoutMs / 1000,
        signal: deps.signal,
      }),
  );
  if (options.json) {
    deps.out.outLine(jsonLine({
      hosts: [
        ...results.map((r, i) => ({
          name: hosts[i].name,
          ssh: hosts[i].ssh,
          status: r.outcome,
          duration_ms: r.durationMs,
          ...(r.outcome === "ok" ? {} : { reason: failureReason(r) }),
          ...(isExcluded(hosts[i]) ? { excluded: true } : {}),
        })),
      ],
    }));
    return allUp(hosts, results);
  }
  const rows = results.map((r, i) => {
    const ok = r.outcome === "ok";
    const why = ok ? `${r.durationMs} ms` : failureReason(r);
    const mark = isExcluded(hosts[i]) ? "  (excluded)" : "";
    return [hosts[i].name, ok ? "[ok ]" : "[x  ]", hosts[i].ssh, why + mark];
  });
  deps.out.out(await renderTable(rows));
  return allUp(hosts, results);
}

/** 0 when every host not excluded answered, else 1. */
function allUp(hosts: Host[], results: { outcome: string }[]): number {
  return results.every((r, i) => r.outcome === "ok" || isExcluded(hosts[i])) ? 0 : 1;
}

export const statusCommand = (run: Run) =>
  new Command("status")
    .description("check that every host answers over ssh: round trip, or why not")
    .addOption(durationOption("--timeout <duration>", "per-host deadline (default 10s; 0 = none)"))
    .addOption(jobsOption("--jobs <n>", "hosts checked at once (default 32; 0 = all)"))
    .option("--json", "every host with status, duration_ms and reason (excluded: true where so)")
    .addHelpText("after", "\nExample:\n  pool status || echo 'some host is down'")
    .action((opts: StatusOptions) => run((deps) => status(opts, deps)));
