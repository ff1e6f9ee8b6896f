/**
 * Copying by tar: the fallback where either end has no rsync 3, one tar stream over pool's ssh
 * that any stock host can take. Apart from rsync.ts so that a reader of one copy method never
 * steps over the other; transfer.ts chooses between them.
 */

import { basename, join, resolve } from "../paths.ts";
import { EXIT } from "../exit.ts";
import type { Host } from "../roster/host.ts";
import { execOnHost, type ExecOptions, execPlain, hostArgv, type HostResult } from "./exec.ts";
import { type ProcessResult, runProcess, spawn } from "./process.ts";
import { shellLine, shQuote } from "./quote.ts";
import { remoteScript, withoutComments } from "./scripts.ts";
import type { CopyOptions, CopyRequest, CopyResult } from "./transfer.ts";
import { cdPath, homeOf, remotePath, sourceRoot } from "./copy_paths.ts";
import { failed, planned } from "./copy_results.ts";
import type { GitLists } from "./git_lists.ts";

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
export async function tarCopy(
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
    const line = `${NO_APPLE_DOUBLE}=1 ${shellLine(local)} | ${
      shellLine(await hostArgv(host, remote, exec()))
    }`;
    if (request.dryRun) return planned(host, "tar", null, started, line, fallback);
    const tar = await spawnLocal(local, "null", exec().timeoutMs, options.signal, {
      [NO_APPLE_DOUBLE]: "1",
    });
    if ("why" in tar) return failed(host, tar.why, started);
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
  const remote = ["env", `${NO_APPLE_DOUBLE}=1`, "tar", "-c", "-f", "-", ...excludes].map(shQuote)
    .concat(
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
    const tar = await spawnLocal(
      [...local.slice(0, -1), stage],
      "piped",
      exec().timeoutMs,
      options.signal,
    );
    if ("why" in tar) return failed(host, tar.why, started);
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

/**
 * macOS's tar (bsdtar) packs a file's extended attributes (com.apple.provenance, quarantine:
 * most files there have some) as a `._name` member beside it, which GNU tar on the other end
 * unpacks as a file of that name: a push from a Mac, or a pull from one, left `._*` litter
 * everywhere. Set for every `tar -c` pool runs; GNU tar ignores it.
 */
const NO_APPLE_DOUBLE = "COPYFILE_DISABLE";

interface LocalTar {
  child: Deno.ChildProcess;
  stderr: Promise<string>;
}

/**
 * tar here, started as pool starts ssh: out of descriptors it waits for one (up to the copy's
 * deadline), and what it cannot start is this host's failure, said in `why`.
 */
async function spawnLocal(
  argv: string[],
  stdin: "null" | "piped",
  deadlineMs: number,
  signal?: AbortSignal,
  env?: Record<string, string>,
): Promise<LocalTar | { why: string }> {
  try {
    const child = await spawn(
      argv,
      { stdin, stdout: stdin === "null" ? "piped" : "null", stderr: "piped", env },
      false,
      signal,
      deadlineMs,
    );
    return { child, stderr: new Response(child.stderr).text().catch(() => "") };
  } catch (e) {
    return { why: `cannot start tar here: ${(e as Error).message}` };
  }
}

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

/** The copy's result: the connection's outcome first, then the local tar's. */
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
