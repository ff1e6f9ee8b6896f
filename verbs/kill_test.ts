import { assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import type { HostResult } from "../remote/exec.ts";
import type { PoolError } from "../errors.ts";
import { kill, parseSignal } from "./kill.ts";

Deno.test("parseSignal() takes the names every host's kill takes, and nothing else", () => {
  assertEquals(parseSignal("term"), "TERM");
  assertEquals(parseSignal("SIGINT"), "INT");
  assertEquals(parseSignal(" usr1 "), "USR1");
  // Numbers differ between Linux and macOS; POLL, IOT, STKFLT and PWR are Node's names that
  // dash's kill refuses, so the kill would fail on the host after the grace had begun.
  for (const bad of ["9", "POLL", "IOT", "STKFLT", "PWR", "UNUSED", "NOPE", "TERM;id", ""]) {
    assertThrows(() => parseSignal(bad), /--signal expects a signal name/, bad);
  }
});

const ROSTER = { hosts: [{ name: "h1", ssh: "h1", os: "linux" }] };

/** kill's error when kill.sh gives no answer but `reply`. */
async function killFails(reply: Partial<HostResult>): Promise<PoolError> {
  const deps = await testDeps(ROSTER);
  await deps.jobs.update(() => ({
    jobs: [{ id: "abc123", host: "h1", command: "make", started_ms: 0, gpus: [] }],
    result: undefined,
  }));
  deps.runner.stub("h1", /^sh '-s' '--' abc123 TERM 10$/, reply);
  const e = await assertRejects(() => kill("abc123", {}, deps)) as PoolError;
  deps.runner.verify();
  return e;
}

Deno.test("kill whose kill.sh failed on the host exits 1 (failed), never its sh's 2 (usage)", async () => {
  const e = await killFails({
    code: 2,
    outcome: "failed",
    stderr: "sh: 40: cannot open /root/.pool/jobs/abc123.job: Permission denied\n",
  });
  assertEquals([e.exitCode, e.kind], [1, "failed"]);
  assertEquals(
    e.message,
    "cannot kill abc123 on h1: sh: 40: cannot open /root/.pool/jobs/abc123.job: Permission denied",
  );
  // kill.sh's own refusal, in its words.
  const refused = await killFails({
    code: 1,
    outcome: "failed",
    stderr: "pool: job abc123's record names pid 1, not a job's: nothing was signalled\n",
  });
  assertEquals(
    refused.message,
    "cannot kill abc123 on h1: job abc123's record names pid 1, not a job's: nothing was signalled",
  );
  // A host that did not answer still says so.
  assertEquals(
    (await killFails({ code: 255, outcome: "unreachable", reason: "refused" })).exitCode,
    255,
  );
  assertEquals((await killFails({ code: 124, outcome: "timeout" })).exitCode, 124);
});
