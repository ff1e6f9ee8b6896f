/** `pool on all|list|@tag` against real sshd test hosts: parallel, prefixed, bounded by deadlines. */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, spawnPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

const HOSTS = 4;

/** The command reports which test host ran it, from the address sshd accepted on. */
const WHO = `echo "$SSH_CONNECTION" | cut -d' ' -f3`;

fleetTest("pool on <many>", HOSTS, async (t, fleet) => {
  const healthy = fleet.hosts.map((h) => ({ name: h.name, tags: ["web"] }));
  await writeRoster(fleet, [...healthy, { name: "longer-name", ssh: "h1", tags: ["db"] }]);

  await t.step(
    "prefixes every line with the padded host name, stdout and stderr alike",
    async () => {
      const r = await pool(fleet, ["on", "all", `${WHO}; echo err >&2; echo; echo last`]);
      assertEquals(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split("\n");
      assertEquals(lines.length, (HOSTS + 1) * 3, "empty lines are dropped");
      for (const line of lines) {
        assertMatch(line, /^\[(h\d {9}|longer-name)\] (127\.\S+|err|last)$/);
      }
      for (const h of fleet.hosts) {
        assert(lines.includes(`[${h.name.padEnd(11)}] ${h.address}`));
      }
    },
  );

  await t.step("selects by comma list, @tag and !name", async () => {
    const who = async (spec: string) =>
      (await pool(fleet, ["on", spec, "true"]).then(() => pool(fleet, ["on", spec, "echo x"])))
        .stdout
        .trimEnd().split("\n").map((l) => l.slice(1, l.indexOf("]")).trim()).sort();
    assertEquals(await who("h1,h3"), ["h1", "h3"]);
    assertEquals(await who("@db"), ["longer-name"]);
    assertEquals(await who("@web,!h2"), ["h1", "h3", "h4"]);
  });

  await t.step(
    "exit code is the largest host code; failures are summarised on stderr",
    async () => {
      const r = await pool(fleet, [
        "on",
        "h1,h2,h3",
        `case $(${WHO}) in *.2) exit 3;; *.3) exit 1;; esac`,
      ]);
      assertEquals(r.code, 3);
      assertMatch(r.stderr, /pool: 2 of 3 hosts failed\n {2}exit 1: h3\n {2}exit 3: h2\n/);
    },
  );

  await t.step("streams lines as they arrive instead of waiting for every host", async () => {
    const child = spawnPool(fleet, ["on", "h1,h2", `echo first; sleep 3; echo second`]);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    assertMatch(value!, /^\[h\d\] first\n/);
    let exited = false;
    child.status.then(() => exited = true);
    await new Promise((r) => setTimeout(r, 200));
    assert(!exited, "first line arrived while the hosts were still running");
    while (!(await reader.read()).done) { /* drain */ }
    assertEquals((await child.status).code, 0);
  });

  await t.step("never interleaves lines: long lines from many hosts stay whole", async () => {
    const r = await pool(fleet, [
      "on",
      "all",
      `for i in 1 2 3 4 5; do head -c 20000 /dev/zero | tr '\\0' x; echo; done`,
    ]);
    const lines = r.stdout.trimEnd().split("\n");
    assertEquals(lines.length, (HOSTS + 1) * 5);
    for (const line of lines) assertMatch(line, /^\[[a-z0-9-]+ *\] x{20000}$/);
  });

  await t.step("--json prints one object per host", async () => {
    const r = await pool(fleet, ["on", "h1,h2", "--json", "echo out; echo err >&2; exit 2"]);
    const objects = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(objects.map((o) => o.name).sort(), ["h1", "h2"]);
    for (const o of objects) {
      assertEquals([o.exit, o.status, o.stdout, o.stderr], [2, "failed", "out\n", "err\n"]);
      assert(typeof o.duration_ms === "number");
    }
    assertEquals(r.code, 2);
  });

  await t.step("-b prints identical outputs once under their hosts' names", async () => {
    const r = await pool(fleet, [
      "on",
      "all",
      "-b",
      `case $(${WHO}) in *.1) echo odd;; *) echo same;; esac`,
    ]);
    assertEquals(r.code, 0);
    assertMatch(r.stdout, /^h\[2-4\] \(3\)\n-+\nsame\n/m);
    assertMatch(r.stdout, /^h1,longer-name \(2\)\n-+\nodd\n/m);
  });

  await t.step(
    "does not give children pool's stdin: `on all cat` returns at once",
    async () => {
      // stdin left open: a child that inherited it would wait forever.
      const child = spawnPool(fleet, ["on", "all", "cat"], "piped");
      const status = await Promise.race([
        child.status,
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      await child.stdin.close();
      assert(status !== null, "pool on all cat hung on stdin");
      assertEquals(status.code, 0);
      await child.output().catch(() => {});
    },
  );

  await t.step("--timeout is per host: --jobs 1 still runs every host", async () => {
    const r = await pool(fleet, [
      "on",
      "h1,h2,h3",
      "sleep 1; echo done",
      "--jobs",
      "1",
      "--timeout",
      "3",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.match(/done/g)?.length, 3);
  });

  await writeRoster(fleet, [
    ...healthy,
    { name: "refused" },
    { name: "silent" },
    { name: "hang" },
    { name: "pi5-akida", ssh: "refused" },
    { name: "retired", ssh: "refused", exclude: true },
  ]);

  await t.step(
    "refused, silent and hung hosts are reported; the fan-out ends within its timeout",
    async () => {
      const r = await pool(fleet, ["on", "all", "--timeout", "3", "echo ok"]);
      assertEquals(r.code, 255);
      assertEquals(r.stdout.match(/\] ok$/gm)?.length, HOSTS);
      assertMatch(r.stderr, /skipping excluded hosts: pi5-akida, retired/);
      assertMatch(r.stderr, /pool: 3 of 7 hosts failed/);
      assertMatch(r.stderr, /unreachable: refused \(refused\)/);
      assertMatch(
        r.stderr,
        /timed out after 3s: (silent, hang|hang, silent)|unreachable: .*silent \(timeout\)/,
      );
      assertMatch(r.stderr, /hang/);
      assert(r.ms < 9_000, `took ${r.ms} ms`);
      assert(fleet.silentAccepted() > 0, "the silent host was really tried");
    },
  );

  await t.step("a missing POOL_SSH_CONFIG is unreachable, reason ssh config", async () => {
    const env = { POOL_SSH_CONFIG: `${fleet.dir}/no-such-config` };
    const r = await pool(fleet, ["on", "h1", "--json", "true"], { env });
    assertEquals(r.code, 255, r.stderr);
    const row = JSON.parse(r.stdout);
    assertEquals([row.status, row.reason], ["unreachable", "ssh config"]);
  });

  await t.step("a hung host alone exits 124", async () => {
    const r = await pool(fleet, ["on", "hang,h1", "--timeout", "2", "echo ok"]);
    assertEquals(r.code, 124);
    assertMatch(r.stderr, /timed out after 2s: hang/);
  });

  await t.step(
    "SIGINT ends every ssh child at once, prints what finished, exits 130",
    async () => {
      const child = spawnPool(fleet, [
        "on",
        "@web",
        "--timeout",
        "60",
        `${WHO} | grep -q '\\.1$' || sleep 50; echo done`,
      ]);
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const { value } = await reader.read(); // h1 finished: the rest are mid-command
      assertMatch(value!, /\[h1 *\] done/);
      // The other hosts' ssh may still be starting (a loaded machine): wait until they run.
      const until = performance.now() + 10_000;
      while ((await sshChildren(fleet)).length < HOSTS - 1 && performance.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert((await sshChildren(fleet)).length >= HOSTS - 1, "ssh children were running");
      Deno.kill(child.pid, "SIGINT");
      const started = performance.now();
      const status = await child.status;
      const elapsed = performance.now() - started;
      assertEquals(status.code, 130);
      assert(elapsed < 5_000, `exit took ${elapsed} ms`);
      while (!(await reader.read()).done) { /* drain */ }
      const stderr = await new Response(child.stderr).text();
      assertMatch(stderr, /interrupted: /);
      assertEquals(await sshChildren(fleet), [], "no ssh process left behind");
    },
  );
});

/** Live (not zombie) ssh processes using this fleet's config. */
async function sshChildren(fleet: Fleet): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).split("\0");
      const state = (await Deno.readTextFile(`/proc/${entry.name}/stat`)).split(") ")[1]?.[0];
      if (cmdline[0].endsWith("ssh") && cmdline.includes(fleet.sshConfig) && state !== "Z") {
        found.push(entry.name);
      }
    } catch { /* exited meanwhile */ }
  }
  return found;
}

fleetTest("--json and -b hold the end of a host's flood, not all of it", 2, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
  // 20 MB a host, in lines of 100: past the 16 MiB held of each stream.
  const flood = "yes $(printf %099d 0) | head -n 200000; echo last";
  const r = await pool(fleet, ["on", "h1,h2", "--json", flood]);
  assertEquals(r.code, 0, r.stderr.slice(0, 500));
  for (const line of r.stdout.trim().split("\n")) {
    const host = JSON.parse(line);
    assertEquals(host.status, "ok");
    assert(host.stdout.length <= 16 * 1024 * 1024, `${host.name}: ${host.stdout.length} held`);
    assert(host.stdout.endsWith("0\nlast\n"), "its end is kept");
    assert(host.stdout_omitted_lines > 0, "and says how much went before");
  }
  assertMatch(r.stderr, /^pool: note: h\[1-2\]: --json held the last 16 MiB of each stream/m);
  const b = await pool(fleet, ["on", "h1,h2", "-b", flood]);
  assertEquals(b.code, 0, b.stderr.slice(0, 500));
  assertMatch(b.stdout, /^h\[1-2\] \(2\)$/m);
  assertMatch(b.stderr, /-b held the last 16 MiB/);
});
