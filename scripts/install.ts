/**
 * `deno task install [--force] [--uninstall]`: install pool the way its users expect.
 *
 * ~/.hx/bin/pool.bin  the program: dist/pool when `deno task compile` built it,
 *                     otherwise a launcher that runs this checkout with this Deno
 * ~/.hx/bin/pool      the shim on PATH (what `sidecar pool` also calls)
 *
 * Installing twice is harmless; --uninstall removes exactly what was installed
 * (a manifest records each file and its content) and leaves anything else be.
 * A file install did not write (the old tool this one replaces may sit there)
 * is never overwritten unless --force says so. Every failure is one line.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { shQuote } from "../remote/quote.ts";
import { build, BUNDLE_RUN_FLAGS } from "./build.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A failure whose message is the whole story: printed as one line, exit 1. */
class InstallError extends Error {}

/** Deno's message without the `: open '/path'` it ends with: our lines name the path themselves. */
function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/: \w+ '.*'$/s, "");
}

/** Missing, or under a "folder" that is a file: either way there is nothing at the path. */
function absent(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The launcher pool.bin is when there is no compiled binary: runs the checkout's bundle (or, when
 * it would not build, its pool.ts) with the Deno that installed it. POSIX sh, every path quoted,
 * and builtins only until the exec: scripts start pool often, and a fork would cost more than all
 * the checks. A missing Deno or checkout is one line instead of Deno's error or the shell's 127;
 * a bundle older than the checkout's git HEAD (a pull, a commit, a checkout) is rebuilt first, so
 * an installed pool never silently runs the code of before.
 */
export function launcherScript(
  o: { deno: string; denoDir: string; checkout: string; form: "bundle" | "source" },
): string {
  const program = o.form === "bundle"
    ? join(o.checkout, "dist", "bundle", "pool.js")
    : join(o.checkout, "pool.ts");
  const run = o.form === "bundle" ? BUNDLE_RUN_FLAGS.join(" ") : "--allow-all --quiet";
  const gone = (what: string, indent = "  ") =>
    `printf '%s\\n' "pool: ${what}; run deno task install again" >&2\n${indent}exit 1`;
  return `#!/bin/sh
# pool launcher written by deno task install: runs the checkout with the Deno that installed it.
# Builtins only before the exec: pool starts often. (Names start pool_: they may be in the
# environment, and an assignment would change what pool inherits.)
pool_deno=${shQuote(o.deno)}
pool_checkout=${shQuote(o.checkout)}
pool_program=${shQuote(program)}
if [ -z "\${DENO_DIR:-}" ]; then DENO_DIR=${shQuote(o.denoDir)}; fi
export DENO_DIR
if [ ! -x "$pool_deno" ]; then
  ${gone("the Deno pool was installed with is gone ($pool_deno)")}
fi
${
    o.form === "bundle" ? bundleChecks(gone) : `if [ ! -f "$pool_program" ]; then
  ${gone("the checkout pool was installed from is gone ($pool_checkout)")}
fi`
  }
exec "$pool_deno" run ${run} "$pool_program" "$@"
`;
}

/**
 * The bundle form's checks: the bundle is there and built since the checkout's HEAD last moved.
 * HEAD's mtime moves on a checkout of another branch, its branch's ref file on a commit, pull or
 * reset (the build writes pool.js afresh each time, so its mtime is the build's). A `.git` that
 * is a file (a worktree's, a submodule's) skips the check rather than follow it. (`-nt` is not
 * POSIX, but dash, bash, busybox and the BSDs' sh all have it.)
 */
function bundleChecks(gone: (what: string, indent?: string) => string): string {
  return `pool_git="$pool_checkout/.git"
pool_stale=
if [ ! -f "$pool_program" ]; then
  if [ ! -f "$pool_checkout/scripts/build.ts" ]; then
    ${gone("the checkout pool was installed from is gone ($pool_checkout)", "    ")}
  fi
  pool_stale="it is missing (a git clean?)"
elif [ -f "$pool_git/HEAD" ]; then
  if [ "$pool_git/HEAD" -nt "$pool_program" ]; then
    pool_stale="the checkout changed since it was built"
  else
    pool_head=
    IFS= read -r pool_head <"$pool_git/HEAD"
    case $pool_head in
    "ref: "*)
      if [ "$pool_git/\${pool_head#ref: }" -nt "$pool_program" ]; then
        pool_stale="the checkout changed since it was built"
      fi
      ;;
    esac
  fi
fi
if [ -n "$pool_stale" ]; then
  printf '%s\\n' "pool: note: rebuilding pool's bundle: $pool_stale" >&2
  if ! "$pool_deno" run --allow-all --no-config --quiet "$pool_checkout/scripts/build.ts" \\
    </dev/null >/dev/null 2>&1; then
    if [ ! -f "$pool_program" ]; then
      printf '%s\\n' "pool: cannot rebuild pool's bundle (deno task build in $pool_checkout says why)" >&2
      exit 1
    fi
    printf '%s\\n' "pool: warning: cannot rebuild pool's bundle (deno task build in $pool_checkout says why); running the old one" >&2
  fi
fi`;
}

/** The shim on PATH (also what `sidecar pool` runs). */
function shimScript(programPath: string): string {
  return `#!/bin/sh
# pool shim written by deno task install (also what \`sidecar pool\` runs): arguments, output and
# exit code pass through unchanged.
exec ${shQuote(programPath)} "$@"
`;
}

/** What pool.bin is to hold, and a few words saying which form that is. */
async function program(): Promise<{ bytes: Uint8Array; kind: string }> {
  try {
    const bytes = await Deno.readFile(join(repo, "dist", "pool"));
    return { bytes, kind: "the compiled binary dist/pool" };
  } catch (e) {
    if (!absent(e)) {
      throw new InstallError(`cannot read ${join(repo, "dist", "pool")}: ${reason(e)}`);
    }
  }
  // The Deno cache the install used, so the launcher finds pool's dependencies offline.
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!info.success) throw new InstallError(`deno info failed (exit ${info.code})`);
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  // The fast form (one bundle, no npm resolution at start) when it builds; the source otherwise.
  let form: "bundle" | "source" = "bundle";
  try {
    await build();
  } catch (e) {
    console.error(`install: warning: ${reason(e)}; installing the slower source form`);
    form = "source";
  }
  const script = launcherScript({ deno: Deno.execPath(), denoDir, checkout: repo, form });
  const kind = form === "bundle"
    ? "a launcher for the bundle " + join(repo, "dist", "bundle", "pool.js")
    : "a launcher for " + join(repo, "pool.ts");
  return { bytes: new TextEncoder().encode(script), kind };
}

/** Writes `bytes` to `path` by rename, so no reader sees half a file; no temp file stays behind. */
async function replaceFile(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}`;
  try {
    await Deno.writeFile(temp, bytes, { mode });
    await Deno.chmod(temp, mode);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw new InstallError(`cannot write ${path}: ${reason(e)}`);
  }
}

/** The files an install recorded (path → SHA-256); undefined when there is no manifest. */
async function readManifest(path: string): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (absent(e)) return undefined;
    throw new InstallError(`cannot read ${path}: ${reason(e)}`);
  }
  let files: unknown;
  try {
    files = JSON.parse(text).files;
  } catch (e) {
    throw new InstallError(`cannot read ${path}: ${reason(e)}`);
  }
  const valid = typeof files === "object" && files !== null && !Array.isArray(files) &&
    Object.values(files).every((hash) => typeof hash === "string");
  if (!valid) throw new InstallError(`cannot read ${path}: "files" is not a map of path to hash`);
  return files as Record<string, string>;
}

async function saveManifest(path: string, files: Record<string, string>): Promise<void> {
  const text = JSON.stringify({ files }, null, 2) + "\n";
  await replaceFile(path, new TextEncoder().encode(text), 0o644);
}

/**
 * Whether install may put `bytes` at `path`: when nothing is there, when the file is the one the
 * manifest recorded (an earlier install's, unchanged since), or when it already holds `bytes`.
 */
async function mayReplace(
  path: string,
  bytes: Uint8Array,
  recorded: Record<string, string>,
): Promise<boolean> {
  try {
    if (!(await Deno.lstat(path)).isFile) return false;
    const hash = await sha256(await Deno.readFile(path));
    return hash === recorded[path] || hash === await sha256(bytes);
  } catch (e) {
    if (absent(e)) return true;
    throw new InstallError(`cannot read ${path}: ${reason(e)}`);
  }
}

async function install(bin: string, manifestPath: string, force: boolean): Promise<void> {
  const { bytes, kind } = await program();
  const programPath = join(bin, "pool.bin");
  const shimPath = join(bin, "pool");
  const targets = [[programPath, bytes], [
    shimPath,
    new TextEncoder().encode(shimScript(programPath)),
  ]] as const;

  // An unreadable manifest vouches for nothing: only files identical to ours may then be replaced.
  const files = await readManifest(manifestPath).catch(() => undefined) ?? {};
  if (!force) {
    const foreign = [];
    for (const [path, content] of targets) {
      if (!(await mayReplace(path, content, files))) foreign.push(path);
    }
    if (foreign.length > 0) {
      const [them, it] = foreign.length > 1 ? ["them", "are"] : ["it", "is"];
      throw new InstallError(
        `${foreign.join(" and ")} ${it} not what an earlier install wrote (an older pool?): ` +
          `move ${them} away, or pass --force to overwrite ${them}`,
      );
    }
  }
  try {
    await Deno.mkdir(bin, { recursive: true });
  } catch (e) {
    throw new InstallError(`cannot create ${bin}: ${reason(e)}`);
  }
  // Each file goes into the manifest as soon as it is written, so --uninstall can remove what an
  // install that failed half-way left.
  for (const [path, content] of targets) {
    await replaceFile(path, content, 0o755);
    files[path] = await sha256(content);
    await saveManifest(manifestPath, files);
    console.log(`+ ${path}`);
  }
  console.log(`pool.bin is ${kind}`);
  warnAboutPath(bin, shimPath);
}

function warnAboutPath(bin: string, shimPath: string): void {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  const index = path.findIndex((d) => resolve(d) === resolve(bin));
  if (index === -1) {
    // Literally $HOME: a home with `$` or a backtick in it would run as code when pasted.
    console.error(
      `install: warning: ${bin} is not on PATH; add it: export PATH="$HOME/.hx/bin:$PATH"`,
    );
  }
  for (const dir of index === -1 ? path : path.slice(0, index)) {
    try {
      const info = Deno.statSync(join(dir, "pool"));
      if (info.isFile) {
        console.error(
          `install: warning: ${join(dir, "pool")} comes first on PATH and shadows ${shimPath}`,
        );
      }
    } catch { /* not there */ }
  }
}

async function uninstall(manifestPath: string): Promise<void> {
  const files = await readManifest(manifestPath);
  if (files === undefined || Object.keys(files).length === 0) {
    if (files !== undefined) await Deno.remove(manifestPath).catch(() => {});
    console.log("install: nothing to uninstall");
    return;
  }
  const left: Record<string, string> = {};
  let failure: string | undefined;
  for (const [path, hash] of Object.entries(files)) {
    try {
      const info = await Deno.lstat(path);
      if (!info.isFile || (await sha256(await Deno.readFile(path))) !== hash) {
        console.error(`install: keeping ${path}: changed since it was installed`);
        continue;
      }
      await Deno.remove(path);
      console.log(`- ${path}`);
    } catch (e) {
      if (absent(e)) continue;
      left[path] = hash;
      failure ??= `cannot remove ${path}: ${reason(e)}`;
    }
  }
  // What could not be removed stays recorded, so a later --uninstall can finish the job.
  if (failure !== undefined) {
    await saveManifest(manifestPath, left);
    throw new InstallError(failure);
  }
  try {
    await Deno.remove(manifestPath);
  } catch (e) {
    if (!absent(e)) throw new InstallError(`cannot remove ${manifestPath}: ${reason(e)}`);
  }
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== "--uninstall" && a !== "--force");
  if (unknown.length > 0) {
    console.error(
      `install: unknown argument ${shQuote(unknown[0])} (expected --force, --uninstall)`,
    );
    return 2;
  }
  const home = Deno.env.get("HOME");
  if (!home) {
    console.error("install: HOME is not set");
    return 1;
  }
  const bin = join(home, ".hx", "bin");
  const manifestPath = join(bin, ".pool-install.json");
  try {
    if (args.includes("--uninstall")) await uninstall(manifestPath);
    else await install(bin, manifestPath, args.includes("--force"));
    return 0;
  } catch (e) {
    console.error(`install: ${e instanceof InstallError ? e.message : reason(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
