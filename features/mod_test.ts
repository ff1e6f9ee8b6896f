import { assert, assertEquals } from "../tests/assert.ts";
import { cleanScript, featurePayload, FEATURES, parseClean, parseResult } from "./mod.ts";

Deno.test("FEATURES keeps the old tool's order", () => {
  assertEquals(FEATURES.map((f) => f.name), [
    "tailscale",
    "disk-cleanup",
    "no-sleep",
    "persistent-journal",
    "panic-recovery",
    "earlyoom",
    "swapfile",
    "watchdog",
  ]);
});

Deno.test("featurePayload() is _lib.sh plus the feature, and carries the clean script for disk-cleanup", async () => {
  const panic = await featurePayload("panic-recovery");
  assert(panic.includes("result() {") && panic.includes("kernel.panic = 10"));
  const cron = await featurePayload("disk-cleanup");
  assert(cron.includes("POOL_CLEAN_SCRIPT=$(cat <<'POOL_CLEAN_EOF'"));
  assert(cron.includes(await cleanScript()));
});

Deno.test("parseResult() reads the last result line, and nothing else", () => {
  assertEquals(parseResult("noise\n@@ result already kernel.panic = 10\n"), {
    status: "already",
    message: "kernel.panic = 10",
  });
  assertEquals(parseResult("@@ result ok\n"), { status: "ok", message: "" });
  assertEquals(parseResult("@@ result maybe x\n"), null);
  assertEquals(parseResult("sudo: a password is required\n"), null);
});

Deno.test("parseClean() reads the summary line", () => {
  assertEquals(parseClean("removed 2 files, 10 bytes: /tmp\n@@ clean 91 80 1024 4096 safe\n"), {
    usedBefore: 91,
    usedAfter: 80,
    freedBytes: 1024,
    freeBytes: 4096,
    tier: "safe",
  });
  assertEquals(parseClean("@@ clean - - 0 0 skipped")?.tier, "skipped");
  assertEquals(parseClean("nothing"), null);
});
