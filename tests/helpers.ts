/** Runs pool as a subprocess, as users and scripts do. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Fleet, type FleetOptions, startFleet } from "./hosts/harness.ts";
import { shQuote } from "../remote/quote.ts";
import { BUNDLE_RUN_FLAGS } from "../scripts/build.ts";

const POOL_TS = fileURLToPath(new URL("../pool.ts", import.meta.url));
const POOL_BUILT = fileURLToPath(new URL("../dist/bundle/pool.js", import.meta.url));

/**
 * The command line that runs pool. `deno task test` builds the fast form
 * (dist/bundle/pool.js, what `deno task install` installs) and sets
 * POOL_TEST_FORM=built, so the tests run what users run; a test file run by
 * hand gets this checkout's source, which needs no build.
 */
export const POOL_ARGV: readonly string[] = Deno.env.get("POOL_TEST_FORM") === "built"
  ? [Deno.execPath(), "run", ...BUNDLE_RUN_FLAGS, POOL_BUILT]
  : [Deno.execPath(), "run", "--allow-all", "--quiet", POOL_TS];

/** POOL_ARGV as words for a shell line or script. */
export const POOL_SH = POOL_ARGV.map(shQuote).join(" ");

/**
 * The environment pool runs in: ours (certificates, PATH), without an ssh
 * agent or any POOL_* of the developer's, plus the test's own. The Deno cache
 * is pinned: the tests' temp HOME must not send Deno looking for a new one.
 * Deno's update check is off: it asks dl.deno.land, and test traffic stays on
 * loopback.
 */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const key of Object.keys(env)) {
    if (key.startsWith("POOL_") || key.startsWith("SSH_")) delete env[key];
  }
  env.DENO_DIR ??= join(env.XDG_CACHE_HOME ?? join(env.HOME ?? "/root", ".cache"), "deno");
  env.DENO_NO_UPDATE_CHECK = "1";
  return { ...env, ...extra };
}

export interface PoolRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface PoolRunOptions {
  stdin?: string;
  env?: Record<string, string>;
}

/** Starts pool without waiting for it: for tests that read its output live or signal it. */
export function spawnPool(
  fleet: { env: Record<string, string> },
  args: string[],
  stdin: "null" | "piped" = "null",
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command(POOL_ARGV[0], {
    args: [...POOL_ARGV.slice(1), ...args],
    env: childEnv({ ...fleet.env, ...env }),
    clearEnv: true,
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

export async function pool(
  fleet: { env: Record<string, string> },
  args: string[],
  options: PoolRunOptions = {},
): Promise<PoolRun> {
  const started = performance.now();
  const child = spawnPool(fleet, args, options.stdin === undefined ? "null" : "piped", options.env);
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    ms: performance.now() - started,
  };
}

/** Writes a roster with the given hosts (targets are the fleet's ssh_config aliases). */
export async function writeRoster(
  fleet: Fleet,
  hosts: { name: string; ssh?: string; [k: string]: unknown }[],
) {
  const doc = { hosts: hosts.map((h) => ({ ssh: h.name, sudo: false, os: "linux", ...h })) };
  await Deno.writeTextFile(fleet.roster, JSON.stringify(doc, null, 2) + "\n");
}

/**
 * A test with a fleet of real sshd hosts of its own, stopped whatever happens.
 * Sanitizers are off: the silent fault host's accept loop outlives each step.
 */
export function fleetTest(
  name: string,
  hosts: number,
  fn: (t: Deno.TestContext, fleet: Fleet) => Promise<void>,
  options: FleetOptions & { ignore?: boolean } = {},
): void {
  Deno.test({
    name,
    // Reported as ignored where it cannot run (not root), never as a pass it did not earn.
    ignore: options.ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      const fleet = await startFleet(hosts, options);
      try {
        await fn(t, fleet);
      } finally {
        await fleet.stop();
      }
    },
  });
}

/** Writes an executable `pool` at `path` that runs POOL_ARGV, as an installed pool would be on PATH. */
export async function writePoolShim(path: string): Promise<void> {
  await Deno.writeTextFile(path, `#!/bin/sh\nexec ${POOL_SH} "$@"\n`, { mode: 0o755 });
}

/** A folder of the fleet's with an executable `pool` in it, as an installed pool would be on PATH. */
export async function poolOnPath(fleet: { dir: string }): Promise<string> {
  const dir = join(fleet.dir, "pool-bin");
  await Deno.mkdir(dir, { recursive: true });
  await writePoolShim(join(dir, "pool"));
  return dir;
}

/**
 * Runs a real program (bash, pdsh, ansible…) in the fleet's folder with its
 * environment and `pool` first on PATH: the one in `bin`, else poolOnPath's.
 */
export async function runWithPool(
  fleet: { dir: string; env: Record<string, string> },
  program: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  bin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  bin ??= await poolOnPath(fleet);
  const out = await new Deno.Command(program, {
    args,
    env: childEnv({ ...fleet.env, PATH: `${bin}:/usr/bin:/bin`, ...extraEnv }),
    clearEnv: true,
    stdin: "null",
    cwd: fleet.dir,
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The leases in a fleet's ledger as written (none where there is no ledger yet). */
export async function leasesIn<T = Record<string, unknown>>(fleet: { dir: string }): Promise<T[]> {
  try {
    return JSON.parse(await Deno.readTextFile(join(fleet.dir, "state", "leases.json"))).leases;
  } catch {
    return [];
  }
}
