import { assertEquals } from "../tests/assert.ts";
import { parseOs } from "./os.ts";

Deno.test("parseOs() maps uname -s of real systems", () => {
  assertEquals(parseOs("Linux\n"), "linux");
  assertEquals(parseOs("Darwin\n"), "macos");
  assertEquals(parseOs("FreeBSD\n"), "unknown");
  assertEquals(parseOs(""), "unknown");
  // A chatty login shell may print before the probe: the last line is the answer.
  assertEquals(parseOs("Welcome!\nLinux\n"), "linux");
});
