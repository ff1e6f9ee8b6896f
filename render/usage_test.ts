import { assertEquals } from "../tests/assert.ts";
import type { HostFacts } from "../probes/mod.ts";
import { NO_USAGE, usageOf } from "./usage.ts";

const GIB = 1024 ** 3;
const base: HostFacts = {
  os: "linux",
  load: [4.021, 1, 1],
  cpus: 8,
  mem: { totalBytes: 30 * GIB, availableBytes: 26.4 * GIB, usedBytes: 3.6 * GIB },
  swap: null,
  disk: { totalBytes: 915 * GIB, usedBytes: 546.4 * GIB, availableBytes: 368.6 * GIB },
  uptimeSeconds: 1,
  gpus: [],
  alivePids: [],
};
const gpu = (utilPct: number | null) => ({
  vendor: "nvidia" as const,
  index: 0,
  name: "g",
  utilPct,
  memUsedBytes: 0,
  memTotalBytes: 1,
});

Deno.test("usageOf() renders the old tool's short columns", () => {
  assertEquals(usageOf(base), { load: "4.02", ram: "4/30G", gpu: "-", disk: "546/915G" });
});

Deno.test("usageOf() sizes in the total's unit, and disk as df's capacity", () => {
  const MIB = 1024 ** 2;
  const small = { totalBytes: 469 * MIB, availableBytes: 98 * MIB, usedBytes: 371 * MIB };
  assertEquals(usageOf({ ...base, mem: small }).ram, "371/469M");
  const big = {
    totalBytes: 28 * 1024 * GIB,
    usedBytes: 1.2 * 1024 * GIB,
    availableBytes: 26 * 1024 * GIB,
  };
  assertEquals(usageOf({ ...base, disk: big }).disk, "1/27T");
  // A full ext4 root: its reserved 5 % is no room (df: 100 %).
  const full = { totalBytes: 98 * GIB, usedBytes: 93 * GIB, availableBytes: 0 };
  assertEquals(usageOf({ ...base, disk: full }).disk, "93/93G");
});

Deno.test("usageOf() shows one GPU's use, or how many GPUs and their mean use", () => {
  assertEquals(usageOf({ ...base, gpus: [gpu(0)] }).gpu, "0%");
  assertEquals(usageOf({ ...base, gpus: [gpu(100), gpu(98), gpu(null)] }).gpu, "3×99%");
  const unread = { ...gpu(null), memUsedBytes: null, memTotalBytes: null };
  assertEquals(usageOf({ ...base, gpus: [gpu(97), unread, unread] }).gpu, "3×97% 2?");
  assertEquals(usageOf({ ...base, gpus: [gpu(null)] }).gpu, "?");
  assertEquals(usageOf({ ...base, gpuError: "NVIDIA-SMI has failed" }).gpu, "?");
});

Deno.test("usageOf() counts GPUs in MIG mode apart: route never takes them", () => {
  const mig = { ...gpu(null), memUsedBytes: null, mig: true };
  assertEquals(
    usageOf({ ...base, gpus: [gpu(90), { ...gpu(10), mig: false }, mig] }).gpu,
    "3×50% 1mig",
  );
  assertEquals(usageOf({ ...base, gpus: [mig] }).gpu, "mig");
  assertEquals(usageOf({ ...base, gpus: [mig, mig] }).gpu, "2×mig");
});

Deno.test("usageOf() is all '-' for a host that did not answer", () => {
  assertEquals(usageOf(null), NO_USAGE);
});
