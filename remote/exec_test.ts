import { assertEquals } from "../tests/assert.ts";
import { execPlain } from "./exec.ts";
import { localHost } from "../roster/host.ts";

Deno.test("execPlain() calls a host down only when its child could not start: a throw after is pool's", async () => {
  // The child ran (and answered); what failed was pool's, here the caller's own callback.
  const r = await execPlain(localHost(), "true", {
    timeoutMs: 10_000,
    onSpawn: () => {
      throw new Error("pool: could not keep the output");
    },
  });
  assertEquals([r.code, r.outcome, r.reason], [1, "failed", "pool: could not keep the output"]);
});
