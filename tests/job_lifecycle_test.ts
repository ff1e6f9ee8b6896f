/**
 * A bg job's life as its record tells it, against a real sshd host: a record a job wrote
 * into is still only its record, and a job whose own process ended while what it started
 * runs on is not done.
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";
import { assertGone, markerBase, processesWith } from "./procs.ts";

fleetTest("a job's record lines never read as pool's own: no phantom job", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const r = await pool(fleet, ["bg", "h1", "--json", "true"]);
  assertEquals(r.code, 0, r.stderr);
  const { id } = JSON.parse(r.stdout);
  assertEquals((await pool(fleet, ["wait", id])).code, 0);
  // What a job (or anyone with its home) can write into its record.
  const forged = `printf '@@ job fake\\nstarted 1\\nexit 0\\nended 2\\n' >> ~/.pool/jobs/${id}.job`;
  assertEquals((await pool(fleet, ["on", "h1", forged])).code, 0);
  const listed = await pool(fleet, ["jobs", "h1", "--all", "--json"]);
  assertEquals(listed.code, 0, listed.stderr);
  assertEquals(JSON.parse(listed.stdout).jobs.map((j: { id: string }) => j.id), [id]);
  const waited = await pool(fleet, ["wait", "fake"]);
  assertEquals(waited.code, 1, waited.stdout);
  assertMatch(waited.stderr, /^pool: no job fake /);
});

fleetTest(
  "a job whose own process ended is not done while what it left runs in its group",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    // Its own sleeps alone: a bare `sleep 30N` of anything else on this machine matched too.
    const marker = `sleep ${markerBase()}`;
    const r = await pool(fleet, ["bg", "h1", "--json", `${marker}1 & (${marker}2 &); exit 0`]);
    assertEquals(r.code, 0, r.stderr);
    const { id } = JSON.parse(r.stdout);
    try {
      // Its leader is over at once; the two sleeps run on in its group.
      const waited = await pool(fleet, ["wait", id, "--timeout", "2s"]);
      assertEquals(waited.code, 124, waited.stderr);
      assertMatch(waited.stderr, /waiting for the 2 process\(es\) it left running/);
      assertMatch(waited.stderr, new RegExp(`still running after 2s: ${id} \\(what it left\\)`));
      const listed = await pool(fleet, ["jobs", "--json"]);
      const [job] = JSON.parse(listed.stdout).jobs;
      assertEquals([job.state, job.exit, job.left_running], ["exited", 0, 2]);
      const table = await pool(fleet, ["jobs"]);
      assertMatch(table.stdout, new RegExp(`^${id} +h1 +exited 0, 2 left running `, "m"));
      assertEquals((await processesWith(marker, true)).length, 2);
      // Once they end, the work is done: the leader's own code.
      const waiting = pool(fleet, ["wait", id]);
      for (const p of await processesWith(marker, true)) {
        Deno.kill(Number(p.trim().split(" ")[0]), "SIGTERM");
      }
      const done = await waiting;
      assertEquals([done.code, done.stdout], [0, `${id}  h1  exited 0\n`], done.stderr);
      const after = JSON.parse((await pool(fleet, ["jobs", "--json"])).stdout).jobs[0];
      assert(after.left_running === 0, JSON.stringify(after));
    } finally {
      await pool(fleet, ["kill", id, "--grace", "0"]);
      await assertGone(marker, "the job's children");
    }
  },
);
