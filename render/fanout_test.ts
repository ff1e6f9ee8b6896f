import { assertEquals } from "../tests/assert.ts";
import type { HostResult } from "../remote/exec.ts";
import { printSummary } from "./fanout.ts";
import { memoryOutput } from "./out.ts";

const timedOut: HostResult = {
  host: "hang",
  code: 124,
  outcome: "timeout",
  stdout: "",
  stderr: "",
  stdoutBytes: new Uint8Array(0),
  stderrBytes: new Uint8Array(0),
  durationMs: 30_000,
};

Deno.test("printSummary() names the deadline, and none where the verb had none", () => {
  const out = memoryOutput();
  printSummary(out, [timedOut], 5_000);
  // push without --timeout: its method probe has a bound of its own, not "no limit".
  printSummary(out, [timedOut], Infinity);
  assertEquals(out.stderrText().split("\n").filter((l) => l.startsWith("  ")), [
    "  timed out after 5s: hang",
    "  timed out: hang",
  ]);
});
