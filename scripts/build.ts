/**
 * `deno task build`: the fast form of pool, in dist/.
 *
 *   dist/bundle/pool.js  run as `deno run ${BUNDLE_RUN_FLAGS} dist/bundle/pool.js`
 *                        (its shebang line says so): answers --version, else loads
 *   dist/bundle/cli.js   the program, and the chunks it loads on demand (the
 *                        MCP server only for `pool mcp`).
 *
 * Why: run from source, every start resolves npm packages and loads ~90
 * modules; the bundle is a few files with the payloads and schemas inside
 * (they are text imports), and no node:module. `deno compile` reads the
 * same text imports, so both forms carry the same payloads.
 *
 * The bundler gives CommonJS packages a `require` made by node:module's
 * createRequire; that and what commander requires through it cost ~60 ms per
 * start, so the build puts scripts/require_shim.js in its place, and fails
 * if the bundle requires anything the shim was not written for.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
// dist/pool is `deno task compile`'s: the bundle has a folder of its own.
const dist = join(repo, "dist", "bundle");
const building = join(repo, "dist", `bundle.building-${Deno.pid}`);

/** What the bundled CommonJS code may require: commander's needs, as of 14.x. */
const KNOWN_REQUIRES = [
  "node:events",
  "node:path",
  "node:process",
  "node:fs",
  "node:child_process",
];

const REQUIRE_BANNER =
  /import\s*\{\s*createRequire as __deno_internal_createRequire\s*\}\s*from\s*"node:module";\s*var (\w+)\s*=\s*__deno_internal_createRequire\(import\.meta\.url\);/g;

/**
 * How the bundle is run, wherever it runs: its shebang, the launcher `deno
 * task install` writes, the tests and the bench. `--no-lazy`: V8 compiles
 * every function with its script, so Deno's code cache holds them all and a
 * later start compiles none; lazily, every start compiled each function it
 * called on its first call (the roster's JSONC parser alone took ~4 ms).
 * Measured here, each form with a code cache of its own: `pool hosts` 48.7 →
 * 42.6 ms, `pool on` over 8 warm hosts 143 → 131 ms. The first start after a
 * build pays 20–40 ms more, once. `--min-semi-space-size=16`: a 16 MB young
 * generation from the start, so a short run's allocations fit without a
 * collection; from V8's small default, a fan-out paid two or three scavenges
 * (1–4 ms each, on helper threads too). Measured
 * here, 60 alternating runs of `pool on h1 true`: 91–95 → 85–87 ms of CPU,
 * and no more resident memory. (`deno task compile`, in deno.json, bakes the
 * same V8 flags into the binary.)
 */
export const BUNDLE_RUN_FLAGS = [
  "--allow-all",
  "--no-config",
  "--v8-flags=--no-lazy,--min-semi-space-size=16",
];

const SHEBANG = `#!/usr/bin/env -S deno run ${BUNDLE_RUN_FLAGS.join(" ")}`;

async function denoBundle(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "--minify", ...args],
    cwd: repo,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`deno bundle failed (exit ${out.code})`);
}

/**
 * Two bundles: pool.ts alone, so `--version` loads one small file and nothing
 * of the program, and cli.ts with all it loads, split at each dynamic import:
 * each verb is a chunk read only when it runs (cli.ts's VERBS), the MCP server
 * (and its imports) one read only by `pool mcp`.
 */
async function bundle(): Promise<void> {
  await denoBundle(["--external", "./cli.ts", "-o", join(building, "pool.js"), "pool.ts"]);
  await denoBundle(["--code-splitting", "--outdir", building, "cli.ts"]);
  const entry = join(building, "pool.js");
  const text = await Deno.readTextFile(entry);
  const specifiers = text.match(/"\.\/cli\.ts"/g) ?? [];
  if (specifiers.length !== 1) throw new Error(`pool.js: expected one import of ./cli.ts`);
  await Deno.writeTextFile(
    entry,
    SHEBANG + "\n" + text.replace(/^#!.*\n/, "").replace('"./cli.ts"', '"./cli.js"'),
  );
  await Deno.chmod(entry, 0o755);
}

/** Puts the shim where the bundler's createRequire was; returns how many it replaced. */
async function shimRequire(file: string, shim: string): Promise<number> {
  const text = await Deno.readTextFile(file);
  const banners = [...text.matchAll(REQUIRE_BANNER)];
  if (banners.length === 0) return 0;
  if (banners.length > 1) throw new Error(`${file}: more than one createRequire banner`);
  const name = banners[0][1];
  const required = new Set(
    [...text.matchAll(new RegExp(`\\b${name}\\("([^"]*)"\\)`, "g"))].map((m) => m[1]),
  );
  const unknown = [...required].filter((id) => !KNOWN_REQUIRES.includes(id));
  if (unknown.length > 0) {
    throw new Error(`the bundle requires ${unknown.join(", ")}: teach scripts/require_shim.js`);
  }
  if (text.includes("__deno_internal_createRequire(", banners[0].index! + banners[0][0].length)) {
    throw new Error(`${file}: createRequire used beyond its banner`);
  }
  await Deno.writeTextFile(
    file,
    text.replace(banners[0][0], () => `${shim}\nvar ${name} = __poolRequire;\n`),
  );
  return 1;
}

/**
 * Before running anything, Deno reads and analyses every module that a
 * dynamic import names by a string literal: every start would read the MCP
 * server's half-megabyte chunk. An import whose specifier is computed is
 * loaded only when it runs. Returns how many it rewrote.
 */
async function deferDynamicImports(file: string): Promise<number> {
  const text = await Deno.readTextFile(file);
  let count = 0;
  const deferred = text.replace(/\bimport\("(\.\/[\w.-]+\.js)"\)/g, (_, specifier) => {
    count++;
    return `import(["${specifier}"][0])`;
  });
  if (count > 0) await Deno.writeTextFile(file, deferred);
  return count;
}

/** The entries, by fixed names: moved in last, cli.js before the pool.js that imports it. */
const ENTRIES = ["cli.js", "pool.js"];

/** Names the files the last build wrote, one a line: the chunks a running pool may still load. */
const LAST_BUILD = ".last-build";

/** How long a chunk no recent build wrote stays, for a pool started from an older build. */
const CHUNK_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * Moves a finished build from `from` into `to` beside the builds before it. A running pool loads
 * chunks after it starts (its verb's, text-table when it renders a table, the MCP server, by
 * names that are content hashes), so swapping the whole folder pulled them from under it: it
 * failed with "Module not found". Chunks of different content have different names, so the new
 * ones go in beside the old; then the entries, each by one rename, so a pool starting mid-way
 * finds a whole build, old or new. Every file is written afresh, so pool.js's mtime is the
 * build's (the launcher `deno task install` writes compares it with the checkout's git HEAD).
 */
async function publish(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  const names = [...Deno.readDirSync(from)].map((e) => e.name);
  const chunks = names.filter((name) => !ENTRIES.includes(name)).sort();
  for (const name of [...chunks, ...ENTRIES.filter((name) => names.includes(name))]) {
    await Deno.rename(join(from, name), join(to, name));
  }
  await prune(to, names);
}

/**
 * Removes the chunks no running pool is likely to want: written by neither this build nor the
 * one before, and not for a day (a pool can run that long: `pool mcp`, a long `pool on`).
 */
async function prune(dir: string, built: string[]): Promise<void> {
  const record = join(dir, LAST_BUILD);
  const previous = await Deno.readTextFile(record).then((t) => t.split("\n"), () => []);
  const keep = new Set([...built, ...previous, LAST_BUILD]);
  for await (const entry of Deno.readDir(dir)) {
    if (keep.has(entry.name) || !entry.isFile) continue;
    const path = join(dir, entry.name);
    const mtime = (await Deno.stat(path)).mtime?.getTime() ?? Date.now();
    if (Date.now() - mtime > CHUNK_GRACE_MS) await Deno.remove(path).catch(() => {});
  }
  const temp = `${record}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(temp, built.sort().join("\n") + "\n");
  await Deno.rename(temp, record);
}

/** Builds pool into dist/bundle (a failed build changes nothing there); returns its pool.js. */
export async function build(): Promise<string> {
  await Deno.mkdir(dirname(building), { recursive: true });
  try {
    await bundle();
    const shim = await Deno.readTextFile(join(repo, "scripts", "require_shim.js"));
    let shimmed = 0;
    for await (const entry of Deno.readDir(building)) {
      if (entry.name.endsWith(".js")) {
        shimmed += await shimRequire(join(building, entry.name), shim);
      }
    }
    if (shimmed !== 1) throw new Error(`expected one createRequire banner, found ${shimmed}`);
    let deferred = 0;
    for await (const entry of Deno.readDir(building)) {
      if (entry.name.endsWith(".js")) {
        deferred += await deferDynamicImports(join(building, entry.name));
      }
    }
    if (deferred < 2) {
      throw new Error(`expected the cli and MCP imports to defer, found ${deferred}`);
    }
    await publish(building, dist);
  } finally {
    await Deno.remove(building, { recursive: true }).catch(() => {});
  }
  return join(dist, "pool.js");
}

if (import.meta.main) {
  try {
    console.log(`built ${await build()}`);
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
