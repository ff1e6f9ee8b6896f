/**
 * What runs on this machine, for tests that check remote work really ended:
 * the loopback test hosts share this kernel, so "on the host" is /proc here.
 */

/**
 * Live (not zombie) processes whose command line contains `marker` (or, with
 * `atStart`, begins with it: the command itself, not a shell that carries its text).
 */
export async function processesWith(marker: string, atStart = false): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll(
        "\0",
        " ",
      );
      const state = (await Deno.readTextFile(`/proc/${entry.name}/stat`)).split(") ")[1]?.[0];
      const hit = atStart ? cmdline.startsWith(marker) : cmdline.includes(marker);
      if (hit && state !== "Z") {
        found.push(`${entry.name} ${cmdline}`);
      }
    } catch { /* exited meanwhile */ }
  }
  return found;
}

/** Polls `check` until it holds or `ms` pass; returns whether it held. Bounds a wait, never a speed. */
export async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits (bounded, never timed) until `check` holds; throws naming `what` when it never does. */
export async function until(what: string, check: () => Promise<boolean>, ms = 30_000) {
  if (!(await eventually(check, ms))) throw new Error(`never saw ${what}`);
}

/** Waits (up to `ms`) until `count` processes whose command line starts with `command` run. */
export async function running(command: string, count = 1, ms = 20_000): Promise<void> {
  if (!(await eventually(async () => (await processesWith(command, true)).length >= count, ms))) {
    throw new Error(`never saw ${count} process(es) running ${command}`);
  }
}

/** Remote work must be gone within 5 s of pool's word (checked with a few seconds' slack). */
export async function assertGone(marker: string, what: string): Promise<void> {
  if (!(await eventually(async () => (await processesWith(marker)).length === 0, 8_000))) {
    const left = (await processesWith(marker)).map((p) => p.slice(0, 100));
    throw new Error(`${what}: still running: ${left.join("; ")}`);
  }
}

/**
 * A first number for a test's `sleep N` markers, drawn at random so that two test runs on one
 * machine never find each other's sleeps (every marker at least 20000 s, under two days).
 */
export function markerBase(): number {
  return 20_000 + 100 * Math.floor(Math.random() * 1500);
}

/**
 * Runs `argv` with `script` on its stdin, as pool sends a payload (`sh -s`), in `env` alone:
 * its code and what it wrote.
 */
export async function fedScript(
  argv: string[],
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(script));
  await w.close();
  const out = await child.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** A process's start time as remote/_proc.sh's start_of reads it: field 22 of a /proc/PID/stat line. */
export function startIn(stat: string): string {
  return stat.slice(stat.lastIndexOf(") ") + 2).split(" ")[19];
}

/** The start time of process `pid` here (Linux), as start_of reads it. */
export async function startOf(pid: number): Promise<string> {
  return startIn(await Deno.readTextFile(`/proc/${pid}/stat`));
}
