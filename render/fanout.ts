/**
 * How a fan-out looks: prefixed live lines, gathered (`-b`) blocks, JSON
 * lines, and the failure summary on stderr.
 */

import type { HostResult } from "../remote/exec.ts";
import { foldNames } from "../roster/nodeset.ts";
import { formatDuration } from "./duration.ts";
import { jsonLine } from "./json_line.ts";
import type { Output } from "./out.ts";
import { padder } from "./table.ts";

/** The most of each host's stdout and stderr that on's --json and -b, and route's --json, hold: its last whole lines. */
export const HELD_OUTPUT_LIMIT = 16 * 1024 * 1024;

/** `[name]` padded inside the brackets to the longest name, as the old tool did. */
export async function prefixer(names: readonly string[]): Promise<(name: string) => string> {
  const pad = await padder(names);
  return (name) => `[${pad(name)}] `;
}

/**
 * One JSON object per host, on one line. `stdout` and `stderr` are the exact
 * bytes when they are UTF-8; otherwise a lossy string plus `stdout_base64` /
 * `stderr_base64` with the bytes themselves.
 */
export function hostJson(result: HostResult): string {
  return jsonLine(hostRecord(result));
}

/** hostJson's object, for a verb that adds to it (route's `ranking`). */
export function hostRecord(result: HostResult): Record<string, unknown> {
  return {
    name: result.host,
    exit: result.code,
    status: result.outcome,
    duration_ms: result.durationMs,
    ...textField("stdout", result.stdoutBytes),
    ...textField("stderr", result.stderrBytes),
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.stdoutOmittedLines ? { stdout_omitted_lines: result.stdoutOmittedLines } : {}),
    ...(result.stderrOmittedLines ? { stderr_omitted_lines: result.stderrOmittedLines } : {}),
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `{name: text}` when `bytes` are UTF-8; else a lossy text and `{name}_base64` with the bytes. */
export function textField(name: string, bytes: Uint8Array): Record<string, string> {
  try {
    return { [name]: strictUtf8.decode(bytes) };
  } catch {
    return {
      [name]: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes),
      [`${name}_base64`]: encodeBase64(bytes),
    };
  }
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Gathered output: hosts whose stdout, stderr and exit code are identical are
 * printed once (stdout's lines, then stderr's), under their names folded as
 * ClusterShell's clush -b folds them (`edge,h[1-5] (6)`), with the exit code
 * when it is not 0. Each stream is compared whole: how a host's two pipes
 * happened to interleave never splits a group.
 */
export function printCollapsed(out: Output, results: readonly HostResult[]): void {
  const groups = new Map<string, { names: string[]; body: Uint8Array[]; code: number }>();
  for (const r of results) {
    // Bytes, not decoded text: hosts that differ in a byte no decoder keeps (\377 and \376 both
    // read as U+FFFD) are two groups, and a Latin-1 host's bytes print as it wrote them.
    const [stdout, stderr] = [lineEnded(r.stdoutBytes), lineEnded(r.stderrBytes)];
    const key = JSON.stringify([r.code, asKey.decode(stdout), asKey.decode(stderr)]);
    const group = groups.get(key) ?? { names: [], body: [stdout, stderr], code: r.code };
    group.names.push(r.host);
    groups.set(key, group);
  }
  for (const { names, body, code } of groups.values()) {
    const title = `${foldNames(names)} (${names.length}${code === 0 ? "" : `, exit ${code}`})`;
    out.outLine("-".repeat(Math.min(title.length, 60)));
    out.outLine(title);
    out.outLine("-".repeat(Math.min(title.length, 60)));
    body.forEach((bytes) => out.outBytes(bytes));
  }
}

/** One byte, one character: a key that tells every byte string from every other. */
const asKey = new TextDecoder("latin1");

const CR = 13;
const LF = 10;

/**
 * A stream's bytes with its line ends as `\n` alone (a host that ends lines with `\r\n` says
 * the same), the last line ended too.
 */
function lineEnded(bytes: Uint8Array): Uint8Array {
  const kept = new Uint8Array(bytes.length + 1);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF) continue;
    kept[n++] = bytes[i];
  }
  if (n > 0 && kept[n - 1] !== LF) kept[n++] = LF;
  return kept.subarray(0, n);
}

/** On stderr: every host that did not simply succeed, grouped by what happened. */
export function printSummary(out: Output, results: readonly HostResult[], timeoutMs: number): void {
  const failed = results.filter((r) => r.outcome !== "ok");
  if (failed.length === 0) return;
  const names = (outcome: string, show: (r: HostResult) => string = (r) => r.host) =>
    failed.filter((r) => r.outcome === outcome).map(show);
  const lines: [string, string[]][] = [
    ["unreachable", names("unreachable", (r) => `${r.host} (${r.reason})`)],
    // With no limit of the verb's own, what timed out was a step with its own bound (push's
    // method probe): no "after no limit".
    [
      Number.isFinite(timeoutMs) ? `timed out after ${formatDuration(timeoutMs)}` : "timed out",
      names("timeout"),
    ],
    ["interrupted", names("interrupted")],
  ];
  const byCode = new Map<number, string[]>();
  // A command a signal killed is named by its code too (exit 139: h1), as a failed one is.
  for (const r of failed.filter((r) => r.outcome === "failed" || r.outcome === "signalled")) {
    const shown = r.reason ? `${r.host} (${r.reason})` : r.host;
    byCode.set(r.code, [...(byCode.get(r.code) ?? []), shown]);
  }
  for (const [code, hosts] of [...byCode].sort((a, b) => a[0] - b[0])) {
    lines.push([`exit ${code}`, hosts]);
  }
  out.errLine(`pool: ${failed.length} of ${results.length} hosts failed`);
  for (const [label, hosts] of lines) {
    if (hosts.length > 0) out.errLine(`  ${label}: ${hosts.join(", ")}`);
  }
}

/** One line on stderr when a foreground command did not simply run: timed out, or never reached. */
export function printForegroundFailure(
  out: Output,
  host: { name: string; ssh: string },
  result: HostResult,
  timeoutMs: number,
): void {
  if (result.outcome === "timeout") {
    out.errLine(`pool: ${host.name}: timed out after ${formatDuration(timeoutMs)}, killed`);
  }
  if (result.outcome === "unreachable") {
    out.errLine(`pool: ${host.name} (${host.ssh}) unreachable: ${result.reason}`);
  }
}
