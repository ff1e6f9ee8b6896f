/** pool clean without sshd: what a host's clean script says, as pool shows it. */

import { assert, assertEquals } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { clean } from "./clean.ts";

Deno.test("clean shows a file name from the host as text that acts on nothing", async () => {
  // Any user of the host names files under their home, and root's clean reads them out.
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1", os: "linux" }] });
  const named = "/home/mallory/.pool/jobs/x\x1b]0;PWNED\x07\x1b[2Jy.job";
  deps.runner.stub("h1", / run auto 3; fi/, {
    stdout: `removed 1 files, 4096 bytes: old temp files\n@@ clean 50 40 4096 2048 light\n`,
    stderr: `find: '${named}': Permission denied\n`,
  });
  assertEquals(await clean({ hosts: "h1" }, deps), 0);
  const said = deps.out.stdoutText();
  assert(!said.includes("\x1b") && !said.includes("\x07"), JSON.stringify(said));
  assert(said.includes("jobs/x\\e]0;PWNED\\x07\\e[2Jy.job"), said);
  assert(said.includes("removed 1 files, 4096 bytes: old temp files"), said);
  deps.runner.verify();
});
