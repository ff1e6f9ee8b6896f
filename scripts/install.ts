/**
 * `deno task install [--uninstall]`: install pool the way its users expect.
 *
 * ~/.hx/bin/pool.bin  the program: dist/pool when `deno task compile` built it,
 *                     otherwise a launcher that runs this checkout with this Deno
 * ~/.hx/bin/pool      the shim on PATH (what `sidecar pool` also calls)
 *
 * Installing twice is harmless; --uninstall removes exactly what was installed
 * (a manifest records each file and its content) and leaves anything else be.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { shQuote } from "../remote/quote.ts";
import { build, BUNDLE_RUN_FLAGS } from "./build.ts";

const home = Deno.env.get("HOME");
if (!home) {
  console.error("install: HOME is not set");
  Deno.exit(1);
}
const bin = join(home, ".hx", "bin");
const manifestPath = join(bin, ".pool-install.json");
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function readManifest(): Promise<Record<string, string>> {
  try {
    return JSON.parse(await Deno.readTextFile(manifestPath)).files ?? {};
  } catch {
    return {};
  }
}

async function uninstall(): Promise<void> {
  const files = await readManifest();
  for (const [path, hash] of Object.entries(files)) {
    try {
      const now = await sha256(await Deno.readFile(path));
      if (now !== hash) {
        console.error(`install: keeping ${path}: changed since it was installed`);
        continue;
      }
      await Deno.remove(path);
      console.log(`- ${path}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  await Deno.remove(manifestPath).catch(() => {});
}

async function install(): Promise<void> {
  await Deno.mkdir(bin, { recursive: true });
  const compiled = join(repo, "dist", "pool");
  let program: Uint8Array;
  let kind: string;
  try {
    program = await Deno.readFile(compiled);
    kind = "the compiled binary dist/pool";
  } catch {
    // The Deno cache the install used, so the launcher finds pool's dependencies offline.
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
    }).output();
    const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
    // The fast form (one bundle, no npm resolution at start) when it builds; the source otherwise.
    let run: string;
    try {
      run = `run ${BUNDLE_RUN_FLAGS.join(" ")} ${shQuote(await build())}`;
      kind = "a launcher for the bundle " + join(repo, "dist", "bundle", "pool.js");
    } catch (e) {
      console.error(`install: warning: ${(e as Error).message}; installing the slower source form`);
      run = `run --allow-all --quiet ${shQuote(join(repo, "pool.ts"))}`;
      kind = "a launcher for " + join(repo, "pool.ts");
    }
    const launcher = `#!/bin/sh
# pool launcher written by deno task install: runs the checkout with the Deno that installed it.
if [ -z "\${DENO_DIR:-}" ]; then DENO_DIR=${shQuote(denoDir)}; fi
export DENO_DIR
exec ${shQuote(Deno.execPath())} ${run} "$@"
`;
    program = new TextEncoder().encode(launcher);
  }
  const programPath = join(bin, "pool.bin");
  const shimPath = join(bin, "pool");
  const shim = new TextEncoder().encode(`#!/bin/sh
# pool shim written by deno task install (also what \`sidecar pool\` runs): arguments, output and
# exit code pass through unchanged.
exec ${shQuote(programPath)} "$@"
`);
  const files: Record<string, string> = {};
  for (const [path, bytes] of [[programPath, program], [shimPath, shim]] as const) {
    const temp = `${path}.tmp-${Deno.pid}`;
    await Deno.writeFile(temp, bytes, { mode: 0o755 });
    await Deno.chmod(temp, 0o755);
    await Deno.rename(temp, path);
    files[path] = await sha256(bytes);
    console.log(`+ ${path}`);
  }
  await Deno.writeTextFile(manifestPath, JSON.stringify({ files }, null, 2) + "\n");
  console.log(`pool.bin is ${kind}`);

  const path = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  const index = path.findIndex((d) => resolve(d) === resolve(bin));
  if (index === -1) {
    console.error(`install: warning: ${bin} is not on PATH; add it: export PATH="${bin}:$PATH"`);
  }
  for (const dir of index === -1 ? path : path.slice(0, index)) {
    try {
      const info = await Deno.stat(join(dir, "pool"));
      if (info.isFile) {
        console.error(
          `install: warning: ${join(dir, "pool")} comes first on PATH and shadows ${shimPath}`,
        );
      }
    } catch { /* not there */ }
  }
}

if (Deno.args.includes("--uninstall")) await uninstall();
else await install();
