import { assertEquals } from "../tests/assert.ts";
import type { JobRecord } from "../probes/mod.ts";
import { formatStarted, jobJson, jobRow } from "./jobs.ts";

const record = (startedS: number | null, endedS: number | null): JobRecord => ({
  id: "k3x9q2",
  startedS,
  endedS,
  gpus: [],
  process: null,
  waiter: null,
  exit: 0,
  signal: null,
  command: "true",
  alive: [],
  group: null,
  seenS: null,
  cut: false,
});

Deno.test("a job whose host clock went back while it ran ran 0 s, in the table and in JSON", () => {
  const job = record(1_800_003_600, 1_800_000_000);
  const ended = { state: "exited" as const, code: 0 };
  assertEquals(jobRow("h1", job, ended, null)[4], "0s");
  assertEquals(jobJson("h1", job, ended, null).run_s, 0);
  // Still running, started "in the future" by the host's own clock now.
  assertEquals(
    jobJson("h1", record(1_800_003_600, null), { state: "running" }, 1_800_000_000).run_s,
    0,
  );
});

Deno.test("a start time no date can hold shows as -, not NaN", () => {
  assertEquals(formatStarted(99_999_999_999_999), "-");
  assertEquals(formatStarted(0).length, "1970-01-01 00:00".length);
});

Deno.test("a lost job's run time is the least it ran, never a clock still going", () => {
  const lost = { state: "lost" as const };
  const job = { ...record(1_800_000_000, null), exit: null, seenS: 1_800_000_723 };
  // A week later by the host's clock, it still ran 12m03s at least.
  assertEquals(jobRow("h1", job, lost, 1_800_604_800)[4], "12m03s+");
  const json = jobJson("h1", job, lost, 1_800_604_800);
  assertEquals([json.run_s, json.last_seen_s], [null, 1_800_000_723]);
  // Nothing after its start: not known.
  assertEquals(jobRow("h1", { ...job, seenS: null }, lost, 1_800_604_800)[4], "-");
});

Deno.test("an ended job says what it left running in its group", () => {
  const ended = { state: "exited" as const, code: 0 };
  const job = { ...record(1_800_000_000, 1_800_000_001), group: 2 };
  assertEquals(jobRow("h1", job, ended, null)[2], "exited 0, 2 left running");
  assertEquals(jobJson("h1", job, ended, null).left_running, 2);
  assertEquals(jobRow("h1", { ...job, group: 0 }, ended, null)[2], "exited 0");
  // Not known (not Linux): null, and nothing said.
  assertEquals(jobJson("h1", { ...job, group: null }, ended, null).left_running, null);
});
