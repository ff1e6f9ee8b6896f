/**
 * One exit-code policy for every verb: stopped by SIGINT mid-work it exits
 * 130, by SIGTERM 143, by SIGHUP 129 (128 + the signal), against real hosts.
 * "Mid-work" is an ssh in flight to the fleet's hang host, whose sshd runs
 * `sleep 600` whatever it is asked — so init and clean never touch anything.
 */

import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { childEnv, fleetTest, leasesIn, POOL_SH, spawnPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";
import { assertGone, eventually, processesWith, running } from "./procs.ts";

/** Waits until this fleet has an ssh to `alias` in flight, sends `signal`, returns pool's code. */
async function stopMidWork(
  fleet: Fleet,
  args: string[],
  signal: Deno.Signal,
  alias = "hang",
): Promise<number> {
  return (await stopWithOutput(fleet, args, signal, alias)).code;
}

/** stopMidWork(), with what pool printed on stdout. */
async function stopWithOutput(
  fleet: Fleet,
  args: string[],
  signal: Deno.Signal,
  alias = "hang",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawnPool(fleet, args);
  const inFlight = async () =>
    (await processesWith(fleet.sshConfig)).some((p) => p.includes(` -- ${alias} `));
  if (!(await eventually(inFlight, 20_000))) throw new Error(`no ssh to ${alias} for ${args}`);
  await new Promise((r) => setTimeout(r, 300)); // connected, the remote side running
  Deno.kill(child.pid, signal);
  const out = await child.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

fleetTest("every verb stopped by SIGINT mid-work exits 130", 1, async (t, fleet) => {
  const config = join(fleet.dir, "import_config");
  await Deno.writeTextFile(config, await Deno.readTextFile(fleet.sshConfig));
  const cases: [string, string[], { name: string; ssh?: string }[]][] = [
    ["add", ["add", "newbie", "hang"], [{ name: "h1" }]],
    ["list", ["list"], [{ name: "h1" }, { name: "hang" }]],
    ["on (one host)", ["on", "hang", "true"], [{ name: "hang" }]],
    ["on (many hosts)", ["on", "h1,hang", "true"], [{ name: "h1" }, { name: "hang" }]],
    ["status", ["status"], [{ name: "hang" }]],
    ["refresh", ["refresh"], [{ name: "hang" }]],
    ["route", ["route", "--os", "linux", "true"], [{ name: "hang" }]],
    ["bg", ["bg", "hang", "true"], [{ name: "hang" }]],
    ["jobs", ["jobs", "hang"], [{ name: "hang" }]],
    ["logs -f", ["logs", "-f", "hangjb"], [{ name: "hang" }]],
    ["wait", ["wait", "hangjb"], [{ name: "hang" }]],
    ["kill", ["kill", "hangjb"], [{ name: "hang" }]],
    ["init", ["init", "hang", "--only", "watchdog"], [{ name: "hang" }]],
    ["clean", ["clean", "hang", "--dry-run"], [{ name: "hang" }]],
    ["import", ["import", "ssh-config", "--file", config, "--match", "hang"], [{ name: "h1" }]],
  ];
  // A job the index says runs on the hang host.
  const job = { id: "hangjb", host: "hang", command: "true", started_ms: 0, gpus: [] };
  await Deno.writeTextFile(join(fleet.dir, "state", "jobs.json"), JSON.stringify({ jobs: [job] }));
  for (const [verb, args, roster] of cases) {
    await t.step(verb, async () => {
      await writeRoster(fleet, roster);
      const { code, stderr } = await stopWithOutput(fleet, args, "SIGINT");
      assertEquals(code, 130, stderr);
      // The stop is the news: not a host "failing" with the stop's own exit code.
      assert(!/exit 130|still waiting/.test(stderr), stderr);
      // bg's bounded clean-up after a stop says why it takes a moment.
      if (verb === "bg") assert(/making sure job \w+ did not start on hang/.test(stderr), stderr);
    });
  }
});

fleetTest("with --json, a verb stopped mid-work still answers in JSON", 1, async (t, fleet) => {
  const job = { id: "hangjb", host: "hang", command: "true", started_ms: 0, gpus: [] };
  await Deno.writeTextFile(join(fleet.dir, "state", "jobs.json"), JSON.stringify({ jobs: [job] }));
  const cases: [string, string[], { name: string }[]][] = [
    ["list", ["list", "--json"], [{ name: "h1" }, { name: "hang" }]],
    ["refresh", ["refresh", "--json"], [{ name: "hang" }]],
    // h1 answers, hang does not: stopped while probing, nothing is started on h1.
    ["route", ["route", "--json", "true"], [{ name: "h1" }, { name: "hang" }]],
    ["bg (routed)", ["bg", "--json", "true"], [{ name: "h1" }, { name: "hang" }]],
    ["jobs", ["jobs", "hang", "--json"], [{ name: "hang" }]],
    ["logs -f", ["logs", "-f", "hangjb", "--json"], [{ name: "hang" }]],
    ["wait", ["wait", "hangjb", "--json"], [{ name: "hang" }]],
  ];
  for (const [verb, args, roster] of cases) {
    await t.step(verb, async () => {
      await writeRoster(fleet, roster);
      const { code, stdout } = await stopWithOutput(fleet, args, "SIGINT");
      assertEquals(code, 130);
      const doc = JSON.parse(stdout);
      assertEquals(doc.error, { kind: "stopped", message: doc.error?.message, exit: 130 }, stdout);
    });
  }
});

fleetTest("SIGTERM is 143 and SIGHUP 129, whatever the verb", 1, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "hang" }]);
  for (
    const [args, signal, code] of [
      [["on", "h1,hang", "true"], "SIGTERM", 143],
      [["list"], "SIGTERM", 143],
      [["init", "hang", "--only", "watchdog"], "SIGTERM", 143],
      [["on", "hang", "true"], "SIGHUP", 129],
      [["status"], "SIGHUP", 129],
    ] as [string[], Deno.Signal, number][]
  ) {
    await t.step(`${args.join(" ")} ← ${signal}`, async () => {
      assertEquals(await stopMidWork(fleet, args, signal), code);
    });
  }
});

fleetTest(
  "roster verbs waiting on the roster lock exit 130 on SIGINT, the roster untouched",
  1,
  async (_t, fleet) => {
    // h0 left out, so that include changes something: a no-op takes no lock (and waits on none).
    await writeRoster(fleet, [{ name: "h1" }, { name: "h0", exclude: true }]);
    const before = await Deno.readTextFile(fleet.roster);
    // Someone else holds the lock (flock(1) takes the same flock(2) lock pool does).
    const holder = new Deno.Command("flock", {
      args: [fleet.roster + ".lock", "sleep", "60"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const verbs = [
        ["rm", "h1"],
        ["desc", "h1", "a", "note"],
        ["tag", "h1", "gpu"],
        ["exclude", "h1"],
        ["include", "h0"],
        ["add", "h2", "h2"],
      ];
      await Promise.all(verbs.map(async (args) => {
        const child = spawnPool(fleet, args);
        const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
        let said = "";
        while (!said.includes("waiting for the roster lock")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`${args[0]} ended without waiting: ${said}`);
          said += value;
        }
        Deno.kill(child.pid, "SIGINT");
        assertEquals((await child.status).code, 130, args[0]);
        await reader.cancel();
      }));
      assertEquals(await Deno.readTextFile(fleet.roster), before);
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
    }
  },
);

Deno.test("a second SIGINT ends pool at once, and the work it started with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-second-stop-" });
  const marker = String(47_000 + Math.floor(Math.random() * 1000));
  try {
    const env = { HOME: join(dir, "home"), POOL_STATE: join(dir, "state", "pool.json") };
    // A command that ignores TERM: only the KILL that follows 2 s later would end it.
    const child = spawnPool({ env }, ["on", "local", "--", `trap '' TERM; exec sleep ${marker}`]);
    await running(`sleep ${marker}`);
    Deno.kill(child.pid, "SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    Deno.kill(child.pid, "SIGINT");
    // pool's own exit, not its pipes: a command left behind would hold them open.
    assertEquals((await child.status).code, 130);
    await Promise.all([child.stdout.cancel(), child.stderr.cancel()]);
    await assertGone(marker, "after pool's second SIGINT");
  } finally {
    for (const p of await processesWith(`sleep ${marker}`, true)) {
      Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a signal pool was started ignoring (nohup, trap '', a script's &) does not stop it",
  // Linux tells a process what it ignores (/proc/self/status); elsewhere pool listens to all.
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pool-ignored-" });
    const marker = String(48_000 + Math.floor(Math.random() * 1000));
    try {
      const env = childEnv({
        HOME: join(dir, "home"),
        POOL_STATE: join(dir, "state", "pool.json"),
      });
      // As `nohup pool …` (HUP) and a non-interactive shell's `pool … &` (INT) start it.
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          `trap '' HUP INT; exec ${POOL_SH} on local -- 'sleep ${marker} & wait; echo done'`,
        ],
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await running(`sleep ${marker}`);
      Deno.kill(child.pid, "SIGHUP");
      Deno.kill(child.pid, "SIGINT");
      await new Promise((r) => setTimeout(r, 500));
      // Still at work: the command ends when its sleep does, and pool with it, with its code.
      for (const p of await processesWith(`sleep ${marker}`, true)) {
        Deno.kill(Number(p.split(" ")[0]), "SIGTERM");
      }
      const out = await child.output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      assertEquals([out.code, text(out.stdout)], [0, "done\n"], text(out.stderr));
    } finally {
      for (const p of await processesWith(`sleep ${marker}`, true)) {
        Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

fleetTest(
  "SIGTERM ends pool at once when nothing reads its stdout, the lease given back",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    // A harness that stopped reading, then sends SIGTERM (its own timeout): pool's stdout is a
    // full pipe, and nothing ever reads it again.
    // The hard stop a minute off, so that only the wait for the reader could hold pool that long.
    const child = spawnPool(fleet, ["route", "--mem", "1M", "yes"], "null", {
      POOL_TEST_STOP_GRACE_MS: "60000",
    });
    const stderr = new Response(child.stderr).text();
    assert(await eventually(async () => (await leasesIn(fleet)).length === 1, 10_000), "no lease");
    await new Promise((r) => setTimeout(r, 1500));
    const sent = performance.now();
    child.kill("SIGTERM");
    const { code } = await child.status;
    const took = performance.now() - sent;
    assertEquals(code, 143, await stderr);
    // A hang bound, not a speed: before, pool waited on the reader until the hard stop.
    assert(took < 30_000, `took ${Math.round(took)} ms`);
    assertEquals(await leasesIn(fleet), []);
    await child.stdout.cancel();
  },
);

fleetTest(
  "SIGTERM hands a reader that reads every record and the summary, however long the stop takes",
  2,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    // The command ignores TERM: the hosts' end takes the supervisor's 2 s to KILL, and nothing is
    // printed meanwhile. An idle second is no stalled reader.
    const child = spawnPool(fleet, ["on", "h1,h2", "--json", "trap '' TERM; sleep 31502"]);
    const [stdout, stderr] = [new Response(child.stdout).text(), new Response(child.stderr).text()];
    await running("sleep 31502", 2);
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 143);
    const records = (await stdout).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(records.map((r) => [r.name, r.status]).sort(), [
      ["h1", "interrupted"],
      ["h2", "interrupted"],
    ]);
    assert((await stderr).includes("2 of 2 hosts failed"), await stderr);
  },
);
