/**
 * A `pool bg` job's record when the host's disk gets in the way (read-only, full, a file it
 * may not write), and `pool kill` with a record that names no job's process: against real sshd
 * test hosts, whose mount namespace of their own lets a test make their ~/.pool/jobs read-only
 * or full for them alone. kill.sh itself, where it would signal what is not a job's, runs here
 * with `kill` a shell function that only writes down what it was asked.
 */

import { assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

/** Runs `command` on `host` (a roster name) and expects it to work. */
async function onHost(fleet: Fleet, host: string, command: string): Promise<string> {
  const r = await pool(fleet, ["on", host, command]);
  assertEquals(r.code, 0, `${command}: ${r.stderr}`);
  return r.stdout;
}

/** A roster of one host, `name`, reached as `ssh`. */
async function writeRosterOf(fleet: Fleet, name: string, ssh = name) {
  await Deno.writeTextFile(
    fleet.roster,
    JSON.stringify({ hosts: [{ name, ssh, sudo: false, os: "linux" }] }) + "\n",
  );
}

fleetTest(
  "a launch the host's disk refuses is a failure (exit 1), never a usage error (2)",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "h1");
    // Read-only in the host's mount namespace only.
    await onHost(
      fleet,
      "h1",
      "mkdir -p ~/.pool/jobs && mount --bind ~/.pool/jobs ~/.pool/jobs && " +
        "mount -o remount,ro,bind ~/.pool/jobs",
    );
    const r = await pool(fleet, ["bg", "--json", "h1", "sleep 1"]);
    assertEquals(r.code, 1, r.stderr);
    const { error } = JSON.parse(r.stdout);
    assertEquals([error.kind, error.exit], ["failed", 1]);
    assertMatch(error.message, /^could not start the job on h1: .*Read-only file system$/);
  },
);
