import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { HOSTILE } from "../tests/hostile.ts";
import type { Host } from "./host.ts";
import { exportProblem } from "./export_check.ts";

const host = (fields: Partial<Host>): Host => ({ name: "h1", ssh: "root@h1", ...fields });

Deno.test("exportProblem() passes the targets and names pool itself writes", () => {
  for (
    const h of [
      host({}),
      host({ name: "pi5-akida", ssh: "pi5-akida", tags: ["gpu", "web-tier", "_meta", "all"] }),
      host({ ssh: "ssh://me@10.0.0.7:2222" }),
      host({ ssh: "ssh://[fe80::1]:22" }),
      host({ ssh: "ubuntu@fe80::1%eth0" }),
      host({ name: "ünïcødé", ssh: "gpu.lan" }),
    ]
  ) {
    assertEquals(exportProblem(h), null, JSON.stringify(h));
  }
});

Deno.test("exportProblem() refuses targets that put an option where pdsh or pssh pass a host", () => {
  for (
    const ssh of [
      "root@-oProxyCommand=touch${IFS}/tmp/x",
      "-oProxyCommand=x",
      "ssh://-oProxyCommand=x@h1",
      "ssh://%2DoProxyCommand=x@h1",
      "ssh://me@-oProxyCommand=x",
      "a@b@h1",
      "@h1",
      "h1,h2",
      "node[1-3]",
    ]
  ) {
    assert(exportProblem(host({ ssh })) !== null, ssh);
  }
});

Deno.test("exportProblem() refuses names, targets and tags a shell would expand", () => {
  for (const word of HOSTILE.filter((w) => !/^(plain|ünïcødé.*)$/.test(w))) {
    assert(exportProblem(host({ name: word })) !== null, `name ${JSON.stringify(word)}`);
    assert(exportProblem(host({ ssh: `root@${word}` })) !== null, `target ${JSON.stringify(word)}`);
    assert(exportProblem(host({ tags: [word] })) !== null, `tag ${JSON.stringify(word)}`);
  }
  assertMatch(exportProblem(host({ name: "x$(touch${IFS}/tmp/y)" }))!, /^host name may hold only/);
});
