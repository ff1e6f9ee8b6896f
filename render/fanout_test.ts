import { assertEquals } from "../tests/assert.ts";
import type { HostResult } from "../remote/exec.ts";
import { hostJson, printSummary } from "./fanout.ts";
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

Deno.test("hostJson() is one line for every line reader, and reads back as the bytes", () => {
  // NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR: Python's str.splitlines() ends a line at each.
  const text = "a\u0085b\u2028c\u2029d\n";
  const bytes = new TextEncoder().encode(text);
  const line = hostJson({ ...timedOut, stdout: text, stdoutBytes: bytes, stderrBytes: bytes });
  assertEquals(/[\n\r\u0085\u2028\u2029]/.test(line), false, line);
  const parsed = JSON.parse(line);
  assertEquals([parsed.stdout, parsed.stderr], [text, text]);
});
