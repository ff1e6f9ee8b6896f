import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { status } from "./status.ts";

const ROSTER = {
  hosts: [
    { name: "h1", ssh: "h1", os: "linux" },
    { name: "h2", ssh: "h2", os: "linux", exclude: true },
  ],
};

Deno.test("status checks excluded hosts too, and marks them", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", /^true$/, { code: 0, outcome: "ok" });
  deps.runner.stub("h2", /^true$/, { code: 0, outcome: "ok" });
  assertEquals(await status({}, deps), 0);
  assertEquals(deps.out.stderrText(), "");
  const rows = deps.out.stdoutText().trimEnd().split("\n");
  assertEquals(rows[0].split(/ +/).slice(0, 3), ["h1", "[ok", "]"]);
  assert(rows[1].startsWith("h2  [ok ]") && rows[1].endsWith("  (excluded)"), rows[1]);
  deps.runner.verify();
});

Deno.test("status: an excluded host that is down is shown, and does not fail the run", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", /^true$/, { code: 0, outcome: "ok" });
  deps.runner.stub("h2", /^true$/, {
    code: 255,
    outcome: "unreachable",
    stderr: "Connection refused",
  });
  assertEquals(await status({}, deps), 0);
  assertMatch(deps.out.stdoutText(), /^h2 +\[x {2}\] +h2 .* {2}\(excluded\)$/m);
  deps.runner.verify();
});

Deno.test("status: a roster whose every host is left out (unusable) is no healthy fleet", async () => {
  const deps = await testDeps({ hosts: [{ name: "mac mini", ssh: "mini" }] });
  assertEquals(await status({}, deps), 1);
  assert(
    deps.out.stderrText().includes(
      "pool: every host in the roster is left out (unusable): mac mini",
    ),
    deps.out.stderrText(),
  );
});
