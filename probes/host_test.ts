import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import {
  type Holders,
  jobGpuMemory,
  parseCpuList,
  parseDf,
  parseHolders,
  parseHostProbe,
  parseLoadavg,
  parseMeminfo,
  parseNvidiaSmi,
  parsePids,
  parseRocmSmi,
  parseSwapUsage,
  parseVmStat,
} from "./host.ts";
import { remoteScript } from "../remote/scripts.ts";
import { processesWith, startIn, startOf, until } from "../tests/procs.ts";

/** host.sh as sent (after _proc.sh), run here with the tools in `bin` first on PATH: what it says. */
async function hostProbeWith(bin: string, ...args: string[]): Promise<string> {
  const out = await hostProbe({ bin }, args).output();
  return new TextDecoder().decode(out.stdout);
}

/**
 * host.sh as hostProbeWith runs it, not yet started: its temp files in `tmp` (TMPDIR), where given,
 * and named `name` ($0, which every subshell it forks carries in its command line).
 */
function hostProbe(
  how: { bin: string; tmp?: string; name?: string },
  args: string[] = [],
): Deno.Command {
  return new Deno.Command("sh", {
    args: ["-c", remoteScript("host_probe"), how.name ?? "probe", ...args],
    env: { PATH: `${how.bin}:${Deno.env.get("PATH")}`, ...(how.tmp ? { TMPDIR: how.tmp } : {}) },
    stdout: "piped",
  });
}

/** A fixture's verbatim text: everything after its "# ---" header line. */
export async function fixture(name: string): Promise<string> {
  const text = await Deno.readTextFile(new URL(`../tests/fixtures/probe/${name}`, import.meta.url));
  const at = text.indexOf("# ---\n");
  assert(at !== -1, `${name} has no "# ---" header end`);
  return text.slice(at + "# ---\n".length);
}

const KIB = 1024;
const MIB = 1024 * 1024;

Deno.test("parseHostProbe() reads a Debian host: /proc/meminfo, coreutils df", async () => {
  const facts = parseHostProbe(await fixture("debian12.txt"));
  assertEquals(facts.os, "linux");
  assertEquals(facts.cpus, 2);
  // Used RAM is MemTotal − MemAvailable, to the kilobyte: no `free -g` rounding.
  assertEquals(facts.mem, {
    totalBytes: 24683620 * KIB,
    availableBytes: 24364840 * KIB,
    usedBytes: (24683620 - 24364840) * KIB,
  });
  assertEquals(facts.swap, { totalBytes: 0, freeBytes: 0 });
  assertEquals(facts.disk?.totalBytes, 264212084 * KIB);
  assertEquals(facts.gpus, []);
  assert(facts.load !== null && facts.uptimeSeconds !== null);
});

Deno.test("parseHostProbe() reads a BusyBox host (Alpine's userland)", async () => {
  const facts = parseHostProbe(await fixture("busybox.txt"));
  assertEquals([facts.os, facts.cpus], ["linux", 2]);
  assertEquals(facts.disk?.totalBytes, 264212084 * KIB);
  assertEquals(facts.disk?.usedBytes, 22810164 * KIB);
  assert(facts.mem !== null && facts.mem.totalBytes === 24683620 * KIB);
});

Deno.test("parseHostProbe() refuses output that is cut short", async () => {
  const text = await fixture("debian12.txt");
  let threw = false;
  try {
    parseHostProbe(text.slice(0, text.indexOf("@@ end")));
  } catch {
    threw = true;
  }
  assert(threw);
});

Deno.test("parseHostProbe() ignores a login banner before the first section", async () => {
  const facts = parseHostProbe(
    "Welcome to Ubuntu!\n@@ uname\n" + (await fixture("debian12.txt")).split("@@ uname\n")[1],
  );
  assertEquals(facts.cpus, 2);
});

Deno.test("parseLoadavg() reads Linux and macOS forms", () => {
  assertEquals(parseLoadavg("0.01 0.05 0.10 1/85 123\n"), [0.01, 0.05, 0.1]);
  assertEquals(parseLoadavg("{ 1.23 1.45 1.67 }\n"), [1.23, 1.45, 1.67]);
  assertEquals(parseLoadavg(""), null);
});

Deno.test("parseMeminfo() falls back to free + buffers + cached before Linux 3.14", () => {
  const { mem } = parseMeminfo(
    "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n",
  );
  assertEquals(mem, { totalBytes: 1000 * KIB, availableBytes: 400 * KIB, usedBytes: 600 * KIB });
});

Deno.test("parseDf() takes the numbers from the last line, whatever the device name", () => {
  const text = "Filesystem 1024-blocks Used Available Capacity Mounted on\n" +
    "map auto_home with spaces 100 40 60 40% /System/Volumes/Data\n";
  assertEquals(parseDf(text), {
    totalBytes: 100 * KIB,
    usedBytes: 40 * KIB,
    availableBytes: 60 * KIB,
  });
  assertEquals(parseDf("df: /: No such file\n"), null);
});

Deno.test("parseSwapUsage() reads sysctl vm.swapusage", () => {
  assertEquals(
    parseSwapUsage("vm.swapusage: total = 2048.00M  used = 1087.50M  free = 960.50M  (encrypted)"),
    {
      totalBytes: 2048 * MIB,
      freeBytes: Math.round(960.5 * MIB),
    },
  );
});

Deno.test("parseVmStat() uses the page size vm_stat reports, not 4096", () => {
  const body = (size: number) =>
    `Mach Virtual Memory Statistics: (page size of ${size} bytes)\n` +
    "Pages free:                               10000.\nPages active:                            200000.\n" +
    "Pages wired down:                         50000.\nPages purgeable:                          5000.\n" +
    "Anonymous pages:                         150000.\nPages occupied by compressor:             20000.\n";
  const total = 16 * 1024 ** 3;
  const used = 150000 - 5000 + 50000 + 20000;
  assertEquals(parseVmStat(body(16384), total)?.usedBytes, used * 16384);
  assertEquals(parseVmStat(body(4096), total)?.usedBytes, used * 4096);
  assertEquals(parseVmStat("garbage", total), null);
});

Deno.test("parseNvidiaSmi() reads columns by name and treats [N/A] as unknown", () => {
  const text = "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]\n" +
    "0, NVIDIA A100-SXM4-80GB, [N/A], [N/A], 81920\n1, NVIDIA A100-SXM4-80GB, 37, 1024, 81920\n";
  assertEquals(parseNvidiaSmi(text).gpus, [
    {
      vendor: "nvidia",
      index: 0,
      name: "NVIDIA A100-SXM4-80GB",
      utilPct: null,
      memUsedBytes: null,
      memTotalBytes: 81920 * MIB,
    },
    {
      vendor: "nvidia",
      index: 1,
      name: "NVIDIA A100-SXM4-80GB",
      utilPct: 37,
      memUsedBytes: 1024 * MIB,
      memTotalBytes: 81920 * MIB,
    },
  ]);
  assertEquals(parseNvidiaSmi("No devices were found\n"), {
    gpus: [],
    error: "No devices were found",
  });
});

// Real outputs from macOS and NVIDIA hosts, recorded by others (see each fixture's header).

const GIB = 1024 ** 3;

Deno.test("parseVmStat() on a real Apple Silicon Mac: 16 KiB pages", async () => {
  const mem = parseVmStat(await fixture("vm_stat-apple-silicon.txt"), 16 * GIB)!;
  // anonymous − purgeable + wired + compressor = 247760 − 2 + 251285 + 389264 pages of 16384 bytes
  assertEquals(mem.usedBytes, 888307 * 16384);
  assertEquals(mem.availableBytes, 16 * GIB - 888307 * 16384);
  const tagged = parseVmStat(await fixture("vm_stat-apple-silicon-tagged.txt"), 32 * GIB)!;
  assertEquals(tagged.usedBytes, (633385 - 7173 + 221113 + 366265) * 16384);
});

Deno.test("parseVmStat() on a real Intel Mac: 4 KiB pages", async () => {
  const mem = parseVmStat(await fixture("vm_stat-intel.txt"), 32 * GIB)!;
  assertEquals(mem.usedBytes, (464333 - 11820 + 715958 + 0) * 4096);
});

Deno.test("the macOS sysctl and df outputs parse", async () => {
  assertEquals(parseSwapUsage(await fixture("sysctl-swapusage.txt")), {
    totalBytes: 1024 * MIB,
    freeBytes: Math.round(1021.5 * MIB),
  });
  assertEquals(
    parseSwapUsage(await fixture("sysctl-swapusage-comma-locale.txt"))?.totalBytes,
    1024 * MIB,
  );
  assertEquals(parseLoadavg(await fixture("sysctl-loadavg.txt")), [2.26, 2.08, 2.0]);
  assertEquals(parseDf(await fixture("df-macos.txt")), {
    totalBytes: 244912536 * KIB,
    usedBytes: 123227692 * KIB,
    availableBytes: 119970448 * KIB,
  });
});

/** A whole macOS probe answer, assembled from the real section outputs above. */
async function macProbe(vmStat: string, memsize: number): Promise<string> {
  return [
    "@@ uname\nDarwin",
    `@@ loadavg\n${await fixture("sysctl-loadavg.txt")}`,
    "@@ ncpu\n8",
    `@@ memsize\n${memsize}`,
    `@@ vm_stat\n${await fixture(vmStat)}`,
    `@@ swapusage\n${await fixture("sysctl-swapusage.txt")}`,
    `@@ boottime\n${
      (await fixture("sysctl-boottime.txt")).split("\n")[0].replace(/^kern.boottime: /, "")
    }`,
    "@@ now\n1426092397",
    `@@ df\n${await fixture("df-macos.txt")}`,
    "@@ end\n",
  ].join("\n");
}

Deno.test("parseHostProbe() reads a whole macOS answer on Apple Silicon and on Intel", async () => {
  const arm = parseHostProbe(await macProbe("vm_stat-apple-silicon.txt", 16 * GIB));
  assertEquals([arm.os, arm.cpus, arm.mem?.usedBytes], ["macos", 8, 888307 * 16384]);
  assertEquals(arm.uptimeSeconds, 1426092397 - 1426005997);
  assertEquals(arm.swap?.totalBytes, 1024 * MIB);
  const intel = parseHostProbe(await macProbe("vm_stat-intel.txt", 32 * GIB));
  assertEquals(intel.mem?.usedBytes, 1168471 * 4096);
  assertEquals(intel.gpus, []);
});

Deno.test("parseNvidiaSmi() reads 8 real H100s, every one of them", async () => {
  const { gpus } = parseNvidiaSmi(await fixture("nvidia-smi-8gpu.txt"));
  assertEquals(gpus.length, 8);
  assertEquals(gpus.map((g) => g.utilPct), [100, 98, 100, 100, 100, 98, 100, 99]);
  assertEquals(gpus[4], {
    vendor: "nvidia",
    index: 4,
    name: "NVIDIA H100 80GB HBM3",
    utilPct: 100,
    memUsedBytes: 21340 * MIB,
    memTotalBytes: 81559 * MIB,
  });
});

Deno.test("parseNvidiaSmi() reads one real GPU", async () => {
  assertEquals(parseNvidiaSmi(await fixture("nvidia-smi-1gpu.txt")).gpus, [
    {
      vendor: "nvidia",
      index: 0,
      name: "NVIDIA GeForce RTX 4090",
      utilPct: 0,
      memUsedBytes: 1 * MIB,
      memTotalBytes: 49140 * MIB,
    },
  ]);
});

Deno.test("parseNvidiaSmi() reads a real output with [N/A] and missing columns", async () => {
  const { gpus } = parseNvidiaSmi(await fixture("nvidia-smi-na.txt"));
  assertEquals(gpus, [
    {
      vendor: "nvidia",
      index: 0,
      name: "Tesla P100-PCIE-16GB",
      utilPct: 0,
      memUsedBytes: 0,
      memTotalBytes: null,
      // The column host.sh asks for (`uuid`), as a real nvidia-smi names and writes it.
      uuid: "GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6",
    },
  ]);
});

/**
 * The real H200 row (tests/fixtures/probe/nvidia-smi-h200.txt) as host.sh's query now asks it:
 * with `uuid` (`GPU-` and 8-4-4-4-12 hex digits) and `mig.mode.current` (Enabled, Disabled, or
 * [N/A] on a GPU without MIG), as nvidia-smi's --help-query-gpu names them.
 */
async function h200Query(): Promise<string> {
  const [header, row] = (await fixture("nvidia-smi-h200.txt")).trim().split("\n");
  const [index, ...rest] = row.split(", ");
  return `${header.replace("index, ", "index, uuid, ")}, mig.mode.current\n` +
    `${index}, GPU-5c4a3bd2-8f1e-2a0c-9d17-6b0e4f3a21c8, ${rest.join(", ")}, Disabled\n`;
}

Deno.test("parseNvidiaSmi() reads each GPU's uuid and MIG mode, where the tool says them", async () => {
  const { gpus } = parseNvidiaSmi(await fixture("nvidia-smi-h200.txt"));
  assertEquals(gpus.map((g) => [g.memUsedBytes, g.uuid, g.mig]), [[
    96379 * MIB,
    undefined,
    undefined,
  ]]);
  const text = await h200Query() +
    "1, GPU-0b7e6a41-3c2d-4e5f-8a9b-1c2d3e4f5a6b, NVIDIA A100-SXM4-80GB, [N/A], [N/A], 81920, Enabled\n" +
    "2, [N/A], Tesla T4, 0, 0, 15360, [N/A]\n";
  assertEquals(parseNvidiaSmi(text).gpus.map((g) => [g.index, g.uuid, g.mig]), [
    [0, "GPU-5c4a3bd2-8f1e-2a0c-9d17-6b0e4f3a21c8", false],
    [1, "GPU-0b7e6a41-3c2d-4e5f-8a9b-1c2d3e4f5a6b", true],
    [2, undefined, undefined],
  ]);
});

Deno.test("jobGpuMemory() sums what each job's group holds per GPU, only for jobs pids.sh vouches for", async () => {
  const { gpus } = parseNvidiaSmi(await h200Query());
  const uuid = gpus[0].uuid!;
  // `--query-compute-apps=gpu_uuid,pid,used_memory --format=csv,noheader,nounits`: job 4242's
  // leader and a worker, a process of an orphaned job's group (5000), another user's job (77),
  // one whose use is [N/A], a GPU this probe did not read, and a line that is no process.
  const apps = [
    `${uuid}, 4242, 20480`,
    `${uuid}, 4250, 1024`,
    `${uuid}, 5001, 512`,
    `${uuid}, 77, 4096`,
    `${uuid}, 4251, [N/A]`,
    "GPU-ffffffff-ffff-ffff-ffff-ffffffffffff, 4242, 9999",
    " @@ end",
  ].join("\n");
  const groups = "4242 4242\n4250 4242\n4251 4242\n5001 5000\n77 77\nx y\n";
  const held = jobGpuMemory(apps, groups, {
    gpus,
    alivePids: [{ pid: 4242, start: "1" }],
    groups: new Map([["j2", { pid: 5000, processes: 1 }]]),
  });
  assertEquals([...held].map(([g, m]) => [g, [...m]]), [
    [4242, [[0, 21504 * MIB]]],
    [5000, [[0, 512 * MIB]]],
  ]);
  // Job j2's group number is another process's now (`marked`: only its marked processes are
  // the job's): that group's GPU memory is none of j2's, what a process carrying j2's marker
  // holds outside it is (it left the group: setsid), once; one carrying two markers is neither's.
  const escaped = [
    `${uuid}, 5001, 512`,
    `${uuid}, 6001, 2048`,
    `${uuid}, 6002, 1024`,
    `${uuid}, 4250, 1024`,
    `${uuid}, 6003, 4096`,
  ].join("\n");
  const marked = jobGpuMemory(escaped, "5001 5000\n6001 6001\n6002 6001\n4250 4242\n6003 6003\n", {
    gpus,
    alivePids: [{ pid: 4242, start: "1" }],
    groups: new Map([["j2", { pid: 5000, processes: 2, markedOnly: true }]]),
    marked: new Map([[6001, ["j2"]], [6002, ["j2"]], [4250, ["j2"]], [6003, ["j2", "j9"]]]),
  });
  assertEquals([...marked].map(([g, m]) => [g, [...m]]), [
    [5000, [[0, 3072 * MIB]]],
    [4242, [[0, 1024 * MIB]]],
  ]);
  // j2's number is job j1's leader now (pids.sh vouches for 4242 as j1's): keyed by it, j2's
  // marked processes' memory was credited to j1's lease.
  const collided = jobGpuMemory(
    `${uuid}, 4242, 10240\n${uuid}, 6001, 61440`,
    "4242 4242\n6001 6001\n",
    {
      gpus,
      alivePids: [{ pid: 4242, start: "1" }],
      groups: new Map([["j2", { pid: 4242, processes: 1, markedOnly: true }]]),
      marked: new Map([[6001, ["j2"]]]),
    },
  );
  assertEquals([...collided].map(([g, m]) => [g, [...m]]), [[4242, [[0, 10240 * MIB]]]]);
  // Through the whole answer: only where both sections came.
  const query = await h200Query();
  const text = (extra: string) =>
    `@@ uname\nLinux\n@@ nvidia-smi\n${query}@@ nvidia-smi-exit\n0\n${extra}` +
    "@@ pids\n4242 1\n@@ end\n";
  const both = `@@ gpu-apps-before\n${apps}\n@@ gpu-apps\n${apps}\n`;
  const withAll = parseHostProbe(text(`${both}@@ gpu-groups\n${groups}`));
  assertEquals(withAll.jobGpuBytes?.get(4242)?.get(0), 21504 * MIB);
  // No groups said (a container's pid namespace): nothing known, every claim counts whole.
  assertEquals(parseHostProbe(text(both)).jobGpuBytes, undefined);
  // One reading alone (the first refused): nothing known either.
  const after = `@@ gpu-apps\n${apps}\n@@ gpu-groups\n${groups}`;
  assertEquals(parseHostProbe(text(after)).jobGpuBytes, undefined);
});

Deno.test("parseHostProbe() credits a job the smaller of its two GPU readings, one each side of memory.used", async () => {
  const query = await h200Query();
  const uuid = parseNvidiaSmi(query).gpus[0].uuid!;
  const text = (before: string, after: string) =>
    `@@ uname\nLinux\n@@ nvidia-smi\n${query}@@ nvidia-smi-exit\n0\n` +
    `@@ gpu-apps-before\n${before}@@ gpu-apps\n${after}@@ gpu-groups\n4242 4242\n4243 4242\n` +
    "@@ pids\n4242 1\n@@ end\n";
  const held = (before: string, after: string) =>
    [...parseHostProbe(text(before, after)).jobGpuBytes ?? []].map(([g, m]) => [g, [...m]]);
  // A job that took 80 GiB more between memory.used and the second reading: memory.used does
  // not have it, and counted off its lease's claim it let another lease's worth onto the GPU.
  assertEquals(held(`${uuid}, 4242, 20480\n`, `${uuid}, 4242, 102400\n`), [[4242, [[
    0,
    20 * GIB,
  ]]]]);
  // One that gave memory back meanwhile: memory.used may hold less than the first said.
  assertEquals(held(`${uuid}, 4242, 102400\n`, `${uuid}, 4242, 20480\n`), [[4242, [[
    0,
    20 * GIB,
  ]]]]);
  // A process that started in between (or ended): counted by neither sum's smaller.
  assertEquals(
    held(`${uuid}, 4242, 1024\n`, `${uuid}, 4242, 1024\n${uuid}, 4243, 40960\n`),
    [[4242, [[0, GIB]]]],
  );
  assertEquals(held("", `${uuid}, 4242, 20480\n`), []);
});

Deno.test("parseNvidiaSmi() reports a broken driver as an error, with no GPUs", async () => {
  const result = parseNvidiaSmi(await fixture("nvidia-smi-nodriver.txt"));
  assertEquals(result.gpus, []);
  assert(result.error?.startsWith("NVIDIA-SMI has failed"));
});

Deno.test("parseHostProbe() keeps every GPU of an 8-GPU Linux host", async () => {
  const linux = await fixture("debian12.txt");
  const text = linux.replace(
    "@@ end",
    `@@ nvidia-smi\n${await fixture("nvidia-smi-8gpu.txt")}@@ nvidia-smi-exit\n0\n@@ end`,
  );
  const facts = parseHostProbe(text);
  assertEquals(facts.gpus.length, 8);
  assertEquals(facts.gpuError, undefined);
});

Deno.test("parseCpuList() counts the CPUs of a Cpus_allowed_list", () => {
  assertEquals(parseCpuList("0-1\n"), 2);
  assertEquals(parseCpuList("0-3,8,10-11"), 7);
  assertEquals(parseCpuList(""), null);
  assertEquals(parseCpuList("ff"), null);
});

Deno.test("parseRocmSmi() reads a real Radeon answer: use, VRAM used and total, the name", async () => {
  assertEquals(parseRocmSmi(await fixture("rocm-smi-1gpu.txt")), {
    gpus: [{
      vendor: "amd",
      index: 0,
      name: "Radeon RX 7900 XT",
      utilPct: 0,
      memUsedBytes: 27856896,
      memTotalBytes: 21458059264,
    }],
  });
});

Deno.test("parseRocmSmi() reads eight cards in index order, a missing use as unknown", async () => {
  const { gpus } = parseRocmSmi(await fixture("rocm-smi-8gpu.txt"));
  assertEquals(gpus.map((g) => g.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assertEquals(gpus.map((g) => g.utilPct), [0, 0, 100, 0, 0, 97, null, 0]);
  assertEquals(gpus[2].memUsedBytes, 190141652992);
  assert(gpus.every((g) => g.vendor === "amd" && g.memTotalBytes === 206141652992));
});

Deno.test("parseRocmSmi() turns a warning with no JSON into an error, with no GPUs", async () => {
  assertEquals(parseRocmSmi(await fixture("rocm-smi-nogpu.txt")), {
    gpus: [],
    error: "WARNING: No AMD GPUs specified",
  });
  // A warning before the JSON is not part of it.
  const warned = "WARNING: something\n" + (await fixture("rocm-smi-1gpu.txt"));
  assertEquals(parseRocmSmi(warned).gpus.length, 1);
});

Deno.test("parseHostProbe() shows AMD GPUs from rocm-smi", async () => {
  const linux = await fixture("debian12.txt");
  const text = linux.replace(
    "@@ end",
    `@@ rocm-smi\n${await fixture("rocm-smi-8gpu.txt")}@@ rocm-smi-exit\n0\n@@ end`,
  );
  const facts = parseHostProbe(text);
  assertEquals(facts.gpus.length, 8);
  assertEquals(facts.gpus[5].vendor, "amd");
  assertEquals(facts.gpuError, undefined);
});

Deno.test("parsePids() keeps a pid with its start time, and nothing without one", () => {
  assertEquals(parsePids("4242 123456\n77\n5 Mon Apr  1 12:00:00 2024\n"), [
    { pid: 4242, start: "123456" },
    { pid: 5, start: "Mon Apr  1 12:00:00 2024" },
  ]);
});

Deno.test("numbers a host reports are whole and finite, or unknown: never NaN or Infinity", () => {
  // NaN room would compare false with any request: route would book a host without room.
  const huge = "9".repeat(400);
  assertEquals(parseMeminfo(`MemTotal: ${huge} kB\nMemAvailable: ${huge} kB\n`).mem, null);
  assertEquals(parseMeminfo("MemTotal: 100 kB\nMemAvailable: 200 kB\n").mem, null);
  assertEquals(parseCpuList("7-0"), null);
  assertEquals(parseCpuList("0"), 1);
  const header = "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]";
  for (
    const [rows, error] of [
      [["1.5, A, 0, 0, 80", "-1, B, 0, 0, 80"], "not a GPU index: 1.5"],
      [["0, A, 0, 0, 80", "0, B, 0, 0, 80"], "GPU index 0 twice"],
    ] as const
  ) {
    assertEquals(parseNvidiaSmi([header, ...rows].join("\n")), { gpus: [], error });
  }
  const [gpu] = parseNvidiaSmi(`${header}\n0, A, -5, 1e309, 80`).gpus;
  assertEquals([gpu.utilPct, gpu.memUsedBytes, gpu.memTotalBytes], [null, null, 80 * MIB]);
});

Deno.test("every number a host reports is read by one rule: a wrong one is unknown, never a wrong number", () => {
  const huge = "9".repeat(400);
  const dfOf = (row: string) =>
    parseDf(`Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x ${row} 1% /\n`);
  // Past counting (Infinity, or past 2^53 once in bytes), or a part larger than the whole.
  for (const row of [`${huge} 1 2`, "99999999999999999 1 2", "10 20 2", "10 2 20"]) {
    assertEquals(dfOf(row), null, row);
  }
  assertEquals(dfOf("10 2 3"), {
    totalBytes: 10 * KIB,
    usedBytes: 2 * KIB,
    availableBytes: 3 * KIB,
  });
  // A negative load would sort first for route; hex and exponents are no load either.
  for (const text of ["-5 0 0 1/2 3", "0x10 1 1 1/2 3", "1e3 1 1 1/2 3", `${huge} 1 1`, "1 2"]) {
    assertEquals(parseLoadavg(text), null, text);
  }
  const uptime = (text: string) =>
    parseHostProbe(`@@ uname\nLinux\n@@ uptime\n${text}\n@@ end\n`).uptimeSeconds;
  assertEquals([uptime("-1e300 5"), uptime("0x1f 5"), uptime("-3 5"), uptime("12.6 5")], [
    null,
    null,
    null,
    13,
  ]);
  // macOS: a boot after now is no uptime.
  const mac = (boot: number, now: number) =>
    parseHostProbe(
      `@@ uname\nDarwin\n@@ boottime\n{ sec = ${boot}, usec = 0 }\n@@ now\n${now}\n@@ end\n`,
    )
      .uptimeSeconds;
  assertEquals([mac(2000000000, 1), mac(100, 160)], [null, 60]);
  // More purgeable than anonymous: no app memory, not less than none (available past total).
  const vm = "Mach Virtual Memory Statistics: (page size of 16384 bytes)\n" +
    "Anonymous pages: 10.\nPages purgeable: 1000000.\nPages wired down: 1.\n";
  assertEquals(parseVmStat(vm, 16 * 1024 ** 3)?.usedBytes, 16384);
  assertEquals(parseVmStat(`${vm}Pages occupied by compressor: ${huge}.\n`, 4096), {
    totalBytes: 4096,
    availableBytes: 0,
    usedBytes: 4096,
  });
  for (
    const text of [
      "vm.swapusage: total = 1.2.3M  used = 1M  free = 1M",
      "vm.swapusage: total = 1M  used = 0M  free = 2M",
      `vm.swapusage: total = ${huge}M  used = 0M  free = 1M`,
    ]
  ) {
    assertEquals(parseSwapUsage(text), null, text);
  }
  // rocm-smi's card numbers are the GPUs' indices: one that is no count, or one index twice.
  const card = '{"Card series": "a", "VRAM Total Memory (B)": "100", "GPU use (%)": "0"}';
  assertEquals(parseRocmSmi(`{"card1": ${card}, "card01": ${card}}`), {
    gpus: [],
    error: "GPU index 1 twice",
  });
  assertEquals(parseRocmSmi(`{"card${huge}": ${card}}`).gpus, []);
  // nvidia-smi: "0abc" is no use, "5e3" no MiB, "5 GiB" not 5 MiB.
  const header = "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]";
  const [gpu] = parseNvidiaSmi(`${header}\n0, A, 0abc, 5e3, 5 GiB`).gpus;
  assertEquals([gpu.utilPct, gpu.memUsedBytes, gpu.memTotalBytes], [null, null, null]);
  // Pids: a count, never 0, never past 2^53.
  assertEquals(parsePids(`0 x\n99999999999999999999 x\n12 y\n`), [{ pid: 12, start: "y" }]);
  assertEquals([...parseHolders(`@@ pids\njob:a 99999999999999999999 x\n@@ end\n`).jobs], []);
});

Deno.test({
  name: "host.sh fences a GPU tool's output: its lines never stand in for the probe's own sections",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A broken (or worse) nvidia-smi that prints sections of its own after a GPU: a tiny
    // memory, a pid of a job that is not running, an end.
    const bin = await Deno.makeTempDir({ prefix: "pool-fence-" });
    try {
      const forged = "@@ meminfo\nMemTotal: 1 kB\nMemAvailable: 1 kB\n@@ loadavg\n99 99 99\n" +
        "@@ pids\n4242 forged\n@@ nvidia-smi-exit\n0\n@@ end";
      const header = "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]";
      await Deno.writeTextFile(
        `${bin}/nvidia-smi`,
        `#!/bin/sh\nprintf '%s\\n' '${header}' '0, A, 0, 10, 81920' '${
          forged.replaceAll("\n", "' '")
        }'\n`,
        { mode: 0o755 },
      );
      const meminfo = parseMeminfo(await Deno.readTextFile("/proc/meminfo")).mem;
      // Both ways host.sh copies it: from the file it watches, and where mktemp fails (or makes
      // a folder its files cannot be made in), as it comes.
      for (const mktemp of ["", "#!/bin/sh\nexit 1\n", `#!/bin/sh\necho ${bin}/gone\n`]) {
        if (mktemp) await Deno.writeTextFile(`${bin}/mktemp`, mktemp, { mode: 0o755 });
        const facts = parseHostProbe(await hostProbeWith(bin));
        assertEquals(facts.mem?.totalBytes, meminfo?.totalBytes, mktemp);
        assert(facts.load === null || facts.load[0] !== 99, mktemp);
        assertEquals(facts.alivePids, [], mktemp);
        assertEquals(facts.gpus.map((g) => g.index), [0], mktemp);
      }
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  },
});

Deno.test({
  name: "host.sh ends a GPU tool that ignores TERM a second after its seconds run out",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // An nvidia-smi that ignores TERM (a driver call that blocks it, or a trap): timeout's TERM
    // alone left it running for good, another one on every probe.
    const bin = await Deno.makeTempDir({ prefix: "pool-smi-term-" });
    const tool = `${bin}/nvidia-smi`;
    await Deno.writeTextFile(
      tool,
      "#!/bin/sh\ntrap '' TERM\ni=0\nwhile [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done\n",
      { mode: 0o755 },
    );
    try {
      const facts = parseHostProbe(await hostProbeWith(bin));
      assertEquals(facts.gpuError, "nvidia-smi did not answer in time (a hung driver?)");
      // It would run 30 s: well before, it is gone (a bound for a hang, not a speed).
      await until("the tool's end", async () => (await processesWith(tool)).length === 0, 20_000);
    } finally {
      for (const p of await processesWith(tool)) Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      await Deno.remove(bin, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "host.sh lets its connection go while a GPU tool stuck past KILL runs on, with no timeout(1)",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A tool stuck in the driver (KILL does not end it: here, no timeout(1) to send one) runs on
    // after the probe gives up on it. The probe's stdout and stderr are the connection: held by
    // anything the tool's watcher kept, the host read as timed out, its load and memory lost.
    const bin = await Deno.makeTempDir({ prefix: "pool-smi-stuck-" });
    const tool = `${bin}/nvidia-smi`;
    await Deno.writeTextFile(tool, "#!/bin/sh\ntrap '' TERM\necho header\nsleep 60\n", {
      mode: 0o755,
    });
    await Deno.writeTextFile(`${bin}/timeout`, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    try {
      const started = Date.now();
      // output(): stderr piped too, as ssh holds both.
      const out = await hostProbe({ bin }).output();
      // Both streams ended long before the tool's 60 s (a bound for a hang, not a speed).
      assert(Date.now() - started < 30_000, `the probe's streams ended after the tool`);
      const facts = parseHostProbe(new TextDecoder().decode(out.stdout));
      assertEquals(facts.gpuError, "nvidia-smi did not answer in time (a hung driver?)");
      assert(facts.mem !== null);
    } finally {
      for (const p of await processesWith(tool)) Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      await Deno.remove(bin, { recursive: true });
    }
  },
});

/** The names in folder `dir`, sorted. */
async function namesIn(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test({
  name:
    "host.sh leaves nothing in TMPDIR: a tool that answers, one stuck past its seconds, a probe cut off",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A stuck nvidia-smi wrote its status beside the probe's temp file after the probe had
    // removed it (root's files in /tmp, one a probe, and a write to a name known to all); a probe
    // whose connection was cut (a flood) left its 4 MiB file. The probe's $0, marker, is carried
    // by every subshell it forks: once none runs, nothing of it writes any more.
    const bin = await Deno.makeTempDir({ prefix: "pool-smi-tmp-" });
    const tmp = await Deno.makeTempDir({ prefix: "pool-smi-tmpdir-" });
    const marker = `probe-tmp-${crypto.randomUUID()}`;
    const tool = `${bin}/nvidia-smi`;
    const header = "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]";
    const probeEnded = () =>
      until("the probe's end", async () => (await processesWith(marker)).length === 0);
    try {
      await Deno.writeTextFile(
        tool,
        `#!/bin/sh\nprintf '%s\\n' '${header}' '0, A, 0, 10, 81920'\n`,
        {
          mode: 0o755,
        },
      );
      const said = await hostProbe({ bin, tmp, name: marker }).output();
      assertEquals(parseHostProbe(new TextDecoder().decode(said.stdout)).gpus.length, 1);
      await probeEnded();
      assertEquals(await namesIn(tmp), [], "after a tool that answered");

      // Ignores TERM: timeout's KILL ends it a second after the probe gave up on it.
      await Deno.writeTextFile(
        tool,
        "#!/bin/sh\ntrap '' TERM\ni=0\nwhile [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done\n",
        { mode: 0o755 },
      );
      const stuck = await hostProbe({ bin, tmp, name: marker }).output();
      assertEquals(
        parseHostProbe(new TextDecoder().decode(stuck.stdout)).gpuError,
        "nvidia-smi did not answer in time (a hung driver?)",
      );
      await until("the tool's end", async () => (await processesWith(tool)).length === 0, 20_000);
      await probeEnded();
      assertEquals(await namesIn(tmp), [], "after a tool stuck past its seconds");

      // Cut off (killed) while it watches its tool, which then ends and says its status.
      await Deno.writeTextFile(tool, "#!/bin/sh\nsleep 1\necho late\n", { mode: 0o755 });
      const probe = hostProbe({ bin, tmp, name: marker }).spawn();
      // It watches once it waits on its own `sleep 0.1` between looks at the tool.
      await until("the probe watching its tool", async () => {
        for (const p of await processesWith("sleep 0.1", true)) {
          const stat = await Deno.readTextFile(`/proc/${p.split(" ")[0]}/stat`).catch(() => "");
          if (stat.split(") ")[1]?.split(" ")[1] === String(probe.pid)) return true;
        }
        return false;
      });
      probe.kill("SIGKILL");
      await probe.output();
      await probeEnded();
      assertEquals(await namesIn(tmp), [], "after a probe cut off");
    } finally {
      for (const p of await processesWith(tool)) Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      await Deno.remove(bin, { recursive: true });
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "host.sh keeps a GPU tool's files in a folder of its own: links planted by its temp name lead nowhere",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Another user sees a random name appear in /tmp (inotify) and plants links beside it, at
    // the names host.sh made of it: root then wrote the tool's status into the file linked to.
    // Here mktemp does it itself, and says what it made: a folder only its owner may enter.
    const bin = await Deno.makeTempDir({ prefix: "pool-smi-links-" });
    const tmp = await Deno.makeTempDir({ prefix: "pool-smi-links-tmpdir-" });
    const victim = `${bin}/victim`;
    const header = "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]";
    try {
      await Deno.writeTextFile(victim, "untouched\n");
      await Deno.writeTextFile(
        `${bin}/nvidia-smi`,
        `#!/bin/sh\nprintf '%s\\n' '${header}' '0, A, 0, 10, 81920'\n`,
        { mode: 0o755 },
      );
      await Deno.writeTextFile(
        `${bin}/mktemp`,
        `#!/bin/sh
made=$(PATH='${Deno.env.get("PATH")}' mktemp "$@") || exit 1
for name in status rc; do ln -s '${victim}' "$made.$name"; done
stat -c '%F %a %u' "$made" >>'${bin}/made'
echo "$made"
`,
        { mode: 0o755 },
      );
      const said = await hostProbe({ bin, tmp }).output();
      assertEquals(parseHostProbe(new TextDecoder().decode(said.stdout)).gpus.map((g) => g.index), [
        0,
      ]);
      assertEquals(await Deno.readTextFile(victim), "untouched\n");
      assertEquals(await Deno.readTextFile(`${bin}/made`), `directory 700 ${Deno.uid()}\n`);
      // Only the planted links are left, the folder gone.
      assertEquals((await namesIn(tmp)).filter((n) => !/\.(status|rc)$/.test(n)), []);
    } finally {
      await Deno.remove(bin, { recursive: true });
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "host.sh reads the GPUs with all their seconds where a slow driver spent the jobs' first",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // No persistence mode, 8 GPUs: seconds a call. The first reading of the jobs' GPU processes
    // took the seconds the GPUs were then read in, and a host with a bg lease lost its GPU list.
    const bin = await Deno.makeTempDir({ prefix: "pool-smi-slow-" });
    const header = "index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]";
    await Deno.writeTextFile(
      `${bin}/nvidia-smi`,
      `#!/bin/sh
sleep 3
case "$*" in *query-gpu*) printf '%s\n' '${header}, mig.mode.current' ` +
        `'0, GPU-a, A, 0, 10, 81920, Disabled' ;; esac
`,
      { mode: 0o755 },
    );
    try {
      const facts = parseHostProbe(await hostProbeWith(bin, "4242"));
      assertEquals([facts.gpuError, facts.gpus.map((g) => g.index)], [undefined, [0]]);
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  },
});

Deno.test({
  name: "host.sh says which job's process group uses what on each GPU, where asked about jobs",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const bin = await Deno.makeTempDir({ prefix: "pool-gpu-apps-" });
    // A job as launch.sh starts one: the leader of its own process group, with a worker in it.
    const job = new Deno.Command("setsid", {
      args: ["sh", "-c", "sleep 600 & echo $!; wait"],
      stdout: "piped",
    }).spawn();
    try {
      const worker = (await readUntil(job.stdout, (s) => s.includes("\n"))).trim();
      const uuid = "GPU-5c4a3bd2-8f1e-2a0c-9d17-6b0e4f3a21c8";
      const query = await h200Query();
      // nvidia-smi as the docs say: the query asked, each of its calls written down; with
      // ./old, a driver from before MIG, which refuses the field (exit 2). The worker holds
      // 20 GiB on GPU 0 until the GPU query, 40 GiB after it (memory.used did not count the
      // rest), and this test's own process (no job's) 4 GiB.
      await Deno.writeTextFile(
        `${bin}/nvidia-smi`,
        `#!/bin/sh
echo "$*" >>"${bin}/calls"
case "$*" in *--query-gpu=*) touch "${bin}/queried" ;; esac
case "$*" in
*mig.mode.current*)
  if [ -e "${bin}/old" ]; then echo 'Field "mig.mode.current" is not a valid field to query.'; exit 2; fi
  printf '%s' '${query}' ;;
*--query-gpu=*) printf '%s' '${
          query.replace(", mig.mode.current", "").replace(", Disabled", "")
        }' ;;
*--query-compute-apps=gpu_uuid,pid,used_memory*)
  if [ -e "${bin}/queried" ]; then held=40960; else held=20480; fi
  printf '%s\\n' "${uuid}, ${worker}, $held" '${uuid}, ${Deno.pid}, 4096' ;;
*) exit 2 ;;
esac
`,
        { mode: 0o755 },
      );
      const probe = async (args: string[]) => {
        const said = await hostProbeWith(bin, ...args);
        const calls = await Deno.readTextFile(`${bin}/calls`);
        await Deno.remove(`${bin}/calls`);
        await Deno.remove(`${bin}/queried`).catch(() => {});
        return { facts: parseHostProbe(said), calls };
      };
      // The driver names processes in the host's first pid namespace: only there are they ours.
      const firstPidNamespace = Deno.readLinkSync("/proc/self/ns/pid") === "pid:[4026531836]";
      const asked = await probe([String(job.pid)]);
      assertEquals(asked.facts.gpus.map((g) => [g.uuid, g.mig]), [[uuid, false]]);
      assertEquals(
        asked.facts.jobGpuBytes && [...asked.facts.jobGpuBytes].map(([g, m]) => [g, [...m]]),
        firstPidNamespace ? [[job.pid, [[0, 20 * GIB]]]] : undefined,
      );
      // Not asked about any job (`pool list` with no bg lease there): nvidia-smi runs once.
      const unasked = await probe([]);
      assertEquals([unasked.facts.jobGpuBytes, unasked.calls.trim().split("\n").length], [
        undefined,
        1,
      ]);
      // A driver from before MIG: asked again without the field, its GPUs read as before.
      await Deno.writeTextFile(`${bin}/old`, "");
      const old = await probe([String(job.pid)]);
      assertEquals([old.facts.gpus.map((g) => [g.uuid, g.mig]), old.facts.gpuError], [
        [[uuid, undefined]],
        undefined,
      ]);
      assertEquals(
        old.facts.jobGpuBytes?.get(job.pid)?.get(0),
        firstPidNamespace ? 20 * GIB : undefined,
      );
    } finally {
      Deno.kill(-job.pid, "SIGKILL");
      await job.status;
      await Deno.remove(bin, { recursive: true });
    }
  },
});

Deno.test("parseHolders() reads pids.sh: pids alive, and jobs asked about by id", () => {
  const answer = "@@ pids\njob:k3x9q2 4242 123456\n4242 123456\njob:zzzzzz none\n" +
    "job:a1b2c3 starting\n77 999\njob:bad! 1 2\n@@ end\n";
  const holders = parseHolders(answer);
  assertEquals(holders.alivePids, [{ pid: 4242, start: "123456" }, { pid: 77, start: "999" }]);
  assertEquals(
    [...holders.jobs],
    [["k3x9q2", { pid: 4242, start: "123456" }], ["zzzzzz", "none"], ["a1b2c3", "starting"]],
  );
  assertThrows(() => parseHolders("@@ pids\n4242 1\n"), Error, "incomplete");
});

Deno.test("parseHolders() sums what each job's processes hold, and takes no number it cannot count", () => {
  const answer = "@@ pids\n4242 123\nmem 4242 1000\nmem 4242 24\nmem 77 5\n" +
    "mem 4242 -3\nmem 4242 1e9\nmem x 1\nmem 4242 99999999999999999999\n@@ end\n";
  assertEquals([...parseHolders(answer).jobMemBytes], [[4242, 1024 * 1024], [77, 5 * 1024]]);
  assertEquals(parseHostProbe(`@@ uname\nLinux\n${answer}`).jobMemBytes?.get(77), 5 * 1024);
});

Deno.test("parseHolders() reads the groups that outlived their leader, by job, and nothing else", () => {
  const answer = "@@ pids\ngroup:k3x9q2 4242 3\nmem 4242 2048\ngroup:zz 77 0\n" +
    "group:bad! 5 1\ngroup:x1 0 2\ngroup:x2 -5 2\ngroup:x3 9 1e3\ngroup 4242 3\n@@ end\n";
  const holders = parseHolders(answer);
  assertEquals([...holders.groups], [["k3x9q2", { pid: 4242, processes: 3 }]]);
  assertEquals(holders.alivePids, [], "a group line is no pid alive");
  assertEquals([...holders.jobMemBytes], [[4242, 2048 * 1024]]);
  assertEquals(parseHostProbe(`@@ uname\nLinux\n${answer}`).groups?.get("k3x9q2")?.processes, 3);
});

Deno.test("parseHolders() reads which groups are the job's, and which processes carry which job's marker", () => {
  const answer = "@@ pids\ngroup:j1 4242 3\ngroup:j2 5000 1 marked\ngroup:j3 6000 1 mark\n" +
    "marked 5005 j2\nmarked 7 j1\nmarked 7 j2\nmarked 0 j1\nmarked 8 bad!\nmarked 9\n@@ end\n";
  const holders = parseHolders(answer);
  assertEquals([...holders.groups], [
    ["j1", { pid: 4242, processes: 3 }],
    ["j2", { pid: 5000, processes: 1, markedOnly: true }],
  ]);
  assertEquals([...holders.marked], [[5005, ["j2"]], [7, ["j1", "j2"]]]);
  assertEquals(holders.alivePids, [], "a marked line is no pid alive");
});

/** Runs pids.sh here as it is sent, with `args` (HOME: `home`, where given). */
async function pidsHere(args: string[], home?: string): Promise<Holders> {
  const out = await new Deno.Command("sh", {
    args: ["-c", remoteScript("pids"), "pids", ...args],
    ...(home ? { env: { HOME: home } } : {}),
    stdout: "piped",
  }).output();
  return parseHolders(new TextDecoder().decode(out.stdout));
}

/** The anonymous memory process `pid` holds, a page shared with others split among them (Pss_Anon). */
async function pssAnon(pid: string | number): Promise<number> {
  const rollup = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`);
  return Number(/^Pss_Anon:\s+(\d+) kB$/m.exec(rollup)![1]) * 1024;
}

/** Reads `stream` until `done` says what it holds is enough; returns it. */
async function readUntil(stream: ReadableStream<Uint8Array>, done: (said: string) => boolean) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!done(said)) said += (await reader.read()).value ?? "";
  reader.releaseLock();
  return said;
}

Deno.test({
  name:
    "pids.sh says what a running job's process group holds: its leader's and its children's memory",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A job as launch.sh starts one: the leader of its own process group, with a child in it.
    // Each holds 64 MiB it has written to (anonymous memory, resident). The child names itself
    // with a newline and what reads as another process's stat line: its pid is its file's.
    const hold = `$x = "a"; $x x= 64 * 1024 * 1024; print "ready $$\\n"; sleep 600`;
    const rename = `open(C, ">/proc/self/comm"); print C "x\\n1 (y) S"; close C;`;
    const job = new Deno.Command("setsid", {
      args: ["perl", "-e", `$| = 1; if (fork) { ${hold} } else { ${rename} ${hold} }`],
      stdout: "piped",
    }).spawn();
    try {
      const said = await readUntil(job.stdout, (s) => (s.match(/ready/g) ?? []).length >= 2);
      const holders = await pidsHere(["memory", String(job.pid), "999999999"]);
      assertEquals(holders.alivePids.map((p) => p.pid), [job.pid]);
      // What the kernel says the two hold, asleep now: all of it, and only it.
      let expected = 0;
      for (const [, pid] of said.matchAll(/ready (\d+)/g)) expected += await pssAnon(pid);
      assert(expected >= 2 * 64 * 1024 * 1024, `${expected}`);
      assertEquals(holders.jobMemBytes.get(job.pid), expected);
      // Not asked for it (`pool leases`): who lives, and no memory.
      const unasked = await pidsHere([String(job.pid)]);
      assertEquals([unasked.alivePids.map((p) => p.pid), [...unasked.jobMemBytes]], [
        [job.pid],
        [],
      ]);
    } finally {
      Deno.kill(-job.pid, "SIGKILL");
      await job.status;
    }
  },
});

Deno.test({
  name: "pids.sh counts memory a job's forked children share with it once, not once each",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A DataLoader's shape: the job fills 64 MiB, then forks 4 workers that only sleep; the
    // pages they share copy-on-write are held once (RssAnon counted them 5 times).
    const mib = 64;
    const workers = `for (1..4) { if (!fork) { sleep 600; exit } }`;
    const job = new Deno.Command("setsid", {
      args: [
        "perl",
        "-e",
        `$| = 1; $x = "a"; $x x= ${mib} * 1024 * 1024; ${workers} print "ready\\n"; sleep 600`,
      ],
      stdout: "piped",
    }).spawn();
    try {
      await readUntil(job.stdout, (s) => s.includes("ready"));
      const held = (await pidsHere(["memory", String(job.pid)])).jobMemBytes.get(job.pid) ?? 0;
      const n = mib * 1024 * 1024;
      assert(held >= 0.9 * n && held < 1.5 * n, `${held} bytes for a job that holds ${n}`);
    } finally {
      Deno.kill(-job.pid, "SIGKILL");
      await job.status;
    }
  },
});

Deno.test({
  name:
    "pids.sh keeps a job's group that outlived its leader, and no group of that number after its end",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A job whose command started two processes and ended (`sleep 300 & sleep 302 & exit 0`):
    // a group leader that says its pid and start time, forks two sleepers and exits.
    const sleeper =
      `if (!fork) { $x = "a" x (8 * 1024 * 1024); print "ready $$\\n"; sleep 600; exit }`;
    const start = `open(F, "/proc/$$/stat"); $s = <F>; $s =~ s/.*\\) //; (split / /, $s)[19]`;
    const job = new Deno.Command("setsid", {
      args: ["perl", "-e", `$| = 1; ${sleeper} ${sleeper} print "leader $$ ", ${start}, "\\n"`],
      stdout: "piped",
    }).spawn();
    const home = await Deno.makeTempDir();
    try {
      const reader = job.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!/leader .*\n/.test(said) || (said.match(/ready/g) ?? []).length < 2) {
        said += (await reader.read()).value ?? "";
      }
      reader.releaseLock();
      await job.status; // the leader is gone, reaped: only its group runs on
      const [, leader, leaderStart] = /leader (\d+) (\d+)/.exec(said)!;
      assertEquals(Number(leader), job.pid);
      await Deno.mkdir(`${home}/.pool/jobs`, { recursive: true });
      const ask = async (record: string, memory = true) => {
        await Deno.writeTextFile(
          `${home}/.pool/jobs/j1.job`,
          `started 1\npid ${leader} ${leaderStart}\n${record}`,
        );
        const asked = [leader, "group:j1", "group:j2"];
        return await pidsHere(memory ? ["memory", ...asked] : asked, home);
      };
      const now = Math.floor(Date.now() / 1000);
      const ended = await ask(`exit 0\nended ${now}\n`);
      assertEquals(ended.alivePids, [], "the leader is gone");
      assertEquals([...ended.groups], [["j1", { pid: job.pid, processes: 2 }]]);
      assert(
        (ended.jobMemBytes.get(job.pid) ?? 0) >= 2 * 8 * 1024 * 1024,
        "their memory is the job's",
      );
      // Not asked for memory (`pool leases`): the group still holds the lease, and says no memory.
      const unasked = await ask(`exit 0\nended ${now}\n`, false);
      assertEquals([...unasked.groups], [["j1", { pid: job.pid, processes: 2 }]]);
      assertEquals([...unasked.jobMemBytes], []);
      // The same number as another group's, whose processes all started after the job's end (an
      // hour ago, as its record says): not the job's.
      const reused = await ask(`exit 0\nended ${now - 3600}\n`);
      assertEquals([[...reused.groups], [...reused.jobMemBytes]], [[], []]);
      // No end written and no waiter writing one: the leader alone held the lease.
      assertEquals([...(await ask("")).groups], []);
      // Its waiter still runs (it is writing the end down): the group is the job's.
      const self = await startOf(Deno.pid);
      const writing = await ask(`waiter ${Deno.pid} ${self}\n`);
      assertEquals([...writing.groups], [["j1", { pid: job.pid, processes: 2 }]]);
    } finally {
      try {
        Deno.kill(-job.pid, "SIGKILL");
      } catch { /* gone */ }
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "pids.sh says when a group number it names is not the job's: only the marked processes are",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Job j1's leader pid is another process's now (setsid sleep: it leads a group of that
    // number), and a process carrying j1's marker runs in a session of its own. Job j2's
    // record names a group whose processes all started after j2's end (an hour ago): another
    // group that has the number now; a process carrying j2's marker runs elsewhere.
    const spawn = (args: string[], env: Record<string, string> = {}) =>
      new Deno.Command("setsid", { args, env, stdout: "null" }).spawn();
    const other = spawn(["sleep", "600"]);
    const stranger = spawn(["sh", "-c", "sleep 600 & exit 0"]);
    const j1 = spawn(["sleep", "601"], { POOL_JOB: "j1" });
    const j2 = spawn(["sleep", "602"], { POOL_JOB: "j2" });
    const home = await Deno.makeTempDir();
    try {
      await stranger.status; // its leader gone: the group of that number runs on, no job's
      await until("the stranger group's sleep", async () => {
        return (await processesWith("sleep 600")).length >= 2;
      });
      await Deno.mkdir(`${home}/.pool/jobs`, { recursive: true });
      const now = Math.floor(Date.now() / 1000);
      await Deno.writeTextFile(
        `${home}/.pool/jobs/j1.job`,
        `started 1\npid ${other.pid} 5\nexit 0\nended 100\n`,
      );
      await Deno.writeTextFile(
        `${home}/.pool/jobs/j2.job`,
        `started 1\npid ${stranger.pid} 5\nexit 0\nended ${now - 3600}\n`,
      );
      const holders = await pidsHere(["memory", "group:j1", "group:j2"], home);
      assertEquals([...holders.groups], [
        ["j1", { pid: other.pid, processes: 1, markedOnly: true }],
        ["j2", { pid: stranger.pid, processes: 1, markedOnly: true }],
      ]);
      assertEquals([...holders.marked].sort(), [[j1.pid, ["j1"]], [j2.pid, ["j2"]]].sort());
      // What they hold is the marked processes' alone, not the other groups' of those numbers.
      assertEquals(holders.jobMemBytes.get(other.pid), await pssAnon(j1.pid));
      assertEquals(holders.jobMemBytes.get(stranger.pid), await pssAnon(j2.pid));
    } finally {
      for (const child of [other, j1, j2]) {
        child.kill("SIGKILL");
        await child.status;
      }
      try {
        Deno.kill(-stranger.pid, "SIGKILL");
      } catch { /* gone */ }
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "pids.sh keeps a job whose work left its group (setsid) by the job's marker, and no other job's",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A job as launch.sh starts one, POOL_JOB=j1 in its environment: its command starts a
    // process in a session of its own (setsid: a daemon, tmux) that holds 8 MiB, and ends.
    // Beside it runs a process of job j12's: a marker that j1's is the start of.
    const hold = `$| = 1; $x = "a" x (8 * 1024 * 1024); print "ready $$\\n"; sleep 600`;
    const job = new Deno.Command("setsid", {
      args: ["sh", "-c", `setsid perl -e '${hold}' & read s < /proc/$$/stat; echo "leader $s"`],
      env: { POOL_JOB: "j1" },
      stdout: "piped",
    }).spawn();
    const other = new Deno.Command("perl", {
      args: ["-e", hold],
      env: { POOL_JOB: "j12" },
      stdout: "piped",
    }).spawn();
    const home = await Deno.makeTempDir();
    let escaped = 0;
    try {
      const said = await readUntil(job.stdout, (s) => /leader .*\n/.test(s) && /ready/.test(s));
      await readUntil(other.stdout, (s) => s.includes("ready"));
      await job.status; // the leader is gone, and its group with it: only the escaped one runs
      escaped = Number(/ready (\d+)/.exec(said)![1]);
      const stat = /leader (.*)\n/.exec(said)![1];
      const leaderStart = startIn(stat);
      await Deno.mkdir(`${home}/.pool/jobs`, { recursive: true });
      const ask = async (record: string) => {
        await Deno.writeTextFile(
          `${home}/.pool/jobs/j1.job`,
          `started 1\npid ${job.pid} ${leaderStart}\n${record}`,
        );
        return await pidsHere(["memory", String(job.pid), "group:j1"], home);
      };
      const now = Math.floor(Date.now() / 1000);
      const ended = await ask(`exit 0\nended ${now}\n`);
      assertEquals(ended.alivePids, [], "the leader is gone");
      // Its group is gone with the leader: only the marked process is the job's.
      const escapee = { pid: job.pid, processes: 1, markedOnly: true };
      assertEquals([...ended.groups], [["j1", escapee]]);
      assertEquals([...ended.marked], [[escaped, ["j1"]]]);
      assertEquals([...ended.jobMemBytes], [[job.pid, await pssAnon(escaped)]], "its memory");
      // Whatever became of the group's number (an end an hour back, or none written), the
      // marker says the process is the job's.
      for (const record of [`exit 0\nended ${now - 3600}\n`, ""]) {
        assertEquals([...(await ask(record)).groups], [["j1", escapee]]);
      }
      // Once it ends, nothing holds the job: j12's process is not j1's.
      Deno.kill(escaped, "SIGKILL");
      await until("the escaped process's end", async () => {
        return (await ask(`exit 0\nended ${now}\n`)).groups.size === 0;
      });
      assertEquals([...(await ask(`exit 0\nended ${now}\n`)).jobMemBytes], []);
    } finally {
      try {
        if (escaped) Deno.kill(escaped, "SIGKILL");
      } catch { /* gone */ }
      other.kill("SIGKILL");
      await other.status;
      await Deno.remove(home, { recursive: true });
    }
  },
});
