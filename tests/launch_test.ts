/**
 * A `pool bg` job's record when the host's disk gets in the way (read-only, full, a file it
 * may not write), and `pool kill` with a record that names no job's process: against real sshd
 * test hosts, whose mount namespace of their own lets a test make their ~/.pool/jobs read-only
 * or full for them alone. kill.sh itself, where it would signal what is not a job's, runs here
 * with `kill` a shell function that only writes down what it was asked.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool } from "./helpers.ts";
import {
  assertGone,
  eventually,
  fedScript,
  markerBase,
  processesWith,
  startOf,
  until,
} from "./procs.ts";
import type { Fleet } from "./hosts/harness.ts";
import { remoteScript } from "../remote/scripts.ts";
import { launchPayload } from "../remote/detach.ts";

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

/** Starts `pool bg` and returns the job's id. */
async function bg(fleet: Fleet, args: string[]): Promise<string> {
  const r = await pool(fleet, ["bg", "--json", ...args]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).id;
}

/** The jobs `host` has records of, as `pool jobs` sees them. */
async function jobsOn(fleet: Fleet, host: string) {
  const r = await pool(fleet, ["jobs", host, "--all", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout).jobs as { id: string; state: string; exit: number | null }[]);
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

fleetTest(
  "a launch that fails on the host leaves nothing there: no record that reads as lost",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "h1");
    // A folder with room for 1, 2, then 3 files (its own inode counts): launch.sh makes four
    // (the command, the record, the log, the fifo it hears the job's start through), so each
    // launch fails at another of them.
    for (const inodes of [2, 3, 4]) {
      await onHost(
        fleet,
        "h1",
        `mkdir -p ~/.pool/jobs && mount -t tmpfs -o nr_inodes=${inodes} tmpfs ~/.pool/jobs`,
      );
      const r = await pool(fleet, ["bg", "h1", "sleep 1"]);
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, /^pool: could not start the job on h1: .*No space left on device\n/);
      assertEquals(await onHost(fleet, "h1", "ls -A ~/.pool/jobs"), "", `${inodes} inodes`);
      assertEquals(await jobsOn(fleet, "h1"), [], `${inodes} inodes`);
      await onHost(fleet, "h1", "umount ~/.pool/jobs");
    }
    // With room, the same launch runs.
    const id = await bg(fleet, ["h1", "exit 3"]);
    assertEquals((await pool(fleet, ["wait", id])).code, 3);
  },
);

fleetTest(
  "a job whose record cannot be appended to at its end still has its exit, written anew",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "plain", "plain@h1");
    // The job takes write permission off its own record (once the launch is through with it):
    // the waiter's append fails; the folder still takes a new record in its place.
    const id = await bg(fleet, [
      "plain",
      "until grep -q '^waiter ' ~/.pool/jobs/*.job; do sleep 0.1; done; " +
      "chmod a-w ~/.pool/jobs/*.job; exit 3",
    ]);
    const waited = await pool(fleet, ["wait", id]);
    assertEquals(waited.code, 3, waited.stdout + waited.stderr);
    assertEquals((await jobsOn(fleet, "plain")).map((j) => [j.id, j.state, j.exit]), [
      [id, "exited", 3],
    ]);
    const log = await pool(fleet, ["logs", id]);
    assertMatch(
      log.stdout,
      new RegExp(
        `^pool: could not append the end \\(exit 3\\) to /root/users/plain/\\.pool/jobs/${id}\\.job: ` +
          `Permission denied; wrote the record anew with it\\n$`,
      ),
    );
    assertEquals(
      await onHost(fleet, "plain", "ls -A ~/.pool/jobs"),
      `${id}.cmd\n${id}.job\n${id}.log\n`,
    );
  },
  { users: true },
);

fleetTest(
  "a job whose end cannot be recorded at all says so in its log, and reads as lost",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "plain", "plain@h1");
    // Neither the record nor its folder can be written: the exit is nowhere but in the log.
    const id = await bg(fleet, [
      "plain",
      "until grep -q '^waiter ' ~/.pool/jobs/*.job; do sleep 0.1; done; " +
      "chmod a-w ~/.pool/jobs/*.job ~/.pool/jobs; exit 3",
    ]);
    const record = `/root/users/plain/.pool/jobs/${id}.job`;
    const said = new RegExp(
      `^pool: could not record exit 3 in ${record.replaceAll(".", "\\.")}: Permission denied\\n$`,
    );
    assert(
      await eventually(async () => said.test((await pool(fleet, ["logs", id])).stdout), 30_000),
      (await pool(fleet, ["logs", id])).stdout,
    );
    assertEquals((await pool(fleet, ["wait", id])).code, 1);
    assertEquals((await jobsOn(fleet, "plain")).map((j) => j.state), ["lost"]);
  },
  { users: true },
);

fleetTest(
  "kill of a job whose exit line is no exit code finds it lost, as jobs does",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "h1");
    const id = await bg(fleet, ["h1", "exit 3"]);
    assertEquals((await pool(fleet, ["wait", id])).code, 3);
    // Edited by hand (or cut short by a crash): an exit line the parser takes for none.
    await onHost(fleet, "h1", `sed -i 's/^exit .*/exit 99999/' ~/.pool/jobs/${id}.job`);
    assertEquals((await jobsOn(fleet, "h1")).map((j) => j.state), ["lost"]);
    const r = await pool(fleet, ["kill", id, "--json", "--grace", "0"]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(JSON.parse(r.stdout), {
      id,
      host: "h1",
      killed: false,
      state: "lost",
      exit: null,
      signal: null,
    });
    assertEquals(r.stderr, `pool: job ${id} on h1 was lost: its process is gone, no exit code\n`);
  },
);

fleetTest(
  "a job's command makes its files with the user's umask; the job's own files stay the user's alone",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "h1");
    // What the same lines make under `pool on` (a plain ssh session's umask, 0022 on these hosts).
    const make = (d: string) =>
      `umask; mkdir ~/${d} && touch ~/${d}/file && mkdir ~/${d}/dir && stat -c %a ~/${d}/file ~/${d}/dir`;
    const on = await onHost(fleet, "h1", make("on"));
    assert(!on.startsWith("0077"), `the host's own umask is pool's: ${on}`);
    const id = await bg(fleet, ["h1", make("bg")]);
    assertEquals((await pool(fleet, ["wait", id])).code, 0);
    assertEquals((await pool(fleet, ["logs", id])).stdout, on);
    const own = `stat -c %a ~/.pool/jobs/${id}.cmd ~/.pool/jobs/${id}.job ~/.pool/jobs/${id}.log`;
    assertEquals(await onHost(fleet, "h1", own), "600\n600\n600\n");
  },
);

fleetTest(
  "a job's command is in no process pool adds on the host, only in the command's own",
  1,
  async (_t, fleet) => {
    await writeRosterOf(fleet, "h1");
    // A token of this run's own: nothing else on this machine carries it (the hosts share its /proc).
    const secret = `SECRET${markerBase()}`;
    const marker = `sleep ${markerBase() + 3}`;
    const r = await pool(fleet, ["bg", "--json", "h1", `X=${secret} ${marker}`]);
    assertEquals(r.code, 0, r.stderr);
    const { id, pid } = JSON.parse(r.stdout);
    try {
      await until(marker, async () => (await processesWith(marker, true)).length > 0);
      // The launcher's waiter runs as long as the job; the command's own group may show its text,
      // as a plain `ssh host cmd` would.
      const group = async (p: string) =>
        Number(
          (await Deno.readTextFile(`/proc/${p}/stat`).catch(() => "")).split(") ")[1]
            ?.split(" ")[2],
        );
      const showing = [];
      for (const p of await processesWith(secret)) {
        if (await group(p.split(" ")[0]) !== pid) showing.push(p);
      }
      assertEquals(showing, []);
    } finally {
      await pool(fleet, ["kill", id, "--grace", "0"]);
    }
  },
);

Deno.test({
  name: "a job whose start cannot be recorded is ended, and its launch fails leaving nothing",
  // A disk of its own (tmpfs in a mount namespace) takes root.
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "pool-launch-" });
    const marker = `sleep ${markerBase() + 7}`;
    try {
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      const proc = await Deno.readTextFile(new URL("../remote/_proc.sh", import.meta.url));
      const machine = text(
        (await new Deno.Command("sh", { args: ["-c", `${proc}\nthis_machine`] }).output()).stdout,
      ).trim();
      // A disk of two pages: the command's file takes one, the record the other, filled by its
      // gpus line to its last bytes, so that the pid line would need a third. (A launch that
      // waited on for a start never said is ended, as pool's deadline for it would.)
      const page = 4096;
      const head = `started ${Math.floor(Date.now() / 1000)}\nmachine ${machine}\n`.length;
      const gpus = "0".repeat(page - head - "gpus \n".length - 4);
      const out = await fedScript(
        [
          "unshare",
          "-m",
          "sh",
          "-c",
          `mkdir -p "$HOME/.pool/jobs" && mount -t tmpfs -o size=${2 * page} tmpfs ` +
          `"$HOME/.pool/jobs" && { timeout -k 1 20 sh -s -- "$@"; echo "@@ $?"; ls -A "$HOME/.pool/jobs"; }`,
          "sh",
          "knospace",
          gpus,
        ],
        launchPayload("", marker),
        { HOME: home, PATH: "/usr/bin:/bin" },
      );
      assertEquals(out.stdout, "@@ 1\n", out.stderr);
      assertMatch(
        out.stderr,
        /^pool: could not record the job's start in \S+\/knospace\.job: (No space left on device|I\/O error)\n$/,
      );
      await assertGone(marker, "the job that could not be recorded");
    } finally {
      for (const p of await processesWith(marker)) Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      await Deno.remove(home, { recursive: true });
    }
  },
});

// kill.sh against records that name a process no job of pool's is, run here: its `kill` is a
// function that writes down what it was asked, so nothing is ever signalled for real (as
// `nobody` too where we are root: were the function not to take, kill(-1) could reach no one's
// processes but nobody's).

const NOBODY = Deno.uid() === 0
  ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
  : [];

/**
 * Runs kill.sh for job abc123 with `record` as its record, in a home of its own; returns its code,
 * output, and the signals it asked `kill` to send (those that are `pass` are passed on to the
 * real kill).
 */
async function killSh(record: string, grace = "0", pass: string | string[] = "-") {
  const home = await Deno.makeTempDir({ prefix: "pool-kill-" });
  try {
    await Deno.chmod(home, 0o777);
    await Deno.mkdir(join(home, ".pool", "jobs"), { recursive: true, mode: 0o755 });
    await Deno.chmod(join(home, ".pool"), 0o755);
    await Deno.chmod(join(home, ".pool", "jobs"), 0o755);
    await Deno.writeTextFile(join(home, ".pool", "jobs", "abc123.job"), record, { mode: 0o644 });
    const kills = join(home, "kills");
    const passed = [pass].flat().map((p) => JSON.stringify(p)).join(" | ");
    const fake = `kill() {\n  printf '%s\\n' "$*" >> "$HOME/kills"\n` +
      `  case "$*" in ${passed}) command kill "$@" ;; esac\n}\n`;
    const run = (script: string, args: string[]) =>
      fedScript([...NOBODY, "sh", "-s", "--", ...args], fake + script, {
        HOME: home,
        PATH: "/usr/bin:/bin",
        LC_ALL: "C",
      });
    // The function takes: a call to it is written down, not made (pid 2^22 + 1 is past any).
    const check = await run("kill -s TERM -- -4194305\n", []);
    assertEquals(check.code, 0, check.stderr);
    assertEquals(await Deno.readTextFile(kills), "-s TERM -- -4194305\n", "the fake kill takes");
    await Deno.remove(kills);
    const r = await run(remoteScript("kill"), ["abc123", "TERM", grace]);
    const asked = await Deno.readTextFile(kills).catch(() => "");
    // Its own timers' sleeps it ends with a plain `kill PID` (_proc.sh): not what is asked here.
    return { ...r, kills: asked.split("\n").filter((k) => k.startsWith("-s ")) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test({
  name: "kill.sh never signals group 1 (every process) or 0 (its own), whatever the record says",
  ignore: !(await Deno.stat("/proc/1/stat").then(() => true, () => false)),
  fn: async () => {
    // pid 1 with its own start time passes the check that the pid is still the job's process.
    for (const pid of [`1 ${await startOf(1)}`, "0 0", "01 1"]) {
      const r = await killSh(`started 1\npid ${pid}\nwaiter ${pid}\n`);
      assertEquals(r.kills, [], `pid ${pid}: ${r.stdout}`);
      assertEquals(r.code, 1, r.stdout);
      assertMatch(
        r.stderr,
        /^pool: job abc123's record names pid \d+, not a job's: nothing was signalled\n$/,
      );
    }
  },
});

Deno.test({
  name: "kill.sh signals a group only where the job's process leads it, else the process alone",
  ignore: !(await Deno.stat("/proc/self/stat").then(() => true, () => false)),
  fn: async () => {
    // A process in our group, not leading one of its own: as if the record named it by hand,
    // or the job had started where neither setsid nor perl was there to make its group.
    const sleep = new Deno.Command(NOBODY[0] ?? "sleep", {
      args: [...NOBODY.slice(1), ...(NOBODY.length ? ["sleep"] : []), "600"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const alone = `-s TERM -- ${sleep.pid}`;
      const record = `started 1\npid ${sleep.pid} ${await startOf(sleep.pid)}\n`;
      // A grace it ends within: no KILL after it.
      const r = await killSh(record, "5", alone);
      assertEquals(r.kills, [alone], r.stderr);
      assertEquals([r.code, r.stdout.split("\n")[0]], [0, "@@ killed"], r.stderr);
      assertEquals((await sleep.status).signal, "SIGTERM");
    } finally {
      try {
        sleep.kill("SIGKILL");
      } catch { /* ended: what the test is about */ }
      await sleep.status;
    }
  },
});

Deno.test({
  name: "kill.sh signals what left the job's group by its marker, and nothing of another job's",
  ignore: !(await Deno.stat("/proc/self/stat").then(() => true, () => false)),
  fn: async () => {
    // The job ended; what it started in a session of its own (setsid, a daemon) carries its
    // marker, POOL_JOB=abc123. Beside it runs a process of job abc1234's (one marker the other's
    // start), as the same user, whose environ kill.sh can read too.
    const escaped = (job: string) =>
      new Deno.Command(NOBODY[0] ?? "setsid", {
        args: [...NOBODY.slice(1), ...(NOBODY.length ? ["setsid"] : []), "sleep", "600"],
        env: { POOL_JOB: job },
        stdout: "null",
        stderr: "null",
      }).spawn();
    const mine = escaped("abc123");
    const other = escaped("abc1234");
    try {
      await until("both sleeps", async () => {
        const environ = async (pid: number) =>
          await Deno.readTextFile(`/proc/${pid}/environ`).catch(() => "");
        return (await environ(mine.pid)).includes("POOL_JOB=abc123\0") &&
          (await environ(other.pid)).includes("POOL_JOB=abc1234\0");
      });
      // Its leader long gone (a pid past any in use), its end written.
      const signal = `-s TERM ${mine.pid}`;
      const r = await killSh("started 1\npid 4194305 1\nexit 0\nended 2\n", "5", signal);
      assertEquals(r.kills, [signal], r.stderr);
      assertEquals([r.code, r.stdout.split("\n")[0]], [0, "@@ leftovers"], r.stderr);
      assertEquals((await mine.status).signal, "SIGTERM");
      assertEquals(await startOf(other.pid).then(() => "runs"), "runs", "another job's is left");
    } finally {
      for (const p of [mine, other]) {
        try {
          p.kill("SIGKILL");
        } catch { /* ended */ }
        await p.status;
      }
    }
  },
});

Deno.test({
  name: "kill.sh signals a running job's group, and what left it by its marker, once each",
  ignore: !(await Deno.stat("/proc/self/stat").then(() => true, () => false)),
  fn: async () => {
    // The job runs: its leader leads a group of its own (as launch.sh makes it) and has started a
    // child in a session of its own (`setsid python train.py &`), which carries its marker,
    // POOL_JOB=abc123. Beside them runs a process of job abc1234's, as the same user.
    const leader = new Deno.Command(NOBODY[0] ?? "setsid", {
      args: [
        ...NOBODY.slice(1),
        ...(NOBODY.length ? ["setsid"] : []),
        "sh",
        "-c",
        "setsid sleep 600 >/dev/null 2>&1 & echo $$ $!; exec sleep 600 >/dev/null",
      ],
      env: { POOL_JOB: "abc123" },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const other = new Deno.Command(NOBODY[0] ?? "setsid", {
      args: [...NOBODY.slice(1), ...(NOBODY.length ? ["setsid"] : []), "sleep", "600"],
      env: { POOL_JOB: "abc1234" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const said = new Response(leader.stdout).text();
    const [group, escaped] = (await said).trim().split(" ").map(Number);
    try {
      const groupOf = async (pid: number) =>
        (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ")[2];
      await until(
        "the job's processes, each in a group of its own",
        async () =>
          await groupOf(group).catch(() => "") === String(group) &&
          await groupOf(escaped).catch(() => "") === String(escaped) &&
          (await Deno.readTextFile(`/proc/${group}/cmdline`)).startsWith("sleep\0") &&
          (await Deno.readTextFile(`/proc/${escaped}/cmdline`)).startsWith("sleep\0") &&
          (await Deno.readTextFile(`/proc/${other.pid}/environ`)).includes("POOL_JOB=abc1234\0"),
      );
      const signals = [`-s TERM -- -${group}`, `-s TERM ${escaped}`];
      const record = `started 1\npid ${group} ${await startOf(group)}\n`;
      // A grace they end within: no KILL after it.
      const r = await killSh(record, "5", signals);
      assertEquals(r.kills, signals, r.stderr);
      assertEquals([r.code, r.stdout.split("\n")[0]], [0, "@@ killed"], r.stderr);
      assertEquals((await leader.status).signal, "SIGTERM");
      // Gone, or a zombie whose new parent has not reaped it yet.
      await until(
        "the escaped child gone",
        async () =>
          !/^\S+ \([^]*\) [^ZX]/.test(
            await Deno.readTextFile(`/proc/${escaped}/stat`).catch(() => ""),
          ),
      );
      assertEquals(await startOf(other.pid).then(() => "runs"), "runs", "another job's is left");
    } finally {
      for (const pid of [group, escaped, other.pid]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* ended */ }
      }
      await leader.status;
      await other.status;
    }
  },
});
