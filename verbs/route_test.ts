/** pool route without sshd: what it writes down about its work, and what it says when it cannot. */

import { assertEquals, assertMatch } from "../tests/assert.ts";
import { IDLE_LINUX_PROBE as PROBE, testDeps } from "../deps/testing.ts";
import { route } from "./route.ts";
import { HELD_OUTPUT_LIMIT } from "../render/fanout.ts";

Deno.test("route: a ledger that cannot name the command's ssh is a warning; the command's code stands", async () => {
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1", os: "linux" }] });
  deps.runner.stub("h1", /^sh '-s' '--'/, { stdout: PROBE });
  deps.runner.stub("h1", "sleep 1; exit 3", (call) => {
    // The ssh carrying the command has started: this process stands in for it.
    call.options.onSpawn?.(Deno.pid);
    return { code: 3 };
  });
  // The reservation is written; every write after it finds the disk full.
  const update = deps.ledger.update.bind(deps.ledger);
  let writes = 0;
  deps.ledger.update = (change) =>
    writes++ === 0 ? update(change) : Promise.reject(new Error("No space left on device"));
  assertEquals(await route(["sleep 1; exit 3"], { mem: 1024 ** 3 }, deps), 3);
  assertMatch(deps.out.stderrText(), /pool: warning: the lease does not name its ssh: No space/);
  deps.runner.verify();
});

Deno.test("route --json holds the last 16 MiB of each stream, as on --json, not all a command writes", async () => {
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1", os: "linux" }] });
  deps.runner.stub("h1", /^sh '-s' '--'/, { stdout: PROBE });
  deps.runner.stub("h1", "yes", (call) => {
    assertEquals(call.options.keepLast, HELD_OUTPUT_LIMIT);
    return { code: 0 };
  });
  assertEquals(await route(["yes"], { json: true }, deps), 0);
  deps.runner.verify();
});

Deno.test("route whose --push fails on the host exits 1, never the copy's own code", async () => {
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1", os: "linux" }] });
  deps.runner.stub("h1", /^sh '-s' '--'/, { stdout: PROBE });
  // rsync exits 2 on a protocol mismatch: passed on, that read as pool's usage error.
  deps.runner.stub("h1", /^push /, { code: 2, stderr: "rsync: protocol incompatibility\n" });
  const code = await route(["make"], { push: [{ path: ".", dest: "app" }] }, deps);
  assertEquals(code, 1);
  deps.runner.verify();
});
