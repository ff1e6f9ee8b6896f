/**
 * Many hosts under a low file-descriptor limit: 200 real sshd hosts with
 * `ulimit -n 256` and the default --jobs. Every host runs; none is reported
 * unreachable for want of a descriptor. (The slowest test: ~30 s of cold
 * connections on two cores. Connection sharing is off so that it measures
 * pool's own descriptors, not 200 masters'.)
 */

import { assertEquals } from "./assert.ts";
import { childEnv, fleetTest, POOL_ARGV, writeRoster } from "./helpers.ts";

const HOSTS = 200;

fleetTest(`${HOSTS} hosts under ulimit -n 256 all run`, HOSTS, async (_t, fleet) => {
  await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -n 256 && exec "$@" on all --timeout 10m 'echo ok'`,
      "sh",
      ...POOL_ARGV,
    ],
    env: childEnv({ ...fleet.env, POOL_CONTROL_PERSIST: "0" }),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const ok = stdout.split("\n").filter((l) => /^\[h\d+ *\] ok$/.test(l));
  assertEquals(ok.length, HOSTS, stderr);
});
