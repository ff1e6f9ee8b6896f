/**
 * Output throughput: 1,000,000 lines from two real sshd test hosts
 * (`seq 1 500000` on each) through `pool on all` (text and --json) and pdsh,
 * written to /dev/null. Median of BENCH_RUNS rounds (default 5), the tools
 * taking turns within each round so that a change in machine load hits them
 * alike: wall time, and the CPU time of the client's process tree. Each
 * tool's output is also counted once through `wc -l`.
 *
 *   deno run --allow-all bench/throughput.ts     (root, /usr/sbin/sshd, pdsh)
 *   BENCH_OTHER=/elsewhere/pool.ts …             (also that pool, e.g. before a change)
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFleet } from "../tests/hosts/harness.ts";
import { childEnv } from "../tests/helpers.ts";
import { shQuote } from "../remote/quote.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);
const LINES = Number(Deno.env.get("BENCH_LINES") ?? 500_000);
const POOL_TS = fileURLToPath(new URL("../pool.ts", import.meta.url));
const OTHER = Deno.env.get("BENCH_OTHER");
const COMMAND = `seq 1 ${LINES}`;
const TICK_MS = 10; // getconf CLK_TCK = 100

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs a shell line; its stdout, and the CPU ms of every process the shell reaped. */
async function sh(line: string, env: Record<string, string>) {
  const out = await new Deno.Command("sh", {
    args: ["-c", `${line}; read -r stat < /proc/$$/stat; echo "$stat"`],
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n");
  const stat = text.pop()!;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return { stdout: text.join("\n"), cpuMs: (f[13] + f[14]) * TICK_MS };
}

const fleet = await startFleet(2);
try {
  await Deno.writeTextFile(
    fleet.roster,
    JSON.stringify({ hosts: fleet.hosts.map((h) => ({ name: h.name, ssh: h.name, os: "linux" })) }),
  );
  const env = { ...fleet.env, HOME: join(fleet.dir, "home") };
  const pool = (ts: string) => `${shQuote(Deno.execPath())} run --allow-all --quiet ${shQuote(ts)}`;
  const tools: [string, string][] = [
    ["pool", `${pool(POOL_TS)} on all ${shQuote(COMMAND)}`],
    ["pool --json", `${pool(POOL_TS)} on all --json ${shQuote(COMMAND)}`],
    ...(OTHER
      ? [
        ["other", `${pool(OTHER)} on all ${shQuote(COMMAND)}`],
        ["other --json", `${pool(OTHER)} on all --json ${shQuote(COMMAND)}`],
      ] as [string, string][]
      : []),
    [
      "pdsh",
      `PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS=${
        shQuote(`-F ${fleet.sshConfig} -o BatchMode=yes -x %h`)
      } pdsh -w ${fleet.hosts.map((h) => h.name).join(",")} ${shQuote(COMMAND)}`,
    ],
  ];
  // Counted once each, which also leaves pool's shared connections warm.
  const counts = [];
  for (const [, line] of tools) counts.push((await sh(`${line} | wc -l`, env)).stdout);
  const samples = tools.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let i = 0; i < RUNS; i++) {
    for (const [t, [, line]] of tools.entries()) {
      const started = performance.now();
      const { cpuMs } = await sh(`${line} >/dev/null`, env);
      samples[t].wall.push(performance.now() - started);
      samples[t].cpu.push(cpuMs);
    }
  }
  console.log(`${2 * LINES} lines from 2 hosts, median of ${RUNS} rounds, ms`);
  console.log(`${"tool".padEnd(13)} ${"wall".padStart(6)} ${"cpu".padStart(6)}  wc -l  (walls)`);
  for (const [t, [name]] of tools.entries()) {
    const { wall, cpu } = samples[t];
    console.log(
      `${name.padEnd(13)} ${median(wall).toFixed(0).padStart(6)} ${
        median(cpu).toFixed(0).padStart(6)
      }  ${counts[t]}  (${wall.map((s) => s.toFixed(0)).join(" ")})`,
    );
  }
} finally {
  await fleet.stop();
}
