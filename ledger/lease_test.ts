import { assertEquals } from "../tests/assert.ts";
import { deadReason, type Lease } from "./lease.ts";
import { processAlive, processStart } from "./process.ts";

const base: Lease = {
  id: "x",
  host: "h1",
  mem_bytes: 1,
  gpus: [],
  gpu_mem_bytes: 0,
  command: "c",
  pid: 100,
  pid_start: "5",
  created_ms: 1000,
  ttl_s: 10,
};

Deno.test("deadReason() ends leases whose pool process is gone, or that expired", () => {
  const alive = { now: 2000, localAlive: () => true };
  assertEquals(deadReason(base, alive), null);
  assertEquals(deadReason(base, { now: 2000, localAlive: () => false }), "pool process gone");
  assertEquals(deadReason(base, { ...alive, now: 12_000 }), "expired");
});

Deno.test("deadReason() ends a bg lease when the probe no longer finds its remote process", () => {
  const bg = { ...base, pid: 0, remote_pid: 4242 };
  const live = (pids: number[]) => ({
    now: 2000,
    localAlive: () => false,
    remoteAlive: new Map([["h1", new Set(pids)]]),
  });
  assertEquals(deadReason(bg, live([4242])), null);
  assertEquals(deadReason(bg, live([1])), "remote process gone");
  assertEquals(
    deadReason(bg, { now: 2000, localAlive: () => false }),
    null,
    "not probed: assume alive",
  );
});

Deno.test("processAlive() knows this process, and not a recycled pid", () => {
  const start = processStart(Deno.pid);
  assertEquals(processAlive(Deno.pid, start), true);
  assertEquals(processAlive(Deno.pid, "not-its-start"), false);
  assertEquals(processAlive(0, null), false);
});
