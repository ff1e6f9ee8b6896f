/**
 * Copying files to and from a host: rsync when both ends have it (delta
 * transfer, --delete, excludes), else tar over ssh, which any stock host
 * can take. Both ride pool's own ssh command line — its config, BatchMode,
 * host-key default and shared connection — built by ssh.ts like every other.
 *
 * A source names a file or a directory, copied into the destination
 * directory under its own name; with a trailing `/` (or as `.`) a
 * directory's contents are copied instead — rsync's rule, kept by the tar
 * path too. Remote paths are relative to the login directory; `~/` is read
 * as that directory, since neither side gives it to a shell to expand. On
 * this machine (`local`), where commands start in pool's own directory, `~`
 * is $HOME.
 *
 * Here: the probe and the choice between the two methods. Each method has a file of its own
 * (rsync.ts, tar_copy.ts); --gitignore's lists are in git_lists.ts.
 */

import type { Host } from "../roster/host.ts";
import { execOnHost, type ExecOptions, type HostResult } from "./exec.ts";
import type { MuxSettings } from "./multiplex.ts";
import { runProcess } from "./process.ts";
import { shellLine, shQuote } from "./quote.ts";
import { homeOf, remotePath } from "./copy_paths.ts";
import { failed, planned } from "./copy_results.ts";
import { gitLists } from "./git_lists.ts";
import { localRsyncMajor, parseRsyncStats, rsyncArgv, rsyncMajor, rsyncShell } from "./rsync.ts";
import { tarCopy } from "./tar_copy.ts";

export interface CopyRequest {
  direction: "push" | "pull";
  /** push: local paths; pull: paths on the host. */
  sources: string[];
  /** push: the directory on the host; pull: the local directory this host's copy lands in. */
  dest: string;
  /** Remove what the destination has and the source does not (rsync --delete). */
  delete?: boolean;
  /** Patterns to leave out (rsync's and tar's --exclude). */
  exclude?: string[];
  /** push: leave out what git ignores in each source, and `.git` itself. */
  gitignore?: boolean;
  /** Ask the host which method it takes and say what would run; copy nothing, change nothing. */
  dryRun?: boolean;
}

export type CopyMethod = "rsync" | "tar";

export interface CopyStats {
  /** Files (of every kind) in the transfer; rsync only. */
  files?: number;
  /** Regular files whose contents were sent; rsync only. */
  transferred?: number;
  /** Bytes on the wire: rsync's own count, or the size of the tar stream. */
  bytes: number;
}

export interface CopyResult extends HostResult {
  method?: CopyMethod;
  /** Why tar and not rsync. */
  fallback?: string;
  stats?: CopyStats;
  /** The local command line that copied (or, in a dry run, would copy). */
  commandLine?: string;
}

export interface CopyOptions {
  /** Milliseconds for the whole copy (Infinity: none); exit 124 when it passes. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes of a tar stream as they pass, for a progress line. */
  onBytes?: (n: number) => void;
  mux?: MuxSettings;
}

/** Copies to or from one host; a failure is a result, never a throw. */
export async function copyOnHost(
  host: Host,
  request: CopyRequest,
  options: CopyOptions,
): Promise<CopyResult> {
  const started = performance.now();
  // One deadline for the whole copy: each step gets what is left of it.
  const exec = (): ExecOptions => ({
    timeoutMs: Math.max(0, started + options.timeoutMs - performance.now()),
    signal: options.signal,
    mux: options.mux,
  });
  const home = homeOf(host);
  const remoteDest = remotePath(request.dest, home);
  const probe = await execOnHost(host, probeCommand(request, remoteDest), {
    ...exec(),
    timeoutMs: Math.min(exec().timeoutMs, PROBE_TIMEOUT_MS),
  });
  // What the host said, as it said it: the line shown says `exit N` where it said nothing.
  if (probe.outcome !== "ok") return probe;
  const plan = await choose(host, probe.stdout, exec());
  if (typeof plan === "string") return failed(host, plan, started);
  const git = request.gitignore && request.direction === "push"
    ? await gitLists(request.sources)
    : null;
  if (typeof git === "string") return failed(host, git, started);
  try {
    if (plan.method === "rsync") {
      const argv = rsyncArgv(request, plan.rsh, plan.spec, git?.excludeFile ?? null, home);
      if (request.dryRun) return planned(host, "rsync", argv, started);
      const result = await runProcess(argv, {
        timeoutMs: exec().timeoutMs,
        signal: options.signal,
        // Nothing of pool's ties rsync to it (stdin null, a group of its own): killed outright,
        // pool left rsync, its ssh and the host's rsync copying on, to a file that completed later.
        guard: true,
      });
      return {
        ...result,
        host: host.name,
        method: "rsync",
        stats: parseRsyncStats(result.stdout, request.direction),
        commandLine: shellLine(argv),
        durationMs: Math.round(performance.now() - started),
      };
    }
    return await tarCopy(host, request, remoteDest, git, plan.fallback, exec, options, started);
  } finally {
    if (git) await Deno.remove(git.dir, { recursive: true }).catch(() => {});
  }
}

/** The probe's own deadline: a host that cannot say this much within it will not copy either. */
const PROBE_TIMEOUT_MS = 30_000;

/** One round trip: make the destination (push), and say which of rsync and tar the host has. */
export function probeCommand(request: CopyRequest, remoteDest: string): string {
  const make = request.direction === "push" && !request.dryRun
    ? `mkdir -p -- ${shQuote(remoteDest)} || exit 1; `
    : "";
  // rsync by its version line: one before 3.0 (macOS's stock 2.6.9) has no -s.
  return `${make}command -v rsync >/dev/null 2>&1 && echo "rsync $(rsync --version 2>&1 | head -n 1)"; ` +
    `command -v tar >/dev/null 2>&1 && echo tar; exit 0`;
}

interface RsyncPlan {
  method: "rsync";
  rsh: string;
  spec: string;
}
interface TarPlan {
  method: "tar";
  fallback: string;
}

/** rsync where both ends have 3.0 or later (for -s), else tar, saying why; a string: neither works. */
async function choose(
  host: Host,
  answer: string,
  exec: ExecOptions,
): Promise<RsyncPlan | TarPlan | string> {
  const lines = answer.split("\n").map((l) => l.trim());
  const remote = lines.find((l) => l.startsWith("rsync "));
  const remoteMajor = remote === undefined ? null : rsyncMajor(remote.slice("rsync ".length));
  const localMajor = await localRsyncMajor();
  let fallback: string;
  if (remote === undefined) fallback = `no rsync on ${host.name}`;
  else if (remoteMajor === null || remoteMajor < 3) fallback = `no rsync 3 on ${host.name}`;
  else if (localMajor === null || localMajor < 3) fallback = "no rsync 3 here";
  else return { method: "rsync", ...await rsyncShell(host, exec) };
  if (!lines.includes("tar")) return `neither rsync nor tar on ${host.name}`;
  return { method: "tar", fallback };
}
