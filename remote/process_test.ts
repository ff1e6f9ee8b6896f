import { assert, assertEquals } from "../tests/assert.ts";
import { runProcess } from "./process.ts";

Deno.test("runProcess() returns once the child exits, even if a grandchild keeps its pipes", async () => {
  const started = performance.now();
  const r = await runProcess(["sh", "-c", "echo out; echo err >&2; (sleep 5 &) ; exit 3"], {
    timeoutMs: 10_000,
  });
  assertEquals([r.code, r.outcome, r.stdout, r.stderr], [3, "failed", "out\n", "err\n"]);
  assert(performance.now() - started < 2_000, "waited on the grandchild");
});

Deno.test("runProcess() kills the whole group at the deadline: exit 124", async () => {
  const r = await runProcess(["sh", "-c", "echo begun; sleep 30 | cat"], { timeoutMs: 300 });
  assertEquals([r.code, r.outcome, r.stdout], [124, "timeout", "begun\n"]);
});

Deno.test("runProcess() stops on abort: exit 130", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const r = await runProcess(["sleep", "30"], { timeoutMs: 10_000, signal: controller.signal });
  assertEquals([r.code, r.outcome], [130, "interrupted"]);
});

Deno.test("runProcess() reports death by signal as 128 + n", async () => {
  const r = await runProcess(["sh", "-c", "kill -TERM $$"], { timeoutMs: 10_000 });
  assertEquals(r.code, 143);
});

Deno.test("runProcess() feeds input to stdin and reads every byte of a large output", async () => {
  const r = await runProcess(["sh", "-c", "cat; head -c 300000 /dev/zero | tr '\\\\0' x"], {
    timeoutMs: 10_000,
    input: "payload\n",
  });
  assertEquals(r.stdout.length, "payload\n".length + 300000 + 1);
});
