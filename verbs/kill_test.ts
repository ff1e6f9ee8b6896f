import { assertEquals, assertThrows } from "../tests/assert.ts";
import { parseSignal } from "./kill.ts";

Deno.test("parseSignal() takes the names every host's kill takes, and nothing else", () => {
  assertEquals(parseSignal("term"), "TERM");
  assertEquals(parseSignal("SIGINT"), "INT");
  assertEquals(parseSignal(" usr1 "), "USR1");
  // Numbers differ between Linux and macOS; POLL, IOT, STKFLT and PWR are Node's names that
  // dash's kill refuses, so the kill would fail on the host after the grace had begun.
  for (const bad of ["9", "POLL", "IOT", "STKFLT", "PWR", "UNUSED", "NOPE", "TERM;id", ""]) {
    assertThrows(() => parseSignal(bad), /--signal expects a signal name/, bad);
  }
});
