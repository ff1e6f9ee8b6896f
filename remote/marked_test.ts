/**
 * _proc.sh's marked: which processes carry a job's marker (POOL_JOB=<id>, launch.sh), so that
 * what left the job's group still counts as the job's, for its lease, `wait` and `kill`.
 */

import { assertEquals } from "../tests/assert.ts";
import proc from "./_proc.sh" with { type: "text" };
import { fedScript, markerBase } from "../tests/procs.ts";

/** The pids `marked ids…` names, as kill.sh and pids.sh read its lines. */
async function markedPids(ids: string[]): Promise<number[]> {
  const run = await fedScript(["sh", "-s", ...ids], `${proc}\nmarked "$@"\n`, {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  });
  assertEquals(run.code, 0, run.stderr);
  return run.stdout.trim().split("\n").filter(Boolean).map((l) => Number(l.split(" ")[0]))
    .sort((a, b) => a - b);
}

Deno.test({
  name: "marked counts only this user's processes: root's marker in another user's process is none",
  // Only root can read another user's environment; for any other user the kernel keeps it out.
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
  async fn() {
    const n = markerBase();
    const sleep = (args: string[], id: string) =>
      new Deno.Command(args[0], {
        args: args.slice(1),
        env: { POOL_JOB: id },
        stdout: "null",
        stderr: "null",
      }).spawn();
    // Root's job j1 left one process; another user (nobody) copied j1's marker into their own.
    const own = sleep(["sleep", `${n}`], "j1");
    const foreign = sleep(
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", `${n + 1}`],
      "j1",
    );
    try {
      // setpriv execs sleep: once its environment reads as sleep's, the uid is set.
      for (let i = 0; i < 100; i++) {
        const cmd = await Deno.readTextFile(`/proc/${foreign.pid}/cmdline`).catch(() => "");
        if (cmd.startsWith("sleep")) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assertEquals(await markedPids(["j1"]), [own.pid]);
    } finally {
      for (const child of [own, foreign]) {
        child.kill("SIGKILL");
        await child.status;
      }
    }
  },
});

Deno.test({
  name: "marked finds a job's processes where grep reads no NUL-ended lines (BusyBox without -z)",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const n = markerBase();
    const bin = await Deno.makeTempDir({ prefix: "pool-grep-" });
    // A grep that refuses -z, as BusyBox built without EXTRA_COMPAT does: found nothing, said nothing.
    await Deno.writeTextFile(
      `${bin}/grep`,
      `#!/bin/sh\ncase "$1" in -*z*) echo "grep: invalid option -- 'z'" >&2; exit 2 ;; esac\n` +
        `exec /bin/grep "$@"\n`,
      { mode: 0o755 },
    );
    const mine = new Deno.Command("sleep", { args: [`${n}`], env: { POOL_JOB: "j1" } }).spawn();
    const other = new Deno.Command("sleep", { args: [`${n + 1}`], env: { POOL_JOB: "j12" } })
      .spawn();
    try {
      const run = await fedScript(["sh", "-s", "j1"], `${proc}\nmarked "$@"\n`, {
        PATH: `${bin}:/usr/bin:/bin`,
      });
      assertEquals(run.code, 0, run.stderr);
      const pids = run.stdout.trim().split("\n").filter(Boolean).map((l) =>
        Number(l.split(" ")[0])
      );
      assertEquals(pids, [mine.pid]);
    } finally {
      for (const child of [mine, other]) {
        child.kill("SIGKILL");
        await child.status;
      }
      await Deno.remove(bin, { recursive: true });
    }
  },
});
