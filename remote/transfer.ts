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
 */

import { basename, dirname, join, resolve } from "../paths.ts";
import { EXIT } from "../exit.ts";
import { type Host, isLocal } from "../roster/host.ts";
import { splitTarget } from "../roster/target.ts";
import {
  execOnHost,
  type ExecOptions,
  execPlain,
  hostArgv,
  type HostResult,
  sshOptionsFor,
} from "./exec.ts";
import type { MuxSettings } from "./multiplex.ts";
import { type ProcessResult, runProcess } from "./process.ts";
import { shellLine, shQuote } from "./quote.ts";
import { sshCommand } from "./ssh.ts";
import { remoteScript, withoutComments } from "./scripts.ts";

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

/**
 * `~/x` → `x`, `~` → `.`: the login directory is where both rsync and tar
 * start. Given `home` (this machine's, for `local`), `~` is that instead.
 */
export function remotePath(path: string, home?: string): string {
  if (path === "~" || path === "~/") return home ?? ".";
  if (!path.startsWith("~/")) return path;
  const rest = path.slice(2).replace(/^\/+/, "");
  return home === undefined ? rest || "." : rest ? join(home, rest) : home;
}

/** Where `~` points on `host`: its login directory, or $HOME on this machine. */
export function homeOf(host: Host): string | undefined {
  return isLocal(host) ? Deno.env.get("HOME") || undefined : undefined;
}

/**
 * A path as `cd` takes it without searching CDPATH (a relative one gets `./`):
 * a CDPATH in a host's profile must not move a copy, or its --delete, elsewhere.
 */
export function cdPath(path: string): string {
  return path.startsWith("/") || path.startsWith("./") ? path : `./${path}`;
}

/**
 * A local path as rsync's operand: a relative one with a `:` before any `/`
 * would be read as `host:path` (and rsync would open its own ssh there).
 */
function localOperand(path: string): string {
  return !path.startsWith("/") && /^[^/]*:/.test(path) ? `./${path}` : path;
}

/** Where a source's entries are taken from, and under which name: `dir` → (parent, dir); `dir/` → (dir, .). */
export function sourceRoot(path: string): { root: string; name: string } {
  const base = basename(path);
  if (path.endsWith("/") || base === "." || base === "..") return { root: path, name: "." };
  return { root: dirname(path), name: base };
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

/**
 * The major version in rsync's `--version` line (`rsync  version 3.2.7  protocol
 * version 31`); null for anything else (openrsync, a wrapper), which pool does not use.
 */
export function rsyncMajor(line: string): number | null {
  const m = /^rsync\s+version\s+v?(\d+)\./.exec(line.trim());
  return m ? Number(m[1]) : null;
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

let localRsync: Promise<number | null> | undefined;

/** The major version of this machine's rsync, null when it has none pool uses (asked once). */
function localRsyncMajor(): Promise<number | null> {
  localRsync ??= (async () => {
    try {
      // Spawning throws at once when there is no rsync: that is an answer, not a failure.
      const o = await new Deno.Command("rsync", {
        args: ["--version"],
        stdout: "piped",
        stderr: "null",
      }).output();
      return o.success ? rsyncMajor(new TextDecoder().decode(o.stdout).split("\n")[0]) : null;
    } catch {
      return null;
    }
  })();
  return localRsync;
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
  else {
    const shell = await rsyncShell(host, exec);
    if (shell) return { method: "rsync", ...shell };
    fallback = "pool's ssh command line has a quote rsync cannot carry";
  }
  if (!lines.includes("tar")) return `neither rsync nor tar on ${host.name}`;
  return { method: "tar", fallback };
}

/**
 * rsync's remote shell (`-e`) and the host part of its remote path. rsync
 * splits `-e` on spaces and reads single quotes but not backslashes, so a
 * word with a `'` in it cannot be carried: null, and tar is used.
 */
export async function rsyncShell(
  host: Host,
  exec: ExecOptions,
): Promise<{ rsh: string; spec: string } | null> {
  if (isLocal(host)) return { rsh: "", spec: "" };
  // An IPv6 address goes in brackets: rsync would split `2001:db8::5:dir` at its first colon.
  const t = splitTarget(host.ssh);
  const name = t.host.includes(":") ? `[${t.host}]` : t.host;
  const spec = t.user ? `${t.user}@${name}` : name;
  const port = t.port ? ["-p", String(t.port)] : [];
  const argv = [...sshCommand(await sshOptionsFor(host, exec)), ...port];
  if (argv.some((w) => w.includes("'"))) return null;
  return { rsh: shellLine(argv), spec };
}

/**
 * The rsync command line for `request` (`spec` empty for this machine itself,
 * `home` its $HOME, for `~`).
 */
export function rsyncArgv(
  request: CopyRequest,
  rsh: string,
  spec: string,
  excludeFile: string | null,
  home?: string,
): string[] {
  const remote = (path: string) =>
    spec === "" ? localOperand(remotePath(path, home)) : `${spec}:${remotePath(path)}`;
  const sources = request.direction === "push"
    ? request.sources.map(localOperand)
    : request.sources.map(remote);
  const dest = request.direction === "push"
    ? remote(request.dest.replace(/\/*$/, "/"))
    : localOperand(request.dest.replace(/\/*$/, "/"));
  return [
    "rsync",
    "-a",
    // Paths travel inside rsync's protocol, never through a remote shell's word splitting.
    "-s",
    "--stats",
    ...(request.delete ? ["--delete"] : []),
    ...(request.exclude ?? []).map((p) => `--exclude=${p}`),
    ...(excludeFile ? ["--from0", `--exclude-from=${excludeFile}`] : []),
    ...(request.gitignore && request.direction === "push" ? ["--exclude=.git"] : []),
    ...(rsh ? ["-e", rsh] : []),
    "--",
    ...sources,
    dest,
  ];
}

/** The numbers of rsync's --stats: files, regular files sent, and bytes on the wire. */
export function parseRsyncStats(stdout: string, direction: "push" | "pull"): CopyStats {
  const number = (label: string) => {
    const m = new RegExp(`^${label}: ([\\d,.]+)`, "m").exec(stdout);
    return m ? Number(m[1].replace(/[,.]/g, "")) : undefined;
  };
  return {
    files: number("Number of files"),
    transferred: number("Number of regular files transferred"),
    bytes: number(direction === "push" ? "Total bytes sent" : "Total bytes received") ?? 0,
  };
}

interface GitLists {
  dir: string;
  /** rsync: what git ignores, as anchored exclude rules (NUL-separated). */
  excludeFile: string;
  /** tar: per source, the entries to send (NUL-separated, relative to the source's root). */
  fileLists: string[];
}

/**
 * What git would keep in each source (tracked files, and untracked ones it
 * does not ignore), as rsync excludes and as tar file lists. A source that
 * is not in a git checkout is an error: the caller asked for git's view.
 */
async function gitLists(sources: string[]): Promise<GitLists | string> {
  const dir = await Deno.makeTempDir({ prefix: "pool-push-" });
  const rules: string[] = [];
  const fileLists: string[] = [];
  for (const [i, source] of sources.entries()) {
    const { root, name } = sourceRoot(source);
    const inside = name === "." ? root : join(root, name);
    if (!(await Deno.stat(inside).then((s) => s.isDirectory, () => false))) {
      fileLists.push(""); // a single file: git has no say
      continue;
    }
    const kept = await git(inside, [
      "ls-files",
      "-z",
      "--cached",
      "--others",
      "--exclude-standard",
    ]);
    const ignored = await git(inside, [
      "ls-files",
      "-z",
      "--others",
      "--ignored",
      "--exclude-standard",
      "--directory",
    ]);
    if (kept === null || ignored === null) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return `--gitignore: ${source} is not in a git checkout`;
    }
    const prefix = name === "." ? "" : `${name}/`;
    for (const path of ignored) rules.push("/" + escapeRule(prefix + path));
    // The index may list files deleted since: only what is there can be sent.
    const present: string[] = [];
    for (const path of kept) {
      // `./` first: tar reads a listed name that starts with `-` as an option.
      if (await Deno.lstat(join(inside, path)).then(() => true, () => false)) {
        present.push(`./${prefix}${path}`);
      }
    }
    const list = join(dir, `files.${i}`);
    await Deno.writeTextFile(list, present.map((p) => p + "\0").join(""));
    fileLists.push(list);
  }
  const excludeFile = join(dir, "excludes");
  await Deno.writeTextFile(excludeFile, rules.map((r) => r + "\0").join(""));
  return { dir, excludeFile, fileLists };
}

async function git(cwd: string, args: string[]): Promise<string[] | null> {
  const out = await new Deno.Command("git", {
    args: ["-C", cwd, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (!out?.success) return null;
  return new TextDecoder().decode(out.stdout).split("\0").filter(Boolean);
}

/** A path as an rsync rule that matches only it: wildcard characters escaped where rsync reads them. */
function escapeRule(path: string): string {
  return /[*?[]/.test(path) ? path.replace(/[\\*?[]/g, "\\$&") : path;
}

/** How long a stopped or failed copy's stage gets to be removed, the copy's deadline past or not. */
const CLEANUP_TIMEOUT_MS = 10_000;

/**
 * The fallback: one tar stream over pool's ssh. Push: a local `tar -c` into
 * `tar -x` on the host; pull: `tar -c` on the host into a local `tar -x`.
 * Only options every tar has on the host side (-c -x -f -C -p, and
 * --exclude when asked for). The stream is unpacked into a stage of its own
 * in the destination, and put in place (replace_from_stage.sh) only once both
 * ends finished well: a copy cut short leaves the old files as they were.
 */
async function tarCopy(
  host: Host,
  request: CopyRequest,
  remoteDest: string,
  git: GitLists | null,
  fallback: string,
  exec: () => ExecOptions,
  options: CopyOptions,
  started: number,
): Promise<CopyResult> {
  // rsync never deletes what an exclude keeps from the copy; tar cannot tell it apart.
  if (request.delete && ((request.exclude ?? []).length > 0 || git)) {
    return failed(
      host,
      `--delete with --exclude or --gitignore needs rsync here and on ${host.name} ` +
        `(${fallback}): tar would delete what they keep`,
      started,
    );
  }
  // Patterns tar would read otherwise than rsync: refused, never a different copy.
  const contents = request.sources.some((s) => sourceRoot(s).name === ".");
  for (const pattern of request.exclude ?? []) {
    const unlike = tarUnlike(pattern, contents);
    if (unlike) {
      return failed(
        host,
        `--exclude ${pattern} needs rsync here and on ${host.name} (${fallback}): ${unlike}`,
        started,
      );
    }
  }
  const mode = request.delete ? "mirror" : "merge";
  // --gitignore sends no .git, a submodule's either (its lists name the submodule's folder).
  const excludes = [...request.exclude ?? [], ...git ? [".git"] : []].map((p) => `--exclude=${p}`);
  let bytes = 0;
  const count = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length;
      options.onBytes?.(chunk.length);
      controller.enqueue(chunk);
    },
  });
  if (request.direction === "push") {
    const local = ["tar", "-c", "-f", "-", ...excludes];
    for (const [i, source] of request.sources.entries()) {
      const { root, name } = sourceRoot(source);
      local.push("-C", resolve(root));
      if (git && git.fileLists[i]) local.push("--null", "-T", git.fileLists[i]);
      else local.push(tarName(name));
    }
    // The stream goes into a folder of its own first, and takes the old copy's place only once
    // pool has seen both ends finish well (a second command).
    const stage = `.pool-unpack.${crypto.randomUUID().slice(0, 8)}`;
    const remote = `cd -- ${shQuote(cdPath(remoteDest))} && ` +
      `mkdir -- ${stage} && tar -x -p -f - -C ${stage}`;
    const line = `${shellLine(local)} | ${shellLine(await hostArgv(host, remote, exec()))}`;
    if (request.dryRun) return planned(host, "tar", null, started, line, fallback);
    const tar = spawnLocal(local, "null");
    const result = await execPlain(host, remote, {
      ...exec(),
      inputStream: tar.child.stdout.pipeThrough(count),
    });
    const copied = await settle(result, tar, {
      host,
      bytes: () => bytes,
      line,
      fallback,
      started,
      reader: "local",
    });
    if (copied.outcome === "ok") {
      const names = request.sources.map((s) => sourceRoot(s).name);
      // Supervised: a deadline or a stop ends it on the host too, not only its ssh.
      const replaced = await execOnHost(
        host,
        ["sh", "-c", replaceScript(), "pool-replace", mode, remoteDest, stage, ...names]
          .map(shQuote).join(" "),
        exec(),
      );
      return afterSwap(copied, replaced);
    }
    // Stopped or failed: the stage goes, a stop or a deadline past notwithstanding (made the
    // owner's to write first: tar gave its folders their modes, read-only ones too).
    await execPlain(
      host,
      `cd -- ${shQuote(cdPath(remoteDest))} && { chmod -R u+w -- ${stage}; rm -rf -- ${stage}; }`,
      { timeoutMs: CLEANUP_TIMEOUT_MS, mux: options.mux },
    );
    return copied;
  }
  // pull. GNU tar reads each -C relative to the one before: every root is made absolute,
  // a relative one from the login directory the command starts in.
  const names = await expandWildcards(
    host,
    request.sources.map((s) => sourceRoot(remotePath(s, homeOf(host)))),
    fallback,
    exec(),
  );
  if (typeof names === "string") return failed(host, names, started);
  const remote = ["tar", "-c", "-f", "-", ...excludes].map(shQuote).concat(
    names.flatMap(({ root, name }) => [
      "-C",
      root.startsWith("/") ? shQuote(root) : `"$PWD"/${shQuote(root)}`,
      shQuote(tarName(name)),
    ]),
  ).join(" ");
  const local = ["tar", "-x", "-p", "-f", "-", "-C", request.dest];
  const line = `${shellLine(await hostArgv(host, remote, exec()))} | ${shellLine(local)}`;
  if (request.dryRun) return planned(host, "tar", null, started, line, fallback);
  // Unpacked into a folder of its own first; the old copy gives way only once all of the new
  // one has arrived.
  const stage = await Deno.makeTempDir({ dir: request.dest, prefix: ".pool-unpack." });
  let kept = false;
  try {
    const tar = spawnLocal([...local.slice(0, -1), stage], "piped");
    const sink = count.writable;
    count.readable.pipeTo(tar.child.stdin).catch(() => {});
    const result = await execPlain(host, remote, { ...exec(), stdoutSink: sink });
    const copied = await settle(result, tar, {
      host,
      bytes: () => bytes,
      line,
      fallback,
      started,
      reader: "remote",
    });
    if (copied.outcome !== "ok") return copied;
    // The same swap a push runs on the host, run here.
    const replaced = await runProcess(
      ["sh", "-c", replaceScript(), "pool-replace", mode, request.dest, basename(stage)].concat(
        names.map((n) => n.name),
      ),
      { timeoutMs: exec().timeoutMs, signal: options.signal },
    );
    // A swap that failed half way said where it keeps the new copy: it stays there.
    kept = replaced.outcome !== "ok";
    return afterSwap(copied, replaced);
  } finally {
    if (!kept) await removeStage(stage);
  }
}

const WILDCARD = /[*?[]/;

/**
 * A pulled path's wildcards (`logs/*.log`), as rsync expands them on the host: its sh lists
 * the matches before tar copies them, so a pull means the same with either method. Only the
 * wildcards go to that sh unquoted (a bracket only around letters, digits and `._-`): nothing
 * else of the path is ever read as shell. A pattern that matches nothing stays as it is, and
 * tar then says it is not there, as rsync does. A wildcard in a folder's name is refused.
 */
async function expandWildcards(
  host: Host,
  roots: { root: string; name: string }[],
  fallback: string,
  options: ExecOptions,
): Promise<{ root: string; name: string }[] | string> {
  const inFolder = roots.find((r) => WILDCARD.test(r.root));
  if (inFolder) {
    return `a wildcard in a folder's name (${inFolder.root}) needs rsync here and on ` +
      `${host.name} (${fallback})`;
  }
  if (!roots.some((r) => WILDCARD.test(r.name))) return roots;
  const lines = roots.flatMap((r, i) =>
    WILDCARD.test(r.name)
      ? [
        `(cd -- ${shQuote(r.root)} && for f in ${
          globWord(r.name)
        }; do printf '${i}/%s\\0' "$f"; done)`,
      ]
      : []
  );
  const listed = await execOnHost(host, lines.join(" && "), options);
  if (listed.outcome !== "ok") {
    return `cannot expand ${
      roots.filter((r) => WILDCARD.test(r.name)).map((r) => r.name).join(" ")
    }: ` +
      (listed.reason ?? (listed.stderr.trim().split("\n").pop() || `exit ${listed.code}`));
  }
  const matches = new Map<number, string[]>();
  for (const entry of new TextDecoder().decode(listed.stdoutBytes).split("\0").filter(Boolean)) {
    const slash = entry.indexOf("/");
    const i = Number(entry.slice(0, slash));
    matches.set(i, [...matches.get(i) ?? [], entry.slice(slash + 1)]);
  }
  return roots.flatMap((r, i) =>
    WILDCARD.test(r.name) ? (matches.get(i) ?? []).map((name) => ({ root: r.root, name })) : [r]
  );
}

/** `name` as a word for sh: its wildcards bare, everything else quoted. */
function globWord(name: string): string {
  const parts: string[] = [];
  let literal = "";
  const flush = () => {
    if (literal !== "") parts.push(shQuote(literal));
    literal = "";
  };
  for (let i = 0; i < name.length; i++) {
    const bracket = name[i] === "[" ? /^\[!?[A-Za-z0-9._-]+\]/.exec(name.slice(i)) : null;
    if (name[i] === "*" || name[i] === "?" || bracket) {
      flush();
      parts.push(bracket ? bracket[0] : name[i]);
      if (bracket) i += bracket[0].length - 1;
    } else literal += name[i];
  }
  flush();
  return parts.join("");
}

/** Removes a local stage, read-only folders and all (tar gave them their modes). */
async function removeStage(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
    return;
  } catch { /* a folder not ours to write, maybe */ }
  const writable = async (dir: string): Promise<void> => {
    await Deno.chmod(dir, 0o700).catch(() => {});
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await writable(join(dir, e.name));
    }
  };
  await writable(path).catch(() => {});
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/**
 * A copy whose second step (putting the new copy in place) failed is a failure, with that
 * step's own words; one that ran out of time or was stopped says so.
 */
function afterSwap(copied: CopyResult, replaced: ProcessResult): CopyResult {
  if (replaced.outcome === "ok") return copied;
  const kept = replaced.outcome === "timeout" || replaced.outcome === "interrupted";
  return {
    ...copied,
    code: replaced.code || EXIT.failure,
    outcome: kept ? replaced.outcome : "failed",
    stderr: replaced.stderr,
    stderrBytes: replaced.stderrBytes,
  };
}

/** A name as tar's operand: one that starts with `-` would be read as an option. */
function tarName(name: string): string {
  return name.startsWith("-") ? `./${name}` : name;
}

let replaceFromStage: string | undefined;

function replaceScript(): string {
  return replaceFromStage ??= withoutComments(remoteScript("replace_from_stage"));
}

interface LocalTar {
  child: Deno.ChildProcess;
  stderr: Promise<string>;
}

function spawnLocal(argv: string[], stdin: "null" | "piped"): LocalTar {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin,
    stdout: stdin === "null" ? "piped" : "null",
    stderr: "piped",
  }).spawn();
  return { child, stderr: new Response(child.stderr).text().catch(() => "") };
}

/** The copy's result: the connection's outcome first, then the local tar's. */
/**
 * Why tar would match `pattern` otherwise than rsync, if it would. rsync's anchored (`/x`) and
 * folder-only (`x/`) patterns match none of tar's names; in tar a `*` also matches `/`
 * (`app/*.o` takes `app/lib/y.o`); and a contents copy is sent as the member `.`, which a
 * pattern matching `.` (`.*`) takes with everything in it.
 */
function tarUnlike(pattern: string, contents: boolean): string | null {
  if (pattern.startsWith("/") || pattern.endsWith("/")) {
    return "tar matches no name with a leading or trailing /";
  }
  if (pattern.includes("/") && /[*?[]/.test(pattern)) {
    return "in tar a wildcard matches a / too";
  }
  if (contents && (pattern === "." || (pattern.startsWith(".") && /^\.[*?[]/.test(pattern)))) {
    return "tar would leave out the whole folder sent (its member .)";
  }
  return null;
}

/**
 * GNU tar's exit 1 as it reads: a file grew while it was read (a live log). What it sent is the
 * file as it was when tar began it, whole, as rsync's copy of such a file is: a success, its
 * warning kept. Any other word, or another code, is a failure.
 */
function grewOnly(code: number, stderr: string): boolean {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  return code === 1 && lines.length > 0 &&
    lines.every((l) => /: file changed as we read it$/.test(l));
}

async function settle(
  remote: HostResult,
  tar: LocalTar,
  info: {
    host: Host;
    bytes: () => number;
    line: string;
    fallback: string;
    started: number;
    /** Which end ran `tar -c`: a push's local tar, a pull's remote one. */
    reader: "local" | "remote";
  },
): Promise<CopyResult> {
  let result = remote;
  if (
    info.reader === "remote" && result.outcome === "failed" && grewOnly(result.code, result.stderr)
  ) {
    result = { ...result, outcome: "ok", code: 0 };
  }
  if (result.outcome !== "ok") {
    try {
      tar.child.kill("SIGTERM");
    } catch { /* already gone */ }
  }
  const exited = await tar.child.status;
  const stderr = await tar.stderr;
  const status = info.reader === "local" && grewOnly(exited.code, stderr)
    ? { success: true, code: 0 }
    : exited;
  const base: CopyResult = {
    ...result,
    host: info.host.name,
    method: "tar",
    fallback: info.fallback,
    stats: { bytes: info.bytes() },
    commandLine: info.line,
    durationMs: Math.round(performance.now() - info.started),
  };
  if (result.outcome !== "ok" || status.success) {
    // A warning the reading tar gave (a file that grew) stays in stderr.
    const warned = info.reader === "local" && exited.code === 1 ? stderr : "";
    return { ...base, stderr: result.stderr + (result.outcome === "ok" ? warned : stderr) };
  }
  const text = result.stderr + stderr;
  return {
    ...base,
    code: status.code || EXIT.failure,
    outcome: "failed",
    stderr: text,
    stderrBytes: new TextEncoder().encode(text),
  };
}

function planned(
  host: Host,
  method: CopyMethod,
  argv: string[] | null,
  started: number,
  line = argv ? shellLine(argv) : "",
  fallback?: string,
): CopyResult {
  return {
    host: host.name,
    code: 0,
    outcome: "ok",
    stdout: "",
    stderr: "",
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new Uint8Array(0),
    durationMs: Math.round(performance.now() - started),
    method,
    ...(fallback ? { fallback } : {}),
    commandLine: line,
  };
}

function failed(host: Host, message: string, started: number): CopyResult {
  const stderr = `pool: ${message}\n`;
  return {
    host: host.name,
    code: EXIT.failure,
    outcome: "failed",
    stdout: "",
    stderr,
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new TextEncoder().encode(stderr),
    durationMs: Math.round(performance.now() - started),
    reason: message,
  };
}
