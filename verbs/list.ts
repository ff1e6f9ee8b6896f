/**
 * `pool list`: the roster, and (unless --fast) each host's live load, RAM,
 * GPU and disk from one probe round trip, 8 hosts at a time, 8 s at most each.
 */

import { Command } from "commander";
import { errLine, out, outLine, useColor } from "../render/out.ts";
import { renderTable } from "../render/table.ts";
import { NO_USAGE, type Usage, usageOf } from "../render/usage.ts";
import { type Host, isExcluded, localHost } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import type { HostFacts } from "../probes/mod.ts";
import {
  deadlineMs,
  exitWith,
  loadRoster,
  parseCount,
  parseSeconds,
  withInterrupt,
} from "./_common.ts";
import { type HostAnswer, probeHost } from "./_probe.ts";

export interface ListOptions {
  fast?: boolean;
  json?: boolean;
  /** Hosts probed at once (default 8). */
  jobs?: number;
  /** Per-host probe deadline in seconds (default 8). */
  timeout?: number;
}

export const PROBE_JOBS = 8;
export const PROBE_TIMEOUT_S = 8;

/** What the notes column says: description, then pool's own marks. */
function notes(host: Host): string {
  return [
    host.description ?? "",
    isExcluded(host) ? "(excluded)" : "",
    ...(host.tags ?? []).map((t) => "@" + t),
  ]
    .filter(Boolean).join("  ");
}

export async function list(options: ListOptions): Promise<number> {
  const roster = await loadRoster();
  const local = localHost();
  const live = !options.fast;

  // Excluded hosts are not probed (they may be fragile or not ours to poke); local always is.
  const targets = live ? [...roster.hosts.filter((h) => !isExcluded(h)), local] : [];
  const answers = new Map<Host, HostAnswer>();
  if (targets.length > 0) {
    const timeoutMs = deadlineMs(options.timeout ?? PROBE_TIMEOUT_S);
    const results = await withInterrupt((signal) =>
      poolMap(targets, options.jobs ?? PROBE_JOBS, (host) => probeHost(host, timeoutMs, signal))
    );
    targets.forEach((h, i) => answers.set(h, results[i]));
  }
  const usage = (h: Host): Usage => (answers.has(h) ? usageOf(answers.get(h)!.facts) : NO_USAGE);

  if (options.json) {
    // The roster document as it is (unknown keys too); `local` beside `hosts`, never inside it.
    const withUsage = (h: Host, entry: Record<string, unknown>) =>
      live ? { ...entry, usage: usage(h), probe: probeJson(answers.get(h)) } : entry;
    const hosts = roster.hosts.map((h) => withUsage(h, h));
    const doc = {
      ...roster.doc,
      hosts,
      local: withUsage(local, { name: local.name, os: local.os, local: true }),
    };
    outLine(JSON.stringify(doc, null, 2));
    return 0;
  }

  const color = useColor();
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const row = (h: Host, target: string, note: string): string[] => {
    const u = usage(h);
    const base = [h.name, target, h.os ?? "unknown"];
    const tail = [h.sudo ? "sudo" : "", note];
    return live ? [...base, u.load, u.ram, u.gpu, u.disk, ...tail] : [...base, ...tail];
  };
  const rows = roster.hosts.map((h) => row(h, h.ssh, notes(h)));
  rows.push(row(local, "(local)", "this machine, no ssh"));
  if (live) rows.unshift(["", "", "", "load", "ram", "gpu", "disk", "sudo", "desc"].map(dim));
  out(await renderTable(rows));
  if (roster.hosts.length === 0) {
    errLine("pool: no hosts yet; add one with: pool add <name> <user@host> [--sudo]");
  }
  return 0;
}

/** The exact numbers behind the usage strings, for scripts. */
function probeJson(answer: HostAnswer | undefined): Record<string, unknown> {
  if (!answer) return { ok: false, error: "not probed (excluded)" };
  if (!answer.facts) return { ok: false, error: answer.error, duration_ms: answer.durationMs };
  const f: HostFacts = answer.facts;
  return {
    ok: true,
    duration_ms: answer.durationMs,
    os: f.os,
    load: f.load,
    cpus: f.cpus,
    mem_total_bytes: f.mem?.totalBytes ?? null,
    mem_available_bytes: f.mem?.availableBytes ?? null,
    mem_used_bytes: f.mem?.usedBytes ?? null,
    swap_total_bytes: f.swap?.totalBytes ?? null,
    swap_free_bytes: f.swap?.freeBytes ?? null,
    disk_total_bytes: f.disk?.totalBytes ?? null,
    disk_used_bytes: f.disk?.usedBytes ?? null,
    disk_available_bytes: f.disk?.availableBytes ?? null,
    uptime_s: f.uptimeSeconds,
    gpus: f.gpus.map((g) => ({
      index: g.index,
      name: g.name,
      util_pct: g.utilPct,
      mem_used_bytes: g.memUsedBytes,
      mem_total_bytes: g.memTotalBytes,
    })),
    ...(f.gpuError ? { gpu_error: f.gpuError } : {}),
  };
}

export const listCommand = new Command("list")
  .description("show the roster with each host's live load, RAM, GPU and disk")
  .option("--fast", "roster only, no probing (no ssh)")
  .option("--json", "the roster document as JSON, with usage and exact probe numbers when live")
  .option("--jobs <n>", `hosts probed at once (default ${PROBE_JOBS})`)
  .option("--timeout <seconds>", `per-host probe deadline (default ${PROBE_TIMEOUT_S})`)
  .addHelpText(
    "after",
    "\nExamples:\n  pool list\n  pool list --fast\n  pool list --json | jq -r '.hosts[] | select(.probe.ok) | .name'",
  )
  .action(async (opts: { fast?: boolean; json?: boolean; jobs?: string; timeout?: string }) =>
    exitWith(
      await list({
        fast: opts.fast,
        json: opts.json,
        jobs: opts.jobs === undefined ? undefined : parseCount(opts.jobs, "--jobs"),
        timeout: opts.timeout === undefined ? undefined : parseSeconds(opts.timeout, "--timeout"),
      }),
    )
  );
