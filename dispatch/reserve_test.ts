/**
 * The reservation transaction without sshd: a recording runner answers the
 * probes, a fake clock makes waiting instant, the ledger is a real file.
 */

import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import type { Host } from "../roster/host.ts";
import type { Lease } from "../ledger/lease.ts";
import {
  type DispatchOptions,
  giveBack,
  handOver,
  NoRoom,
  POLL_MS,
  release,
  REPROBE_MS,
  reserve,
} from "./reserve.ts";

const GIB = 1024 ** 3;

/** A lease on h1 held by a route's pool process, made now; `fields` say what differs. */
function leaseOf(deps: { clock: { wall(): number } }, fields: Partial<Lease>): Lease {
  return {
    id: "l",
    host: "h1",
    mem_bytes: 8 * GIB,
    gpus: [],
    gpu_mem_bytes: 0,
    command: "x",
    pid: 4242,
    pid_start: "1",
    created_ms: deps.clock.wall(),
    ttl_s: 60,
    ...fields,
  };
}
const HOSTS: Host[] = [{ name: "h1", ssh: "h1" }, { name: "h2", ssh: "h2" }];

/** What probes/host.sh prints, reduced to what ranking reads. */
function probe(o: { availGiB: number; load?: number; pids?: string[] }): string {
  return [
    "@@ uname",
    "Linux",
    "@@ loadavg",
    `${o.load ?? 0.1} 0.1 0.1 1/80 100`,
    "@@ cpus_allowed",
    "0-3",
    "@@ meminfo",
    `MemTotal: ${32 * 1024 * 1024} kB`,
    `MemAvailable: ${o.availGiB * 1024 * 1024} kB`,
    "@@ pids",
    ...(o.pids ?? []).map(String),
    "@@ end",
    "",
  ].join("\n");
}

const PROBE = /^sh '-s' '--'/;

function request(memGiB: number, waitMs = 0): DispatchOptions {
  return {
    command: "python job.py",
    memBytes: memGiB * GIB,
    gpus: 0,
    gpuMemBytes: 0,
    pack: false,
    headroom: 0.1,
    waitMs,
    ttlSeconds: 3660,
  };
}

const alive = (pid: number) => pid === 4242;

Deno.test("reserve() writes a lease for the host with the most room before returning", async () => {
  const deps = await testDeps();
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 10 }) });
  deps.runner.stub("h2", PROBE, { stdout: probe({ availGiB: 20 }) });
  const r = await reserve(HOSTS, request(8), {
    ...deps,
    localAlive: alive,
    self: { pid: 4242, start: "1", space: "here" },
  });
  assertEquals(r.host.name, "h2");
  assertEquals((await deps.ledger.read()).map((l) => [l.host, l.mem_bytes]), [["h2", 8 * GIB]]);
  deps.runner.verify();
});

Deno.test("reserve() counts live leases against a host's room, and drops dead ones", async () => {
  const deps = await testDeps();
  const lease = (host: string, pid: number) =>
    leaseOf(deps, { id: `${host}-${pid}`, host, mem_bytes: 15 * GIB, pid, ttl_s: 3600 });
  await deps.ledger.update(() => ({ leases: [lease("h2", 4242), lease("h1", 999)], result: 0 }));
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 20 }) });
  deps.runner.stub("h2", PROBE, { stdout: probe({ availGiB: 20 }) });
  const r = await reserve(HOSTS, request(8), { ...deps, localAlive: alive });
  // h2's 20G minus its live 15G lease leaves too little; h1's lease belongs to a dead pid.
  assertEquals(r.host.name, "h1");
  assertEquals((await deps.ledger.read()).map((l) => l.id).sort(), ["h2-4242", r.lease!.id].sort());
});

Deno.test("reserve() gives up with exit 75 and the best host's shortfall when nothing fits", async () => {
  const deps = await testDeps();
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 10 }) });
  deps.runner.stub("h2", PROBE, { code: 255, outcome: "unreachable", reason: "refused" });
  const e = await assertRejects(() => reserve(HOSTS, request(17), { ...deps, localAlive: alive }));
  assert(e instanceof NoRoom);
  assertEquals(e.exitCode, 75);
  assertEquals(e.message, "no host has room for 17.0G RAM: best is h1 (room 6.8G, short by 10.2G)");
  assertEquals(await deps.ledger.read(), []);
});

Deno.test("reserve() waits: polls the ledger, re-probes every 10 s, and starts once room appears", async () => {
  const deps = await testDeps();
  let probes = 0;
  // Full for the first two probe rounds, then the host has room.
  deps.runner.stub(
    "h1",
    PROBE,
    () => ({ stdout: probe({ availGiB: ++probes > 2 ? 20 : 4 }) }),
    Infinity,
  );
  const started = deps.clock.now();
  const r = await reserve([HOSTS[0]], request(8, 60_000), { ...deps, localAlive: alive });
  assertEquals(r.host.name, "h1");
  assertEquals(probes, 3);
  const waited = deps.clock.now() - started;
  assert(waited >= 2 * REPROBE_MS && waited < 3 * REPROBE_MS, `waited ${waited}`);
});

Deno.test("reserve() sees a released lease at the next poll, without re-probing", async () => {
  const deps = await testDeps();
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 20 }) }, 2);
  const holder = { ...deps, localAlive: alive, self: { pid: 4242, start: "1", space: "here" } };
  const first = await reserve([HOSTS[0]], request(12), holder);
  let released = false;
  const sleep = deps.clock.sleep;
  deps.clock.sleep = async (ms, signal) => {
    await sleep(ms, signal);
    if (!released) await release(deps.ledger, first.lease);
    released = true;
  };
  const second = await reserve([HOSTS[0]], request(12, 60_000), holder);
  assertEquals(second.host.name, "h1");
  // One probe per reserve(): the release was seen in the ledger, not by asking the host again.
  assertEquals(deps.runner.calls.length, 2);
  assertEquals(deps.clock.now() - 1_000_000, POLL_MS);
});

Deno.test("reserve() never drops a live holder's lease for its TTL (issue 12, item 5)", async () => {
  const deps = await testDeps();
  const holder = { ...deps, localAlive: alive, self: { pid: 4242, start: "1", space: "here" } };
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 20 }) }, 2);
  // `route --ttl 5s --mem 12G` whose command is still running a minute later…
  const first = await reserve([HOSTS[0]], { ...request(12), ttlSeconds: 5 }, holder);
  deps.clock.advance(60_000);
  // …still holds its memory: a second route must not land on it.
  const e = await assertRejects(() => reserve([HOSTS[0]], request(12), holder));
  assert(e instanceof NoRoom);
  assertEquals((await deps.ledger.read()).map((l) => l.id), [first.lease!.id]);
});

Deno.test("reserve() reaps a bg lease whose remote pid is gone or now another process", async () => {
  const deps = await testDeps();
  const bg = (id: string, pid: number) =>
    leaseOf(deps, {
      id,
      pid: 0,
      pid_start: null,
      remote_pid: pid,
      remote_start: "500",
      created_ms: deps.clock.wall() - 86_400_000 * 2,
    });
  await deps.ledger.update(() => ({
    leases: [bg("gone", 77), bg("recycled", 78), bg("running", 79)],
    result: 0,
  }));
  deps.runner.stub("h1", /^sh '-s' '--' '?memory'? 77 78 79$/, {
    stdout: probe({ availGiB: 20, pids: ["78 999", "79 500"] }),
  });
  const r = await reserve([HOSTS[0]], request(2), { ...deps, localAlive: alive });
  const left = await deps.ledger.read();
  assertEquals(left.map((l) => l.id), ["running", r.lease!.id]);
  assertEquals(left[0].seen_ms, deps.clock.wall(), "renewed: its TTL counts from now");
  deps.runner.verify();
});

Deno.test("reserve() keeps a bg lease whose job's group runs on after its command ended", async () => {
  const deps = await testDeps();
  const bg = (id: string, pid: number, job: string) =>
    leaseOf(deps, {
      id,
      mem_bytes: 4 * GIB,
      pid: 0,
      pid_start: null,
      remote_pid: pid,
      remote_start: "500",
      job,
    });
  await deps.ledger.update(() => ({
    leases: [bg("orphaned", 77, "j1"), bg("gone", 78, "j2")],
    result: 0,
  }));
  // Both leaders are gone; what j1's command left running holds on in its group, with 1 GiB.
  deps.runner.stub("h1", /^sh '-s' '--' '?memory'? 77 '?group:j1'? 78 '?group:j2'?$/, {
    stdout: probe({ availGiB: 10, pids: ["group:j1 77 2", `mem 77 ${1024 * 1024}`] }),
  });
  // Room: 10 GiB available − 3 GiB still claimed by j1 (4 − the 1 its group holds) − 3.2 headroom.
  const e = await assertRejects(() =>
    reserve([HOSTS[0]], request(4), { ...deps, localAlive: alive })
  );
  assert(e instanceof NoRoom, String(e));
  assertEquals((await deps.ledger.read()).map((l) => [l.id, l.seen_ms]), [
    ["orphaned", deps.clock.wall()],
  ]);
  deps.runner.verify();
});

Deno.test("reserve() asks what the leased jobs hold only for --mem, whose room counts it", async () => {
  const deps = await testDeps();
  const bg = leaseOf(deps, {
    mem_bytes: 4 * GIB,
    pid: 0,
    pid_start: null,
    remote_pid: 77,
    job: "j1",
  });
  await deps.ledger.update(() => ({ leases: [bg], result: 0 }));
  // Without --mem only who lives is asked: the job's 1 GiB goes unsaid, its lease claims all 4.
  deps.runner.stub("h1", /^sh '-s' '--' 77 '?group:j1'?$/, {
    stdout: probe({ availGiB: 10, pids: ["77 500"] }),
  });
  const gpu = await reserve([HOSTS[0]], { ...request(0), gpus: 0 }, { ...deps, localAlive: alive });
  assertEquals(gpu.ranked[0].roomBytes, (10 - 4 - 3.2) * GIB);
  deps.runner.stub("h1", /^sh '-s' '--' '?memory'? 77 '?group:j1'?$/, {
    stdout: probe({ availGiB: 10, pids: ["77 500", `mem 77 ${1024 * 1024}`] }),
  });
  const mem = await reserve([HOSTS[0]], request(1), { ...deps, localAlive: alive });
  assertEquals(mem.ranked[0].roomBytes, (10 - 3 - 3.2) * GIB);
  deps.runner.verify();
});

Deno.test("reserve() lets the TTL end a bg lease only while its host cannot be asked", async () => {
  const deps = await testDeps();
  const lease = leaseOf(deps, {
    id: "bg",
    host: "h2",
    mem_bytes: 15 * GIB,
    pid: 0,
    pid_start: null,
    remote_pid: 77,
    remote_start: "1",
  });
  await deps.ledger.update(() => ({ leases: [lease], result: 0 }));
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 20 }) }, 2);
  deps.runner.stub("h2", PROBE, { code: 255, outcome: "unreachable", reason: "refused" }, 2);
  await reserve(HOSTS, request(1), { ...deps, localAlive: alive });
  assert((await deps.ledger.read()).some((l) => l.id === "bg"), "within its TTL: kept");
  deps.clock.advance(61_000);
  await reserve(HOSTS, request(1), { ...deps, localAlive: alive });
  assert(!(await deps.ledger.read()).some((l) => l.id === "bg"), "unseen past its TTL: dropped");
});

Deno.test("reserve() stops waiting when pool is told to stop, with the signal's code", async () => {
  const deps = await testDeps();
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 1 }) }, Infinity);
  deps.clock.sleep = () => {
    deps.controller.abort(new (class extends Error {})());
    return Promise.resolve();
  };
  const e = await assertRejects(() =>
    reserve([HOSTS[0]], request(8, 60_000), { ...deps, localAlive: alive })
  );
  assertEquals((e as { exitCode?: number }).exitCode, 130);
});

Deno.test("reserve() keeps a bg lease handed over after its probe read the ledger", async () => {
  const deps = await testDeps();
  // Another pool's bg holds 8G on h1 while it launches (its own pid holds the lease)…
  const launching = leaseOf(deps, { id: "other" });
  await deps.ledger.update(() => ({ leases: [launching], result: 0 }));
  deps.runner.stub("h1", /^sh '-s' '--'$/, { stdout: probe({ availGiB: 20 }) });
  // …and hands it to its job (remote pid 91) between this probe and this update.
  const ledger = {
    ...deps.ledger,
    update: async <T>(change: (leases: Lease[]) => { leases: Lease[]; result: T }) => {
      await handOver(deps.ledger, launching, { id: "j1", pid: 91, start: "5" }, deps.clock.wall());
      return await deps.ledger.update(change);
    },
  };
  await reserve([HOSTS[0]], request(2), { ...deps, ledger, localAlive: alive });
  assert((await deps.ledger.read()).some((l) => l.id === "other"), "not asked about: kept");
  deps.runner.verify();
});

Deno.test("giveBack() that cannot write the ledger warns; the work's own code stands", async () => {
  const deps = await testDeps({ hosts: [] });
  deps.ledger.update = () => Promise.reject(new Error("No space left on device (os error 28)"));
  await giveBack(deps, leaseOf(deps, {}));
  assertEquals(
    deps.out.stderrText(),
    "pool: warning: could not give the lease back (No space left on device (os error 28)); " +
      "it ends with this pool\n",
  );
});

Deno.test("reserve() with no host to name as best folds the hosts that share a reason", async () => {
  const deps = await testDeps();
  for (const h of ["h1", "h2"]) deps.runner.stub(h, PROBE, { stdout: probe({ availGiB: 10 }) });
  const e = await assertRejects(() =>
    reserve(HOSTS, { ...request(0), gpus: 2 }, { ...deps, localAlive: alive })
  );
  assert(e instanceof NoRoom);
  assertEquals(
    e.message,
    "no host can ever take this command (h[1-2]: needs 2 GPU(s), has 0 in all)",
  );
});

Deno.test("reserve() does not wait out --wait for what no host has in all", async () => {
  const deps = await testDeps();
  // Probed once each: a second probe (the wait's re-probe) would be a call nobody stubbed.
  for (const h of ["h1", "h2"]) deps.runner.stub(h, PROBE, { stdout: probe({ availGiB: 10 }) });
  const e = await assertRejects(() =>
    reserve(HOSTS, request(31, 600_000), { ...deps, localAlive: alive })
  );
  assert(e instanceof NoRoom);
  assertEquals(e.message, "no host can ever take this command (h[1-2]: has 32.0G of RAM in all)");
  deps.runner.verify();
});

Deno.test("reserve() counts a running bg job's GPU memory once: in the GPU's use, not its lease too", async () => {
  const deps = await testDeps();
  // `pool bg --gpu-mem 20G` on GPU 0 of an H200 (143771 MiB), its job now holding its 20 GiB.
  const bg = leaseOf(deps, {
    id: "bg",
    mem_bytes: 0,
    gpus: [0],
    gpu_mem_bytes: 20 * GIB,
    pid: 0,
    pid_start: null,
    remote_pid: 79,
    remote_start: "500",
  });
  await deps.ledger.update(() => ({ leases: [bg], result: 0 }));
  const uuid = "GPU-5c4a3bd2-8f1e-2a0c-9d17-6b0e4f3a21c8";
  const smi = "@@ nvidia-smi\n" +
    "index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], mig.mode.current\n" +
    `0, ${uuid}, NVIDIA H200, 100, 20480, 143771, Disabled\n@@ nvidia-smi-exit\n0\n` +
    `@@ gpu-apps-before\n${uuid}, 80, 20480\n@@ gpu-apps\n${uuid}, 80, 20480\n` +
    "@@ gpu-groups\n80 79\n@@ pids\n";
  deps.runner.stub("h1", /^sh '-s' '--' 79$/, {
    stdout: probe({ availGiB: 20, pids: ["79 500"] }).replace("@@ pids\n", smi),
  });
  // Free on GPU 0: 140.4G − 20 used − 0 still claimed = 120.4 (counted twice: 100.4, too little).
  const r = await reserve([HOSTS[0]], { ...request(0), gpuMemBytes: 110 * GIB }, {
    ...deps,
    localAlive: alive,
  });
  assertEquals([r.host.name, r.lease?.gpus], ["h1", [0]]);
  deps.runner.verify();
});

Deno.test("reserve() says at once that GPUs all in MIG mode never take --gpus", async () => {
  const deps = await testDeps();
  // Two A100s split into MIG instances, as host.sh's query reads them: their use [N/A].
  const smi = "@@ nvidia-smi\n" +
    "index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], mig.mode.current\n" +
    "0, GPU-0b7e6a41-3c2d-4e5f-8a9b-1c2d3e4f5a6b, NVIDIA A100-SXM4-80GB, [N/A], [N/A], 81920, Enabled\n" +
    "1, GPU-1b7e6a41-3c2d-4e5f-8a9b-1c2d3e4f5a6b, NVIDIA A100-SXM4-80GB, [N/A], [N/A], 81920, Enabled\n" +
    "@@ nvidia-smi-exit\n0\n@@ pids\n";
  // Probed once: a second probe (the wait's re-probe) would be a call nobody stubbed.
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 10 }).replace("@@ pids\n", smi) });
  const e = await assertRejects(() =>
    reserve([HOSTS[0]], { ...request(0, 600_000), gpus: 1 }, { ...deps, localAlive: alive })
  );
  assert(e instanceof NoRoom);
  assertEquals(
    e.message,
    "no host can ever take this command (h1: needs 1 GPU(s), has 0 in all; " +
      "GPUs 0,1 are in MIG mode, which pool does not use)",
  );
  deps.runner.verify();
});

Deno.test("reserve() waits for room a host has in all but not now", async () => {
  const deps = await testDeps();
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 10 }) }, Infinity);
  const e = await assertRejects(() =>
    reserve([HOSTS[0]], request(20, 30_000), { ...deps, localAlive: alive })
  );
  assert(e instanceof NoRoom);
  assert(deps.runner.calls.length > 1, "re-probed while it waited");
});

Deno.test("reserve() writes --gpus N with --gpu-mem as a whole-GPU lease an older pool reads so too", async () => {
  const deps = await testDeps();
  const smi = "@@ nvidia-smi\n" +
    "index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], mig.mode.current\n" +
    "0, GPU-5c4a3bd2-8f1e-2a0c-9d17-6b0e4f3a21c8, NVIDIA H200, 0, 0, 143771, Disabled\n" +
    "@@ nvidia-smi-exit\n0\n@@ pids\n";
  deps.runner.stub("h1", PROBE, { stdout: probe({ availGiB: 10 }).replace("@@ pids\n", smi) });
  const r = await reserve([HOSTS[0]], { ...request(0), gpus: 1, gpuMemBytes: 20 * GIB }, {
    ...deps,
    localAlive: alive,
  });
  // A pool from before whole_gpus (another checkout, or one gone back to) still runs beside
  // this one on the same ledger: it holds a GPU whole only where gpu_mem_bytes is 0, and read
  // 20 GiB as a share, it would put its own `--gpu-mem` job on the GPU this one holds whole.
  assertEquals([r.lease?.gpus, r.lease?.whole_gpus, r.lease?.gpu_mem_bytes], [[0], true, 0]);
  const [written] = await deps.ledger.read();
  assertEquals([written.whole_gpus, written.gpu_mem_bytes], [true, 0]);
  deps.runner.verify();
});
