/**
 * A bg job's life as its record tells it, against a real sshd host: a record a job wrote
 * into is still only its record.
 */

import { assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";

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
