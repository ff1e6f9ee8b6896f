/**
 * `pool list`: the roster, and (unless --fast) each host's live load, RAM,
 * GPU and disk from one probe round trip, 8 hosts at a time, 8 s at most each.
 */

import { Command } from "commander";
import { durationOption, jobsOption } from "../flags.ts";
import { renderTable } from "../render/table.ts";
import { NO_USAGE, type Usage, usageOf } from "../render/usage.ts";
import { type Host, isExcluded, localHost } from "../roster/host.ts";
import { EMPTY_ROSTER } from "../roster/select.ts";
import type { Unusable } from "../roster/parse.ts";
import { poolMap } from "../remote/pool_map.ts";
import { type HostAnswer, probeHost } from "../remote/probe.ts";
import type { HostFacts } from "../probes/mod.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

export interface ListOptions {
  fast?: boolean;
  json?: boolean;
  /** The `local` row in the --fast table too (the live table always has it). */
  local?: boolean;
  /** Hosts probed at once (default 8). */
  jobs?: number;
  /** Per-host probe deadline in milliseconds (default 8 s; Infinity = none). */
  timeout?: number;
}

export const PROBE_JOBS = 8;
export const PROBE_TIMEOUT_MS = 8000;

/** What the notes column says: description, then pool's own marks. */
function notes(host: Host): string {
  return [
    host.description ?? "",
    isExcluded(host) ? "(excluded)" : "",
    ...(host.tags ?? []).map((t) => "@" + t),
  ]
    .filter(Boolean).join("  ");
}

export async function list(options: ListOptions, deps: Deps): Promise<number> {
  const { out } = deps;
  const roster = await loadRoster(deps);
  const local = localHost();
  const live = !options.fast;
  // A roster host named `local` replaces this machine's row: one name, one row, one machine.
  // (--json keeps this machine under its own key, beside the roster's hosts, never among them.)
  const localRow = !roster.hosts.some((h) => h.name === local.name);

  // Excluded hosts are not probed (they may be fragile or not ours to poke); local always is.
  const probeLocal = options.json || localRow;
  const targets = live
    ? [...roster.hosts.filter((h) => !isExcluded(h)), ...probeLocal ? [local] : []]
    : [];
  const answers = new Map<Host, HostAnswer>();
  if (targets.length > 0) {
    const timeoutMs = options.timeout ?? PROBE_TIMEOUT_MS;
    const results = await poolMap(
      targets,
      options.jobs ?? PROBE_JOBS,
      (host) => probeHost(deps.runner, host, timeoutMs, deps.signal),
    );
    // Stopped: the exit code says so; a half-probed table would look like dead hosts.
    if (deps.signal.aborted) return 0;
    targets.forEach((h, i) => answers.set(h, results[i]));
  }
  const usage = (h: Host): Usage => (answers.has(h) ? usageOf(answers.get(h)!.facts) : NO_USAGE);

  // Every entry in file order: the unusable ones too, marked (they are still in the file).
  const usable = new Map(roster.hosts.map((h) => [h.name, h]));
  const unusable = new Map(roster.unusable.map((u) => [u.name, u]));
  const entries = roster.names.map((name) =>
    usable.has(name) ? { host: usable.get(name)! } : { left: unusable.get(name)! }
  );

  if (options.json) {
    // The roster document as it is (unknown keys too); `local` beside `hosts`, never inside it.
    const withUsage = (h: Host, entry: Record<string, unknown>) =>
      live ? { ...entry, usage: usage(h), probe: probeJson(answers.get(h)) } : entry;
    // Each entry as written (a null os stays null), though pool reads it leniently.
    const written = (roster.doc.hosts ?? []) as Record<string, unknown>[];
    const hosts = entries.map(({ host, left }, i) =>
      host ? withUsage(host, written[i]) : {
        ...left!.entry,
        unusable: left!.problem,
        ...live ? { usage: NO_USAGE, probe: unusableProbe(left!.problem) } : {},
      }
    );
    const doc = {
      ...roster.doc,
      hosts,
      local: withUsage(local, { name: local.name, os: local.os, local: true }),
    };
    out.outLine(JSON.stringify(doc, null, 2));
    return 0;
  }

  const color = out.color;
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const row = (h: Host, target: string, note: string): string[] => {
    const u = usage(h);
    const base = [h.name, target, h.os ?? "unknown"];
    const tail = [h.sudo ? "sudo" : "", note];
    return live ? [...base, u.load, u.ram, u.gpu, u.disk, ...tail] : [...base, ...tail];
  };
  const rows = entries.map(({ host, left }) =>
    host ? row(host, host.ssh, notes(host)) : unusableRow(left!, live)
  );
  // `list --fast` is what scripts read (`pool list --fast | awk '{print $1}'`): roster hosts only,
  // as the old tool printed them.
  if ((live || options.local) && localRow) rows.push(row(local, "(local)", "this machine, no ssh"));
  if (live) rows.unshift(["", "", "", "load", "ram", "gpu", "disk", "sudo", "desc"]);
  const table = await renderTable(rows);
  // The header dimmed as a whole line: a cell's own escapes are shown, never acted on.
  out.out(live ? table.replace(/^.*/, dim) : table);
  if (roster.names.length === 0) out.errLine(`pool: ${EMPTY_ROSTER}`);
  return 0;
}

/** A host pool leaves out (its warning says why and what to do): what the file says, marked. */
function unusableRow(u: Unusable, live: boolean): string[] {
  const text = (value: unknown) => typeof value === "string" && value !== "" ? value : "-";
  const base = [u.name, text(u.entry.ssh), typeof u.entry.os === "string" ? u.entry.os : "unknown"];
  const tail = ["", `(unusable: ${u.problem})`];
  const none = Object.values(NO_USAGE);
  return live ? [...base, ...none, ...tail] : [...base, ...tail];
}

function unusableProbe(problem: string): Record<string, unknown> {
  return { ok: false, status: "skipped", reason: "unusable", error: `not probed (${problem})` };
}

/** The exact numbers behind the usage strings, for scripts. */
function probeJson(answer: HostAnswer | undefined): Record<string, unknown> {
  if (!answer) {
    return { ok: false, status: "excluded", reason: "excluded", error: "not probed (excluded)" };
  }
  if (!answer.facts) {
    return {
      ok: false,
      status: answer.status,
      reason: answer.error,
      error: answer.error,
      duration_ms: answer.durationMs,
    };
  }
  const f: HostFacts = answer.facts;
  return {
    ok: true,
    status: "ok",
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
      vendor: g.vendor,
      index: g.index,
      name: g.name,
      util_pct: g.utilPct,
      mem_used_bytes: g.memUsedBytes,
      mem_total_bytes: g.memTotalBytes,
      // Split into MIG instances, which route never hands out; null where the driver does not say.
      mig: g.mig ?? null,
    })),
    ...(f.gpuError ? { gpu_error: f.gpuError } : {}),
  };
}

export const listCommand = (run: Run) =>
  new Command("list")
    .description("show the roster with each host's live load, RAM, GPU and disk")
    .option("--fast", "roster hosts only, no probing (no ssh)")
    .option("--local", "with --fast: the local row too")
    .option("--json", "the roster document as JSON, with usage and exact probe numbers when live")
    .addOption(jobsOption("--jobs <n>", `hosts probed at once (default ${PROBE_JOBS}; 0 = all)`))
    .addOption(
      durationOption("--timeout <duration>", "per-host probe deadline (default 8s; 0 = none)"),
    )
    .addHelpText(
      "after",
      "\nExamples:\n  pool list\n  pool list --fast\n  pool list --json | jq -r '.hosts[] | select(.probe.ok) | .name'",
    )
    .action((opts: ListOptions) => run((deps) => list(opts, deps)));
