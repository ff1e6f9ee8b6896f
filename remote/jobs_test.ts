import { assert, assertEquals } from "../tests/assert.ts";
import { RecordingRunner } from "../deps/testing.ts";
import { askJobs, killJob } from "./jobs.ts";

Deno.test("askJobs and killJob bound what they keep of a host's answer: a flood is not an answer", async () => {
  const runner = new RecordingRunner();
  const host = { name: "h1", ssh: "h1" };
  runner.stub("h1", /^sh '-s' '--'/, (call) => {
    const limit = call.options.stdoutLimit ?? Infinity;
    assert(Number.isFinite(limit) && limit <= 64 << 20, `kept up to ${limit} bytes`);
    return { code: 0, stdout: "@@ end\n" };
  }, 2);
  await askJobs(runner, host, ["list"], { timeoutMs: 1000 });
  await killJob(runner, host, "abc123", { signalName: "TERM", graceS: 1 });
  assertEquals(runner.calls.length, 2);
});
