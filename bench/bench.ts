/**
 * `deno task bench`: issue #17's benchmark, in one run, on real sshd test
 * hosts on loopback (tests/hosts/harness.ts: root, unshare, /usr/sbin/sshd).
 *
 * (a) fan-out: `true` and a small probe on N hosts (BENCH_SIZES, 8,32,64),
 *     cold and warm, through a bare `ssh & wait` loop, the same loop as a
 *     Deno program (deno_fanout.js), pdsh, parallel-ssh, clush (ansible
 *     with BENCH_ANSIBLE=1) and pool; then where pool's time goes;
 * (b) start-up of the verbs that need no ssh, against `deno run` of an empty file;
 * (c) output throughput: `seq 1 500000` on 2 hosts, warm;
 * (d) `pool list` over 32 warm hosts, against the same probe through pdsh;
 * (e) one warm host, as agents mostly call pool: `pool on h1 true` against ssh;
 * then one verdict line per target of the issue, and all the data as one
 * line of JSON. Each figure is BENCH_RUNS runs (default 5): median and
 * min–max. CPU is measure.ts's: client tree + sshd side + ssh masters.
 *
 * Runs of one scenario go round-robin over the tools (run 1 of each, then
 * run 2 …), so load from elsewhere on the machine falls on all of them alike.
 * Nothing here is a test: no threshold ever fails a build.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Fleet, startFleet } from "../tests/hosts/harness.ts";
import { childEnv } from "../tests/helpers.ts";
import { shQuote } from "../remote/quote.ts";
import {
  killMasters,
  measure,
  poolForm,
  type Run,
  type Sample,
  type Spread,
  spread,
} from "./measure.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SIZES = (Deno.env.get("BENCH_SIZES") ?? "8,32,64").split(",").map(Number);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);
const ANSIBLE = Deno.env.get("BENCH_ANSIBLE") === "1";
const LIST_HOSTS = 32;
const STARTUP_RUNS = 20;
const COMMANDS: [string, string][] = [["true", "true"], [
  "probe",
  "cat /proc/loadavg; df -Pk / | tail -1",
]];
const SEQ = "seq 1 500000";
/** What `seq 1 500000` prints on each of the two hosts: a tool must pass on at least this. */
const SEQ_BYTES = 2 * 3_388_895;

const q = shQuote;
const DENO_FANOUT = join(ROOT, "bench", "deno_fanout.js");
const form = poolForm(ROOT);
const POOL = form.argv.map(q).join(" ");

function which(binary: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${binary}`], stdout: "null" })
    .outputSync().success;
}

function progress(text: string) {
  console.error(`bench: ${text}`);
}

/** The bench's own files: pool state directories, the peers' ssh_config and sockets. */
interface Bench {
  fleet: Fleet;
  dir: string;
  /** The fleet's ssh_config plus ControlMaster auto: what "warm" means for the peers. */
  muxConfig: string;
  peers: Set<string>;
}

/**
 * A pool state directory with a roster of `hosts` (POOL_STATE is its pool.json),
 * one per host count, kept across runs as a user's ~/.pool is: cold runs find
 * no master (all killed first, as if ControlPersist had expired) but do find
 * pool's ssh -G cache, which only the first run of each size fills (one
 * sample of five; the median does not see it).
 */
async function poolState(b: Bench, hosts: string[]): Promise<string> {
  const dir = join(b.dir, `pool-${hosts.length}`);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "pool.json"),
    JSON.stringify({ hosts: hosts.map((h) => ({ name: h, ssh: h, os: "linux" })) }),
  );
  return dir;
}

async function poolRun(b: Bench, hosts: string[], args: string): Promise<Run> {
  const state = await poolState(b, hosts);
  return {
    line: `${POOL} ${args}`,
    env: { ...b.fleet.env, POOL_STATE: join(state, "pool.json") },
    control: join(state, "cm"),
  };
}

function peerRun(b: Bench, warm: boolean, line: (config: string) => string): Run {
  return {
    line: line(warm ? b.muxConfig : b.fleet.sshConfig),
    env: b.fleet.env,
    control: join(b.dir, "peer-cm"),
  };
}

interface Tool {
  name: string;
  /** The peer program it runs, when it is not pool or plain ssh: measured only where installed. */
  needs?: string;
  run(b: Bench, hosts: string[], command: string, warm: boolean): Run | Promise<Run>;
}

/** Each told to run on all N hosts at once, as pdsh -f N does. */
const FANOUT: Tool[] = [
  {
    name: "bare ssh &",
    run: (b, hosts, command, warm) =>
      peerRun(
        b,
        warm,
        (cfg) =>
          `for h in ${hosts.join(" ")}; do ssh -F ${cfg} -o BatchMode=yes "$h" ${
            q(command)
          } & done; wait`,
      ),
  },
  {
    name: "deno ssh &",
    run: (b, hosts, command, warm) =>
      peerRun(
        b,
        warm,
        (cfg) =>
          [
            Deno.execPath(),
            "run",
            "--allow-all",
            "--no-config",
            DENO_FANOUT,
            cfg,
            command,
            ...hosts,
          ]
            .map(q).join(" "),
      ),
  },
  {
    name: "pdsh",
    needs: "pdsh",
    run: (b, hosts, command, warm) =>
      peerRun(
        b,
        warm,
        (cfg) =>
          `PDSH_RCMD_TYPE=ssh PDSH_SSH_ARGS=${q(`-F ${cfg} -o BatchMode=yes -x %h`)} ` +
          `pdsh -f ${hosts.length} -w ${hosts.join(",")} ${q(command)}`,
      ),
  },
  {
    name: "parallel-ssh",
    needs: "parallel-ssh",
    run: (b, hosts, command, warm) =>
      peerRun(
        b,
        warm,
        (cfg) =>
          `parallel-ssh -p ${hosts.length} -t 0 -x ${q(`-F ${cfg}`)} -H ${q(hosts.join(" "))} ${
            q(command)
          }`,
      ),
  },
  {
    name: "clush",
    needs: "clush",
    run: (b, hosts, command, warm) =>
      peerRun(
        b,
        warm,
        (cfg) =>
          `clush -f ${hosts.length} -o ${q(`-F ${cfg}`)} -w ${hosts.join(",")} ${q(command)}`,
      ),
  },
  {
    name: "ansible",
    needs: "ansible",
    run: (b, hosts, command, warm) =>
      peerRun(
        b,
        warm,
        (cfg) =>
          `ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_SSH_ARGS=${q(`-F ${cfg}`)} ` +
          `ansible all -i ${q(hosts.join(",") + ",")} -u root -f ${hosts.length} -m raw -a ${
            q(command)
          }`,
      ),
  },
  {
    name: "pool",
    run: (b, hosts, command) => poolRun(b, hosts, `on all --jobs ${hosts.length} ${q(command)}`),
  },
];

const tool = (name: string) => FANOUT.find((t) => t.name === name)!;

function usable(b: Bench, tools: Tool[]): Tool[] {
  return tools.filter((t) => !t.needs || b.peers.has(t.needs));
}

interface Result {
  tool: string;
  wall: Spread;
  cpu: Spread;
  samples: Sample[];
}

/**
 * RUNS rounds over `tools` on `hosts`; warm: one unmeasured round first to
 * open the masters; cold: no master left from anyone before each run.
 */
async function rounds(b: Bench, tools: Tool[], hosts: string[], command: string, warm: boolean) {
  const samples = new Map<string, Sample[]>(tools.map((t) => [t.name, []]));
  if (warm) {
    for (const t of tools) await measure(await t.run(b, hosts, command, true), b.fleet.dir);
  }
  for (let i = 0; i < RUNS; i++) {
    for (const t of tools) {
      if (!warm) await killMasters(b.fleet.dir);
      samples.get(t.name)!.push(await measure(await t.run(b, hosts, command, warm), b.fleet.dir));
    }
  }
  await killMasters(b.fleet.dir);
  return tools.map((t): Result => {
    const s = samples.get(t.name)!;
    return {
      tool: t.name,
      wall: spread(s.map((x) => x.wallMs)),
      cpu: spread(s.map((x) => x.cpuMs)),
      samples: s,
    };
  });
}

interface Cell {
  n: number;
  cmd: string;
  mode: "cold" | "warm";
  results: Result[];
}

async function fanOut(b: Bench): Promise<Cell[]> {
  const tools = usable(b, FANOUT);
  const cells: Cell[] = [];
  for (const n of SIZES) {
    const hosts = b.fleet.hosts.slice(0, n).map((h) => h.name);
    for (const [cmd, command] of COMMANDS) {
      for (const mode of ["cold", "warm"] as const) {
        progress(`fan-out N=${n} ${cmd} ${mode}`);
        cells.push({
          n,
          cmd,
          mode,
          results: await rounds(b, tools, hosts, command, mode === "warm"),
        });
      }
    }
  }
  return cells;
}

interface Startup {
  name: string;
  ms: Spread;
}

/** Start-up of what needs no ssh: hyperfine -N when installed, else a plain loop. */
async function startUp(b: Bench): Promise<{ how: string; rows: Startup[] }> {
  const empty = join(b.dir, "empty.js");
  await Deno.writeTextFile(empty, "");
  const state = await poolState(b, b.fleet.hosts.slice(0, LIST_HOSTS).map((h) => h.name));
  const env = childEnv({ ...b.fleet.env, POOL_STATE: join(state, "pool.json") });
  const commands: [string, string[]][] = [
    ["deno run empty file (floor)", [Deno.execPath(), "run", "--allow-all", "--no-config", empty]],
    ["pool --version", [...form.argv, "--version"]],
    ["pool hosts", [...form.argv, "hosts"]],
    ["pool list --fast", [...form.argv, "list", "--fast"]],
    ["pool status --help", [...form.argv, "status", "--help"]],
  ];
  progress("start-up");
  if (which("hyperfine")) {
    const json = join(b.dir, "startup.json");
    const out = await new Deno.Command("hyperfine", {
      args: [
        "-N",
        "--style",
        "none",
        "--warmup",
        "3",
        "--runs",
        String(STARTUP_RUNS),
        "--export-json",
        json,
        ...commands.flatMap(([name, argv]) => ["-n", name, argv.map(q).join(" ")]),
      ],
      env,
      clearEnv: true,
      stdout: "null",
    }).output();
    if (!out.success) throw new Error("hyperfine failed");
    const results: { times: number[] }[] = JSON.parse(await Deno.readTextFile(json)).results;
    return {
      how: `hyperfine -N, ${STARTUP_RUNS} runs after 3 warm-ups`,
      rows: commands.map(([name], i) => ({
        name,
        ms: spread(results[i].times.map((s) => s * 1000)),
      })),
    };
  }
  const rows: Startup[] = [];
  for (const [name, [cmd, ...args]] of commands) {
    const times: number[] = [];
    for (let i = 0; i < STARTUP_RUNS + 3; i++) {
      const t = performance.now();
      await new Deno.Command(cmd, { args, env, clearEnv: true, stdout: "null" }).output();
      if (i >= 3) times.push(performance.now() - t);
    }
    rows.push({ name, ms: spread(times) });
  }
  return { how: `a plain loop (no hyperfine), ${STARTUP_RUNS} runs after 3 warm-ups`, rows };
}

/** `seq 1 500000` on 2 warm hosts: 1,000,000 lines through each tool into a pipe. */
async function throughput(b: Bench): Promise<Result[]> {
  const hosts = b.fleet.hosts.slice(0, 2).map((h) => h.name);
  const tools: Tool[] = [
    { name: "pool", run: (b, hosts, c) => poolRun(b, hosts, `on all ${q(c)}`) },
    {
      name: "pool --json",
      run: (b, hosts, c) => poolRun(b, hosts, `on all --json ${q(c)}`),
    },
    tool("pdsh"),
    {
      // -P prints lines as they come (-i would hold each host's output to the end).
      name: "parallel-ssh -P",
      needs: "parallel-ssh",
      run: (b, hosts, c, warm) =>
        peerRun(
          b,
          warm,
          (cfg) =>
            `parallel-ssh -P -p ${hosts.length} -t 0 -x ${q(`-F ${cfg}`)} -H ${
              q(hosts.join(" "))
            } ${q(c)}`,
        ),
    },
    tool("bare ssh &"),
  ];
  progress("throughput");
  return await rounds(b, usable(b, tools), hosts, SEQ, true);
}

/** `pool list` (live probe) over 32 warm hosts, and the same probe payload through pdsh. */
async function listWarm(b: Bench): Promise<Result[]> {
  const hosts = b.fleet.hosts.slice(0, LIST_HOSTS).map((h) => h.name);
  const probe = await Deno.readTextFile(join(ROOT, "probes", "host.sh"));
  const tools: Tool[] = [
    { name: "pool list", run: (b, hosts) => poolRun(b, hosts, "list") },
    { ...tool("pdsh"), name: "pdsh, same probe" },
  ];
  progress(`pool list, ${LIST_HOSTS} warm hosts`);
  return await rounds(b, usable(b, tools), hosts, probe, true);
}

/** One warm host, the call an agent makes many times a minute: pool against ssh and the Deno floor. */
async function oneHost(b: Bench): Promise<Result[]> {
  const tools: Tool[] = [
    tool("bare ssh &"),
    tool("deno ssh &"),
    { name: "pool on", run: (b, hosts, c) => poolRun(b, hosts, `on ${hosts[0]} ${q(c)}`) },
  ];
  progress("one host");
  return await rounds(b, tools, [b.fleet.hosts[0].name], "true", true);
}

// ---- printing ----

/** Every sample as a row of whole numbers (ms, counts, bytes), named once: the JSON stays short. */
const SAMPLE_FIELDS = [
  "wallMs",
  "cpuMs",
  "clientMs",
  "sshdMs",
  "mastersMs",
  "newMasters",
  "rc",
  "bytes",
] as const;

function compact(r: Result) {
  const whole = (x: Spread) => ({
    median: Math.round(x.median),
    min: Math.round(x.min),
    max: Math.round(x.max),
  });
  return {
    tool: r.tool,
    wall: whole(r.wall),
    cpu: whole(r.cpu),
    samples: r.samples.map((s) => SAMPLE_FIELDS.map((f) => Math.round(s[f]))),
  };
}

const s2 = (ms: number) => (ms / 1000).toFixed(2);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");
/** A run exited non-zero, or passed on fewer bytes than the hosts printed: marked `!`. */
const bad = (r: Result, bytes = 0) => r.samples.some((s) => s.rc !== 0 || s.bytes < bytes);

/** `wall [min–max] (cpu)` in seconds; `!` when a run failed (its figures still count). */
function cell(r: Result | undefined): string {
  if (!r) return "-";
  const failed = bad(r) ? "!" : "";
  return `${s2(r.wall.median)} [${s2(r.wall.min)}–${s2(r.wall.max)}] (${
    s2(r.cpu.median)
  })${failed}`;
}

/** The result of `tool` among `results`, if it was measured. */
function resultOf(results: Result[], tool: string): Result | undefined {
  return results.find((r) => r.tool === tool);
}

/** Median CPU ms of the client tree / the sshd side / the ssh masters. */
function split(r: Result | undefined): string {
  if (!r) return "-";
  const ms = (f: "clientMs" | "sshdMs" | "mastersMs") =>
    spread(r.samples.map((s) => s[f])).median.toFixed(0);
  return `${ms("clientMs")} / ${ms("sshdMs")} / ${ms("mastersMs")}`;
}

/**
 * pool ÷ pdsh CPU without the sshd side: client tree + masters, the measure
 * issue #17's own table used. The verdicts count the sshd side too (the test
 * hosts share this machine's cores, so their work is in the wall time); this
 * shows how much of pool's CPU is on the hosts: its remote supervisor.
 */
function clientRatio(pool: Result | undefined, pdsh: Result | undefined): string {
  if (!pool || !pdsh) return "-";
  const ms = (r: Result) => spread(r.samples.map((s) => s.clientMs + s.mastersMs)).median;
  return ratio(ms(pool), ms(pdsh));
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

interface Verdict {
  target: string;
  value: number;
  limit: number;
  met: boolean;
  line: string;
}

/**
 * Judged on the figure as printed (ratios to 2 decimals, ms to 1), so that no
 * line reads "1.00 > 1.0" and none "50 ms ≤ 50 ms" for 50.2.
 */
function verdict(target: string, what: string, value: number, limit: number, unit = ""): Verdict {
  const v = unit === " ms" ? value.toFixed(1) : value.toFixed(2);
  const met = Number(v) <= limit;
  const l = unit === " ms" ? String(limit) : limit.toFixed(1);
  return {
    target,
    value,
    limit,
    met,
    line: `${target}: ${what} ${v}${unit} ${met ? "≤" : ">"} ${l}${unit} ${met ? "met" : "MISSED"}`,
  };
}

function versus(target: string, pool?: Result, pdsh?: Result): Verdict[] {
  if (!pool || !pdsh) return [];
  return [
    verdict(target, "pool/pdsh wall", pool.wall.median / pdsh.wall.median, 1.0),
    verdict(target, "pool/pdsh CPU", pool.cpu.median / pdsh.cpu.median, 1.0),
  ];
}

async function main() {
  const began = performance.now();
  const wanted = ["pdsh", "parallel-ssh", "clush", ...(ANSIBLE ? ["ansible"] : [])];
  const peers = new Set(wanted.filter(which));
  const missing = wanted.filter((p) => !peers.has(p));
  const sshVersion = new TextDecoder().decode(
    (await new Deno.Command("ssh", { args: ["-V"], stderr: "piped" }).output()).stderr,
  ).trim();
  const header = {
    date: new Date().toISOString(),
    pool: form.name,
    deno: Deno.version.deno,
    ssh: sshVersion,
    cores: navigator.hardwareConcurrency,
    sizes: SIZES,
    runs: RUNS,
  };
  console.log(`# pool bench (issue #17), ${header.date}`);
  console.log(`pool measured as: ${form.name}`);
  console.log(`deno ${header.deno}, ${sshVersion}, ${header.cores} cores, loopback sshd hosts`);
  console.log(
    `BENCH_SIZES=${SIZES.join(",")} BENCH_RUNS=${RUNS}${ANSIBLE ? " BENCH_ANSIBLE=1" : ""}`,
  );
  if (missing.length) console.log(`not installed, not measured: ${missing.join(", ")}`);

  const fleet = await startFleet(Math.max(...SIZES, LIST_HOSTS));
  let data;
  try {
    const dir = join(fleet.dir, "bench");
    await Deno.mkdir(dir);
    const muxConfig = join(dir, "ssh_config_mux");
    await Deno.writeTextFile(
      muxConfig,
      `Host *\n  ControlMaster auto\n  ControlPath ${dir}/peer-cm/%C\n  ControlPersist 60\n` +
        await Deno.readTextFile(fleet.sshConfig),
    );
    await Deno.mkdir(join(dir, "peer-cm"), { mode: 0o700 });
    const b: Bench = { fleet, dir, muxConfig, peers };
    data = {
      fanout: await fanOut(b),
      startup: await startUp(b),
      throughput: await throughput(b),
      list: await listWarm(b),
      one: await oneHost(b),
    };
  } finally {
    await fleet.stop();
  }

  // (a) fan-out
  const columns = FANOUT.filter((t) => !t.needs || peers.has(t.needs)).map((t) => t.name);
  console.log(
    `\n## Fan-out: wall s [min–max] (CPU s), median of ${RUNS}; CPU = client tree + sshd side + ssh masters` +
      `\ncold: no masters (pool keeps its state dir, as ~/.pool stays; its new masters count whole); ` +
      `warm: every tool on open ControlMasters (pool on its own), primed once`,
  );
  const verdicts: Verdict[] = [];
  console.log(table(
    ["N", "cmd", "mode", ...columns, "pool ÷ pdsh wall / CPU"],
    data.fanout.map((c) => {
      const by = (t: string) => resultOf(c.results, t);
      const pool = by("pool"), pdsh = by("pdsh");
      verdicts.push(...versus(`${c.mode} ${c.cmd} N=${c.n}`, pool, pdsh));
      return [
        String(c.n),
        c.cmd,
        c.mode,
        ...columns.map((t) => cell(by(t))),
        pool && pdsh
          ? `${ratio(pool.wall.median, pdsh.wall.median)} / ${
            ratio(pool.cpu.median, pdsh.cpu.median)
          }`
          : "-",
      ];
    }),
  ));
  // What pool's own ssh masters cost, shown apart: they outlive pool, so a client-tree count misses them.
  for (const mode of ["cold", "warm"]) {
    const runs = data.fanout.filter((c) => c.mode === mode)
      .flatMap((c) => resultOf(c.results, "pool")?.samples ?? []);
    const ms = spread(runs.map((s) => s.mastersMs));
    const made = spread(runs.map((s) => s.newMasters));
    console.log(
      `pool's masters, ${mode} runs (in pool's CPU above): ${ms.median.toFixed(0)} ms ` +
        `[${ms.min.toFixed(0)}–${ms.max.toFixed(0)}] per run, ${made.min}–${made.max} new per run`,
    );
  }

  // Where pool's time goes: Deno's own floor for the same fan-out, and what pool adds to it.
  console.log(
    `\n## Where pool's time goes: "deno ssh &" is the least a Deno program does for the same ` +
      `fan-out (bench/deno_fanout.js); CPU ms split client tree / sshd side / masters, medians`,
  );
  console.log(table(
    [
      "N",
      "cmd",
      "mode",
      "deno ssh & ÷ pdsh wall",
      "pool ÷ deno ssh & wall",
      "pool ÷ pdsh CPU, no sshd side",
      "pdsh",
      "deno ssh &",
      "pool",
    ],
    data.fanout.map((c) => {
      const by = (t: string) => resultOf(c.results, t);
      const [pool, pdsh, floor] = [by("pool"), by("pdsh"), by("deno ssh &")];
      return [
        String(c.n),
        c.cmd,
        c.mode,
        floor && pdsh ? ratio(floor.wall.median, pdsh.wall.median) : "-",
        pool && floor ? ratio(pool.wall.median, floor.wall.median) : "-",
        clientRatio(pool, pdsh),
        ...[pdsh, floor, pool].map(split),
      ];
    }),
  ));

  // (b) start-up
  const floor = data.startup.rows[0].ms.median;
  console.log(`\n## Start-up, ms (${data.startup.how}); − floor = median minus the empty file's`);
  console.log(table(
    ["command", "median", "min–max", "− floor"],
    data.startup.rows.map((r) => [
      r.name,
      r.ms.median.toFixed(0),
      `${r.ms.min.toFixed(0)}–${r.ms.max.toFixed(0)}`,
      (r.ms.median - floor).toFixed(0),
    ]),
  ));
  for (const r of data.startup.rows.slice(1)) {
    verdicts.push(
      verdict(
        `start-up ${r.name}`,
        "median",
        r.ms.median,
        r.name === "pool --version" ? 50 : 80,
        " ms",
      ),
    );
  }

  // (c) throughput
  const tp = data.throughput;
  const tpPdsh = resultOf(tp, "pdsh");
  console.log(
    `\n## Throughput: \`${SEQ}\` on 2 warm hosts = 1,000,000 lines into a pipe; s [min–max], median of ${RUNS}`,
  );
  console.log(table(
    ["tool", "wall s", "CPU s", "÷ pdsh wall / CPU", "bytes out"],
    tp.map((r) => [
      r.tool + (bad(r, SEQ_BYTES) ? " !" : ""),
      `${s2(r.wall.median)} [${s2(r.wall.min)}–${s2(r.wall.max)}]`,
      `${s2(r.cpu.median)} [${s2(r.cpu.min)}–${s2(r.cpu.max)}]`,
      tpPdsh
        ? `${ratio(r.wall.median, tpPdsh.wall.median)} / ${ratio(r.cpu.median, tpPdsh.cpu.median)}`
        : "-",
      String(r.samples[0].bytes),
    ]),
  ));
  verdicts.push(...versus("throughput 1,000,000 lines", resultOf(tp, "pool"), tpPdsh));

  // (d) pool list
  console.log(
    `\n## pool list over ${LIST_HOSTS} warm hosts: wall s [min–max] (CPU s), median of ${RUNS}`,
  );
  console.log(table(["tool", "wall [min–max] (CPU)"], data.list.map((r) => [r.tool, cell(r)])));
  verdicts.push(
    verdict(
      `pool list ${LIST_HOSTS} warm hosts`,
      "wall",
      data.list[0].wall.median / 1000,
      1.0,
      " s",
    ),
  );

  // (e) one host
  const ssh = resultOf(data.one, "bare ssh &");
  console.log(
    `\n## One warm host (\`true\`), as agents mostly call pool: wall ms [min–max], median of ` +
      `${RUNS}; no target, shown so the cost of one call is tracked (CPU is counted in 10 ms ` +
      `ticks, too coarse for one call, so it is left out)`,
  );
  console.log(table(
    ["tool", "wall ms", "÷ bare ssh wall"],
    data.one.map((r) => [
      r.tool + (bad(r) ? " !" : ""),
      `${r.wall.median.toFixed(0)} [${r.wall.min.toFixed(0)}–${r.wall.max.toFixed(0)}]`,
      ssh ? ratio(r.wall.median, ssh.wall.median) : "-",
    ]),
  ));

  const failed = [
    ...[...data.fanout.flatMap((c) => c.results), ...data.list, ...data.one].filter((r) => bad(r)),
    ...tp.filter((r) => bad(r, SEQ_BYTES)),
  ];
  if (failed.length) {
    const tools = [...new Set(failed.map((r) => r.tool))].join(", ");
    console.log(
      `\n! a run exited non-zero or lost output, for: ${tools} (its figures still count)`,
    );
  }

  console.log(`\n## Targets (${verdicts.filter((v) => v.met).length} of ${verdicts.length} met)`);
  for (const v of verdicts) console.log(v.line);
  const elapsedS = Math.round((performance.now() - began) / 1000);
  console.log(
    `\nbench took ${Math.floor(elapsedS / 60)}m${String(elapsedS % 60).padStart(2, "0")}s`,
  );
  console.log(
    // Two decimals are plenty for ms and ratios, and keep the line readable.
    JSON.stringify(
      {
        bench: "pool#17",
        ...header,
        elapsed_s: elapsedS,
        sample_fields: SAMPLE_FIELDS,
        fanout: data.fanout.map((c) => ({ ...c, results: c.results.map(compact) })),
        startup: data.startup,
        throughput: data.throughput.map(compact),
        list: data.list.map(compact),
        one: data.one.map(compact),
        verdicts,
      },
      (_key, v) => typeof v === "number" ? Math.round(v * 100) / 100 : v,
    ),
  );
}

await main();
