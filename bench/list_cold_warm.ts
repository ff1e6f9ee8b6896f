/**
 * Cold vs warm `pool list` over 8 and 32 real sshd test hosts on loopback.
 *
 * Cold: a fresh state directory each run, so no control socket exists and
 * every host costs a full ssh handshake. Warm: the same state directory right
 * after a run, so every probe rides on pool's own ControlMaster. Both are
 * measured in this one run and printed as a ratio; nothing here is a test.
 *
 *   deno task bench            (needs root, /usr/sbin/sshd, like the tests)
 */

import { join } from "node:path";
import { killMuxMasters, startFleet } from "../tests/hosts/harness.ts";
import { pool } from "../tests/helpers.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);
const SIZES = (Deno.env.get("BENCH_SIZES") ?? "8,32").split(",").map(Number);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const fleet = await startFleet(Math.max(...SIZES));
const rows: { hosts: number; cold: number; warm: number }[] = [];
try {
  for (const n of SIZES) {
    const roster = JSON.stringify({
      hosts: fleet.hosts.slice(0, n).map((h) => ({ name: h.name, ssh: h.name, os: "linux" })),
    });
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const state = await Deno.makeTempDir({ dir: fleet.dir, prefix: "s" });
      await Deno.writeTextFile(join(state, "pool.json"), roster);
      const env = { ...fleet.env, POOL_STATE: join(state, "pool.json") };
      const c = await pool({ env }, ["list"]);
      const answered = c.stdout.split("\n").filter((l) =>
        /^h\d+ .* linux +\d+\.\d\d /.test(l)
      ).length;
      if (c.code !== 0 || answered !== n) {
        throw new Error(`cold list: ${answered} of ${n} hosts answered`);
      }
      cold.push(c.ms);
      const w = await pool({ env }, ["list"]);
      warm.push(w.ms);
      await killMuxMasters(state);
    }
    rows.push({ hosts: n, cold: median(cold), warm: median(warm) });
  }
} finally {
  await fleet.stop();
}

console.log(
  `pool list, live probe, median of ${RUNS} runs (wall ms), ${Deno.build.os} ${navigator.hardwareConcurrency} cores`,
);
console.log("hosts  cold ms  warm ms  warm/cold");
for (const r of rows) {
  console.log(
    `${String(r.hosts).padStart(5)}  ${r.cold.toFixed(0).padStart(7)}  ${
      r.warm.toFixed(0).padStart(7)
    }  ${(r.warm / r.cold).toFixed(2).padStart(9)}`,
  );
}
console.log(JSON.stringify({ bench: "list_cold_warm", runs: RUNS, results: rows }));
