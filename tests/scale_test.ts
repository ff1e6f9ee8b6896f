/**
 * Many hosts under a low file-descriptor limit: 200 real sshd hosts with
 * `ulimit -n 256` and the default --jobs. Every host runs; none is reported
 * unreachable for want of a descriptor. (The slowest test: ~30 s of cold
 * connections on two cores. Connection sharing is off so that it measures
 * pool's own descriptors, not 200 masters'.)
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, POOL_ARGV, writeRoster } from "./helpers.ts";

const HOSTS = 200;

fleetTest(`${HOSTS} hosts under ulimit -n 256 all run`, HOSTS, async (_t, fleet) => {
  await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -n 256 && exec "$@" on all --timeout 10m 'echo ok'`,
      "sh",
      ...POOL_ARGV,
    ],
    env: childEnv({ ...fleet.env, POOL_CONTROL_PERSIST: "0" }),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const ok = stdout.split("\n").filter((l) => /^\[h\d+ *\] ok$/.test(l));
  assertEquals(ok.length, HOSTS, stderr);
});

/**
 * Runs pool under `ulimit -n` of each of `limits`, and what it did at each: Deno itself needs
 * some two dozen descriptors, so the limits below what it can start with are left out.
 */
async function underLimits(
  fleet: { env: Record<string, string> },
  limits: number[],
  args: string[],
  env: Record<string, string> = {},
) {
  const runs = [];
  for (const limit of limits) {
    const started = performance.now();
    const out = await new Deno.Command("sh", {
      args: ["-c", `ulimit -n ${limit} && exec "$@"`, "sh", ...POOL_ARGV, ...args],
      env: childEnv({ ...fleet.env, ...env }),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    // Deno's own start-up, failing below its needs (a panic, the program unread): not pool's.
    if (/panicked|^error: Import/.test(stderr)) continue;
    runs.push({ limit, code: out.code, stderr, ms: performance.now() - started });
  }
  return runs;
}

fleetTest(
  "with no descriptor to spare, pool says so within moments, exit 1, no host called down",
  2,
  async (t, fleet) => {
    await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));
    const limits = Array.from({ length: 19 }, (_, i) => 36 - i);
    const judge = (runs: Awaited<ReturnType<typeof underLimits>>) => {
      for (const run of runs) {
        const what = `ulimit -n ${run.limit}: exit ${run.code} in ${
          Math.round(run.ms)
        } ms\n${run.stderr}`;
        // A hang bound, not a speed: the old wait was a minute whatever the deadline.
        assert(run.ms < 25_000, what);
        if (run.code === 0) continue;
        // pool's own words: each host short of a descriptor for ssh or tar says so (not "down"),
        // or pool is short of one for the roster itself; never a stack trace.
        assertEquals(run.code, 1, what);
        assertMatch(run.stderr, /^pool: /, what);
        assertMatch(run.stderr, /out of file descriptors here|Too many open files/, what);
        assert(!/Uncaught|unreachable/.test(run.stderr), what);
      }
      assert(
        runs.some((r) => /out of file descriptors/.test(r.stderr)),
        `no limit left pool short of a descriptor to start a child: the test tests nothing\n${
          runs.map((r) => `${r.limit}: ${r.code} ${r.stderr}`).join("")
        }`,
      );
    };
    await t.step("on", async () => {
      judge(await underLimits(fleet, limits, ["on", "h1,h2", "--timeout", "5s", "true"]));
    });
    await t.step("push by tar (no rsync 3 here)", async () => {
      const bin = join(fleet.dir, "old-rsync");
      await Deno.mkdir(bin, { recursive: true });
      await Deno.writeTextFile(join(bin, "rsync"), "#!/bin/sh\necho 'rsync  version 2.6.9'\n", {
        mode: 0o755,
      });
      const file = join(fleet.dir, "payload.txt");
      await Deno.writeTextFile(file, "payload\n");
      const runs = await underLimits(
        fleet,
        limits,
        ["push", "h1,h2", "--timeout", "5s", file, "limits-dest"],
        { PATH: `${bin}:${Deno.env.get("PATH")}` },
      );
      judge(runs);
    });
  },
);

fleetTest(
  "a burst of control-socket checks under a low limit is waited out, not failed",
  2,
  async (_t, fleet) => {
    // Sixty entries on two hosts: sixty checks of two live masters' sockets at once.
    await writeRoster(
      fleet,
      Array.from({ length: 60 }, (_, i) => ({ name: `n${i + 1}`, ssh: fleet.hosts[i % 2].name })),
    );
    const warm = await new Deno.Command(POOL_ARGV[0], {
      args: [...POOL_ARGV.slice(1), "on", "all", "true"],
      env: childEnv(fleet.env),
      clearEnv: true,
    }).output();
    assertEquals(warm.code, 0, "masters up");
    for (const run of await underLimits(fleet, [48, 44, 40], ["on", "all", "echo ok"])) {
      assertEquals([run.limit, run.code], [run.limit, 0], run.stderr);
    }
  },
);
