import { assertEquals } from "../tests/assert.ts";
import type { HostFacts } from "../probes/mod.ts";
import type { Lease } from "../ledger/lease.ts";
import { osRefusal } from "./classify.ts";
import { type Candidate, rankHosts, type Request } from "./rank.ts";

const GIB = 1024 ** 3;
const none: Request = { memBytes: 0, gpus: 0, gpuMemBytes: 0, headroom: 0.1, pack: false };

function facts(
  load: number,
  cpus: number,
  availGiB = 20,
  totalGiB = 30,
  os: "linux" | "macos" = "linux",
): HostFacts {
  return {
    os,
    load: [load, load, load],
    cpus,
    mem: {
      totalBytes: totalGiB * GIB,
      availableBytes: availGiB * GIB,
      usedBytes: (totalGiB - availGiB) * GIB,
    },
    swap: null,
    disk: null,
    uptimeSeconds: 1,
    gpus: [],
    alivePids: [],
  };
}

function lease(host: string, memGiB: number, gpus: number[] = [], gpuMemGiB = 0): Lease {
  return {
    id: crypto.randomUUID(),
    host,
    mem_bytes: memGiB * GIB,
    gpus,
    gpu_mem_bytes: gpuMemGiB * GIB,
    command: "x",
    pid: 1,
    pid_start: null,
    created_ms: 0,
    ttl_s: 60,
  };
}

const names = (r: ReturnType<typeof rankHosts>) => r.filter((x) => x.qualifies).map((x) => x.name);

Deno.test("rankHosts() without requests picks the lowest load per CPU", () => {
  const c: Candidate[] = [
    { name: "a", facts: facts(4, 4) }, // 1.0 per CPU
    { name: "b", facts: facts(2, 8) }, // 0.25
    { name: "c", facts: facts(0.5, 1) }, // 0.5
  ];
  assertEquals(names(rankHosts(c, [], none)), ["b", "c", "a"]);
});

Deno.test("rankHosts() subtracts live leases and headroom from available memory", () => {
  const c: Candidate[] = [{ name: "a", facts: facts(0, 4, 28) }, {
    name: "b",
    facts: facts(0, 4, 28),
  }];
  const want17: Request = { ...none, memBytes: 17 * GIB };
  // room = 28 − 3 (10 % of 30) = 25: one 17G job fits, a second does not.
  assertEquals(names(rankHosts(c, [], want17)), ["a", "b"]);
  const afterOne = rankHosts(c, [lease("a", 17)], want17);
  assertEquals(names(afterOne), ["b"]);
  assertEquals(afterOne[1].why, "too little RAM: room 8.0G < 17.0G");
  assertEquals(afterOne[1].shortBytes, 9 * GIB);
  assertEquals(names(rankHosts(c, [lease("a", 17), lease("b", 17)], want17)), []);
});

Deno.test("rankHosts() counts a bg lease's claim only beyond what its job holds now", () => {
  // 28G available of 30 (3G headroom); a bg job leased 17G and has taken 12 of them already.
  const held = { ...facts(0, 4, 16), jobMemBytes: new Map([[4242, 12 * GIB]]) };
  const bg = { ...lease("a", 17), pid: 0, remote_pid: 4242 };
  const want8: Request = { ...none, memBytes: 8 * GIB };
  // room = 16 − (17 − 12) − 3 = 8: counted twice, it was 16 − 17 − 3 = −4.
  assertEquals(rankHosts([{ name: "a", facts: held }], [bg], want8)[0].roomBytes, 8 * GIB);
  assertEquals(names(rankHosts([{ name: "a", facts: held }], [bg], want8)), ["a"]);
  // A job holding more than it leased claims nothing more (never a negative claim).
  const greedy = { ...facts(0, 4, 16), jobMemBytes: new Map([[4242, 20 * GIB]]) };
  assertEquals(rankHosts([{ name: "a", facts: greedy }], [bg], want8)[0].roomBytes, 13 * GIB);
  // Where the host cannot say (not Linux, an older answer), or for a route lease (no job
  // pid), the whole claim counts.
  assertEquals(
    rankHosts([{ name: "a", facts: facts(0, 4, 16) }], [bg], want8)[0].roomBytes,
    -4 * GIB,
  );
  const route = lease("a", 17);
  assertEquals(rankHosts([{ name: "a", facts: held }], [route], want8)[0].roomBytes, -4 * GIB);
  // Another job's memory is not this lease's.
  const other = { ...bg, remote_pid: 77 };
  assertEquals(rankHosts([{ name: "a", facts: held }], [other], want8)[0].roomBytes, -4 * GIB);
  // Its pid another process's now (another start time): what that one's group holds is not
  // the job's (the lease may live on by its marked processes), and the claim counts whole.
  const started = { ...bg, remote_start: "777" };
  const own = { ...held, alivePids: [{ pid: 4242, start: "777" }] };
  assertEquals(rankHosts([{ name: "a", facts: own }], [started], want8)[0].roomBytes, 8 * GIB);
  const reused = { ...held, alivePids: [{ pid: 4242, start: "999" }] };
  assertEquals(rankHosts([{ name: "a", facts: reused }], [started], want8)[0].roomBytes, -4 * GIB);
});

Deno.test("rankHosts() spreads by default and packs with --pack", () => {
  const c: Candidate[] = [{ name: "roomy", facts: facts(0, 4, 28) }, {
    name: "tight",
    facts: facts(0, 4, 12),
  }];
  const want4: Request = { ...none, memBytes: 4 * GIB };
  assertEquals(names(rankHosts(c, [], want4)), ["roomy", "tight"]);
  assertEquals(names(rankHosts(c, [], { ...want4, pack: true })), ["tight", "roomy"]);
});

Deno.test("rankHosts() takes idle, unclaimed GPUs and free GPU memory", () => {
  const gpu = (index: number, usedGiB: number, util: number | null) => ({
    vendor: "nvidia" as const,
    index,
    name: "H100",
    utilPct: util,
    memUsedBytes: usedGiB * GIB,
    memTotalBytes: 80 * GIB,
  });
  const f = {
    ...facts(0, 32, 200, 256),
    gpus: [gpu(0, 70, 100), gpu(1, 0, 0), gpu(2, 1, 0), gpu(3, 0, null)],
  };
  const c: Candidate[] = [{ name: "dgx", facts: f }];
  const two = rankHosts(c, [], { ...none, gpus: 2 });
  assertEquals([two[0].qualifies, two[0].gpus.length], [true, 2]);
  assertEquals(
    rankHosts(c, [lease("dgx", 0, [1]), lease("dgx", 0, [3])], { ...none, gpus: 2 })[0].qualifies,
    false,
  );
  // 60G free on one GPU: GPU 0 (10 free) cannot, GPUs 1–3 can.
  const mem = rankHosts(c, [lease("dgx", 0, [1], 30)], { ...none, gpuMemBytes: 60 * GIB });
  assertEquals(mem[0].gpus, [3]);
  // Held whole by `--gpus 1 --gpu-mem 10G`: not shared with a later `--gpu-mem 5G`.
  const whole = { ...lease("dgx", 0, [3], 10), whole_gpus: true };
  const others = [0, 1, 2].map((i) => lease("dgx", 0, [i], 76));
  assertEquals(rankHosts(c, [whole, ...others], { ...none, gpuMemBytes: 5 * GIB })[0].gpus, []);
  // GPUs the driver reads nothing of (`[GPU requires reset]`) are not idle ones.
  const broken = { ...gpu(4, 0, null), memUsedBytes: null, memTotalBytes: null };
  const sick = [{
    name: "dgx",
    facts: { ...f, gpus: [gpu(0, 70, 97), broken, { ...broken, index: 5 }] },
  }];
  assertEquals(rankHosts(sick, [], { ...none, gpus: 1 })[0].qualifies, false);
});

Deno.test("rankHosts() takes no GPU whose use it cannot read (MIG: used memory [N/A])", () => {
  // An A100 whose use reads [N/A], its total known, its MIG mode not said (an older answer). It
  // may be idle or full; pool cannot tell, so neither --gpus nor --gpu-mem takes it, for now.
  const mig = {
    vendor: "nvidia" as const,
    index: 0,
    name: "NVIDIA A100-SXM4-80GB",
    utilPct: null,
    memUsedBytes: null,
    memTotalBytes: 80 * GIB,
  };
  const c: Candidate[] = [{ name: "mig", facts: { ...facts(0, 32, 200, 256), gpus: [mig] } }];
  for (const r of [{ ...none, gpus: 1 }, { ...none, gpuMemBytes: 70 * GIB }]) {
    const [ranked] = rankHosts(c, [], r);
    assertEquals([ranked.qualifies, ranked.gpus, ranked.never], [false, [], undefined]);
    assertEquals(ranked.why?.endsWith("; the use of GPU 0 cannot be read"), true, ranked.why);
  }
  // Utilisation alone unknown ([Not Supported]), memory read and empty: an idle GPU.
  const quiet = { ...mig, memUsedBytes: 0 };
  const idle = rankHosts([{ name: "mig", facts: { ...c[0].facts!, gpus: [quiet] } }], [], {
    ...none,
    gpus: 1,
  });
  assertEquals([idle[0].qualifies, idle[0].gpus], [true, [0]]);
});

/** An H200 as nvidia-smi reads it (143771 MiB in all), `usedMiB` of it used. */
function h200(index: number, usedMiB: number) {
  return {
    vendor: "nvidia" as const,
    index,
    name: "NVIDIA H200",
    utilPct: usedMiB > 0 ? 100 : 0,
    memUsedBytes: usedMiB * 1024 ** 2,
    memTotalBytes: 143771 * 1024 ** 2,
    mig: false,
  };
}

Deno.test("rankHosts() counts a bg lease's GPU claim only beyond what its job holds on that GPU", () => {
  // `pool bg --gpu-mem 20G` on GPU 0, whose job has allocated its 20G: nvidia-smi's used memory
  // counts it, and so did its lease, and a 110G request found 140.4 − 20 − 20 = 100.4G free.
  const used = { ...facts(0, 16, 120, 126), gpus: [h200(0, 20 * 1024)] };
  const held = { ...used, jobGpuBytes: new Map([[4242, new Map([[0, 20 * GIB]])]]) };
  const bg = { ...lease("a", 0, [0], 20), pid: 0, remote_pid: 4242 };
  const want110: Request = { ...none, gpuMemBytes: 110 * GIB };
  const on = (f: HostFacts, l: Lease) => rankHosts([{ name: "a", facts: f }], [l], want110)[0];
  assertEquals([on(held, bg).qualifies, on(held, bg).gpus], [true, [0]]);
  // Where the host cannot say (a container, not asked), for a route lease (no job pid), for
  // another job's memory, or memory its job holds on another GPU: the whole claim counts.
  assertEquals(on(used, bg).why, "needs 1 GPU(s) with 110.0G free, has 0");
  assertEquals(on(held, lease("a", 0, [0], 20)).qualifies, false);
  assertEquals(on(held, { ...bg, remote_pid: 77 }).qualifies, false);
  const elsewhere = { ...used, jobGpuBytes: new Map([[4242, new Map([[1, 20 * GIB]])]]) };
  assertEquals(on(elsewhere, bg).qualifies, false);
  // A job that has taken part of its claim still claims the rest; one that took more, nothing.
  const part = { ...used, jobGpuBytes: new Map([[4242, new Map([[0, 5 * GIB]])]]) };
  assertEquals(on(part, bg).qualifies, false);
  const more = { ...facts(0, 16, 120, 126), gpus: [h200(0, 40 * 1024)] };
  const greedy = { ...more, jobGpuBytes: new Map([[4242, new Map([[0, 40 * GIB]])]]) };
  assertEquals(
    rankHosts([{ name: "a", facts: greedy }], [bg], { ...none, gpuMemBytes: 100 * GIB })[0].gpus,
    [0],
  );
});

Deno.test("rankHosts() says a host whose GPUs are all in MIG mode can never take --gpus or --gpu-mem", () => {
  // mig.mode.current Enabled: its use [N/A], pool cannot hand it out whole, and no lease given
  // back changes that: route says so at once instead of waiting out --wait.
  const mig = { ...h200(0, 0), memUsedBytes: null, utilPct: null, mig: true };
  const c: Candidate[] = [{
    name: "gpu1",
    facts: { ...facts(0, 16, 120, 126), gpus: [mig, { ...mig, index: 1 }] },
  }];
  for (const r of [{ ...none, gpus: 1 }, { ...none, gpuMemBytes: 20 * GIB }]) {
    const [ranked] = rankHosts(c, [], r);
    assertEquals([ranked.qualifies, ranked.never], [false, true]);
    assertEquals(
      ranked.why,
      `needs 1 GPU(s)${
        r.gpuMemBytes ? " of 20.0G" : ""
      }, has 0 in all; GPUs 0,1 are in MIG mode, which pool does not use`,
    );
  }
  // Beside a whole GPU that is busy now: it may come free, and the MIG one is named.
  const mixed = [{ name: "gpu1", facts: { ...c[0].facts!, gpus: [mig, h200(1, 90000)] } }];
  const [busy] = rankHosts(mixed, [], { ...none, gpus: 1 });
  assertEquals([busy.qualifies, busy.never], [false, undefined]);
  assertEquals(
    busy.why,
    "needs 1 idle GPU(s), has 0; GPU 0 is in MIG mode, which pool does not use",
  );
  // MIG mode off (Disabled): an ordinary GPU.
  const off = [{ name: "gpu1", facts: { ...c[0].facts!, gpus: [h200(0, 0)] } }];
  assertEquals(rankHosts(off, [], { ...none, gpus: 1 })[0].gpus, [0]);
});

Deno.test("rankHosts() never picks an unreachable or refused host", () => {
  const c: Candidate[] = [
    { name: "down", facts: null, excludedBecause: "unreachable (timeout)" },
    {
      name: "mac",
      facts: facts(0, 8, 12, 16, "macos"),
      excludedBecause: "macOS takes only macOS-only commands",
    },
    { name: "up", facts: facts(3, 1, 10) },
  ];
  const ranked = rankHosts(c, [], none);
  assertEquals(names(ranked), ["up"]);
  assertEquals(ranked.find((r) => r.name === "down")!.why, "unreachable (timeout)");
});

Deno.test("osRefusal() keeps the Mac for macOS-only commands, and those for the Mac", () => {
  assertEquals(osRefusal("macos", "python train.py"), "macOS takes only macOS-only commands");
  assertEquals(osRefusal("macos", "xcodebuild build"), null);
  assertEquals(osRefusal("linux", "xcodebuild build"), "macOS-only command");
  assertEquals(osRefusal("linux", "python train.py"), null);
  assertEquals(osRefusal("macos", "python train.py", "macos"), null);
  assertEquals(osRefusal("linux", "python train.py", "macos"), "not macos (--os)");
});

Deno.test("rankHosts() says never only for what a host lacks in all, not for a GPU tool that failed", () => {
  const wants = (r: Partial<Request>, f: HostFacts) =>
    rankHosts([{ name: "h", facts: f }], [], { ...none, ...r })[0];
  // 30G in all, 10 % kept: 28G can never fit; 20G can, once there is room.
  assertEquals(wants({ memBytes: 28 * GIB }, facts(0.1, 4)).never, true);
  assertEquals(wants({ memBytes: 25 * GIB }, facts(0.1, 4)).never, undefined);
  // No GPU at all, against a driver that did not answer this time.
  assertEquals(wants({ gpus: 1 }, facts(0.1, 4)).never, true);
  const failed = { ...facts(0.1, 4), gpuError: "nvidia-smi failed (exit 9)" };
  const ranked = wants({ gpus: 1 }, failed);
  assertEquals([ranked.qualifies, ranked.never], [false, undefined]);
  // And says why it has none: the tool's own words, not a host whose GPUs are all busy.
  assertEquals(ranked.why, "needs 1 idle GPU(s), has 0; nvidia-smi failed (exit 9)");
  const gpuMem = wants({ gpuMemBytes: GIB }, failed);
  assertEquals(gpuMem.why, "needs 1 GPU(s) with 1.0G free, has 0; nvidia-smi failed (exit 9)");
});
