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
export function exportable(hosts: Host[], out: Output, withTarget = true): Host[] {
  return hosts.filter((h) => {
    const problem = exportProblem(h, withTarget);
    if (problem) out.warn(`${visible(h.name)}: ${problem}; left out`);
    return problem === null;
  });
}

/** What `pool hosts --format` prints: host lists for people and tools, and words for completion. */
export const FORMATS = [
  "names",
  "targets",
  "pdsh",
  "pssh",
  "complete",
  "complete-name",
  "complete-host",
  "complete-tag",
  "complete-job",
] as const;
export type ListFormat = "names" | "targets" | "pdsh" | "pssh";

/** One host's line in a host list; null when that tool cannot reach it (said on stderr). */
export function hostLine(host: Host, format: ListFormat, out: Output): string | null {
  if (format === "names") return host.name;
  if (format === "pssh") return psshLine(host, out);
  if (format === "pdsh") return pdshLine(host, out);
  return host.ssh;
}

/** pssh's host file wants `[user@]host[:port]`; an ssh:// target is rewritten, anything else kept. */
/**
 * pssh splits a line's port off at its last `:` and takes brackets as part of the name: an
 * IPv6 address is written bare with its port after it (`::1:22`), the only form pssh reads
 * right, and left out (with a warning) where the roster gives no port.
 */
function psshLine(host: Host, out: Output): string | null {
  const t = splitTarget(host.ssh);
  if (!t.host.includes(":")) {
    if (!host.ssh.startsWith("ssh://")) return host.ssh;
    return `${t.user ? t.user + "@" : ""}${t.host}${t.port ? ":" + t.port : ""}`;
  }
  if (t.port === undefined) {
    // An IPv6 address without its port, or a name with a colon (`h1:22`, `exec:h1`): ssh reads
    // it whole, pssh would split it.
    out.warn(
      `${host.name}: pssh would read the part of ${host.ssh} after its last ":" as a port; left out`,
    );
    return null;
  }
  return `${t.user ? t.user + "@" : ""}${t.host}:${t.port}`;
}

/**
 * pdsh reads aliases and user@host but has no per-host port: `ssh://…:22` is written without its
 * (default) port, and null (with a warning) for a host on any other port. Nor does it take a
 * host as it stands: `exec:h1` picks its rcmd module (the command runs here), `/h1` and `^file`
 * are its filter and host file, and an IPv6 address fails its whole list.
 */
function pdshLine(host: Host, out: Output): string | null {
  const t = splitTarget(host.ssh);
  if (/:/.test(`${t.user ?? ""}${t.host}`) || /^[/^]/.test(t.user ?? t.host)) {
    out.warn(`${host.name}: pdsh would read ${host.ssh} as its own syntax; left out`);
    return null;
  }
  if (!host.ssh.startsWith("ssh://")) return host.ssh;
  if (t.port !== undefined && t.port !== 22) {
    out.warn(`${host.name}: pdsh cannot reach a non-default port (${host.ssh}); left out`);
    return null;
  }
  return `${t.user ? t.user + "@" : ""}${t.host}`;
}

/**
 * For shell completion, what a verb's first argument may be (render/completions.ts):
 * - `complete`: a selection's words: every name, every @tag, `all` and `local`;
 * - `complete-name`: a roster host's name alone (rm, tag, include…);
 * - `complete-host`: that or `local`, this machine (bg);
 * - `complete-tag`: every tag, without its @ (tag); given a host's name, its own (tag --rm).
 * (`complete-job`, the job ids, comes from the job index: verbs/hosts.ts.)
 */
export function completionWords(hosts: Host[], format: string): string[] {
  const names = hosts.map((h) => h.name);
  if (format === "complete-name") return names;
  // A roster host named local is that word already.
  const local = names.includes("local") ? [] : ["local"];
  if (format === "complete-host") return [...names, ...local];
  const tags = new Set(hosts.flatMap((h) => h.tags ?? []));
  if (format === "complete-tag") return [...tags];
  return [...names, ...[...tags].map((t) => "@" + t), "all", ...local];
}
