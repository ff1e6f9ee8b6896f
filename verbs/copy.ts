/**
 * `pool push <hosts> <path...> <dest>` and `pool pull <hosts> <remote-path...> <local-dir>`:
 * files to and from many hosts at once, like pdcp/rpdcp, pscp/pslurp and
 * `clush --copy/--rcopy`. rsync where both ends have it, else tar over ssh;
 * a pull lands in <local-dir>/<host>/ so hosts never overwrite each other.
 * One result line per host as it finishes, a summary of failures on
 * stderr, and the worst host's code.
 */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { join } from "../paths.ts";
import { PoolError, UsageError } from "../errors.ts";
import { abortCode, worstCode } from "../exit.ts";
import { durationOption, jobsOption } from "../flags.ts";
import { copyJson, copyLine, ProgressLine } from "../render/copies.ts";
import { printSummary } from "../render/fanout.ts";
import { padder } from "../render/table.ts";
import type { Host } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import type { CopyRequest, CopyResult } from "../remote/transfer.ts";
import { type Deps, type Run, selectFromRoster } from "../deps/deps.ts";

/** A CopyRequest for each selected host (pull: `dest` is where each host's folder goes), and how to run them. */
export interface CopyOptions extends Omit<CopyRequest, "direction"> {
  hosts: string;
  json?: boolean;
  jobs?: number;
  /** Milliseconds per host; Infinity (the default) = none. */
  timeout?: number;
}

/** Hosts copied to at once: a copy is bound by the network and the disks, not by ssh. */
export const COPY_JOBS = 16;

/** A path no command line can carry (only MCP can send one): the request's fault, not a host's. */
function checkPaths(options: CopyOptions): void {
  const paths = [...options.sources, options.dest, ...options.exclude ?? []];
  if (paths.some((p) => p.includes("\0"))) throw new UsageError("a path contains a NUL byte");
}

export async function push(options: CopyOptions, deps: Deps): Promise<number> {
  checkPaths(options);
  for (const source of options.sources) {
    try {
      await Deno.lstat(source);
    } catch (e) {
      throw new PoolError(`cannot read ${source}: ${(e as Error).message.replace(/,.*$/, "")}`);
    }
  }
  return await copyMany("push", options, deps, () => ({
    direction: "push",
    sources: options.sources,
    dest: options.dest,
    delete: options.delete,
    exclude: options.exclude,
    gitignore: options.gitignore,
    dryRun: options.dryRun,
  }));
}

export async function pull(options: CopyOptions, deps: Deps): Promise<number> {
  checkPaths(options);
  if (options.gitignore) throw new UsageError("--gitignore is for push: git reads local files");
  return await copyMany("pull", options, deps, (host) => ({
    direction: "pull",
    sources: options.sources,
    dest: join(options.dest, host.name),
    delete: options.delete,
    exclude: options.exclude,
    dryRun: options.dryRun,
  }));
}

async function copyMany(
  direction: "push" | "pull",
  options: CopyOptions,
  deps: Deps,
  request: (host: Host) => CopyRequest,
): Promise<number> {
  const { out, signal } = deps;
  const { hosts, skipped } = await selectFromRoster(deps, options.hosts);
  // Hosts the selection matched but left out are part of the answer, not silence.
  if (options.json) {
    for (const h of skipped) out.outLine(jsonLine({ name: h.name, status: "excluded" }));
  }
  const timeoutMs = options.timeout ?? Infinity;
  const pad = await padder(hosts.map((h) => h.name));
  const progress = new ProgressLine(out, direction, hosts.length);
  const verb = direction === "push" ? "sent" : "received";
  progress.draw();
  const results = await poolMap(hosts, options.jobs ?? COPY_JOBS, async (host) => {
    const result = signal.aborted
      ? stopped(host, abortCode(signal))
      : await copyOne(host, request(host), options, deps, timeoutMs, progress);
    progress.hostDone(result.method === "rsync" ? result.stats?.bytes ?? 0 : 0);
    progress.clear();
    out.outLine(
      options.json ? copyJson(result, options.dryRun) : copyLine(result, pad, verb, options.dryRun),
    );
    progress.draw();
    return result;
  });
  progress.clear();
  if (out.stdoutOpen) printSummary(out, results, timeoutMs);
  if (results.some((r) => r.outcome === "interrupted")) return abortCode(signal);
  return worstCode(results.map((r) => r.code));
}

async function copyOne(
  host: Host,
  request: CopyRequest,
  options: CopyOptions,
  deps: Deps,
  timeoutMs: number,
  progress: ProgressLine,
): Promise<CopyResult> {
  if (request.direction === "pull" && !options.dryRun) {
    // A host's folder is named after it: a name that is a path step would land elsewhere.
    if (host.name === "." || host.name === "..") {
      return stopped(host, 1, `host name "${host.name}" cannot name a folder`);
    }
    try {
      await Deno.mkdir(request.dest, { recursive: true });
    } catch (e) {
      return stopped(host, 1, `cannot create ${request.dest}: ${(e as Error).message}`);
    }
  }
  return await deps.runner.copy(host, request, {
    timeoutMs,
    signal: deps.signal,
    onBytes: (n) => progress.bytes(n),
  });
}

/** A host that never started: stopped before its turn, or refused here. */
function stopped(host: Host, code: number, reason?: string): CopyResult {
  return {
    host: host.name,
    code,
    outcome: reason ? "failed" : "interrupted",
    stdout: "",
    stderr: reason ? `pool: ${reason}\n` : "",
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new Uint8Array(0),
    durationMs: 0,
    ...(reason ? { reason } : {}),
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function copyFlags(command: Command, what: "push" | "pull"): Command {
  command
    .option("--delete", "remove files the destination has and the source does not")
    .option("--exclude <pattern>", "leave out files matching the pattern (repeatable)", collect);
  if (what === "push") {
    command.option("--gitignore", "send only what git keeps: tracked and not ignored, no .git");
  }
  return command
    .addOption(jobsOption("--jobs <n>", `at most n hosts at once (default ${COPY_JOBS}; 0 = all)`))
    .addOption(durationOption("--timeout <duration>", "per-host deadline (default none)"))
    .option("--dry-run", "say per host which method and command would copy; copy nothing")
    .option("--json", "one JSON object per host: name, exit, status, method, files, bytes");
}

type Flags = Omit<CopyOptions, "hosts" | "sources" | "dest">;

/**
 * `<path...> <dest>`: the last word is the destination. An empty word is no path: rsync would
 * read it as the login directory (a pull of a whole home from an unset `"$SRC"`) or `/`.
 */
function split(words: string[], usage: string): { sources: string[]; dest: string } {
  if (words.length < 2) throw new UsageError(`missing ${usage}`);
  if (words.some((w) => w === "")) {
    throw new UsageError("an empty path (an unset variable?): write ~ or . for a home or folder");
  }
  return { sources: words.slice(0, -1), dest: words.at(-1)! };
}

export const pushCommand = (run: Run) =>
  copyFlags(
    new Command("push")
      .description("copy local files to hosts (rsync where both ends have it, else tar over ssh)")
      .argument("<hosts>", "a host name, all, a comma list, @tag, h[1-8], gpu*")
      .argument("<paths...>", "local files or directories, then the directory on each host"),
    "push",
  )
    .addHelpText(
      "after",
      `
A path copies the file or directory itself into the destination; with a trailing / it copies a
directory's contents. The destination is a directory (made if missing), relative to the login
directory unless absolute.

Examples:
  pool push all ./app /srv
      /srv/app on every host
  pool push @gpu ./app/ work/app --delete
      the contents, mirrored: extra files removed
  pool push 'h[1-8]' . src/proj --gitignore
      a checkout without what git ignores
  pool push all conf.d /etc/app --dry-run
      which method and command, per host`,
    )
    .action((hosts: string, words: string[], flags: Flags) =>
      run((deps) =>
        push({
          hosts,
          ...split(words, "destination: pool push <hosts> <path...> <dest>"),
          ...flags,
        }, deps)
      )
    );

export const pullCommand = (run: Run) =>
  copyFlags(
    new Command("pull")
      .description("copy files from hosts into <local-dir>/<host>/ (like rpdcp, pslurp)")
      .argument("<hosts>", "a host name, all, a comma list, @tag, h[1-8], gpu*")
      .argument("<paths...>", "paths on each host, then the local directory"),
    "pull",
  )
    .addHelpText(
      "after",
      `
Each host's files land in <local-dir>/<host>/, so hosts never overwrite each other.

Examples:
  pool pull all /var/log/syslog logs
      logs/h1/syslog, logs/h2/syslog, ...
  pool pull @gpu work/app/results/ out
      the contents: out/gpu1/..., out/gpu2/...`,
    )
    .action((hosts: string, words: string[], flags: Flags) =>
      run((deps) =>
        pull(
          {
            hosts,
            ...split(words, "local directory: pool pull <hosts> <path...> <local-dir>"),
            ...flags,
          },
          deps,
        )
      )
    );
