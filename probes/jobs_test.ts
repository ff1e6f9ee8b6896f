import { existsSync } from "node:fs";
import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { jobState, leftRunning, parseJobs, parseKill, parseRecord } from "./jobs.ts";
import { probeScript } from "./mod.ts";
import { remoteScript } from "../remote/scripts.ts";
import { fedScript, markerBase, processesWith, startIn, startOf, until } from "../tests/procs.ts";

/** What jobs.sh printed on this machine for two ended jobs (remote/launch.sh's records). */
const ENDED = `@@ now 1795888230
@@ dir /root/.pool/jobs
@@ job abc123
rec started 1795888208
rec pid 1523 316123
rec waiter 1522 316123
rec exit 3
rec ended 1795888209
cmd echo hi $X; sleep 1; exit 3
@@ job abc124
rec started 1795888210
rec gpus 0,3
rec pid 1685 316278
rec waiter 1684 316278
rec exit 143
rec signal TERM
rec ended 1795888210
cmd sleep 100
@@ end
`;

Deno.test("parseJobs() reads records: times, GPUs, the command, how each ended", () => {
  const answer = parseJobs(ENDED);
  assertEquals([answer.now, answer.dir], [1795888230, "/root/.pool/jobs"]);
  const [three, term] = answer.jobs;
  assertEquals(three.command, "echo hi $X; sleep 1; exit 3");
  assertEquals([three.startedS, three.endedS, three.gpus], [1795888208, 1795888209, []]);
  assertEquals(three.process, { pid: 1523, start: "316123" });
  assertEquals(jobState(three), { state: "exited", code: 3 });
  assertEquals(term.gpus, [0, 3]);
  assertEquals(jobState(term), { state: "killed", signal: "SIGTERM", code: 143 });
});

Deno.test("jobState() runs while the recorded pid and start time run, else the job is lost", () => {
  const record = (alive: string) =>
    parseJobs(`@@ job j\nrec started 1\nrec pid 10 500\nrec waiter 9 499\n${alive}@@ end\n`)
      .jobs[0];
  assertEquals(jobState(record("alive 10 500\nalive 9 499\n")).state, "running");
  // Over, its waiter about to write the end: still running for a moment.
  assertEquals(jobState(record("alive 9 499\n")).state, "running");
  // A reboot: nothing runs, no end was written.
  assertEquals(jobState(record("")).state, "lost");
  // After a reboot the pids may be taken by others: another start time is another process.
  assertEquals(jobState(record("alive 10 7\nalive 9 8\n")).state, "lost");
});

Deno.test("parseJobs() refuses an answer cut short", () => {
  assertThrows(() => parseJobs(ENDED.replace("@@ end\n", "")));
});

Deno.test("parseKill() says what kill.sh found, with the record after", () => {
  const killed = parseKill(
    "j",
    "@@ killed\nstarted 1\npid 10 500\nexit 143\nsignal TERM\nended 2\n@@ end\n",
  );
  assertEquals(killed?.found, "killed");
  assertEquals(jobState(killed!.job!), { state: "killed", signal: "SIGTERM", code: 143 });
  assertEquals(parseKill("j", "@@ missing\n@@ end\n"), { found: "missing", job: null });
  assertEquals(parseKill("j", "@@ killed\nstarted 1\n"), null, "cut short");
});

Deno.test("jobs.sh asks what runs before it shows the record: a job ending meanwhile is over, not lost", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
  try {
    const dir = `${home}/.pool/jobs`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/j1.job`, "started 1\npid 10 500\nwaiter 9 499\n");
    await Deno.writeTextFile(`${dir}/j1.cmd`, "true\n");
    // The job ends while its processes are asked about: the waiter writes its exit line (where
    // start_of asks; on Linux, where /proc is read with built-ins, a `find` run before stands in).
    const end = `printf 'exit 0\\nended 2\\n' >> "$HOME/.pool/jobs/j1.job"`;
    const proc = `start_of() { ${end}; }\n`;
    await Deno.mkdir(`${home}/bin`);
    await Deno.writeTextFile(`${home}/bin/find`, `#!/bin/sh\n${end}\nexec /usr/bin/find "$@"\n`);
    await Deno.chmod(`${home}/bin/find`, 0o755);
    const out = await new Deno.Command("sh", {
      args: ["-c", proc + probeScript("jobs"), "jobs", "list", "j1"],
      env: { HOME: home, PATH: `${home}/bin:/usr/bin:/bin` },
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const job = parseJobs(text.endsWith("@@ end\n") ? text : text + "@@ end\n").jobs[0];
    assertEquals(jobState(job), { state: "exited", code: 0 });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("jobs.sh prune removes only records named like a job id: no other name is split into ids", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
  try {
    const dir = `${home}/.pool/jobs`;
    await Deno.mkdir(dir, { recursive: true });
    // Two running jobs, and two ended records named by someone else: one whose name splits into
    // the running jobs' ids, one with ESC sequences in it.
    const records = {
      "run1": "started 1\npid 10 500\n",
      "run2": "started 1\npid 11 500\n",
      "run1 run2": "started 1\nexit 0\nended 2\n",
      "x\x1b]0;PWNED\x07\x1b[2Jy": "started 1\nexit 0\nended 2\n",
    };
    for (const [id, record] of Object.entries(records)) {
      await Deno.writeTextFile(`${dir}/${id}.job`, record);
      await Deno.utime(`${dir}/${id}.job`, 1e9, 1e9); // 2001: old enough for any --days
    }
    const proc = "this_machine() { echo m; }\nelsewhere() { return 1; }\nstill_runs() { :; }\n" +
      "start_of() { echo 500; }\n";
    const run = async (...args: string[]) => {
      const out = await new Deno.Command("sh", {
        args: ["-c", proc + probeScript("jobs"), "jobs", ...args],
        env: { HOME: home },
        stdout: "piped",
      }).output();
      return parseJobs(new TextDecoder().decode(out.stdout));
    };
    const listed = (await run("list")).jobs.map((j) => j.id).sort();
    assertEquals(listed, ["run1", "run2"]);
    const answer = await run("prune", "1");
    assertEquals([answer.pruned, answer.kept.sort()], [[], ["run1", "run2"]]);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name.replace(/\.job$/, "")).sort();
    assertEquals(left, Object.keys(records).sort());
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("parseRecord() takes no exit code a shell cannot give, and no signal name that is not one", () => {
  const job = (lines: string[]) => jobState(parseRecord("x", ["started 1795888230", ...lines]));
  // Read loosely, exit 256 is "exited 256", and wait's code (256 & 255) says success.
  assertEquals(job(["exit 256"]).state, "lost");
  assertEquals(job(["exit -1"]).state, "lost");
  assertEquals(job(["exit 137", "signal \x1b]0;PWNED\x07KILL"]), { state: "exited", code: 137 });
  assertEquals(job(["exit 137", "signal KILL"]), { state: "killed", signal: "SIGKILL", code: 137 });
  assertEquals(parseRecord("x", [`started ${"9".repeat(30)}`]).startedS, null);
});

Deno.test("parseRecord() reads GPUs and pids as counts: a list it cannot read is none, a pid past 2^53 no process", () => {
  const gpus = (line: string) => parseRecord("x", [line]).gpus;
  assertEquals(gpus("gpus 0,3"), [0, 3]);
  for (const line of ["gpus 1,0x10", "gpus 1,-3", "gpus ", "gpus 1,,2", "gpus 1e400"]) {
    assertEquals(gpus(line), [], line);
  }
  const job = parseRecord("x", ["pid 99999999999999999999999 5", "waiter 0 5", "alive 1e3 5"]);
  assertEquals([job.process, job.waiter, job.alive], [null, null, []]);
});

Deno.test("jobs.sh sends a command of several lines whole, and the parser keeps its lines", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
  try {
    const dir = `${home}/.pool/jobs`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/j2.job`, "started 1\npid 10 500\nexit 0\nended 2\n");
    await Deno.writeTextFile(`${dir}/j2.cmd`, "echo one\nsleep 3\n");
    // A heredoc: its first lines, up to a KiB, then a mark that it went on.
    await Deno.writeTextFile(`${dir}/j3.job`, "started 1\npid 10 500\nexit 0\nended 2\n");
    await Deno.writeTextFile(`${dir}/j3.cmd`, "cat <<EOF\n" + `${"x".repeat(89)}\n`.repeat(150));
    const proc = "start_of() { :; }\n";
    const out = await new Deno.Command("sh", {
      args: ["-c", proc + probeScript("jobs"), "jobs", "list", "j2", "j3"],
      env: { HOME: home },
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const [job, heredoc] = parseJobs(text.endsWith("@@ end\n") ? text : text + "@@ end\n").jobs;
    assertEquals(job.command, "echo one\nsleep 3");
    assertEquals(heredoc.command, "cat <<EOF\n" + `${"x".repeat(89)}\n`.repeat(11) + "…");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** Runs jobs.sh's list, as sent (with remote/_proc.sh), on the records under `home`. */
async function listIn(home: string, ...ids: string[]) {
  const env = { HOME: home, PATH: "/usr/bin:/bin" };
  const { stdout } = await fedScript(["sh", "-s", "--", "list", ...ids], remoteScript("jobs"), env);
  return parseJobs(stdout);
}

async function withHome(records: Record<string, string>, f: (home: string) => Promise<void>) {
  const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
  try {
    const dir = `${home}/.pool/jobs`;
    await Deno.mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(records)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await f(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("jobs.sh reads a record only as far as 4 KiB, and says it went on", async () => {
  // A record someone filled with junk: read whole, a byte at a time, it took minutes.
  const junk = "junk line, a hundred bytes long or so: ".padEnd(99, "x") + "\n";
  await withHome({
    "big.job": "started 1000\npid 4000000 1\n" + junk.repeat(3000),
    "big.cmd": "x".repeat(9000) + "\n",
    "ok.job": "started 1000\npid 4000000 1\nexit 0\nended 1001\n",
  }, async (home) => {
    const t0 = performance.now();
    const { jobs } = await listIn(home);
    const [big, ok] = jobs;
    assert(performance.now() - t0 < 5000, `${Math.round(performance.now() - t0)} ms`);
    assertEquals([big.id, big.cut, big.startedS, big.process?.pid], ["big", true, 1000, 4000000]);
    assertEquals(big.command, "x".repeat(4096) + "\n…");
    assertEquals([ok.id, ok.cut, jobState(ok)], ["ok", false, { state: "exited", code: 0 }]);
  });
});

Deno.test("jobs.sh marks each record line as the record's: a line of it is never jobs.sh's own", async () => {
  // What a job may write into its record: a job header, a process that runs, an end.
  const hostile = "started 1000\npid 4000000 1\n@@ job fake\nexit 0\nended 1001\n" +
    "@@ job fake2\nalive 1 1\n@@ end\n";
  await withHome({ "real.job": hostile, "real.cmd": "sleep 1\n" }, async (home) => {
    const { jobs } = await listIn(home);
    assertEquals(jobs.map((j) => j.id), ["real"]);
    assertEquals([jobState(jobs[0]), jobs[0].alive], [{ state: "exited", code: 0 }, []]);
  });
  // The same lines where pool reads them are its own.
  const raw = parseJobs("@@ job a\nrec started 1\nrec @@ job fake\nrec alive 1 1\ncmd x\n@@ end\n");
  assertEquals([raw.jobs.length, raw.jobs[0].alive], [1, []]);
});

Deno.test("jobs.sh says when a job with no end last showed a sign of life: its record's or log's last change", async () => {
  await withHome({
    "lost.job": "started 1000\npid 4000000 1\nwaiter 4000001 1\n",
    "lost.log": "last words\n",
    "done.job": "started 1000\npid 4000000 1\nexit 0\nended 1001\n",
  }, async (home) => {
    await Deno.utime(`${home}/.pool/jobs/lost.job`, 5000, 5000);
    await Deno.utime(`${home}/.pool/jobs/lost.log`, 7000, 7000);
    const { jobs } = await listIn(home);
    const lost = jobs.find((j) => j.id === "lost")!;
    assertEquals([jobState(lost).state, lost.seenS], ["lost", 7000]);
    assertEquals(jobs.find((j) => j.id === "done")!.seenS, null);
  });
});

Deno.test({
  name: "jobs.sh counts what an ended job left running in its process group (Linux)",
  ignore: !existsSync("/proc/self/stat"),
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
    const dir = `${home}/.pool/jobs`;
    await Deno.mkdir(dir, { recursive: true });
    // A leader of its own session and group that starts two and exits, as `pool bg` runs one.
    const leader = `${home}/leader`;
    const started = new Deno.Command("setsid", {
      args: ["sh", "-c", `sleep 30 & (sleep 31 &); cat /proc/$$/stat > ${leader}; exit 0`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await started.status;
    const stat = await Deno.readTextFile(leader);
    const pid = Number(stat.split(" ")[0]);
    const start = startIn(stat);
    try {
      await Deno.writeTextFile(`${dir}/j.job`, `started 1\npid ${pid} ${start}\nexit 0\nended 2\n`);
      // The same pid recorded as started after its members: the number is another group's.
      await Deno.writeTextFile(
        `${dir}/k.job`,
        `started 1\npid ${pid} ${Number(start) + 100_000}\nexit 0\n`,
      );
      const { jobs } = await listIn(home);
      const [j, k] = jobs;
      assertEquals([j.group, leftRunning(j)], [2, 2]);
      assertEquals(leftRunning(k), 0);
      Deno.kill(-pid, "SIGKILL");
      for (let i = 0; i < 50 && (await listIn(home)).jobs[0].group !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assertEquals(leftRunning((await listIn(home)).jobs[0]), 0);
    } finally {
      try {
        Deno.kill(-pid, "SIGKILL");
      } catch { /* gone */ }
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "jobs.sh counts what an ended job left running outside its group by its marker (Linux)",
  ignore: !existsSync("/proc/self/stat"),
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
    const dir = `${home}/.pool/jobs`;
    await Deno.mkdir(dir, { recursive: true });
    // Job j1 as `pool bg` runs one, POOL_JOB=j1 in its environment: it starts one sleep in its
    // group, one in a session of its own (setsid), and exits. Beside it, a sleep of job j12's.
    const leader = `${home}/leader`;
    const n = markerBase();
    const started = new Deno.Command("setsid", {
      args: [
        "sh",
        "-c",
        `sleep ${n} & setsid sleep ${n + 1} & cat /proc/$$/stat > ${leader}; exit 0`,
      ],
      env: { POOL_JOB: "j1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await started.status;
    const other = new Deno.Command("sleep", { args: [`${n + 2}`], env: { POOL_JOB: "j12" } })
      .spawn();
    const stat = await Deno.readTextFile(leader);
    const pid = Number(stat.split(" ")[0]);
    const start = startIn(stat);
    const escaped = async () =>
      (await processesWith(`sleep ${n + 1} `, true)).map((p) => Number(p.split(" ")[0]));
    try {
      await until("the escaped sleep", async () => (await escaped()).length === 1);
      await Deno.writeTextFile(
        `${dir}/j1.job`,
        `started 1\npid ${pid} ${start}\nexit 0\nended 2\n`,
      );
      // Each counted once: the one in its group, and the one that left it (not j12's).
      assertEquals(leftRunning((await listIn(home)).jobs[0]), 2);
      Deno.kill(-pid, "SIGKILL");
      await until("its group's end", async () => (await listIn(home)).jobs[0].group === 1);
      for (const p of await escaped()) Deno.kill(p, "SIGKILL");
      await until("the escaped one's end", async () => (await listIn(home)).jobs[0].group === 0);
    } finally {
      try {
        Deno.kill(-pid, "SIGKILL");
      } catch { /* gone */ }
      for (const p of await escaped()) Deno.kill(p, "SIGKILL");
      other.kill("SIGKILL");
      await other.status;
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "jobs.sh prune keeps a running job whose record holds an exit line the parser reads as none",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "pool-jobs-" });
    const job = new Deno.Command("sleep", { args: ["600"] }).spawn();
    try {
      const dir = `${home}/.pool/jobs`;
      await Deno.mkdir(dir, { recursive: true });
      // The job runs (its pid and start token, as launch.sh writes them); its record also holds
      // `exit 99999` (cut short, or edited), which no code a shell gives can be.
      const stat = await Deno.readTextFile(`/proc/${job.pid}/stat`);
      const start = startIn(stat);
      await Deno.writeTextFile(
        `${dir}/k3x9q2.job`,
        `started 1\npid ${job.pid} ${start}\nexit 99999\n`,
      );
      await Deno.utime(`${dir}/k3x9q2.job`, 1e9, 1e9); // 2001: old enough for any --days
      const out = await new Deno.Command("sh", {
        args: ["-c", remoteScript("jobs"), "jobs", "prune", "1"],
        env: { HOME: home, PATH: "/usr/bin:/bin" },
        stdout: "piped",
      }).output();
      const answer = parseJobs(new TextDecoder().decode(out.stdout));
      assertEquals([answer.pruned, answer.kept], [[], ["k3x9q2"]]);
      assert(await Deno.stat(`${dir}/k3x9q2.job`), "its record stays");
    } finally {
      job.kill("SIGKILL");
      await job.status;
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "jobs.sh asks whether a job runs when its exit line is none the parser reads (cut short, edited)",
  ignore: !existsSync("/proc/self/stat"),
  fn: async () => {
    const sleep = new Deno.Command("sleep", { args: [`${markerBase()}`] }).spawn();
    try {
      const start = await startOf(sleep.pid);
      const record = (ends: string) => `started 1000\npid ${sleep.pid} ${start}\n${ends}`;
      await withHome({
        "cut.job": record("exit 99999\n"),
        "edited.job": record("exit 0\nexit zero\n"),
        "done.job": record("exit 99999\nexit 3\nended 1001\n"),
      }, async (home) => {
        const states = (await listIn(home)).jobs.map((j) => [j.id, jobState(j).state]);
        // It runs: read as ended, it showed as lost (no exit code, and nobody asked).
        assertEquals(states, [["cut", "running"], ["done", "exited"], ["edited", "running"]]);
      });
    } finally {
      sleep.kill("SIGKILL");
      await sleep.status;
    }
  },
});
