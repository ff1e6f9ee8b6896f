import { assertEquals, assertMatch, assertRejects, assertThrows } from "../tests/assert.ts";
import { jobLease, testDeps } from "../deps/testing.ts";
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

const KILLED = "@@ killed\nstarted 40\npid 10 500\nexit 143\nsignal TERM\nended 90\n@@ end\n";

/** Job abc123 on h1, holding a lease if `leased`; then every ledger write fails as a full disk. */
async function fullDisk(leased: boolean) {
  const deps = await testDeps(ROSTER);
  await deps.jobs.update(() => ({
    jobs: [{ id: "abc123", host: "h1", command: "make", started_ms: 0, gpus: [] }],
    result: undefined,
  }));
  await deps.ledger.update(() => ({
    leases: leased ? [jobLease({ mem_bytes: 1024 ** 3 })] : [],
    result: undefined,
  }));
  deps.ledger.update = () => Promise.reject(new Error("No space left on device (os error 28)"));
  deps.runner.stub("h1", /^sh '-s' '--' abc123 TERM 10$/, { stdout: KILLED });
  return deps;
}

Deno.test("kill whose lease cannot be given back says the job was killed, with a warning", async () => {
  // An error here told a script the job still ran: it killed again, to hear "already ended".
  const deps = await fullDisk(true);
  assertEquals(await kill("abc123", {}, deps), 0);
  assertEquals(deps.out.stdoutText(), "abc123  h1  killed by SIGTERM\n");
  assertMatch(
    deps.out.stderrText(),
    /^pool: warning: could not give job abc123's lease back \(No space left on device \(os error 28\)\); it lapses on its own, as the job is gone\n$/,
  );
  deps.runner.verify();
  // --json (and so the MCP tool): the kill's own object and code.
  const json = await fullDisk(true);
  assertEquals(await kill("abc123", { json: true }, json), 0);
  assertEquals(JSON.parse(json.out.stdoutText()).killed, true);
  assertMatch(json.out.stderrText(), /^pool: warning: could not give job abc123's lease back/);
  json.runner.verify();
});

Deno.test("kill of a job that holds no lease needs no ledger write: nothing to warn of", async () => {
  const deps = await fullDisk(false);
  assertEquals(await kill("abc123", {}, deps), 0);
  assertEquals([deps.out.stdoutText(), deps.out.stderrText()], [
    "abc123  h1  killed by SIGTERM\n",
    "",
  ]);
  deps.runner.verify();
});
