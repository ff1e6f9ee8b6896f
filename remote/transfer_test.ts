import { assertEquals, assertMatch } from "../tests/assert.ts";
import { probeCommand } from "./transfer.ts";

Deno.test("probeCommand() makes a push's destination, never in a dry run or a pull", () => {
  assertMatch(
    probeCommand({ direction: "push", sources: [], dest: "" }, "a b"),
    /^mkdir -p -- 'a b' \|\| exit 1; /,
  );
  const dry = probeCommand({ direction: "push", sources: [], dest: "", dryRun: true }, "x");
  assertEquals(dry.includes("mkdir"), false);
  assertEquals(
    probeCommand({ direction: "pull", sources: [], dest: "" }, "x").includes("mkdir"),
    false,
  );
});
