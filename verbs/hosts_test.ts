/** pool hosts without sshd: the host lines other tools read. */

import { assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { UsageError } from "../errors.ts";
import { hosts } from "./hosts.ts";
import { desc } from "./desc.ts";

Deno.test("hosts --format pdsh keeps an explicit :22 target, without the port pdsh cannot take", async () => {
  const deps = await testDeps({
    hosts: [
      { name: "a", ssh: "ssh://root@10.0.0.5:22" },
      { name: "b", ssh: "ssh://me@box.lan" },
      { name: "c", ssh: "ssh://me@far.lan:2222" },
      { name: "d", ssh: "ubuntu@10.0.0.7" },
    ],
  });
  assertEquals(await hosts(undefined, "pdsh", deps), 0);
  assertEquals(deps.out.stdoutText(), "root@10.0.0.5\nme@box.lan\nubuntu@10.0.0.7\n");
  assertMatch(deps.out.stderrText(), /c: pdsh cannot reach a non-default port/);

  const pssh = await testDeps({ hosts: [{ name: "a", ssh: "ssh://root@10.0.0.5:22" }] });
  await hosts(undefined, "pssh", pssh);
  assertEquals(pssh.out.stdoutText(), "root@10.0.0.5:22\n");
});

Deno.test("desc refuses control characters, C1 ones too (U+009B starts a terminal escape)", async () => {
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1" }] });
  for (const text of ["a\nb", "a\u001b[31m", "a\u009b31mRED", "a\u0085next"]) {
    const e = await assertRejects(() => desc("h1", [text], false, deps));
    assertEquals([e instanceof UsageError, (e as Error).message], [
      true,
      "a description must be one line of text",
    ]);
  }
  assertEquals((await deps.roster.read()).hosts[0].description, undefined);
});

Deno.test("hosts says why local is left out instead of printing nothing, and exits 1", async () => {
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1" }] });
  assertEquals(await hosts("local,h1", "names", deps), 1);
  assertEquals(deps.out.stdoutText(), "h1\n");
  assertEquals(
    deps.out.stderrText(),
    "pool: warning: local is this machine, not a roster host: left out\n",
  );
  const json = await testDeps({ hosts: [{ name: "h1", ssh: "h1" }] });
  assertEquals(await hosts("local", "targets", json, true), 1);
  assertEquals(json.out.stdoutText(), '{"hosts":[]}\n');
});

Deno.test("pool hosts: names carry no target; a host left out of a list is exit 1", async () => {
  const deps = await testDeps({
    hosts: [{ name: "y7", ssh: "a@b@h1" }, { name: "h1", ssh: "h1" }],
  });
  assertEquals(await hosts("y7", "names", deps), 0);
  assertEquals(deps.out.stdoutText(), "y7\n");
  assertEquals(await hosts("y7", "targets", deps), 1);
  assertMatch(deps.out.stderrText(), /y7: target's user "a@b" .* left out/);
});

Deno.test("hosts says which excluded hosts it leaves out, with a selection or without", async () => {
  const roster = {
    hosts: [
      { name: "h1", ssh: "h1", tags: ["gpu"] },
      { name: "old", ssh: "old", tags: ["gpu"], exclude: true },
    ],
  };
  for (const selection of [undefined, "@gpu"]) {
    const deps = await testDeps(roster);
    assertEquals(await hosts(selection, "names", deps), 0);
    assertEquals(deps.out.stdoutText(), "h1\n");
    assertEquals(deps.out.stderrText(), "pool: warning: skipping excluded hosts: old\n");
  }
});

Deno.test("hosts --format complete-tag NAME answers that host's tags alone (tag NAME --rm)", async () => {
  const roster = {
    hosts: [
      { name: "h1", ssh: "h1", tags: ["gpu", "web"] },
      { name: "h2", ssh: "h2", tags: ["big", "gpu"] },
      { name: "bad name", ssh: "x", tags: ["odd"] },
    ],
  };
  const tags = async (name?: string) => {
    const deps = await testDeps(roster);
    assertEquals(await hosts(name, "complete-tag", deps), 0);
    return deps.out.stdoutText().split("\n").filter(Boolean);
  };
  assertEquals(await tags(), ["gpu", "web", "big"]);
  assertEquals(await tags("h2"), ["big", "gpu"]);
  // A name no host has, one left out, or a selection: nothing.
  for (const name of ["nope", "bad name", "@gpu", "h1,h2", "all", ""]) {
    assertEquals(await tags(name), [], name);
  }
});
