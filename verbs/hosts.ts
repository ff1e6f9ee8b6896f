/**
 * `pool hosts [selection]`: bare names or targets, one a line, so pool
 * composes with pipes and with other tools' host files.
 */

import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { type Host, isExcluded, isLocal } from "../roster/host.ts";
import { selectHosts } from "../roster/select.ts";
import { splitTarget } from "../roster/target.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

export const FORMATS = ["names", "targets", "pdsh", "pssh", "complete"] as const;
export type HostsFormat = typeof FORMATS[number];

/** pssh's host file wants `[user@]host[:port]`; an ssh:// target is rewritten, anything else kept. */
function psshLine(host: Host): string {
  if (!host.ssh.startsWith("ssh://")) return host.ssh;
  const t = splitTarget(host.ssh);
  const h = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `${t.user ? t.user + "@" : ""}${h}${t.port ? ":" + t.port : ""}`;
}

export async function hosts(
  selection: string | undefined,
  format: string,
  deps: Deps,
): Promise<number> {
  const outLine = (line: string) => deps.out.outLine(line);
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format expects one of ${FORMATS.join(", ")}, got "${format}"`);
  }
  const roster = await loadRoster(deps);
  if (format === "complete") {
    // For shell completion: every name, every @tag, and the selection words; never fails.
    const tags = new Set(roster.hosts.flatMap((h) => h.tags ?? []));
    for (
      const word of [
        ...roster.hosts.map((h) => h.name),
        ...[...tags].map((t) => "@" + t),
        "all",
        "local",
      ]
    ) {
      outLine(word);
    }
    return 0;
  }
  const chosen = selection === undefined
    ? roster.hosts.filter((h) => !isExcluded(h))
    : selectHosts(selection, roster.hosts).hosts.filter((h) => !isLocal(h));
  for (const h of chosen) {
    if (format === "names") outLine(h.name);
    else if (format === "pssh") outLine(psshLine(h));
    else if (format === "pdsh" && h.ssh.startsWith("ssh://")) {
      // pdsh reads aliases and user@host, but has no per-host port.
      if (splitTarget(h.ssh).port) {
        deps.out.warn(`${h.name}: pdsh cannot reach a non-default port (${h.ssh}); left out`);
      } else outLine(psshLine(h));
    } else outLine(h.ssh);
  }
  return 0;
}

export const hostsCommand = (run: Run) =>
  new Command("hosts")
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
    .action((selection: string | undefined, opts: { format?: string }) =>
      run((deps) => hosts(selection, opts.format ?? "names", deps))
    );
