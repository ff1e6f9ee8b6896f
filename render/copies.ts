/**
 * How copies look: one result line per host as it finishes, one JSON
 * object per host, and on a terminal a progress line on stderr.
 */

import type { CopyResult } from "../remote/transfer.ts";
import { jsonLine } from "./json_line.ts";
import type { Output } from "./out.ts";

/** `1.5 kB`, `20.2 MB`: decimal units, as rsync and most tools print sizes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n;
  let unit = "B";
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** What a host's copy did, in a few words. `sent` or `received` by direction. */
export function copyDetail(result: CopyResult, verb: "sent" | "received", dryRun = false): string {
  if (dryRun && result.outcome === "ok") {
    return `${result.fallback ? `(${result.fallback}) ` : ""}would run: ${result.commandLine}`;
  }
  if (result.outcome !== "ok") {
    if (result.reason) return result.reason;
    if (result.outcome === "timeout") return "timed out";
    // pool was stopped: rsync's or tar's last words then are about being killed.
    if (result.outcome === "interrupted") return `exit ${result.code}`;
    // rsync and tar say the cause first ("rsync: [sender] link_stat … failed") and its echoes
    // after ("rsync error: … (see previous errors)", "write error: Broken pipe"): the first of
    // their own lines, else the last line at all.
    // rsync's own summary ("rsync error: some files/attrs were not transferred (see previous
    // errors)") names no cause: the line before it does, with or without "rsync: ".
    // Run here, tar names itself by the path it was started as (`/usr/bin/tar: …`).
    // A line in parentheses is a pointer ("(see the rsync manpage for an explanation)").
    const lines = result.stderr.trim().split("\n").filter(Boolean);
    const causes = lines.filter((l) =>
      !/^rsync error: /.test(l) && !/tar: Exiting with failure status/.test(l) &&
      !/^\(.*\)$/.test(l)
    );
    const words = causes.find((l) => /^(\S*\/)?(rsync|tar): /.test(l)) ?? causes.at(-1) ??
      lines.at(-1);
    if (words === undefined) return `exit ${result.code}`;
    // The stream was not rsync's or tar's: the host's login shell printed something first.
    return /is your shell clean\?|does not look like a tar archive/.test(words)
      ? `${words} (the host's login shell prints text before the command: an rc file that echoes?)`
      : words;
  }
  const stats = result.stats;
  const bytes = formatBytes(stats?.bytes ?? 0);
  if (result.method === "rsync" && stats?.files !== undefined) {
    return `${stats.transferred ?? 0} of ${stats.files} files ${verb}, ${bytes}`;
  }
  return `everything ${verb}, ${bytes}${result.fallback ? ` (${result.fallback})` : ""}`;
}

/** One host's line: name, how (rsync, tar, or failed), and what happened. */
export function copyLine(
  result: CopyResult,
  pad: (name: string) => string,
  verb: "sent" | "received",
  dryRun = false,
): string {
  const how = result.outcome === "ok"
    ? result.method ?? "-"
    : result.outcome === "interrupted"
    ? "stopped"
    : "failed";
  return `${pad(result.host)}  ${how.padEnd(6)} ${copyDetail(result, verb, dryRun)}`;
}

/** One host's copy as one line of JSON. */
export function copyJson(result: CopyResult, dryRun = false): string {
  return jsonLine({
    name: result.host,
    exit: result.code,
    status: result.outcome,
    ...(result.method ? { method: result.method } : {}),
    ...(result.fallback ? { fallback: result.fallback } : {}),
    duration_ms: result.durationMs,
    ...(result.stats?.files !== undefined ? { files: result.stats.files } : {}),
    ...(result.stats?.transferred !== undefined
      ? { files_transferred: result.stats.transferred }
      : {}),
    ...(result.stats ? { bytes: result.stats.bytes } : {}),
    ...(result.commandLine ? { [dryRun ? "would_run" : "command"]: result.commandLine } : {}),
    stderr: result.stderr,
    ...(result.reason ? { reason: result.reason } : {}),
  });
}

/**
 * `pool: push 3/10 hosts, 12.3 MB` on stderr, rewritten in place, only on a
 * terminal. Result lines go around it: `clear()` before, `draw()` after.
 */
export class ProgressLine {
  #done = 0;
  #bytes = 0;
  #shown = false;
  #last = 0;
  readonly #on: boolean;

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly total: number,
  ) {
    this.#on = out.drawsOn("err");
  }

  bytes(n: number): void {
    this.#bytes += n;
    // Redrawn at most every 100 ms: a terminal is slower than a local tar.
    const now = performance.now();
    if (now - this.#last >= 100) this.draw();
  }

  hostDone(bytes: number): void {
    this.#done++;
    this.#bytes += bytes;
  }

  draw(): void {
    if (!this.#on) return;
    this.#last = performance.now();
    this.out.err(
      `\r\x1b[Kpool: ${this.label} ${this.#done}/${this.total} hosts, ${formatBytes(this.#bytes)}`,
    );
    this.#shown = true;
  }

  clear(): void {
    if (this.#shown) this.out.err("\r\x1b[K");
    this.#shown = false;
  }
}
