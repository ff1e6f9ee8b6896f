/** route, bg and the lease ledger against real sshd test hosts. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, leasesIn as ledger, pool, spawnPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";
import { assertGone, until } from "./procs.ts";
const leasesIn = (fleet: Fleet) =>
  ledger<{ host: string; mem_bytes: number; remote_pid?: number; ssh_pid?: number }>(fleet);

const WHO = `echo "$SSH_CONNECTION" | cut -d' ' -f3`;

/** This machine's room as route computes it: MemAvailable − 10 % of MemTotal, in MiB. */
async function roomMiB(): Promise<number> {
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(meminfo)![1]);
  return Math.floor((kb("MemAvailable") - 0.1 * kb("MemTotal")) / 1024);
}

async function totalMiB(): Promise<number> {
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  return Math.floor(Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)![1]) / 1024);
}

const ledgerOf = (fleet: Fleet) => join(fleet.dir, "state", "leases.json");

// h1 may use one CPU, h2 all of them: the same load weighs double on h1.
fleetTest("pool route picks the lowest load per CPU, on real load", 2, async (_t, fleet) => {
  const busy = [0, 1].map(() =>
    new Deno.Command("sh", { args: ["-c", "while :; do :; done"], stdout: "null", stderr: "null" })
      .spawn()
  );
  try {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    await until(
      "some load",
      async () => Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]) >= 0.1,
    );
    const r = await pool(fleet, ["route", WHO]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), fleet.hosts[1].address, "ran on h2");
    const rows = r.stderr.split("\n").filter((l) => /load\/cpu/.test(l));
    assertMatch(rows[0], /^→ +h2 /);
    const perCpu = (name: string) =>
      Number(/load\/cpu (\d+\.\d+)/.exec(rows.find((l) => l.includes(` ${name} `))!)![1]);
    assert(perCpu("h1") > perCpu("h2"), r.stderr);
  } finally {
    busy.forEach((b) => b.kill("SIGKILL"));
    await Promise.all(busy.map((b) => b.status));
  }
}, { cpus: { h1: "0" } });

fleetTest("pool route --mem and the ledger", 3, async (t, fleet) => {
  await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));

  await t.step("10 concurrent routes never over-commit a host", async () => {
    const room = await roomMiB();
    const each = Math.floor(room / 2.5); // two fit on a host, three do not
    const runs = Array.from({ length: 10 }, () =>
      spawnPool(fleet, [
        "route",
        "--mem",
        `${each}M`,
        `echo "$(${WHO}) $(date +%s%N)"; sleep 6; date +%s%N`,
      ]));
    let sampling = true;
    const worst = new Map<string, number>();
    const sampler = (async () => {
      while (sampling) {
        for (const [host, sum] of sumByHost(await leasesIn(fleet))) {
          worst.set(host, Math.max(worst.get(host) ?? 0, sum));
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const outs = await Promise.all(runs.map((c) => c.output()));
    sampling = false;
    await sampler;
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    const ran: { host: string; start: bigint; end: bigint }[] = [];
    for (const o of outs) {
      if (o.code === 75) {
        assertMatch(
          decode(o.stderr),
          /no host has room for .*: best is h\d \(room .*, short by /,
        );
        continue;
      }
      assertEquals(o.code, 0, decode(o.stderr));
      const [first, end] = decode(o.stdout).trim().split("\n");
      const [host, start] = first.split(" ");
      ran.push({ host, start: BigInt(start), end: BigInt(end) });
    }
    assert(ran.length >= 6, `only ${ran.length} of 10 ran`);
    assert(outs.some((o) => o.code === 75), "some had to be turned away");
    // From where the commands really ran: never three at once on one host.
    for (const h of fleet.hosts) {
      const mine = ran.filter((r) => r.host === h.address);
      for (const r of mine) {
        const overlapping = mine.filter((o) => o.start <= r.start && o.end > r.start).length;
        assert(overlapping <= 2, `${overlapping} jobs at once on ${h.name}`);
      }
    }
    // From the ledger: no host ever held more than its room.
    for (const [host, sum] of worst) {
      assert(sum <= room * 1024 * 1024, `${host} held ${sum} bytes`);
    }
    assert(worst.size > 0, "the ledger was seen holding leases");
    assertEquals(await leasesIn(fleet), [], "every lease released");
  });

  await t.step("a killed pool route gives its lease back", async () => {
    const term = spawnPool(fleet, ["route", "--mem", "64M", "sleep 30"]);
    await until("a lease", async () => (await leasesIn(fleet)).length === 1);
    Deno.kill(term.pid, "SIGTERM");
    assertEquals((await term.output()).code, 143, "SIGTERM is 128 + 15");
    assertEquals(await leasesIn(fleet), [], "released on SIGTERM");

    // The user's stdin (a pipe: /dev/null would be none), so the lease's carrier is a guard.
    const killed = spawnPool(fleet, ["route", "--mem", "64M", "sleep 31494"], "piped");
    await until("the lease names its ssh", async () => {
      const leases = await leasesIn(fleet);
      return leases.length === 1 && leases[0].ssh_pid !== undefined;
    });
    Deno.kill(killed.pid, "SIGKILL");
    await killed.output();
    // Killed outright, pool's guard ends its ssh, and so the command on the host: the lease's
    // holders are gone with it.
    await assertGone("sleep 31494", "after pool route was SIGKILLed");
    const ssh_pid = (await leasesIn(fleet))[0].ssh_pid!;
    await until("the ssh to go", () => {
      try {
        Deno.kill(ssh_pid, "SIGCONT");
        return Promise.resolve(false);
      } catch {
        return Promise.resolve(true);
      }
    });
    const shown = await pool(fleet, ["leases"]);
    assertMatch(shown.stdout, /pool process gone/);
    assertEquals((await pool(fleet, ["route", "--mem", "64M", "true"])).code, 0);
    assertEquals(await leasesIn(fleet), [], "the dead lease was reaped");
  });

  await t.step("--wait takes a host as soon as a lease is released", async () => {
    await writeRoster(fleet, [{ name: "h1" }]);
    // More than half of all memory where the machine has room for it: two never fit, however
    // much other tests running beside this one take and give back between the two asks.
    const room = await roomMiB();
    const half = Math.floor(await totalMiB() / 2) + 1;
    const big = `${
      room * 0.9 >= half ? Math.max(half, Math.floor(room * 0.8)) : Math.floor(room * 0.7)
    }M`;
    const first = spawnPool(fleet, ["route", "--mem", big, "sleep 3; date +%s%N"]);
    await until("the first lease", async () => (await leasesIn(fleet)).length === 1);
    const refused = await pool(fleet, ["route", "--mem", big, "true"]);
    assertEquals(refused.code, 75);
    const second = await pool(fleet, ["route", "--mem", big, "--wait=60s", "date +%s%N"]);
    const firstOut = await first.output();
    assertEquals([firstOut.code, second.code], [0, 0], second.stderr);
    const firstEnd = BigInt(new TextDecoder().decode(firstOut.stdout).trim());
    const secondStart = BigInt(second.stdout.trim());
    assert(secondStart >= firstEnd, "the second started after the first released");
    // Soon after, not at the end of its 60 s wait (a bound, not a speed: tests run side by side).
    assert(secondStart - firstEnd < 20_000_000_000n, "and soon after");
  });

  await t.step("pool bg returns while its job runs on, and the log fills", async () => {
    await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));
    // The job ends when the test says (a file appears): on a loaded machine a job of a few
    // seconds had ended before the check that it runs on after bg returned.
    const r = await pool(fleet, [
      "bg",
      "h2",
      "for i in 1 2 3 4; do echo line$i; sleep 0.2; done; until [ -e bg-may-end ]; do sleep 0.2; done",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const m = /^h2 {2}job [a-z0-9]+ {2}pid (\d+) {2}log (\S+\.log)$/.exec(r.stdout.trim());
    assert(m, r.stdout);
    const [, pid, log] = m;
    assertEquals(
      (await pool(fleet, ["on", "h2", `kill -0 ${pid}`])).code,
      0,
      "still running after bg returned",
    );
    await until(
      "the log to fill",
      async () => (await pool(fleet, ["on", "h2", `cat ${log}`])).stdout.includes("line4"),
    );
    assertEquals((await pool(fleet, ["on", "h2", "touch bg-may-end"])).code, 0);
    await until(
      "the job to end",
      async () => (await pool(fleet, ["on", "h2", `kill -0 ${pid}`])).code !== 0,
    );
    assertEquals(
      (await pool(fleet, ["on", "h2", `cat ${log}`])).stdout,
      "line1\nline2\nline3\nline4\n",
    );
    console.log(`pool bg returned in ${Math.round(r.ms)} ms`);
  });

  await t.step("a routed bg keeps its lease as long as its remote process lives", async () => {
    // A job that ends when told (a file appears): how long the checks take (tests run side by
    // side) never decides what they see.
    const mark = join(fleet.dir, "end-the-job");
    const r = await pool(fleet, ["bg", "--mem", "64M", `until [ -e ${mark} ]; do sleep 0.2; done`]);
    assertEquals(r.code, 0, r.stderr);
    const [lease] = await leasesIn(fleet);
    assert(lease?.remote_pid !== undefined, "the lease follows the remote pid");
    assertMatch((await pool(fleet, ["leases"])).stdout, /live +until \[ -e /);
    await Deno.writeTextFile(mark, "");
    // leases asks the host: the ended job's lease reads as gone before any route reaps it.
    await until(
      "the lease to read as gone",
      async () => /remote process gone +until \[ -e /.test((await pool(fleet, ["leases"])).stdout),
    );
    assertEquals((await pool(fleet, ["route", "--mem", "64M", "true"])).code, 0);
    assertEquals(await leasesIn(fleet), [], "reaped once the probe found the job gone");
  });

  await t.step(
    "a route with no ceiling keeps a TTL for a holder pool cannot check: 30 days, not an hour",
    async () => {
      const r = await pool(fleet, [
        "route",
        "--timeout",
        "0",
        "--mem",
        "1M",
        `cat ${ledgerOf(fleet)}`,
      ]);
      assertEquals(r.code, 0, r.stderr);
      const held = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))).leases;
      assertEquals(held.map((l: { ttl_s: number }) => l.ttl_s), [30 * 86_400]);
    },
  );

  await t.step("a corrupt ledger is reported and left alone", async () => {
    await Deno.writeTextFile(ledgerOf(fleet), '{"leases": [{"id": ');
    for (const args of [["route", "--mem", "1G", "true"], ["leases"]]) {
      const r = await pool(fleet, args);
      assertEquals(r.code, 1);
      assertMatch(
        r.stderr,
        /^pool: Cannot read lease ledger .*leases\.json: .*\(fix or remove the file\)\n$/,
      );
    }
    assertEquals(await Deno.readTextFile(ledgerOf(fleet)), '{"leases": [{"id": ');
    // One line, whatever the file holds; an empty one is damage too (pool never writes one):
    // read as "no leases", it let the next route take a GPU a running route held.
    for (const damage of ["garbage\n", "", "  \n"]) {
      await Deno.writeTextFile(ledgerOf(fleet), damage);
      for (const args of [["route", "--gpus", "1", "true"], ["leases"]]) {
        const r = await pool(fleet, args);
        assertEquals(r.code, 1, `${args.join(" ")} on ${JSON.stringify(damage)}`);
        assertMatch(
          r.stderr,
          /^pool: Cannot read lease ledger \S+: (not JSON|it is empty) \(fix or remove the file\)\n$/,
        );
      }
      assertEquals(await Deno.readTextFile(ledgerOf(fleet)), damage);
    }
    await Deno.remove(ledgerOf(fleet));
  });

  await t.step("bad requests are usage errors", async () => {
    for (
      const args of [
        ["route", "--mem", "lots", "true"],
        ["route", "--gpus", "-1", "true"],
        ["route", "--os", "windows", "true"],
        ["route", "--wait=soon", "true"],
        ["route"],
        ["bg", "--mem", "1G", "h1", "true"],
      ]
    ) {
      const r = await pool(fleet, args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    }
  });
});

function sumByHost(leases: { host: string; mem_bytes: number }[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const l of leases) sums.set(l.host, (sums.get(l.host) ?? 0) + l.mem_bytes);
  return sums;
}

fleetTest(
  "Ctrl-C while another pool holds the lease ledger: stopped, and said so as JSON",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const ledger = join(fleet.dir, "state", "leases.json");
    await Deno.mkdir(join(fleet.dir, "state"), { recursive: true });
    // Another pool, in the middle of its write: its lock held for as long as this test says.
    const lock = await Deno.open(ledger + ".lock", { create: true, write: true });
    await lock.lock(true);
    try {
      const child = spawnPool(fleet, ["route", "--json", "--mem", "1M", "true"]);
      await new Promise((r) => setTimeout(r, 2000));
      child.kill("SIGINT");
      const out = await child.output();
      assertEquals(out.code, 130);
      assertEquals(
        JSON.parse(new TextDecoder().decode(out.stdout)).error.kind,
        "stopped",
      );
    } finally {
      await lock.unlock();
      lock.close();
    }
  },
);
