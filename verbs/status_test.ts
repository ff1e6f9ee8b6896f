import { assertEquals } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { status } from "./status.ts";

const ROSTER = {
  hosts: [
    { name: "h1", ssh: "h1", os: "linux" },
    { name: "h2", ssh: "h2", os: "linux", exclude: true },
  ],
};

Deno.test("status names the excluded hosts it leaves out of its table", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", /^true$/, { code: 0, outcome: "ok" });
  assertEquals(await status({}, deps), 0);
  assertEquals(deps.out.stderrText(), "pool: warning: skipping excluded hosts: h2\n");
  assertEquals(deps.out.stdoutText().split("\n")[0].split(/ +/).slice(0, 3), ["h1", "[ok", "]"]);
});
