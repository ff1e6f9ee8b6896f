/**
 * `pool init [hosts] [--only f,g] [--skip f] [--dry-run] [--jobs N] [--list]`:
 * bootstrap hosts with the features of features/, in order, each reporting
 * ok (changed), already, skipped (with why) or failed (with the last error).
 */

import { Command, Option } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { UsageError } from "../errors.ts";
import { durationOption, jobsOption, listOption, parseSize } from "../flags.ts";
import { prefixer } from "../render/fanout.ts";
import { renderTable } from "../render/table.ts";
import type { Host } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { lastWords, runAsRoot } from "../remote/as_root.ts";
import { featurePayload, FEATURES, parseResult } from "../features/mod.ts";
import { type Deps, type Run, selectFromRoster } from "../deps/deps.ts";

export interface InitOptions {
  hosts: string;
  only?: string[];
  skip?: string[];
  dryRun?: boolean;
  jobs?: number;
  swapBytes?: number;
  json?: boolean;
  /** Milliseconds per host for all its features; Infinity (the default): 10 min a feature. */
  timeout?: number;
}

/** A feature may install packages: generous, but never forever. */
export const FEATURE_TIMEOUT_MS = 600_000;

function chosenFeatures(only?: string[], skip?: string[]) {
  const valid = FEATURES.map((f) => f.name);
  for (const name of [...(only ?? []), ...(skip ?? [])]) {
    if (!valid.includes(name)) {
      throw new UsageError(`unknown feature "${name}" (valid: ${valid.join(", ")})`);
    }
  }
  const chosen = FEATURES.filter((f) =>
    (!only || only.includes(f.name)) && !skip?.includes(f.name)
  );
  // `--only "$FEATURES"` with the variable unset would otherwise report success, having done nothing.
  if (chosen.length === 0) throw new UsageError("no features chosen (pool init --list names them)");
  return chosen;
}

export async function init(options: InitOptions, deps: Deps): Promise<number> {
  const { out, signal } = deps;
  const features = chosenFeatures(options.only, options.skip);
  if (options.swapBytes !== undefined && !features.some((f) => f.name === "swapfile")) {
    throw new UsageError("--swap-size is swapfile's, which --only/--skip left out");
  }
  const selection = await selectFromRoster(deps, options.hosts);
  const prefix = await prefixer(selection.hosts.map((h) => h.name));
  /** Per host, how its connection ended when it did: the host's status, in every verb's words. */
  const lost = new Map<string, { status: string; reason?: string }>();
  const outcomes = await poolMap(selection.hosts, options.jobs ?? 4, async (host: Host) => {
    const results: { status: string; message: string }[] = [];
    const deadline = performance.now() + (options.timeout ?? Infinity);
    // A host that timed out or could not be reached on one feature is not asked again.
    let gaveUp: string | null = null;
    for (const feature of features) {
      if (signal.aborted) {
        results.push({ status: "interrupted", message: "" });
        continue;
      }
      const say = (status: string, message: string) => {
        results.push({ status, message });
        if (options.json) return;
        out.outLine(
          `${prefix(host.name)}${feature.name}: ${status}${message ? "  " + message : ""}`,
        );
      };
      if (host.os === "linux" || host.os === "macos") {
        if (!feature.os.includes(host.os)) {
          say("skipped", `not for ${host.os}`);
          continue;
        }
      }
      const left = deadline - performance.now();
      if (gaveUp === null && left <= 0) gaveUp = "past --timeout";
      if (gaveUp !== null) {
        say("skipped", `not tried: ${gaveUp}`);
        continue;
      }
      const args = [options.dryRun ? "dry-run" : "apply"];
      if (feature.name === "swapfile" && options.swapBytes) args.push(String(options.swapBytes));
      const result = await runAsRoot(deps.runner, host, featurePayload(feature.name), args, {
        timeoutMs: Math.min(FEATURE_TIMEOUT_MS, left),
        signal,
      });
      if (result.outcome === "interrupted") {
        say("interrupted", "");
        continue;
      }
      if (result.outcome === "timeout" || result.outcome === "unreachable") {
        gaveUp = `the host ${
          result.outcome === "timeout" ? "timed out" : "was unreachable"
        } on ${feature.name}`;
        lost.set(host.name, {
          status: result.outcome,
          ...(result.reason ? { reason: result.reason } : {}),
        });
      }
      const parsed = parseResult(result.stdout);
      if (parsed) say(parsed.status, parsed.message);
      else say("failed", lastWords(result));
    }
    return results;
  });
  const matrix = outcomes.map((results) => results.map((r) => r.status));
  const failed = matrix.flat().some((s) => s === "failed" || s === "interrupted");
  if (options.json) {
    // A host that could not be reached or timed out says so, as clean, on and status do.
    const hostStatus = (s: string[], name: string) =>
      s.includes("interrupted")
        ? { status: "interrupted" }
        : lost.get(name) ?? { status: s.includes("failed") ? "failed" : "ok" };
    out.outLine(jsonLine({
      dry_run: options.dryRun ?? false,
      hosts: [
        ...selection.hosts.map((h, i) => ({
          name: h.name,
          ...hostStatus(matrix[i], h.name),
          features: features.map((f, j) => ({
            name: f.name,
            status: outcomes[i][j].status,
            ...(outcomes[i][j].message ? { message: outcomes[i][j].message } : {}),
          })),
        })),
        ...selection.skipped.map((h) => ({ name: h.name, status: "excluded", features: [] })),
      ],
    }));
    return failed ? 1 : 0;
  }

  // A reader that closed stdout (`| head -1`) ended the run: quietly, as every verb does.
  if (!out.stdoutOpen) return failed ? 1 : 0;
  const table = [
    ["", ...features.map((f) => f.name)],
    ...selection.hosts.map((h, i) => [h.name, ...matrix[i]]),
  ];
  out.errLine("");
  out.errLine((await renderTable(table)).trimEnd());
  if (options.dryRun) out.errLine("dry run: nothing was changed");
  return failed ? 1 : 0;
}

/** A swap file's size: at least 16M (0 is no size; `--swap-size 0` meant the default before). */
export function parseSwapSize(text: string): number {
  const bytes = parseSize(text, "--swap-size");
  // swapfile.sh refuses less on every host: said here, before any host is asked.
  if (bytes < 16 * 1024 ** 2) {
    throw new UsageError(`--swap-size must be at least 16M, got "${text}"`);
  }
  return bytes;
}

export async function listFeatures(deps: Deps, json = false): Promise<number> {
  if (json) {
    const features = FEATURES.map((f) => ({ name: f.name, os: f.os, summary: f.summary }));
    deps.out.outLine(jsonLine({ features }));
    return 0;
  }
  const rows = FEATURES.map((f) => [
    f.name,
    f.os.includes("linux") ? "linux" : "-",
    f.os.includes("macos") ? "macos" : "-",
    f.summary,
  ]);
  deps.out.out(await renderTable([["feature", "linux", "macos", "what"], ...rows]));
  return 0;
}

interface InitCliOptions {
  only?: string[];
  skip?: string[];
  dryRun?: boolean;
  jobs?: number;
  swapSize?: number;
  list?: boolean;
  json?: boolean;
  timeout?: number;
}

export const initCommand = (run: Run) =>
  new Command("init")
    .description(
      "bootstrap hosts: tailscale, disk-cleanup, no-sleep, journal, panic, earlyoom, swap, watchdog",
    )
    .argument("[hosts]", "a host, all (default), a comma list, @tag", "all")
    .addOption(listOption("--only <features>", "only these features (comma list)"))
    .addOption(listOption("--skip <features>", "all but these features (comma list)"))
    .option("--dry-run", "say what would change on each host; change nothing")
    .addOption(jobsOption("--jobs <n>", "hosts bootstrapped at once (default 4; 0 = all)"))
    .addOption(
      durationOption(
        "--timeout <duration>",
        "per host, for all its features (default none; 10 min a feature)",
      ),
    )
    .addOption(
      new Option("--swap-size <size>", "size of /swapfile-pool (default 32G)").argParser(
        parseSwapSize,
      ),
    )
    .option("--list", "list the features and the OSes they apply to")
    .option("--json", "one JSON object: each host with its status and each feature's")
    .addHelpText(
      "after",
      `
Examples:
  pool init --list
  pool init all --dry-run
  pool init gpu1 --only earlyoom,swapfile --swap-size 16G
Each feature reports ok (changed), already, skipped (why) or failed (last error). Runs as root:
directly when logged in as root, else with sudo -n if the host was added with --sudo.`,
    )
    .action((hosts: string, opts: InitCliOptions) => {
      // --list asks nothing of any host: what else was given would silently mean nothing.
      const ignored = opts.list &&
        (hosts !== "all" || opts.only || opts.skip || opts.dryRun || opts.swapSize ||
          opts.jobs !== undefined || opts.timeout !== undefined);
      if (ignored) throw new UsageError("--list takes no hosts or options but --json");
      return run((deps) =>
        opts.list ? listFeatures(deps, opts.json) : init({
          hosts,
          only: opts.only,
          skip: opts.skip,
          dryRun: opts.dryRun,
          jobs: opts.jobs,
          swapBytes: opts.swapSize,
          json: opts.json,
          timeout: opts.timeout,
        }, deps)
      );
    });
