/**
 * A bg job's lease lives as long as its work: while its command runs, or (Linux) while what the
 * command left running holds on in its process group. Against a real sshd test host whose PATH
 * holds a fake nvidia-smi (two idle GPUs).
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, leasesIn as ledger, pool, writeRoster } from "./helpers.ts";
import { assertGone, markerBase, processesWith, until } from "./procs.ts";
import type { Fleet } from "./hosts/harness.ts";

const leasesIn = (fleet: Fleet) => ledger<{ gpus: number[]; remote_pid?: number }>(fleet);

const NVIDIA_SMI = `#!/bin/sh
cat <<'EOF'
index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]
0, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
1, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
EOF
`;

fleetTest(
  "a bg lease lives on while what its command left running holds on in its group",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const marker = `sleep ${markerBase()}`;
    // A launcher that starts its work in the background and returns (`nohup python train.py &`).
    const r = await pool(fleet, [
      "bg",
      "--gpus",
      "1",
      "--mem",
      "64M",
      `${marker}1 & (${marker}2 &); exit 0`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const m = /job ([a-z0-9]+) {2}pid (\d+) {2}gpu (\d+) /.exec(r.stdout);
    assert(m, r.stdout);
    const [, id, pid, gpu] = m;
    try {
      await until("the command's end", async () => {
        const jobs = await pool(fleet, ["jobs", "--all", "--json"]);
        return JSON.parse(jobs.stdout).jobs.some((j: { id: string; state: string }) =>
          j.id === id && j.state === "exited"
        );
      });
      assertEquals((await processesWith(marker, true)).length, 2, "its work runs on");
      const shown = await pool(fleet, ["leases"]);
      assertMatch(
        shown.stdout,
        /live: its command ended; 2 processes it started still run/,
        shown.stderr,
      );
      const json = JSON.parse((await pool(fleet, ["leases", "--json"])).stdout);
      assertEquals(
        json.leases.map((l: { state: string; held_because?: string }) => [l.state, l.held_because]),
        [["live", "its command ended; 2 processes it started still run"]],
      );
      // A second --gpus job gets the other GPU, never the one the first job's work holds.
      const second = await pool(fleet, ["route", "--gpus", "1", "echo $CUDA_VISIBLE_DEVICES"]);
      assertEquals(second.code, 0, second.stderr);
      assert(second.stdout.trim() !== gpu, `GPU ${gpu} twice`);
      assertEquals((await leasesIn(fleet)).map((l) => l.remote_pid), [Number(pid)], "still held");
    } finally {
      try {
        Deno.kill(-Number(pid), "SIGKILL");
      } catch { /* already gone */ }
    }
    // Its work over, the lease goes with it.
    await assertGone(marker, "the job's work");
    await until(
      "the lease to read as gone",
      async () => /remote process gone/.test((await pool(fleet, ["leases"])).stdout),
    );
    assertEquals((await pool(fleet, ["route", "--mem", "64M", "true"])).code, 0);
    assertEquals(await leasesIn(fleet), [], "reaped once the probe found the group gone");
  },
  { bin: { "nvidia-smi": NVIDIA_SMI } },
);

fleetTest(
  "a bg job's work that left its group (setsid) keeps the job running and its lease, and is killed with it",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const marker = `sleep ${markerBase()}`;
    // A launcher that puts its work in a session of its own and returns (a daemon, tmux).
    const r = await pool(fleet, ["bg", "--mem", "64M", "--json", `setsid ${marker} & exit 0`]);
    assertEquals(r.code, 0, r.stderr);
    const { id } = JSON.parse(r.stdout);
    try {
      await until("the command's end", async () => {
        const jobs = await pool(fleet, ["jobs", "--all", "--json"]);
        return JSON.parse(jobs.stdout).jobs.some((j: { id: string; state: string }) =>
          j.id === id && j.state === "exited"
        );
      });
      assertEquals((await processesWith(marker, true)).length, 1, "its work runs on");
      const [job] = JSON.parse((await pool(fleet, ["jobs", "--json"])).stdout).jobs;
      assertEquals([job.state, job.left_running], ["exited", 1]);
      const waited = await pool(fleet, ["wait", id, "--timeout", "2s"]);
      assertEquals(waited.code, 124, waited.stderr);
      const json = JSON.parse((await pool(fleet, ["leases", "--json"])).stdout);
      assertEquals(json.leases.map((l: { state: string }) => l.state), ["live"]);
      const killed = await pool(fleet, ["kill", id, "--grace", "0"]);
      assertEquals(killed.code, 0, killed.stderr);
      await assertGone(marker, "the work that left the job's group");
      assertEquals(await leasesIn(fleet), [], "its lease given back");
    } finally {
      for (const p of await processesWith(marker, true)) {
        Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      }
    }
  },
);
