/**
 * What one benchmark run costs, read from /proc (Linux): wall time, and the
 * CPU of everything the run set going, in three parts that never overlap:
 *
 * - client: the shell's reaped children, i.e. the tool and every process it
 *   (or they, recursively) waited for;
 * - sshd: the test hosts' listeners with their reaped children and their live
 *   descendants (a master's session stays open, so it is not reaped yet);
 * - masters: ssh ControlMasters, which rename themselves `ssh: <socket> [mux]`,
 *   whose socket lies under the tool's control directory. A master forks away
 *   from the ssh that started it and outlives the tool, so nobody reaps it
 *   into the client's time: one that appears during the run counts whole, one
 *   that was there before counts what it used meanwhile.
 */

import { join } from "node:path";
import { childEnv } from "../tests/helpers.ts";
import { BUNDLE_RUN_FLAGS } from "../scripts/build.ts";
import { killMuxMasters } from "../tests/hosts/harness.ts";

/** USER_HZ: /proc/<pid>/stat counts in 1/100 s on Linux (getconf CLK_TCK). */
const TICK_MS = 10;

/**
 * How pool is run: its fast form, the bundle `deno task build` writes, when
 * there is one; else the source, as `deno task pool` runs it.
 */
export function poolForm(root: string): { name: string; argv: string[] } {
  const bundle = join(root, "dist", "bundle", "pool.js");
  try {
    Deno.statSync(bundle);
    return {
      name: `bundle (deno run ${BUNDLE_RUN_FLAGS.join(" ")} dist/bundle/pool.js)`,
      argv: [Deno.execPath(), "run", ...BUNDLE_RUN_FLAGS, bundle],
    };
  } catch {
    return {
      name: "source (deno run --allow-all --quiet pool.ts; no dist/bundle/pool.js)",
      argv: [Deno.execPath(), "run", "--allow-all", "--quiet", join(root, "pool.ts")],
    };
  }
}

interface Proc {
  ppid: number;
  cmdline: string;
  /** CPU ms: its own and its reaped children's. */
  ms: number;
}

async function snapshot(): Promise<Map<number, Proc>> {
  const all = new Map<number, Proc>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
      const stat = parseStat(await Deno.readTextFile(`/proc/${e.name}/stat`));
      // stat's own utime+stime is cut to whole ticks per process: 64 masters would lose up to
      // 0.6 s. schedstat's first field is the exact runtime in ns (of the main thread: the
      // processes counted live, ssh and sshd, have no other).
      const exact = await Deno.readTextFile(`/proc/${e.name}/schedstat`).catch(() => null);
      const own = exact ? Number(exact.split(" ")[0]) / 1e6 : stat.ownTicks * TICK_MS;
      all.set(Number(e.name), { cmdline, ppid: stat.ppid, ms: own + stat.childTicks * TICK_MS });
    } catch { /* exited meanwhile */ }
  }
  return all;
}

/** From a /proc/<pid>/stat line (fields after the command name, which may hold spaces). */
function parseStat(stat: string): { ppid: number; ownTicks: number; childTicks: number } {
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return { ppid: f[1], ownTicks: f[11] + f[12], childTicks: f[13] + f[14] };
}

/** CPU ms of the fleet's sshd listeners and all their live descendants. */
function sshdMs(procs: Map<number, Proc>, fleetDir: string): number {
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let ms = 0;
  const walk = (pid: number) => {
    ms += procs.get(pid)!.ms;
    for (const c of children.get(pid) ?? []) walk(c);
  };
  for (const [pid, p] of procs) {
    if (
      p.cmdline.startsWith("sshd:") && p.cmdline.includes(fleetDir) &&
      p.cmdline.includes("[listener]")
    ) {
      walk(pid);
    }
  }
  return ms;
}

/** CPU ms per live master whose socket is under `control`. */
function mastersMs(procs: Map<number, Proc>, control: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const [pid, p] of procs) {
    if (p.cmdline.startsWith(`ssh: ${control}`) && p.cmdline.includes("[mux]")) {
      found.set(pid, p.ms);
    }
  }
  return found;
}

/** One shell line to measure. */
export interface Run {
  line: string;
  env: Record<string, string>;
  /** Where this tool's ControlMaster sockets live (a path prefix). */
  control: string;
}

export interface Sample {
  wallMs: number;
  cpuMs: number;
  clientMs: number;
  sshdMs: number;
  mastersMs: number;
  /** How many masters of the tool's appeared during the run. */
  newMasters: number;
  /** The line's exit status (pipefail: the tool's, not wc's). */
  rc: number;
  /** Bytes the tool wrote to stdout (through a pipe, as a user's `| less` would read it). */
  bytes: number;
}

export async function measure(run: Run, fleetDir: string): Promise<Sample> {
  const before = await snapshot();
  const started = performance.now();
  // bash for pipefail; `$$` is this bash, whose cutime/cstime then hold the whole client tree.
  const script = `set -o pipefail\n{ ${run.line}\n} 2>/dev/null | wc -c\n` +
    `rc=$?; read -r stat </proc/$$/stat; echo "$rc $stat"`;
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    env: childEnv(run.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
  }).output();
  const wallMs = performance.now() - started;
  const after = await snapshot();
  const [bytes, last] = new TextDecoder().decode(out.stdout).trim().split("\n");
  const rc = Number(last.slice(0, last.indexOf(" ")));
  const clientMs = parseStat(last.slice(last.indexOf(" ") + 1)).childTicks * TICK_MS;
  const sshd = sshdMs(after, fleetDir) - sshdMs(before, fleetDir);
  const was = mastersMs(before, run.control);
  let masters = 0;
  let newMasters = 0;
  for (const [pid, ms] of mastersMs(after, run.control)) {
    if (!was.has(pid)) newMasters++;
    masters += ms - (was.get(pid) ?? 0);
  }
  return {
    wallMs,
    cpuMs: clientMs + sshd + masters,
    clientMs,
    sshdMs: sshd,
    mastersMs: masters,
    newMasters,
    rc,
    bytes: Number(bytes),
  };
}

/** Ends every master under `dir` and waits (up to 5 s) until they are gone: none may leak into a cold run. */
export async function killMasters(dir: string): Promise<void> {
  await killMuxMasters(dir);
  for (let i = 0; i < 50; i++) {
    const left = [...(await snapshot()).values()].some((p) =>
      p.cmdline.startsWith("ssh: ") && p.cmdline.includes(dir) && p.cmdline.includes("[mux]")
    );
    if (!left) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return {
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    min: s[0],
    max: s[s.length - 1],
  };
}
