/**
 * `pool hosts [selection]`: bare names or targets, one a line, so pool
 * composes with pipes and with other tools' host files.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { choiceOption } from "../flags.ts";
import {
  completionWords,
  exportable,
  FORMATS,
  hostLine,
  type ListFormat,
} from "../render/host_lists.ts";
import { JOB_ID } from "../ledger/jobs.ts";
import { isExcluded, isLocal } from "../roster/host.ts";
import { type Deps, loadRoster, type Run, sayExcluded, selectFromRoster } from "../deps/deps.ts";

export async function hosts(
  selection: string | undefined,
  format: string,
  deps: Deps,
  json = false,
): Promise<number> {
  const outLine = (line: string) => deps.out.outLine(line);
  if (format === "complete-job") {
    // For kill, logs and wait: the local job index only, never a host. An id pool could not
    // have written (a hand edit) is no word to offer a shell. The newest first.
    const jobs = await deps.jobs.read();
    jobs.filter((j) => JOB_ID.test(j.id)).reverse().forEach((j) => outLine(j.id));
    return 0;
  }
  const roster = await loadRoster(deps);
  if (format.startsWith("complete")) {
    // For shell completion: never fails on a host (words carry no target, so only names are
    // checked); a bad POOL_* setting still stops it, as every verb, and Tab then offers nothing.
    let hosts = exportable(roster.hosts, deps.out, false);
    // complete-tag NAME: that host's tags alone, the ones `tag NAME --rm` can remove (none for
    // a name no host has).
    if (format === "complete-tag" && selection !== undefined) {
      hosts = hosts.filter((h) => h.name === selection);
    }
    const words = completionWords(hosts, format);
    words.forEach((word) => outLine(word));
    return 0;
  }
  // Excluded hosts left out are said on stderr, as every verb that selects says them.
  const selected = selection === undefined ? [] : (await selectFromRoster(deps, selection)).hosts;
  if (selection === undefined) sayExcluded(deps, roster.hosts.filter(isExcluded));
  // Not a silent nothing: `local` is this machine, with no ssh target for another tool to use.
  if (selected.some(isLocal)) deps.out.warn("local is this machine, not a roster host: left out");
  const chosen = selection === undefined
    ? roster.hosts.filter((h) => !isExcluded(h))
    : selected.filter((h) => !isLocal(h));
  // A selection the list cannot hold whole is exit 1: `local` left out counts too.
  const whole = (listed: number) => selection === undefined || listed === selected.length;
  if (json) {
    const hosts = exportable(chosen, deps.out).map((h) => ({
      name: h.name,
      ssh: h.ssh,
      os: h.os ?? "unknown",
      sudo: h.sudo ?? false,
      tags: h.tags ?? [],
      excluded: isExcluded(h),
    }));
    deps.out.outLine(jsonLine({ hosts }));
    return whole(hosts.length) ? 0 : 1;
  }
  // Every host is what another tool can reach, each left out said on stderr; but a selection
  // the list cannot hold whole (`pool hosts gpu3 --format pdsh`) is a failure, exit 1.
  let shown = 0;
  for (const h of exportable(chosen, deps.out, format !== "names")) {
    const line = hostLine(h, format as ListFormat, deps.out);
    if (line === null) continue;
    outLine(line);
    shown++;
  }
  return whole(shown) ? 0 : 1;
}

export const hostsCommand = (run: Run) =>
  new Command("hosts")
    .description("print host names or ssh targets, one a line (default: every host not excluded)")
    .argument("[selection]", "all, a name, h1,h2, @tag, !name")
    .addOption(
      choiceOption(
        "--format <format>",
        "names (default), targets, pdsh or pssh (complete…: for the completion scripts)",
        FORMATS,
      ),
    )
    .addHelpText(
      "after",
      `
Examples:
  pool hosts @gpu
      names, one a line
  export PDSH_SSH_ARGS_APPEND="\${POOL_SSH_CONFIG:+-F $POOL_SSH_CONFIG}"
      where POOL_SSH_CONFIG is set, pdsh's ssh needs it too
  pdsh -R ssh -w "$(pool hosts --format pdsh | paste -sd,)" uptime
  parallel-ssh \${POOL_SSH_CONFIG:+-x "-F $POOL_SSH_CONFIG"} -h <(pool hosts --format pssh) -i uptime`,
    )
    .option("--json", "the chosen hosts as JSON: name, ssh, os, sudo, tags, excluded")
    .action((selection: string | undefined, opts: { format?: string; json?: boolean }) =>
      run((deps) => hosts(selection, opts.format ?? "names", deps, opts.json))
    );
