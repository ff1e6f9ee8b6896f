/**
 * `pool init [hosts] [--only f,g] [--skip f] [--dry-run] [--jobs N] [--list]`:
 * bootstrap hosts with the features of features/, in order, each reporting
 * ok (changed), already, skipped (with why) or failed (with the last error).
 */

import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { errLine, out, outLine } from "../render/out.ts";
import { prefixer } from "../render/fanout.ts";
import { renderTable } from "../render/table.ts";
import type { Host } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { featurePayload, FEATURES, parseResult } from "../features/mod.ts";
import { parseSize } from "../dispatch/size.ts";
import { exitWith, parseCount, selectFromRoster, withInterrupt } from "./_common.ts";
import { lastWords, runAsRoot } from "./_root.ts";

export interface InitOptions {
  hosts: string;
  only?: string[];
  skip?: string[];
  dryRun?: boolean;
  jobs?: number;
  swapBytes?: number;
}

/** A feature may install packages: generous, but never forever. */
const FEATURE_TIMEOUT_MS = 600_000;

function chosenFeatures(only?: string[], skip?: string[]) {
  const valid = FEATURES.map((f) => f.name);
  for (const name of [...(only ?? []), ...(skip ?? [])]) {
    if (!valid.includes(name)) {
      throw new UsageError(`Unknown feature "${name}" (valid: ${valid.join(", ")})`);
    }
  }
  return FEATURES.filter((f) => (!only || only.includes(f.name)) && !skip?.includes(f.name));
}

export async function init(options: InitOptions): Promise<number> {
  const features = chosenFeatures(options.only, options.skip);
  const selection = await selectFromRoster(options.hosts);
  const prefix = prefixer(selection.hosts.map((h) => h.name));
  const matrix = await withInterrupt((signal) =>
    poolMap(selection.hosts, options.jobs ?? 4, async (host: Host) => {
      const statuses: string[] = [];
      for (const feature of features) {
        if (signal.aborted) {
          statuses.push("interrupted");
          continue;
        }
        const say = (status: string, message: string) => {
          statuses.push(status);
          outLine(`${prefix(host.name)}${feature.name}: ${status}${message ? "  " + message : ""}`);
        };
        if (host.os === "linux" || host.os === "macos") {
          if (!feature.os.includes(host.os)) {
            say("skipped", `not for ${host.os}`);
            continue;
          }
        }
        const args = [options.dryRun ? "dry-run" : "apply"];
        if (feature.name === "swapfile" && options.swapBytes) args.push(String(options.swapBytes));
        const result = await runAsRoot(host, await featurePayload(feature.name), args, {
          timeoutMs: FEATURE_TIMEOUT_MS,
          signal,
        });
        const parsed = parseResult(result.stdout);
        if (parsed) say(parsed.status, parsed.message);
        else say("failed", lastWords(result));
      }
      return statuses;
    })
  );

  const table = [
    ["", ...features.map((f) => f.name)],
    ...selection.hosts.map((h, i) => [h.name, ...matrix[i]]),
  ];
  errLine("");
  errLine((await renderTable(table)).trimEnd());
  if (options.dryRun) errLine("dry run: nothing was changed");
  return matrix.flat().some((s) => s === "failed" || s === "interrupted") ? 1 : 0;
}

export async function listFeatures(): Promise<number> {
  const rows = FEATURES.map((f) => [
    f.name,
    f.os.includes("linux") ? "linux" : "-",
    f.os.includes("macos") ? "macos" : "-",
    f.summary,
  ]);
  out(await renderTable([["feature", "linux", "macos", "what"], ...rows]));
  return 0;
}

const list = (value: string) => value.split(",").map((s) => s.trim()).filter(Boolean);

export const initCommand = new Command("init")
  .description(
    "bootstrap hosts: tailscale, disk-cleanup, no-sleep, journal, panic, earlyoom, swap, watchdog",
  )
  .argument("[hosts]", "a host, all (default), a comma list, @tag", "all")
  .option("--only <features>", "only these features (comma list)", list)
  .option("--skip <features>", "all but these features (comma list)", list)
  .option("--dry-run", "say what would change on each host; change nothing")
  .option("--jobs <n>", "hosts bootstrapped at once (default 4)")
  .option("--swap-size <size>", "size of /swapfile-pool (default 32G)")
  .option("--list", "list the features and the OSes they apply to")
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
  .action(async (hosts: string, opts: {
    only?: string[];
    skip?: string[];
    dryRun?: boolean;
    jobs?: string;
    swapSize?: string;
    list?: boolean;
  }) => {
    if (opts.list) return exitWith(await listFeatures());
    exitWith(
      await init({
        hosts,
        only: opts.only,
        skip: opts.skip,
        dryRun: opts.dryRun,
        jobs: opts.jobs === undefined ? undefined : parseCount(opts.jobs, "--jobs"),
        swapBytes: opts.swapSize === undefined
          ? undefined
          : parseSize(opts.swapSize, "--swap-size"),
      }),
    );
  });
