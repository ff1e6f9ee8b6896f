/** pool hosts without sshd: the host lines other tools read. */

import { assertEquals, assertMatch } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { hosts } from "./hosts.ts";

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
