/**
 * Output throughput: 1,000,000 lines from two real sshd test hosts
 * (`seq 1 500000` on each) through `pool on all` (text and --json) and pdsh,
 * written to /dev/null. Median wall time of BENCH_RUNS runs (default 5); each
 * tool's output is also counted once through `wc -l`.
 *
 *   deno run --allow-all bench/throughput.ts     (root, /usr/sbin/sshd, pdsh)
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFleet } from "../tests/hosts/harness.ts";
import { childEnv } from "../tests/helpers.ts";
import { shQuote } from "../remote/quote.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);
const LINES = Number(Deno.env.get("BENCH_LINES") ?? 500_000);
const POOL_TS = fileURLToPath(new URL("../pool.ts", import.meta.url));
const COMMAND = `seq 1 ${LINES}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sh(line: string, env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: ["-c", line],
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error(`failed: ${line}`);
  return new TextDecoder().decode(out.stdout).trim();
}

const fleet = await startFleet(2);
try {
  await Deno.writeTextFile(
    fleet.roster,
    JSON.stringify({ hosts: fleet.hosts.map((h) => ({ name: h.name, ssh: h.name, os: "linux" })) }),
  );
  const env = { ...fleet.env, HOME: join(fleet.dir, "home") };
  const pool = `${shQuote(Deno.execPath())} run --allow-all --quiet ${shQuote(POOL_TS)} on all`;
  const tools: [string, string][] = [
    ["pool", `${pool} ${shQuote(COMMAND)}`],
    ["pool --json", `${pool} --json ${shQuote(COMMAND)}`],
    [
      "pdsh",
      `PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS=${
        shQuote(`-F ${fleet.sshConfig} -o BatchMode=yes -x %h`)
      } pdsh -w ${fleet.hosts.map((h) => h.name).join(",")} ${shQuote(COMMAND)}`,
    ],
  ];
  console.log(`${2 * LINES} lines from 2 hosts, median of ${RUNS} runs, wall ms`);
  for (const [name, line] of tools) {
    const counted = await sh(`${line} | wc -l`, env); // also warms pool's connections
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await sh(`${line} >/dev/null`, env);
      samples.push(performance.now() - started);
    }
    console.log(
      `${name.padEnd(12)} ${median(samples).toFixed(0).padStart(6)}  (${
        samples.map((s) => s.toFixed(0)).join(" ")
      }; wc -l ${counted})`,
    );
  }
} finally {
  await fleet.stop();
}
