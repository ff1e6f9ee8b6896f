/** `pool list` live against real sshd test hosts, and pool's own ssh connection sharing. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";
import { controlSocket } from "../remote/multiplex.ts";

const GIB = 1024 ** 3;

/** The test hosts share this machine's kernel: their numbers are ours. */
async function machine() {
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)![1]) * 1024;
  const df = new TextDecoder().decode(
    (await new Deno.Command("df", { args: ["-Pk", "/"] }).output()).stdout,
  );
  const [, total, used, available] = df.trim().split("\n")[1].split(/\s+/).map(Number);
  const diskTotal = total * 1024;
  // The column's total is what can be used, as df's Capacity counts it.
  const diskUsable = (used + available) * 1024;
  const cpus = Number(new TextDecoder().decode((await new Deno.Command("nproc").output()).stdout));
  return { memTotal, diskTotal, diskUsable, cpus };
}

/** `ssh -O check` on pool's socket for an alias: the master's pid, or null. */
async function masterPid(fleet: Fleet, alias: string): Promise<number | null> {
  const path = (await controlSocket({
    dir: join(fleet.dir, "state", "cm"),
    persistSeconds: 60,
    sshConfig: fleet.sshConfig,
  }, alias))!;
  const out = await new Deno.Command("ssh", {
    args: ["-F", fleet.sshConfig, "-S", path, "-O", "check", alias],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const pid = /Master running \(pid=(\d+)\)/.exec(new TextDecoder().decode(out.stderr));
  return out.code === 0 && pid ? Number(pid[1]) : null;
}

fleetTest("pool list (live)", 3, async (t, fleet) => {
  const me = await machine();
  await writeRoster(fleet, [
    { name: "h1", sudo: true, description: "first" },
    { name: "h2" },
    { name: "h3" },
    { name: "silent" },
    { name: "refused" },
    { name: "retired", ssh: "h1", exclude: true },
  ]);

  await t.step(
    "shows real load, RAM and disk per host; '-' for hosts that do not answer",
    async () => {
      const r = await pool(fleet, ["list", "--timeout", "3"]);
      assertEquals(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split("\n");
      assertMatch(lines[0], /^ +load +ram +gpu +disk +sudo {2}desc$/);
      const ram = `/${Math.round(me.memTotal / GIB)}G`;
      const disk = `/${Math.round(me.diskUsable / GIB)}G`;
      for (const [i, name] of ["h1", "h2", "h3"].entries()) {
        const cells = lines[i + 1].split(/ {2,}/);
        assertEquals(cells[0], name);
        assertMatch(cells[3], /^\d+\.\d\d$/);
        assert(cells[4].endsWith(ram), cells[4]);
        assertEquals(cells[5], "-");
        assert(cells[6].endsWith(disk), cells[6]);
      }
      assertMatch(lines[1], /sudo {2}first$/);
      assertMatch(lines[4], /^silent +silent +linux +- +- +- +-$/);
      assertMatch(lines[5], /^refused +refused +linux +- +- +- +-$/);
      assertMatch(lines[6], /^retired +h1 +linux +- +- +- +- +\(excluded\)$/);
      assertMatch(lines[7], /^local +\(local\) +linux +\d+\.\d\d +\d+\/\d+G/);
      assert(r.ms < 8_000, `the table waited ${r.ms} ms on a 3 s deadline`);
    },
  );

  await t.step("--json keeps the usage strings and adds the exact numbers", async () => {
    const r = await pool(fleet, ["list", "--json", "--timeout", "3"]);
    const doc = JSON.parse(r.stdout);
    const h1 = doc.hosts[0];
    assertEquals(Object.keys(h1.usage), ["load", "ram", "gpu", "disk"]);
    assertEquals(h1.probe.ok, true);
    assertEquals(h1.probe.mem_total_bytes, me.memTotal);
    assertEquals(h1.probe.disk_total_bytes, me.diskTotal);
    assertEquals(h1.probe.cpus, me.cpus);
    assertEquals(h1.probe.gpus, []);
    assertEquals(h1.probe.load.length, 3);
    assert(h1.probe.mem_used_bytes + h1.probe.mem_available_bytes === me.memTotal);
    assertEquals(doc.hosts[3].usage, { load: "-", ram: "-", gpu: "-", disk: "-" });
    assertEquals([doc.hosts[3].probe.ok, doc.hosts[3].probe.error], [false, "timeout"]);
    assertEquals(doc.hosts[4].probe.error, "refused");
    assertEquals(doc.hosts[5].probe.error, "not probed (excluded)");
    assertEquals(doc.local.probe.mem_total_bytes, me.memTotal);
  });

  await t.step("a second list reuses each host's connection (same master)", async () => {
    const first = await masterPid(fleet, "h1");
    assert(first !== null, "the first list left a master behind");
    await pool(fleet, ["list", "--timeout", "3"]);
    assertEquals(await masterPid(fleet, "h1"), first);
    assert(await masterPid(fleet, "h2") !== null);
  });

  await t.step("a dead master is replaced, never waited on", async () => {
    const pid = (await masterPid(fleet, "h1"))!;
    Deno.kill(pid, "SIGKILL"); // its socket file stays behind
    const r = await pool(fleet, ["on", "h1", "echo", "ok"]);
    assertEquals([r.code, r.stdout], [0, "ok\n"]);
    const fresh = await masterPid(fleet, "h1");
    assert(fresh !== null && fresh !== pid);
  });

  await t.step("a wedged master (socket that never answers) is bypassed", async () => {
    const path = (await controlSocket(
      { dir: join(fleet.dir, "state", "cm"), persistSeconds: 60, sshConfig: fleet.sshConfig },
      "h3",
    ))!;
    await Deno.remove(path).catch(() => {});
    const wedged = Deno.listen({ transport: "unix", path });
    const held: Deno.Conn[] = [];
    (async () => {
      for await (const c of wedged) held.push(c);
    })().catch(() => {});
    const wedgedFile = (await Deno.stat(path)).ino;
    try {
      const r = await pool(fleet, ["on", "h3", "echo", "ok"]);
      assertEquals([r.code, r.stdout], [0, "ok\n"]);
      // Not a speed test (its hello wait is 2 s): 30 s only bounds a command hung on the socket.
      assert(r.ms < 30_000, `took ${r.ms} ms`);
      // It asked the wedged socket and found no hello: the command went on a connection of its
      // own, and the socket stays, its miss marked (one miss may be a busy master's; the step
      // below replaces a master silent past the span).
      assert(held.length > 0, "the wedged socket was never asked");
      const after = await Deno.lstat(path);
      assertEquals(after.ino, wedgedFile, "a first miss took the socket away");
      assert((after.mode! & 0o100) !== 0, "the miss is not marked on the socket");
    } finally {
      wedged.close();
      held.forEach((c) => c.close());
    }
  });

  await t.step(
    "a master that never answers is passed by, and replaced 10 s after its first miss; the command runs once, within a short deadline",
    async () => {
      await pool(fleet, ["on", "h2", "true"]);
      const pid = (await masterPid(fleet, "h2"))!;
      const path = (await controlSocket(
        { dir: join(fleet.dir, "state", "cm"), persistSeconds: 60, sshConfig: fleet.sshConfig },
        "h2",
      ))!;
      const socket = (await Deno.lstat(path)).ino;
      const ran = join(fleet.dir, "ran-once");
      const queued: Deno.Conn[] = [];
      Deno.kill(pid, "SIGSTOP");
      try {
        // A deadline shorter than the wait for the master's hello: the wait is not the command's.
        const r = await pool(fleet, ["on", "h2", "--timeout", "1s", `echo ok; echo x >> ${ran}`]);
        assertEquals([r.code, r.stdout], [0, "ok\n"], r.stderr);
        assertEquals(await Deno.readTextFile(ran), "x\n");
        assertEquals((await Deno.lstat(path)).ino, socket, "one miss may be a busy master's");
        // Its queue of clients not taken fills up (ssh's is 64): still a listener, not a dead one.
        while (queued.length < 1000) {
          const c = await Deno.connect({ transport: "unix", path }).catch(() => null);
          if (!c) break;
          queued.push(c);
        }
        const full = await pool(fleet, ["on", "h2", "echo", "ok"]);
        assertEquals([full.code, full.stdout], [0, "ok\n"], full.stderr);
        assertEquals((await Deno.lstat(path)).ino, socket);
        // The span passes: the first miss, marked as the socket's mtime, is moved 11 s back.
        const info = await Deno.lstat(path);
        await Deno.utime(path, info.atime!, new Date(info.mtime!.getTime() - 11_000));
        const late = await pool(fleet, ["on", "h2", "echo", "ok"]);
        assertEquals([late.code, late.stdout], [0, "ok\n"], late.stderr);
        const fresh = await masterPid(fleet, "h2");
        assert(fresh !== null && fresh !== pid, "a fresh master took over");
      } finally {
        queued.forEach((c) => c.close());
        Deno.kill(pid, "SIGCONT");
        Deno.kill(pid, "SIGTERM");
      }
    },
  );

  await t.step("POOL_CONTROL_PERSIST=0 turns sharing off", async () => {
    await writeRoster(fleet, [{ name: "h2", ssh: `root@${fleet.hosts[1].address}` }]);
    // The alias h2 reaches the same user@host:port, so its master is this target's: end it first.
    const path = (await controlSocket(
      { dir: join(fleet.dir, "state", "cm"), persistSeconds: 60, sshConfig: fleet.sshConfig },
      `root@${fleet.hosts[1].address}`,
    ))!;
    await new Deno.Command("ssh", { args: ["-S", path, "-O", "exit", "h2"], stderr: "null" })
      .output();
    const r = await pool(fleet, ["on", "h2", "true"], { env: { POOL_CONTROL_PERSIST: "0" } });
    assertEquals(r.code, 0);
    const cm = [...Deno.readDirSync(join(fleet.dir, "state", "cm"))].map((e) => e.name);
    assert(!cm.includes(path.split("/").pop()!));
    const bad = await pool(fleet, ["on", "h2", "true"], {
      env: { POOL_CONTROL_PERSIST: "soon" },
    });
    assertEquals(bad.code, 2);
  });
});
