import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { UsageError } from "../errors.ts";
import { checkSettings, controlPersistSeconds } from "./real.ts";

const from = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("controlPersistSeconds() reads seconds or off, and only what ssh takes", () => {
  assertEquals(controlPersistSeconds(from({})), 60);
  assertEquals(controlPersistSeconds(from({ POOL_CONTROL_PERSIST: " " })), 60);
  assertEquals(controlPersistSeconds(from({ POOL_CONTROL_PERSIST: "0" })), 0);
  assertEquals(controlPersistSeconds(from({ POOL_CONTROL_PERSIST: "Off" })), 0);
  assertEquals(controlPersistSeconds(from({ POOL_CONTROL_PERSIST: "600" })), 600);
  assertEquals(controlPersistSeconds(from({ POOL_CONTROL_PERSIST: "2147483647" })), 2 ** 31 - 1);
  // Number() reads 0x10 as 16 and 1e3 as 1000; past 2^31-1 ssh refuses its config, every host down.
  for (const bad of ["0x10", "1e3", "1.5", "-1", "soon", "2147483648", "9".repeat(30)]) {
    const e = assertThrows(
      () => controlPersistSeconds(from({ POOL_CONTROL_PERSIST: bad })),
      /^POOL_CONTROL_PERSIST must be seconds \(at most 2147483647\) or "off", got "/,
      bad,
    );
    assert(e instanceof UsageError, bad);
  }
});

Deno.test("checkSettings() names the POOL_* setting it refuses", () => {
  checkSettings(from({ POOL_HEADROOM: "", POOL_CONTROL_PERSIST: "off" }));
  assertThrows(
    () => checkSettings(from({ POOL_HEADROOM: "15" })),
    /^POOL_HEADROOM expects a percentage like 10%, got "15"$/,
  );
  assertThrows(() => checkSettings(from({ POOL_CONTROL_PERSIST: "1e3" })), /POOL_CONTROL_PERSIST/);
});
