import { assertEquals } from "../tests/assert.ts";
import { lastWords, NOT_ROOT } from "./as_root.ts";
import type { HostResult } from "./exec.ts";

const result = (stdout: string, stderr = ""): HostResult => ({
  host: "h1",
  code: 1,
  outcome: "failed",
  stdout,
  stderr,
  stdoutBytes: new TextEncoder().encode(stdout),
  stderrBytes: new TextEncoder().encode(stderr),
  durationMs: 3,
});

Deno.test("lastWords() gives the root wrapper's own reason, not 'exit 1'", () => {
  // A login that is not root, on a host the roster does not allow sudo on: clean said "exit 1".
  assertEquals(lastWords(result(`@@ result failed ${NOT_ROOT}\n`)), NOT_ROOT);
  assertEquals(lastWords(result("", "sh: 1: boom\n")), "sh: 1: boom");
  assertEquals(lastWords(result("")), "exit 1");
});
