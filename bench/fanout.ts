/**
 * pool side by side with the fan-out tools people would otherwise use, on the
 * same real sshd test hosts (tests/hosts/harness.ts), in one run:
 *
 *   pool on all · pdsh · parallel-ssh · clush · ansible (raw) · bare `ssh & wait`
 *
 * for N hosts (default 8, 32, 64), cold (new connections) and warm (OpenSSH
 * multiplexing: pool's own for pool, a ControlMaster ssh_config for the peers),
 * running `true` and a small probe, plus `pool list` against the same probe
 * through pdsh, and `pool --version` start-up. Each figure is the median of
 * BENCH_RUNS runs (default 3): wall time, and CPU time of everything involved —
 * the client process tree, any ssh mux masters, and the sshd side.
 *
 *   deno task bench:fanout       (root, /usr/sbin/sshd; peers from apt:
 *                                 pdsh pssh clustershell ansible-core)
 *   BENCH_SIZES=8,32 BENCH_RUNS=5 deno task bench:fanout
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Fleet, killMuxMasters, startFleet } from "../tests/hosts/harness.ts";
import { childEnv } from "../tests/helpers.ts";
import { shQuote } from "../remote/quote.ts";

const SIZES = (Deno.env.get("BENCH_SIZES") ?? "8,32,64").split(",").map(Number);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 3);
const POOL_TS = fileURLToPath(new URL("../pool.ts", import.meta.url));
const PROBE = fileURLToPath(new URL("../probes/host.sh", import.meta.url));
const TICK_MS = 10; // getconf CLK_TCK = 100

const PEERS = [
  { name: "pdsh", binary: "pdsh", apt: "pdsh" },
  { name: "parallel-ssh", binary: "parallel-ssh", apt: "pssh" },
  { name: "clush", binary: "clush", apt: "clustershell" },
  { name: "ansible", binary: "ansible", apt: "ansible-core" },
];

function which(binary: string): boolean {
  return new Deno.Command("sh", {
    args: ["-c", `command -v ${binary}`],
    stdout: "null",
    stderr: "null",
  }).outputSync()
    .success;
}

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
  /** utime + stime + cutime + cstime, in ticks: its own CPU and its reaped children's. */
  ticks: number;
}

async function processes(): Promise<Proc[]> {
  const all: Proc[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
      all.push({ pid: Number(e.name), ppid: f[1], cmdline, ticks: f[11] + f[12] + f[13] + f[14] });
    } catch { /* gone */ }
  }
  return all;
}

/**
 * CPU ms of the matching processes and all their live descendants: an sshd
 * connection that stays open (a ControlPersist master's) has not been reaped
 * into the listener's children time yet, and must count all the same.
 */
async function cpuOf(match: (cmdline: string) => boolean): Promise<number> {
  const all = await processes();
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let ticks = 0;
  const walk = (p: Proc) => {
    ticks += p.ticks;
    for (const c of children.get(p.pid) ?? []) walk(c);
  };
  all.filter((p) => match(p.cmdline)).forEach(walk);
  return ticks * TICK_MS;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/**
 * Runs a shell command line; CPU = the shell's reaped children + sshd side +
 * mux masters (a master does the crypto of every warm session).
 */
async function measure(fleet: Fleet, line: string, env: Record<string, string>): Promise<Sample> {
  const sshd = (c: string) =>
    c.startsWith("sshd:") && c.includes(fleet.dir) && c.includes("[listener]");
  const masters = (c: string) =>
    c.startsWith("ssh: ") && c.includes(fleet.dir) && c.includes("[mux]");
  const server0 = await cpuOf(sshd);
  const mux0 = await cpuOf(masters);
  const started = performance.now();
  const out = await new Deno.Command("sh", {
    args: ["-c", `${line} >/dev/null 2>&1; read -r stat < /proc/$$/stat; echo "$stat"`],
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
  }).output();
  const wallMs = performance.now() - started;
  const stat = new TextDecoder().decode(out.stdout).trim();
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const client = (f[13] + f[14]) * TICK_MS;
  const server = (await cpuOf(sshd)) - server0;
  // Masters that appeared during the run count whole; ones that were there count their growth.
  const mux = Math.max(0, (await cpuOf(masters)) - mux0);
  return { wallMs, cpuMs: client + server + mux };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** No master may survive into a cold run; give them a moment to go. */
async function killMasters(fleet: Fleet) {
  await killMuxMasters(fleet.dir);
  await new Promise((r) => setTimeout(r, 100));
}

interface Tool {
  name: string;
  /** The shell line that fans `command` out to `hosts`. */
  line(hosts: string[], command: string, warm: boolean): string;
}

function tools(fleet: Fleet, dir: string, available: Set<string>): Tool[] {
  const cfg = (warm: boolean) => (warm ? join(dir, "ssh_config_mux") : fleet.sshConfig);
  const q = shQuote;
  const list: Tool[] = [
    {
      name: "pool",
      line: (_hosts, command) =>
        `${q(Deno.execPath())} run --allow-all --quiet ${q(POOL_TS)} on all ${q(command)}`,
    },
    {
      name: "ssh&wait",
      line: (hosts, command, warm) =>
        `for h in ${hosts.join(" ")}; do ssh -F ${cfg(warm)} -o BatchMode=yes "$h" ${
          q(command)
        } & done; wait`,
    },
    {
      name: "pdsh",
      line: (hosts, command, warm) =>
        `PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS=${
          q(`-F ${cfg(warm)} -o BatchMode=yes -x %h`)
        } pdsh -f ${hosts.length} -w ${hosts.join(",")} ${q(command)}`,
    },
    {
      name: "parallel-ssh",
      line: (hosts, command, warm) =>
        `parallel-ssh -p ${hosts.length} -t 0 -x ${q(`-F ${cfg(warm)}`)} -H ${q(hosts.join(" "))} ${
          q(command)
        }`,
    },
    {
      name: "clush",
      line: (hosts, command, warm) =>
        `clush -f ${hosts.length} -o ${q(`-F ${cfg(warm)}`)} -w ${hosts.join(",")} ${q(command)}`,
    },
    {
      name: "ansible",
      line: (hosts, command, warm) =>
        `ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_SSH_ARGS=${q(`-F ${cfg(warm)}`)} ` +
        `ANSIBLE_SSH_CONTROL_PATH_DIR=${join(dir, warm ? "ansible-cp" : `ansible-cp-$$`)} ` +
        `ansible all -i ${q(hosts.join(",") + ",")} -u root -f ${hosts.length} -m raw -a ${
          q(command)
        }`,
    },
  ];
  return list.filter((t) => t.name === "pool" || t.name === "ssh&wait" || available.has(t.name));
}

async function main() {
  const available = new Set(PEERS.filter((p) => which(p.binary)).map((p) => p.name));
  const missing = PEERS.filter((p) => !available.has(p.name));
  if (missing.length > 0) {
    console.log(`missing peers (not measured): ${missing.map((p) => p.name).join(", ")}`);
    console.log(
      `  install them with: apt-get install ${missing.map((p) => p.apt).join(" ")} hyperfine`,
    );
  }
  const fleet = await startFleet(Math.max(...SIZES));
  const dir = join(fleet.dir, "bench");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(
    join(dir, "ssh_config_mux"),
    `Host *\n  ControlMaster auto\n  ControlPath ${dir}/cm-%C\n  ControlPersist 60\n` +
      (await Deno.readTextFile(fleet.sshConfig)),
  );
  const probe = await Deno.readTextFile(PROBE);
  const results: { scenario: string; n: number; tool: string; wallMs: number; cpuMs: number }[] =
    [];
  try {
    for (const n of SIZES) {
      const hosts = fleet.hosts.slice(0, n).map((h) => h.name);
      const state = join(dir, `state-${n}`);
      await Deno.mkdir(state, { recursive: true });
      await Deno.writeTextFile(
        join(state, "pool.json"),
        JSON.stringify({ hosts: hosts.map((h) => ({ name: h, ssh: h, os: "linux" })) }),
      );
      for (
        const [label, command] of [["true", "true"], [
          "probe",
          "cat /proc/loadavg; df -Pk / | tail -1",
        ]]
      ) {
        for (const warm of [false, true]) {
          for (const tool of tools(fleet, dir, available)) {
            const samples: Sample[] = [];
            for (let i = 0; i < RUNS; i++) {
              const env = {
                ...fleet.env,
                POOL_STATE: join(warm ? state : await Deno.makeTempDir({ dir }), "pool.json"),
                HOME: join(fleet.dir, "home"),
              };
              if (!warm) await Deno.copyFile(join(state, "pool.json"), env.POOL_STATE);
              if (!warm) await killMasters(fleet);
              else if (i === 0) await measure(fleet, tool.line(hosts, command, true), env); // prime the masters
              samples.push(await measure(fleet, tool.line(hosts, command, warm), env));
            }
            const scenario = `${warm ? "warm" : "cold"} ${label}`;
            results.push({
              scenario,
              n,
              tool: tool.name,
              wallMs: median(samples.map((s) => s.wallMs)),
              cpuMs: median(samples.map((s) => s.cpuMs)),
            });
            await killMasters(fleet);
          }
        }
      }
      // pool list (live) against the same probe payload through pdsh, warm.
      if (available.has("pdsh")) {
        const env = {
          ...fleet.env,
          POOL_STATE: join(state, "pool.json"),
          HOME: join(fleet.dir, "home"),
        };
        const lines: [string, string][] = [
          ["pool", `'${Deno.execPath()}' run --allow-all --quiet '${POOL_TS}' list --jobs ${n}`],
          [
            "pdsh",
            `PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS='-F ${dir}/ssh_config_mux -x %h' pdsh -f ${n} -w ${
              hosts.join(",")
            } ${shQuote(probe)}`,
          ],
        ];
        for (const [tool, line] of lines) {
          await measure(fleet, line, env); // prime
          const samples: Sample[] = [];
          for (let i = 0; i < RUNS; i++) samples.push(await measure(fleet, line, env));
          results.push({
            scenario: "warm list/probe",
            n,
            tool,
            wallMs: median(samples.map((s) => s.wallMs)),
            cpuMs: median(samples.map((s) => s.cpuMs)),
          });
        }
        await killMasters(fleet);
      }
    }
    const version: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--quiet", POOL_TS, "--version"],
        stdout: "null",
      })
        .output();
      version.push(performance.now() - t);
    }
    printTable(results, median(version));
  } finally {
    await fleet.stop();
  }
}

function printTable(
  results: { scenario: string; n: number; tool: string; wallMs: number; cpuMs: number }[],
  versionMs: number,
) {
  console.log(
    `\nmedian of ${RUNS} runs; wall and CPU (client tree + mux masters + sshd) in ms; ratio = pool ÷ peer`,
  );
  const groups = [...new Set(results.map((r) => `${r.scenario}|${r.n}`))];
  for (const g of groups) {
    const [scenario, n] = g.split("|");
    const rows = results.filter((r) => r.scenario === scenario && String(r.n) === n);
    const pool = rows.find((r) => r.tool === "pool")!;
    console.log(`\n${scenario}, N=${n}`);
    console.log(
      `  ${"tool".padEnd(13)} ${"wall".padStart(7)} ${"cpu".padStart(7)}   pool÷wall  pool÷cpu`,
    );
    for (const r of rows) {
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-").padStart(9);
      console.log(
        `  ${r.tool.padEnd(13)} ${r.wallMs.toFixed(0).padStart(7)} ${
          r.cpuMs.toFixed(0).padStart(7)
        } ${
          r.tool === "pool" ? "" : ratio(pool.wallMs, r.wallMs) + " " + ratio(pool.cpuMs, r.cpuMs)
        }`,
      );
    }
  }
  console.log(`\npool --version start-up: ${versionMs.toFixed(0)} ms (median of 10)`);
  console.log(
    JSON.stringify({ bench: "fanout", runs: RUNS, version_ms: Math.round(versionMs), results }),
  );
}

await main();
