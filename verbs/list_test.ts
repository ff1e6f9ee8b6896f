/** pool list without sshd: what the table and --json say of a probe's answer. */

import Ajv from "ajv";
import { assert, assertEquals } from "../tests/assert.ts";
import { IDLE_LINUX_PROBE, testDeps } from "../deps/testing.ts";
import { readSchema } from "../schemas/mod.ts";
import { list } from "./list.ts";

/**
 * An idle host with two GPUs, as host.sh's query asks nvidia-smi (the H200 row of
 * tests/fixtures/probe/nvidia-smi-h200.txt): GPU 1 split into MIG instances, which says no
 * utilisation nor used memory of its own; GPU 2 from a driver that does not say its mode.
 */
const MIG_PROBE = IDLE_LINUX_PROBE.replace(
  "@@ end\n",
  [
    "@@ nvidia-smi",
    "index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], mig.mode.current",
    "0, GPU-0, NVIDIA H200, 100, 96379, 143771, Disabled",
    "1, GPU-1, NVIDIA H200, [N/A], [N/A], 143771, Enabled",
    "2, GPU-2, NVIDIA H200, 0, 0, 143771, [N/A]",
    "@@ nvidia-smi-exit",
    "0",
    "@@ end",
    "",
  ].join("\n"),
);

const ROSTER = { hosts: [{ name: "h1", ssh: "h1", os: "linux" }] };

async function listed(json: boolean) {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", /^sh '-s' '--'/, { stdout: MIG_PROBE });
  deps.runner.stub("local", /^sh '-s' '--'/, { stdout: IDLE_LINUX_PROBE });
  assertEquals(await list({ json }, deps), 0);
  deps.runner.verify();
  return deps.out.stdoutText();
}

Deno.test("list --json says of each GPU whether it is in MIG mode, as its schema says", async () => {
  const doc = JSON.parse(await listed(true));
  const gpus = doc.hosts[0].probe.gpus as Record<string, unknown>[];
  assertEquals(gpus.map((g) => [g.index, g.mig]), [[0, false], [1, true], [2, null]]);
  // deno-lint-ignore no-explicit-any
  const AjvClass: any = (Ajv as any).default ?? Ajv;
  const validate = new AjvClass({ strict: true, strictRequired: false, allowUnionTypes: true })
    .compile(await readSchema("list"));
  assert(validate(doc), JSON.stringify(validate.errors));
  gpus[1].mig = "Enabled";
  assert(!validate(doc), "the schema lets mig be a string");
});

Deno.test("list marks a host's GPUs in MIG mode in its gpu column", async () => {
  const row = (await listed(false)).split("\n").find((l) => l.startsWith("h1 "));
  assert(row?.includes("  3×50% 1mig  "), row);
});
