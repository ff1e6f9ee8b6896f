/**
 * `pool clean <host>|all [--dry-run] [--deep] [--days N]`: the disk cleanup
 * the daily cron job runs, now, with a report per host.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { countOption, durationOption } from "../flags.ts";
import { prefixer } from "../render/fanout.ts";
import type { Host } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { lastWords, runAsRoot } from "../remote/as_root.ts";
import { cleanScript, parseClean } from "../features/mod.ts";
import { formatSize } from "../dispatch/size.ts";
import { visible } from "../render/visible.ts";
import { type Deps, type Run, selectFromRoster } from "../deps/deps.ts";

export interface CleanOptions {
  hosts: string;
  dryRun?: boolean;
  deep?: boolean;
  days?: number;
  json?: boolean;
  /** Milliseconds per host; Infinity (the default): 30 min. */
  timeout?: number;
}

export const CLEAN_TIMEOUT_MS = 1_800_000;

export async function clean(options: CleanOptions, deps: Deps): Promise<number> {
  const { out } = deps;
  const selection = await selectFromRoster(deps, options.hosts);
  const prefix = await prefixer(selection.hosts.map((h) => h.name));
  const script = cleanScript();
  const args = [
    options.dryRun ? "dry-run" : "run",
    options.deep ? "1" : "auto",
    String(options.days ?? 3),
  ];
  const text = !options.json;
  const reports = await poolMap(selection.hosts, 8, async (host: Host): Promise<CleanResult> => {
    if (host.os === "macos") {
      if (text) out.outLine(`${prefix(host.name)}skipped: macOS cleans up after itself`);
      return { name: host.name, status: "skipped", reason: "macOS cleans up after itself" };
    }
    const result = await runAsRoot(deps.runner, host, script, args, {
      timeoutMs: Math.min(CLEAN_TIMEOUT_MS, options.timeout ?? Infinity),
      signal: deps.signal,
      // What clean.sh says names files any user of the host may have named (ESC sequences and
      // all): shown as every host's text is, acting on nothing.
      onLine: (line) => {
        if (text && !line.startsWith("@@ ") && line.trim()) {
          out.outLine(prefix(host.name) + visible(line));
        }
      },
    });
    const report = parseClean(result.stdout);
    if (!report) {
      const status = result.outcome === "ok" ? "failed" : result.outcome;
      // Stopped (Ctrl-C, a closed stdout): that is pool's doing, not the host failing, and
      // the run's own code says so; a line the host printed is no reason.
      if (status === "interrupted") return { name: host.name, status, reason: "stopped" };
      if (text) out.errLine(`${prefix(host.name)}failed: ${lastWords(result)}`);
      // ssh's reason in the words every verb's JSON uses (refused, timeout, auth, …).
      const reason = result.reason ?? (status === "timeout" ? "timeout" : lastWords(result));
      return { name: host.name, status, reason };
    }
    if (report.tier === "skipped") {
      if (text) out.outLine(`${prefix(host.name)}skipped: not Linux`);
      return { name: host.name, status: "skipped", reason: "not Linux" };
    }
    const done: CleanResult = {
      name: host.name,
      status: "ok",
      used_before_pct: report.usedBefore,
      used_after_pct: report.usedAfter,
      freed_bytes: report.freedBytes,
      free_bytes: report.freeBytes,
      tier: report.tier,
    };
    if (!text) return done;
    const verb = options.dryRun ? "would free" : "freed";
    out.outLine(
      `${prefix(host.name)}${report.usedBefore}% → ${report.usedAfter}%, ${verb} ${
        formatSize(report.freedBytes)
      } (${report.freedBytes} bytes), ${formatSize(report.freeBytes)} free, ${report.tier} tier`,
    );
    return done;
  });
  if (options.json) {
    const excluded = selection.skipped.map((h) => ({ name: h.name, status: "excluded" }));
    out.outLine(
      jsonLine({ dry_run: options.dryRun ?? false, hosts: [...reports, ...excluded] }),
    );
  }
  return reports.every((r) => r.status === "ok" || r.status === "skipped") ? 0 : 1;
}

/** One host's cleanup, as `--json` reports it. */
interface CleanResult {
  name: string;
  status: string;
  reason?: string;
  used_before_pct?: number | null;
  used_after_pct?: number | null;
  freed_bytes?: number;
  free_bytes?: number;
  tier?: string;
}

export const cleanCommand = (run: Run) =>
  new Command("clean")
    .description(
      "clean disks now: journal, apt, snaps, old logs and temp files, caches (--deep: model caches, docker)",
    )
    .argument("<hosts>", "a host, all, a comma list, @tag")
    .option("--dry-run", "count what each tier would remove; delete nothing")
    .option("--deep", "also model caches and docker (automatic when / is at least 85% full)")
    .addOption(countOption("--days <n>", "keep files modified in the last n days (default 3)"))
    .addOption(durationOption("--timeout <duration>", "per host (default 30m)"))
    .option(
      "--json",
      "one JSON object: each host with status, used %, freed_bytes, free_bytes, tier",
    )
    .addHelpText("after", "\nExamples:\n  pool clean all --dry-run\n  pool clean gpu1 --deep")
    .action((hosts: string, opts: Omit<CleanOptions, "hosts">) =>
      run((deps) => clean({ hosts, ...opts }, deps))
    );
