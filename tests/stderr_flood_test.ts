/**
 * A command's stderr in floods, over real sshd test hosts: passed on whole where pool passes it
 * on, kept only as its last 64 KiB, and the command's exit code stands. Kept whole, 100 MB of a
 * training job's log took 367 MB of pool's memory, and 600 MB made an exit 0 read as exit 255.
 */

import { assert, assertEquals } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";
import { execOnHost, type HostResult } from "../remote/exec.ts";
import { STDERR_KEPT } from "../remote/process.ts";
import { probeHost } from "../remote/probe.ts";
import { sshRunner } from "../remote/runner.ts";
import type { Host } from "../roster/host.ts";

/** The bytes `seq 1 n` prints. */
const seqBytes = (n: number) =>
  Array.from({ length: n }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0);

/** df on the hosts' PATH says 3 MB on stderr before it answers: a probe's chatty tool. */
const DF_LINES = 500_000;
const DF = `#!/bin/sh\nseq 1 ${DF_LINES} >&2\nexec /usr/bin/df "$@"\n`;

/** Runs `fn` with this process's ssh going to the fleet, as pool's does (POOL_SSH_CONFIG). */
async function withFleetSsh<T>(fleet: Fleet, fn: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("POOL_SSH_CONFIG");
  Deno.env.set("POOL_SSH_CONFIG", fleet.sshConfig);
  try {
    return await fn();
  } finally {
    if (before === undefined) Deno.env.delete("POOL_SSH_CONFIG");
    else Deno.env.set("POOL_SSH_CONFIG", before);
  }
}

const h1: Host = { name: "h1", ssh: "h1", os: "linux" };

fleetTest(
  "a flood of stderr is passed on whole, kept only as its end, and the exit code stands",
  1,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);

    await t.step("pool on <host> passes 51 MB of stderr through and exits 0", async () => {
      const n = 6_000_000;
      const r = await pool(fleet, ["on", "h1", `seq 1 ${n} >&2; echo done`]);
      assertEquals([r.code, r.stdout], [0, "done\n"]);
      assertEquals(r.stderr.length, seqBytes(n));
      assert(r.stderr.endsWith(`\n${n}\n`));
    });

    await t.step("what one run keeps of it is the last 64 KiB", async () => {
      const n = 1_000_000;
      let passed = 0;
      const r = await withFleetSsh(fleet, () =>
        execOnHost(h1, `seq 1 ${n} >&2; echo done`, {
          timeoutMs: 120_000,
          onStderrChunk: (chunk) => void (passed += chunk.length),
        }));
      assertEquals([r.code, r.outcome, r.stdout, passed], [0, "ok", "done\n", seqBytes(n)]);
      assert(r.stderrBytes.length <= STDERR_KEPT, `kept ${r.stderrBytes.length} bytes of stderr`);
      assert(r.stderr.endsWith(`\n${n}\n`));
    });

    await t.step("a probe whose df floods stderr answers, and keeps 64 KiB of it", async () => {
      const results: HostResult[] = [];
      const real = sshRunner();
      const runner = {
        ...real,
        exec: async (...args: Parameters<typeof real.exec>) => {
          const result = await real.exec(...args);
          results.push(result);
          return result;
        },
      };
      const answer = await withFleetSsh(fleet, () => probeHost(runner, h1, 120_000));
      assertEquals([answer.status, answer.error], ["ok", undefined]);
      assert(answer.facts !== null);
      assertEquals(results.length, 1);
      const kept = results[0].stderrBytes.length;
      assert(kept <= STDERR_KEPT, `kept ${kept} bytes of the probe's stderr`);

      const list = await pool(fleet, ["list", "--json", "--timeout", "120s"]);
      assertEquals(list.code, 0, list.stderr);
      assertEquals(JSON.parse(list.stdout).hosts[0].probe.ok, true);
    });
  },
  { bin: { df: DF } },
);
