/**
 * `pool hosts [selection]`: bare names or targets, one a line, so pool
 * composes with pipes and with other tools' host files.
 */

import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { outLine } from "../render/out.ts";
import { completionWords, exportable, hostLine, type ListFormat } from "../render/host_lists.ts";
import { isExcluded, isLocal } from "../roster/host.ts";
import { selectHosts } from "../roster/select.ts";
import { exitWith, loadRoster } from "./_common.ts";

export const FORMATS = ["names", "targets", "pdsh", "pssh", "complete"] as const;
export type HostsFormat = typeof FORMATS[number];

export async function hosts(
  selection: string | undefined,
  format: string = "names",
): Promise<number> {
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${format}"`);
  }
  const roster = await loadRoster();
  if (format === "complete") {
    // For shell completion, so it never fails.
    completionWords(exportable(roster.hosts)).forEach((word) => outLine(word));
    return 0;
  }
  const chosen = selection === undefined
    ? roster.hosts.filter((h) => !isExcluded(h))
    : selectHosts(selection, roster.hosts).hosts.filter((h) => !isLocal(h));
  for (const h of exportable(chosen)) {
    const line = hostLine(h, format as ListFormat);
    if (line !== null) outLine(line);
  }
  return 0;
}

export const hostsCommand = new Command("hosts")
  .description("print host names or ssh targets, one a line (default: every host not excluded)")
  .argument("[selection]", "all, a name, h1,h2, @tag, !name")
  .option("--format <format>", `names (default), targets, pdsh, pssh, or complete`)
  .addHelpText(
    "after",
    `
Examples:
  pool hosts @gpu                                   # names, one a line
  pdsh -w "$(pool hosts --format pdsh | paste -sd,)" uptime
  parallel-ssh -h <(pool hosts --format pssh) -i uptime`,
  )
  .action(async (selection: string | undefined, opts: { format?: string }) =>
    exitWith(await hosts(selection, opts.format))
  );
