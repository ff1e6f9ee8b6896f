/**
 * Hosts as other tools read them: pdsh's and pssh's host lines, and the
 * words shell completion offers. Every export starts from `exportable()`,
 * so a hand-edited host that fails validation never reaches those tools.
 */

import type { Output } from "./out.ts";
import type { Host } from "../roster/host.ts";
import { exportProblem } from "../roster/export_check.ts";
import { splitTarget } from "../roster/target.ts";
import { visible } from "./visible.ts";

/** The hosts that pass the export check; each one left out is named on stderr. */
export function exportable(hosts: Host[], out: Output): Host[] {
  return hosts.filter((h) => {
    const problem = exportProblem(h);
    if (problem) out.warn(`${visible(h.name)}: ${problem}; left out`);
    return problem === null;
  });
}

/** What `pool hosts --format` prints: host lists for people and tools, and words for completion. */
export const FORMATS = ["names", "targets", "pdsh", "pssh", "complete"] as const;
export type ListFormat = "names" | "targets" | "pdsh" | "pssh";

/** One host's line in a host list; null when that tool cannot reach it (said on stderr). */
export function hostLine(host: Host, format: ListFormat, out: Output): string | null {
  if (format === "names") return host.name;
  if (format === "pssh") return psshLine(host);
  if (format === "pdsh") return pdshLine(host, out);
  return host.ssh;
}

/** pssh's host file wants `[user@]host[:port]`; an ssh:// target is rewritten, anything else kept. */
function psshLine(host: Host): string {
  if (!host.ssh.startsWith("ssh://")) return host.ssh;
  const t = splitTarget(host.ssh);
  const h = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `${t.user ? t.user + "@" : ""}${h}${t.port ? ":" + t.port : ""}`;
}

/**
 * pdsh reads aliases and user@host but has no per-host port: `ssh://…:22` is written without its
 * (default) port, and null (with a warning) for a host on any other port.
 */
function pdshLine(host: Host, out: Output): string | null {
  if (!host.ssh.startsWith("ssh://")) return host.ssh;
  const t = splitTarget(host.ssh);
  if (t.port !== undefined && t.port !== 22) {
    out.warn(`${host.name}: pdsh cannot reach a non-default port (${host.ssh}); left out`);
    return null;
  }
  return `${t.user ? t.user + "@" : ""}${t.host}`;
}

/** For shell completion: every name, every @tag, and the selection words. */
export function completionWords(hosts: Host[]): string[] {
  const tags = new Set(hosts.flatMap((h) => h.tags ?? []));
  return [...hosts.map((h) => h.name), ...[...tags].map((t) => "@" + t), "all", "local"];
}
