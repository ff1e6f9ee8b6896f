/** `pool bg` without sshd: what a launch that failed on the host makes of pool's exit. */

import { assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import type { HostResult } from "../remote/exec.ts";
import { PoolError } from "../errors.ts";
import { bg } from "./bg.ts";

const ROSTER = { hosts: [{ name: "h1", ssh: "h1", os: "linux" }] };
const LAUNCH = /^sh '-s' '--' [a-z0-9]+ '-'$/;
const KILL = /^sh '-s' '--' [a-z0-9]+ TERM 2$/;

/** bg's error when launch.sh answers `reply`. */
async function launchFails(reply: Partial<HostResult>): Promise<PoolError> {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", LAUNCH, reply);
  // Whatever the launcher said, pool makes sure the job did not start.
  deps.runner.stub("h1", KILL, { stdout: "@@ missing\n@@ end\n" });
  const e = await assertRejects(() => bg(["h1", "sleep 1"], {}, deps)) as PoolError;
  assertEquals((await deps.jobs.read()).length, 0);
  deps.runner.verify();
  return e;
}

Deno.test("bg whose launch the host's disk refused exits 1 (failed), never 2 (usage)", async () => {
  // sh's own code for a redirection it could not open is 2: the host's word, not pool's.
  const e = await launchFails({
    code: 2,
    outcome: "failed",
    stderr: "sh: 152: cannot create /root/.pool/jobs/k3x9q2.cmd: Read-only file system\n",
  });
  assertMatch(e.message, /^could not start the job on h1: sh: 152: cannot create .*Read-only/);
  assertEquals([e.exitCode, e.kind], [1, "failed"]);
  // Any other code the launcher's sh ends with is a failure too (mkfifo's 1, a signal's 128+n).
  for (const code of [1, 3, 127, 137]) {
    assertEquals((await launchFails({ code, outcome: "failed" })).exitCode, 1, `${code}`);
  }
});

Deno.test("bg whose host did not answer the launch still says so: 255 unreachable, 124 timeout", async () => {
  const down = await launchFails({ code: 255, outcome: "unreachable", reason: "refused" });
  assertEquals([down.exitCode, down.message], [255, "could not start the job on h1: refused"]);
  // ssh's 255 with no reason pool knows is still ssh's: the host was not reached.
  assertEquals((await launchFails({ code: 255, outcome: "failed" })).exitCode, 255);
  const late = await launchFails({ code: 124, outcome: "timeout" });
  assertEquals([late.exitCode, late.message], [
    124,
    "could not start the job on h1: timed out after 20s",
  ]);
});

Deno.test("bg whose state folder refuses the job index says nothing was started, in its own kind", async () => {
  // What the state files throw is a PoolError already: passed on as it was, the README's
  // "starts nothing and says so" lost its second half.
  const deps = await testDeps(ROSTER);
  deps.jobs.update = () =>
    Promise.reject(
      new PoolError(
        "cannot open /s/jobs.json.lock: Read-only file system (os error 30)",
        1,
        "state_unwritable",
      ),
    );
  const e = await assertRejects(() => bg(["h1", "sleep 1"], {}, deps)) as PoolError;
  assertEquals([e.exitCode, e.kind, e.message], [
    1,
    "state_unwritable",
    "cannot write the job index, so nothing was started: " +
    "cannot open /s/jobs.json.lock: Read-only file system (os error 30)",
  ]);
  // A stop while another pool holds the index keeps its code (130) and kind.
  const stopped = await testDeps(ROSTER);
  stopped.jobs.update = () =>
    Promise.reject(new PoolError("stopped while waiting for the job index", 130, "stopped"));
  const s = await assertRejects(() => bg(["h1", "sleep 1"], {}, stopped)) as PoolError;
  assertEquals([s.exitCode, s.kind, s.message], [
    130,
    "stopped",
    "nothing was started: stopped while waiting for the job index",
  ]);
  assertEquals(deps.out.stdoutText(), "");
  deps.runner.verify(); // no launch asked of any host
  stopped.runner.verify();
});
