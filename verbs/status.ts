import { Command } from "commander";
import { out } from "../render/out.ts";
import { renderTable } from "../render/table.ts";
import { selectHosts } from "../roster/select.ts";
import { execOnHost, failureReason } from "../remote/exec.ts";
import { poolMap } from "../remote/pool_map.ts";
import {
  deadlineMs,
  exitWith,
  loadRoster,
  muxSettings,
  parseCount,
  parseSeconds,
  withInterrupt,
} from "./_common.ts";

export interface StatusOptions {
  timeout?: number;
  jobs?: number;
}

/** Reachability of every host (not excluded) in parallel. Exit 1 when any is down. */
export async function status(options: StatusOptions = {}): Promise<number> {
  const roster = await loadRoster();
  if (roster.hosts.length === 0) {
    out("no hosts yet; add one with: pool add <name> <user@host>\n");
    return 0;
  }
  const { hosts } = selectHosts("all", roster.hosts);
  const timeout = options.timeout ?? 10;
  const results = await withInterrupt((signal) =>
    poolMap(
      hosts,
      options.jobs ?? 32,
      (host) =>
        execOnHost(host, "true", {
          timeoutMs: deadlineMs(timeout),
          connectTimeout: timeout,
          signal,
          mux: muxSettings(),
        }),
    )
  );
  const rows = results.map((r, i) => {
    const ok = r.outcome === "ok";
    const why = ok ? `${r.durationMs} ms` : failureReason(r);
    return [hosts[i].name, ok ? "[ok ]" : "[x  ]", hosts[i].ssh, why];
  });
  out(await renderTable(rows));
  if (results.some((r) => r.outcome === "interrupted")) return 130;
  return results.every((r) => r.outcome === "ok") ? 0 : 1;
}

export const statusCommand = new Command("status")
  .description("check that every host answers over ssh: round trip, or why not")
  .option("--timeout <seconds>", "per-host deadline (default 10)")
  .option("--jobs <n>", "hosts checked at once (default 32)")
  .addHelpText("after", "\nExample:\n  pool status || echo 'some host is down'")
  .action(async (opts: { timeout?: string; jobs?: string }) =>
    exitWith(
      await status({
        timeout: opts.timeout === undefined ? undefined : parseSeconds(opts.timeout, "--timeout"),
        jobs: opts.jobs === undefined ? undefined : parseCount(opts.jobs, "--jobs"),
      }),
    )
  );
