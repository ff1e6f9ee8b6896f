/**
 * Jobs from dispatch to done (issue 13) and lease liveness (issue 12, items 5
 * and 9), against real sshd test hosts whose PATH holds a fake nvidia-smi
 * reporting 8 GPUs, three of them busy.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  childEnv,
  fleetTest,
  leasesIn as ledger,
  pool,
  POOL_SH,
  spawnPool,
  writeRoster,
} from "./helpers.ts";
import { assertGone, markerBase, processesWith, until } from "./procs.ts";
import { pidNamespaceTest } from "./pid_namespace.ts";
import type { Fleet } from "./hosts/harness.ts";

const leasesIn = (fleet: Fleet) => ledger<LeaseJson>(fleet);

/** 8 H100s as `nvidia-smi --query-gpu` prints them; 1, 4 and 6 are busy. */
const NVIDIA_SMI = `#!/bin/sh
cat <<'EOF'
index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]
0, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
1, NVIDIA H100 80GB HBM3, 100 %, 78942 MiB, 81559 MiB
2, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
3, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
4, NVIDIA H100 80GB HBM3, 98 %, 21340 MiB, 81559 MiB
5, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
6, NVIDIA H100 80GB HBM3, 100 %, 19742 MiB, 81559 MiB
7, NVIDIA H100 80GB HBM3, 0 %, 3 MiB, 81559 MiB
EOF
`;
const IDLE = ["0", "2", "3", "5", "7"];
const GPUS = { bin: { "nvidia-smi": NVIDIA_SMI } };

interface LeaseJson {
  host: string;
  gpus: number[];
  created_ms: number;
  remote_pid?: number;
  remote_start?: string;
  job?: string;
}

/** A file the test creates to let a job finish: its path, and the shell test that waits for it. */
function gate(fleet: Fleet, name: string) {
  const path = join(fleet.dir, name);
  return {
    path,
    wait: `while [ ! -e ${path} ]; do sleep 0.1; done`,
    open: () => Deno.writeTextFile(path, ""),
  };
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** Starts `pool bg` and returns the job id from its `host  job ID  pid N …` line. */
async function bg(fleet: Fleet, args: string[]): Promise<{ id: string; pid: number; out: string }> {
  const r = await pool(fleet, ["bg", ...args]);
  assertEquals(r.code, 0, r.stderr);
  const m = /^(\S+) {2}job ([a-z0-9]+) {2}pid (\d+)(?: {2}gpu \S+)? {2}log (\S+)$/m.exec(r.stdout);
  assert(m, r.stdout);
  return { id: m[2], pid: Number(m[3]), out: r.stdout };
}

async function jobJson(fleet: Fleet, id: string, args: string[] = []) {
  const r = await pool(fleet, ["jobs", ...args, "--all", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout).jobs as { id: string; state: string; exit: number | null }[])
    .find((j) => j.id === id);
}

fleetTest("pool route --gpus pins each command to its own idle GPUs", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const g = gate(fleet, "gpus-done");
  const show = `echo "$CUDA_VISIBLE_DEVICES|$CUDA_DEVICE_ORDER|$POOL_GPUS"; ${g.wait}`;
  const runs = [0, 1].map(() => spawnPool(fleet, ["route", "--gpus", "2", show]));
  try {
    await until("two GPU leases", async () => (await leasesIn(fleet)).length === 2);
    // Five idle GPUs, four leased: two more do not fit.
    const third = await pool(fleet, ["route", "--gpus", "2", "true"]);
    assertEquals(third.code, 75, third.stderr);
    assertMatch(third.stderr, /needs 2 idle GPU\(s\), has 1/);
    const leases = await pool(fleet, ["leases"]);
    assertMatch(leases.stdout, /gpu \d,\d/, "indices, never a count");
  } finally {
    await g.open();
  }
  const outs = await Promise.all(runs.map((c) => c.output()));
  const seen = outs.map((o) => {
    assertEquals(o.code, 0, decode(o.stderr));
    const [visible, order, pool] = decode(o.stdout).trim().split("|");
    assertEquals(order, "PCI_BUS_ID");
    assertEquals(pool, visible);
    return visible.split(",");
  });
  for (const s of seen) {
    assertEquals(s.length, 2);
    assert(s.every((i) => IDLE.includes(i)), `${s} are idle GPUs`);
  }
  assertEquals(new Set(seen.flat()).size, 4, `distinct GPUs: ${seen.join(" / ")}`);

  // A value the command sets itself wins.
  const own = await pool(fleet, [
    "route",
    "--gpus",
    "1",
    "export CUDA_VISIBLE_DEVICES=7; echo $CUDA_VISIBLE_DEVICES",
  ]);
  assertEquals([own.code, own.stdout], [0, "7\n"], own.stderr);
  assertEquals(await leasesIn(fleet), [], "every lease released");
}, GPUS);

/** This machine's room as route computes it: MemAvailable − 10 % of MemTotal, in MiB. */
async function roomMiB(): Promise<number> {
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(meminfo)![1]);
  return Math.floor((kb("MemAvailable") - 0.1 * kb("MemTotal")) / 1024);
}

fleetTest("a live route keeps its lease past --ttl (issue 12, item 5)", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const g = gate(fleet, "ttl-done");
  const big = `${Math.floor((await roomMiB()) * 0.7)}M`;
  const first = spawnPool(fleet, ["route", "--mem", big, "--ttl", "5s", g.wait]);
  try {
    await until("the lease", async () => (await leasesIn(fleet)).length === 1);
    const [lease] = await leasesIn(fleet);
    // Past its TTL, while its command still runs…
    await until("the TTL to pass", () => Promise.resolve(Date.now() > lease.created_ms + 6000));
    // …a second route must not land on its memory.
    const second = await pool(fleet, ["route", "--mem", big, "true"]);
    assertEquals(second.code, 75, second.stderr);
    assertEquals((await leasesIn(fleet)).length, 1, "the live lease was kept");
  } finally {
    await g.open();
  }
  assertEquals((await first.output()).code, 0);
  assertEquals(await leasesIn(fleet), []);
});

fleetTest("bg → jobs → logs -f → jobs → wait, with the job's own code", 2, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);

  await t.step("a job that exits 3", async () => {
    const g = gate(fleet, "three");
    const job = await bg(fleet, ["h2", `echo start; ${g.wait}; echo end; exit 3`]);
    const running = await pool(fleet, ["jobs"]);
    assertMatch(running.stdout, new RegExp(`^${job.id} +h2 +running `, "m"));
    const follow = spawnPool(fleet, ["logs", "-f", job.id]);
    const reader = follow.stdout.getReader();
    const first = await reader.read();
    assertEquals(decode(first.value!), "start\n", "streamed while the job runs");
    await g.open();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decode(r.value);
    assertEquals(rest, "end\n");
    assertEquals((await follow.status).code, 3, "logs -f exits with the job's code");
    const ended = await pool(fleet, ["jobs"]);
    assertMatch(ended.stdout, new RegExp(`^${job.id} +h2 +exited 3 `, "m"));
    const waited = await pool(fleet, ["wait", job.id]);
    assertEquals(waited.code, 3, waited.stderr);
    assertEquals(waited.stdout, `${job.id}  h2  exited 3\n`);
    const all = await pool(fleet, ["logs", job.id, "--tail", "1"]);
    assertEquals([all.code, all.stdout], [0, "end\n"]);
  });

  await t.step("a job that exits 0, and wait on several", async () => {
    const a = await bg(fleet, ["h1", "sleep 1; exit 0"]);
    const b = await bg(fleet, ["h2", "sleep 1; exit 5"]);
    const follow = await pool(fleet, ["logs", "-f", a.id]);
    assertEquals(follow.code, 0, follow.stderr);
    const waited = await pool(fleet, ["wait", a.id, b.id, "--json"]);
    assertEquals(waited.code, 5, "the largest code");
    const lines = waited.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => [l.id, l.exit]).sort(), [[a.id, 0], [b.id, 5]].sort());
  });

  await t.step(
    "a record cut short of its line end still reads as ended, for kill too",
    async () => {
      const job = await bg(fleet, ["h1", "true"]);
      assertEquals((await pool(fleet, ["wait", job.id])).code, 0);
      // What a crash in the middle of the record's last write leaves.
      const cut = `f=~/.pool/jobs/${job.id}.job; printf %s "$(cat $f)" > $f.t && mv $f.t $f`;
      assertEquals((await pool(fleet, ["on", "h1", cut])).code, 0);
      const killed = await pool(fleet, ["kill", job.id, "--json"]);
      assertEquals(killed.code, 1, killed.stderr);
      assertMatch(killed.stderr, new RegExp(`job ${job.id} had already ended: exited 0`));
      assertEquals(JSON.parse(killed.stdout).killed, false);
    },
  );

  await t.step("a log that cannot be written is an error, not a quiet 0", async () => {
    // ssh alone drops what it cannot write and exits 0: only a terminal gets it from ssh.
    const job = await bg(fleet, ["h1", "echo line"]);
    await pool(fleet, ["wait", job.id]);
    const full = await new Deno.Command("sh", {
      args: ["-c", `${POOL_SH} logs ${job.id} >/dev/full`],
      env: childEnv(fleet.env),
      clearEnv: true,
      stderr: "piped",
    }).output();
    const stderr = decode(full.stderr);
    assertEquals(full.code, 1, stderr);
    assertMatch(stderr, /^pool: cannot write to stdout: No space left on device[^\n]*\n$/);
  });

  await t.step("wait --timeout gives up with 124", async () => {
    const g = gate(fleet, "slow");
    const job = await bg(fleet, ["h1", g.wait]);
    const waited = await pool(fleet, ["wait", job.id, "--timeout", "1s"]);
    assertEquals(waited.code, 124, waited.stderr);
    // The last round, cut short by the deadline, is no news about the host: no warning.
    assertEquals(waited.stderr, `pool: still running after 1s: ${job.id}\n`);
    await g.open();
    assertEquals((await pool(fleet, ["wait", job.id])).code, 0);
  });

  await t.step("a stopped logs -f leaves nothing following on the host", async () => {
    const g = gate(fleet, "follow");
    const job = await bg(fleet, ["h1", `echo up; ${g.wait}`]);
    const follow = spawnPool(fleet, ["logs", "-f", job.id]);
    const reader = follow.stdout.getReader();
    assertEquals(decode((await reader.read()).value!), "up\n");
    assert((await processesWith(`pool-logs ${job.id}`)).length > 0, "a follower runs");
    Deno.kill(follow.pid, "SIGINT");
    assertEquals((await follow.status).code, 130);
    await reader.cancel();
    await assertGone(`pool-logs ${job.id}`, "the follower");
    await g.open();
  });

  await t.step("a job ended by a signal", async () => {
    const job = await bg(fleet, ["h1", "echo up; sleep 300"]);
    const follow = spawnPool(fleet, ["logs", "-f", job.id]);
    const reader = follow.stdout.getReader();
    assertEquals(decode((await reader.read()).value!), "up\n");
    const killed = await pool(fleet, ["kill", job.id]);
    assertEquals(killed.code, 0, killed.stderr);
    assertEquals(killed.stdout, `${job.id}  h1  killed by SIGTERM\n`);
    while (!(await reader.read()).done) { /* drain */ }
    assertEquals((await follow.status).code, 143, "logs -f: 128 + SIGTERM");
    assertEquals((await jobJson(fleet, job.id))?.state, "killed");
    const again = await pool(fleet, ["kill", job.id]);
    assertEquals(again.code, 1);
    assertMatch(again.stderr, /had already ended: killed by SIGTERM/);
  });

  await t.step("kill --signal INT reaches the job: a job's SIGINT is not ignored", async () => {
    // A shell traps what it did not find ignored on entry: the trap says INT arrived.
    const job = await bg(fleet, [
      "h1",
      "trap 'echo got INT; exit 7' INT; echo up; while :; do sleep 0.1; done",
    ]);
    await until("the job", async () => (await pool(fleet, ["logs", job.id])).stdout !== "");
    const killed = await pool(fleet, ["kill", job.id, "--signal", "INT", "--grace", "20s"]);
    assertEquals([killed.code, killed.stdout], [0, `${job.id}  h1  exited 7\n`], killed.stderr);
    assertEquals((await pool(fleet, ["logs", job.id])).stdout, "up\ngot INT\n");
  });

  await t.step(
    "kill --grace 0 sends KILL at once; --json says an ended job in one object",
    async () => {
      const job = await bg(fleet, ["h1", "trap '' TERM; echo up; sleep 300"]);
      await until("the job", async () => (await pool(fleet, ["logs", job.id])).stdout !== "");
      // 0 is no grace, not "no limit": a job that ignores TERM is not waited on for an hour.
      const child = spawnPool(fleet, ["kill", job.id, "--grace", "0"]);
      const bound = setTimeout(() => child.kill("SIGKILL"), 30_000); // a generous bound on a hang
      const killed = await child.output();
      clearTimeout(bound);
      assertEquals([killed.code, decode(killed.stdout)], [0, `${job.id}  h1  killed by SIGKILL\n`]);
      const again = await pool(fleet, ["kill", job.id, "--json"]);
      assertEquals(again.code, 1);
      assertEquals(again.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
        { id: job.id, host: "h1", killed: false, state: "killed", exit: 137, signal: "SIGKILL" },
      ]);
    },
  );

  await t.step("unknown ids and bad flags", async () => {
    const none = await pool(fleet, ["logs", "zzzzzz"]);
    assertEquals(none.code, 1);
    assertMatch(none.stderr, /^pool: no job zzzzzz \(pool jobs lists them\)\n$/);
    assertEquals((await pool(fleet, ["logs", "../x"])).code, 2);
    assertEquals((await pool(fleet, ["kill", "abc", "--signal", "9"])).code, 2);
    // A count past exact numbers was sent as 1e+20, which tail refused: an empty log, exit 0.
    const huge = await pool(fleet, ["logs", "abc", "--tail", "99999999999999999999"]);
    assertEquals([huge.code, huge.stdout], [2, ""]);
  });

  await t.step("after the host, bg reads pool's options first, as on does", async () => {
    const json = await pool(fleet, ["bg", "h1", "--json", "echo", "as a job"]);
    assertEquals(json.code, 0, json.stderr);
    const { id } = JSON.parse(json.stdout);
    assertEquals((await pool(fleet, ["wait", id])).code, 0);
    assertEquals((await pool(fleet, ["logs", id])).stdout, "as a job\n");
    // A mistyped option starts nothing; `--` hands the rest to the command.
    const before = (await pool(fleet, ["jobs", "--all", "--json"])).stdout;
    const typo = await pool(fleet, ["bg", "h1", "--jsno", "true"]);
    assertEquals([typo.code, typo.stderr], [
      2,
      "pool: unknown option '--jsno' (did you mean --json?)\n",
    ]);
    assertEquals((await pool(fleet, ["jobs", "--all", "--json"])).stdout, before);
    const dashed = await pool(fleet, ["bg", "h1", "--json", "--", "echo", "--json"]);
    const job = JSON.parse(dashed.stdout).id;
    assertEquals((await pool(fleet, ["wait", job])).code, 0);
    assertEquals((await pool(fleet, ["logs", job])).stdout, "--json\n");
    // A `--` before the host ends pool's options there too: the job's words are all its own.
    const first = await pool(fleet, ["bg", "--", "h1", "--json", "x"]);
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stdout, /^h1 {2}job (\w+) /);
    const early = /job (\w+) /.exec(first.stdout)![1];
    await pool(fleet, ["wait", early]);
    assertMatch((await pool(fleet, ["logs", early])).stdout, /--: invalid option/);
    // A second `--` right after the host only marks where the command starts, as before.
    const twice = JSON.parse(
      (await pool(fleet, ["bg", "--json", "--", "h1", "--", "echo", "a"])).stdout,
    );
    await pool(fleet, ["wait", twice.id]);
    assertEquals((await pool(fleet, ["logs", twice.id])).stdout, "a\n");
    // A host and route options: refused, as before the host.
    assertEquals((await pool(fleet, ["bg", "h1", "--mem", "1G", "true"])).code, 2);
    // --help there is bg's own.
    const help = await pool(fleet, ["bg", "h1", "--help"]);
    assertEquals(help.code, 0);
    assertMatch(help.stdout, /^Usage: pool bg \[options\] <words\.\.\.>\n/);
  });

  await t.step(
    "wait --timeout holds while a host does not answer, and says it did not",
    async () => {
      await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }, { name: "hang" }]);
      try {
        // Asking each host takes up to 15 s; the deadline is 2 s and bounds that too.
        const r = await pool(fleet, ["wait", "nosuch", "--timeout", "2"]);
        assertEquals(r.code, 1);
        assertMatch(r.stderr, /^pool: no job nosuch on the hosts that answered; hang did not\n$/);
        assert(r.ms < 12_000, `took ${Math.round(r.ms)} ms with a 2 s deadline`);
        // A job the index puts on that host: pool cannot say it still runs, only that it did not hear.
        const index = join(fleet.dir, "state", "jobs.json");
        const doc = JSON.parse(await Deno.readTextFile(index));
        doc.jobs.push({ id: "hangjb", host: "hang", command: "true", started_ms: 0, gpus: [] });
        await Deno.writeTextFile(index, JSON.stringify(doc));
        const silent = await pool(fleet, ["wait", "hangjb", "--timeout", "2"]);
        assertEquals([silent.code, silent.stderr], [
          124,
          "pool: no answer from hang in 2s: hangjb\n",
        ]);
      } finally {
        await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
      }
    },
  );
});

fleetTest("pool kill ends a job's forked children and frees its lease", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const marker = `sleep ${markerBase()}`;
  const job = await bg(fleet, ["--gpus", "2", `${marker}1 & ${marker}2 & ${marker}3; wait`]);
  assertMatch(job.out, / gpu \d,\d /);
  await until("three children", async () => (await processesWith(marker, true)).length === 3);
  const [lease] = await leasesIn(fleet);
  assertEquals([lease.job, lease.remote_pid], [job.id, job.pid]);
  const log = await pool(fleet, ["jobs", "--json"]);
  assertEquals(JSON.parse(log.stdout).jobs[0].gpus, lease.gpus);
  const killed = await pool(fleet, ["kill", job.id, "--json"]);
  assertEquals(killed.code, 0, killed.stderr);
  assertEquals(JSON.parse(killed.stdout).killed, true);
  await assertGone(marker, "the job's children");
  assertEquals(await leasesIn(fleet), [], "the lease went with the job");
}, GPUS);

fleetTest(
  "pool kill ends what a job left running after its own process ended",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const marker = `sleep ${markerBase()}`;
    const job = await bg(fleet, [`${marker}1 & ${marker}2 & exit 0`]);
    await until("the job's end", async () => (await jobJson(fleet, job.id))?.state === "exited");
    assertEquals((await processesWith(marker, true)).length, 2, "its children run on");
    const killed = await pool(fleet, ["kill", job.id, "--grace", "1s"]);
    assertEquals([killed.code, killed.stdout], [
      0,
      `${job.id}  h1  exited 0; what it left running was killed\n`,
    ], killed.stderr);
    await assertGone(marker, "the job's children");
    // Nothing left: the job had ended, as before.
    const again = await pool(fleet, ["kill", job.id, "--json"]);
    assertEquals([again.code, JSON.parse(again.stdout).killed], [1, false]);
    assertMatch(again.stderr, /had already ended: exited 0/);
  },
);

// In a pid namespace of its own: its writes to ns_last_pid steer no other test's forks.
const REUSED = "kill never signals a group that took an ended job's number";
pidNamespaceTest(REUSED, import.meta.url, () =>
  fleetTest(REUSED, 1, async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const job = await bg(fleet, ["h1", "true"]);
    assertEquals((await pool(fleet, ["wait", job.id])).code, 0);
    // The kernel hands the job's pid out again, to a process that leads a group of its own.
    let other: Deno.ChildProcess | null = null;
    for (let i = 0; i < 50 && other === null; i++) {
      await Deno.writeTextFile("/proc/sys/kernel/ns_last_pid", String(job.pid - 1));
      const child = new Deno.Command("setsid", { args: ["sleep", "600"] }).spawn();
      if (child.pid === job.pid) other = child;
      else {
        child.kill("SIGKILL");
        await child.status;
      }
    }
    assert(other, `pid ${job.pid} never came back`);
    try {
      const r = await pool(fleet, ["kill", job.id, "--json", "--grace", "0"]);
      assertEquals([r.code, JSON.parse(r.stdout).killed], [1, false], r.stderr);
      assertEquals(
        (await processesWith(`sleep 600`)).some((p) => p.startsWith(`${job.pid} `)),
        true,
      );
    } finally {
      try {
        other.kill("SIGKILL");
      } catch { /* ended: what the test is about */ }
      await other.status;
    }
  }));

fleetTest("logs --json holds a large log's end, not all of it", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  // 24,000 lines of 999 x and a newline (24 MB), then the last line.
  const job = await bg(fleet, [
    "head -c 23976000 /dev/zero | tr '\\0' x | fold -w 999; echo; echo the end",
  ]);
  assertEquals((await pool(fleet, ["wait", job.id])).code, 0);
  const r = await pool(fleet, ["logs", job.id, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert(doc.log.length <= 16 * 1024 * 1024, `${doc.log.length} characters`);
  assert(doc.log.endsWith("\nthe end\n"), "the end is kept");
  // Whole lines only: the first kept one starts where a line did.
  assert(doc.log.startsWith("x".repeat(999) + "\n"), doc.log.slice(0, 20));
  assertEquals(doc.omitted_lines, 24_001 - (doc.log.split("\n").length - 1));
  assertMatch(r.stderr, /^pool: note: the log's first \d+ lines left out/);
  // All of it, as text.
  const all = await pool(fleet, ["logs", job.id]);
  assertEquals(all.stdout.length, 24_000_000 + "the end\n".length);
  // The exact bytes, as on --json gives a command's output: a CR kept, and not UTF-8 in base64.
  const raw = await bg(fleet, ["h1", "printf 'a\\r\\n\\377 bin\\n'"]);
  assertEquals((await pool(fleet, ["wait", raw.id])).code, 0);
  const bytes = JSON.parse((await pool(fleet, ["logs", raw.id, "--json"])).stdout);
  assertEquals(atob(bytes.log_base64), "a\r\n\xff bin\n");
  assert(bytes.log.startsWith("a\r\n"), JSON.stringify(bytes.log));
});

fleetTest("jobs and jobs --prune take a host with thousands of records", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  // 5,000 ended jobs (written by the shell alone), and one that runs.
  const made = await pool(fleet, [
    "on",
    "h1",
    "mkdir -p .pool/jobs && cd .pool/jobs && for i in $(seq 5000); do " +
    "printf 'started 1000\\npid 1 1\\nexit 0\\nended 1001\\n' > old$i.job; echo true > old$i.cmd; done",
  ]);
  assertEquals(made.code, 0, made.stderr);
  const g = gate(fleet, "many");
  const live = await bg(fleet, ["h1", g.wait]);
  const listed = await pool(fleet, ["jobs", "h1", "--all", "--json"]);
  assertEquals(listed.code, 0, listed.stderr);
  const jobs = JSON.parse(listed.stdout).jobs as { id: string; state: string }[];
  assertEquals(jobs.length, 5001);
  assertEquals(jobs.find((j) => j.id === live.id)?.state, "running");
  await pool(fleet, ["on", "h1", "touch -d '10 days ago' .pool/jobs/old*.job"]);
  const pruned = await pool(fleet, ["jobs", "h1", "--prune", "--json"]);
  assertEquals(pruned.code, 0, pruned.stderr);
  assertEquals(JSON.parse(pruned.stdout).pruned.length, 5000);
  assertEquals((await pool(fleet, ["on", "h1", "ls .pool/jobs | grep -c ^old"])).stdout, "0\n");
  assertEquals((await jobJson(fleet, live.id))?.state, "running", "a running job is never pruned");
  await g.open();
});

fleetTest("another machine's job in a shared home is not this host's", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const mine = await bg(fleet, ["h1", "true"]);
  assertEquals((await pool(fleet, ["wait", mine.id])).code, 0);
  const record = (await pool(fleet, ["on", "h1", `cat .pool/jobs/${mine.id}.job`])).stdout;
  const machine = /^machine (\S+)$/m.exec(record)?.[1];
  assert(machine, record);
  // A record as another machine sharing this home (NFS) would write it: its pid is gone here.
  await pool(fleet, [
    "on",
    "h1",
    `cd .pool/jobs && sed 's/^machine .*/machine other-box/; /^exit /d; /^ended /d' ${mine.id}.job` +
    ` > nfsjob.job && echo sleep > nfsjob.cmd && echo theirs > nfsjob.log && touch -d '30 days ago' nfsjob.job`,
  ]);
  const listed = JSON.parse((await pool(fleet, ["jobs", "h1", "--all", "--json"])).stdout).jobs;
  assertEquals(listed.map((j: { id: string }) => j.id), [mine.id], "not listed as lost here");
  assertEquals((await pool(fleet, ["jobs", "h1", "--prune", "--days", "1"])).code, 0);
  const left = await pool(fleet, ["on", "h1", "ls .pool/jobs | grep -c ^nfsjob"]);
  assertEquals(left.stdout, "3\n", "its record and log kept: never pruned from here");
  const index = join(fleet.dir, "state", "jobs.json");
  const doc = JSON.parse(await Deno.readTextFile(index));
  doc.jobs.push({ id: "nfsjob", host: "h1", command: "sleep", started_ms: 0, gpus: [] });
  await Deno.writeTextFile(index, JSON.stringify(doc));
  for (const verb of ["logs", "kill"]) {
    const r = await pool(fleet, [verb, "nfsjob"]);
    assertEquals(r.code, 1, verb);
    assertMatch(r.stderr, /no job nfsjob/, verb);
  }
});

fleetTest(
  "a job pinned by bg sees its GPUs; a recycled pid holds no lease (issue 12, item 9)",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const g = gate(fleet, "pinned");
    const job = await bg(fleet, [
      "--gpus",
      "4",
      `echo "$CUDA_VISIBLE_DEVICES $POOL_GPUS"; ${g.wait}`,
    ]);
    await until("the log", async () => (await pool(fleet, ["logs", job.id])).stdout !== "");
    const [visible, own] = (await pool(fleet, ["logs", job.id])).stdout.trim().split(" ");
    assertEquals(visible, own);
    assertEquals(visible.split(",").length, 4);
    // Nothing left for two more while it runs.
    assertEquals((await pool(fleet, ["route", "--gpus", "2", "true"])).code, 75);
    // The kernel hands its pid to another process: same pid, another start time.
    const ledger = join(fleet.dir, "state", "leases.json");
    const doc = JSON.parse(await Deno.readTextFile(ledger));
    doc.leases[0].remote_start = "1";
    await Deno.writeTextFile(ledger, JSON.stringify(doc));
    const r = await pool(fleet, ["route", "--gpus", "2", "true"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await leasesIn(fleet), [], "the lease of the pid's old owner is gone");
    await g.open();
  },
  GPUS,
);

/** The fake nvidia-smi, counting its runs in ~/smi-calls on the host. */
const COUNTED = {
  bin: { "nvidia-smi": NVIDIA_SMI.replace("#!/bin/sh\n", '#!/bin/sh\necho >>"$HOME/smi-calls"\n') },
};

fleetTest(
  "pool leases asks a job's host whether it runs, and nothing else",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const calls = async () => (await pool(fleet, ["on", "h1", "wc -l <~/smi-calls"])).stdout.trim();
    const started = await pool(fleet, ["bg", "--gpus", "1", "--json", "sleep 60"]);
    assertEquals(started.code, 0, started.stderr);
    const { id } = JSON.parse(started.stdout.slice(started.stdout.indexOf("{")));
    try {
      const before = await calls();
      assertEquals(before, "1", "route's probe asked the GPUs once");
      const shown = await pool(fleet, ["leases", "--json"]);
      assertEquals(shown.code, 0, shown.stderr);
      assertEquals(JSON.parse(shown.stdout).leases.map((l: { state: string }) => l.state), [
        "live",
      ]);
      // A GPU tool can take seconds on a real host (or hang): leases never runs one.
      assertEquals(await calls(), before);
    } finally {
      await pool(fleet, ["kill", id]);
    }
  },
  COUNTED,
);

fleetTest(
  "a bg lease whose pool died before the hand-over follows its job, found by id",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    // The job a pool killed mid-launch left running: started, its pid never heard.
    const started = await pool(fleet, ["bg", "h1", "--json", "sleep 60"]);
    assertEquals(started.code, 0, started.stderr);
    const { id, pid } = JSON.parse(started.stdout);
    // A pool that is gone: a process that has ended.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    const lease = (leaseId: string, job: string) => ({
      id: leaseId,
      host: "h1",
      mem_bytes: 1024 * 1024,
      gpus: [],
      gpu_mem_bytes: 0,
      command: "sleep 60",
      pid: gone.pid,
      pid_start: "1",
      created_ms: Date.now() - 60_000,
      ttl_s: 86_400,
      job,
    });
    await Deno.writeTextFile(
      join(fleet.dir, "state", "leases.json"),
      JSON.stringify({ leases: [lease("ran", id), lease("never", "zzzzzz")] }),
    );
    try {
      const shown = await pool(fleet, ["leases", "--json"]);
      assertEquals(
        JSON.parse(shown.stdout).leases.map((l: { id: string; state: string }) => [l.id, l.state]),
        [["ran", "live"], ["never", "job never started"]],
      );
      // A route reaps the one that never started, and hands the other to its job.
      assertEquals((await pool(fleet, ["route", "--mem", "1M", "true"])).code, 0);
      const kept = await leasesIn(fleet);
      assertEquals(kept.map((l) => [l.job, l.remote_pid]), [[id, pid]]);
    } finally {
      await pool(fleet, ["kill", id]);
    }
    assertEquals(await leasesIn(fleet), [], "kill gave the lease back");
  },
);

fleetTest(
  "logs -f --json keeps each line's bytes; --timeout ends a follow",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "down", ssh: "refused" }]);
    const job = async (command: string) => {
      const r = await pool(fleet, ["bg", "h1", "--json", command]);
      assertEquals(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).id as string;
    };
    const id = await job(`sleep 0.5; printf 'a\\r\\nb\\n\\377x\\nno-newline'`);
    const r = await pool(fleet, ["logs", "-f", id, "--json"]);
    assertEquals(r.code, 0, r.stderr);
    const docs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(docs.slice(0, 4), [
      { id, line: "a\r" },
      { id, line: "b" },
      { id, line: "\ufffdx", line_base64: "/3g=" },
      { id, line: "no-newline", partial: true },
    ]);
    assertEquals([docs[4].state, docs[4].exit], ["exited", 0]);

    // A follow a script bounds: 124, and the job runs on.
    const long = await job("sleep 60");
    try {
      const bounded = await pool(fleet, ["logs", "-f", long, "--timeout", "1"]);
      assertEquals(bounded.code, 124, bounded.stderr);
      assertMatch(
        bounded.stderr,
        /^pool: stopped following \w+ at --timeout: it may still run on h1/,
      );
      assertMatch((await pool(fleet, ["jobs", "--json"])).stdout, /"state": "running"/);

      // A bg lease on a host that does not answer is kept by its TTL, and pool says it could not look.
      await Deno.writeTextFile(
        join(fleet.dir, "state", "leases.json"),
        JSON.stringify({
          leases: [{
            id: "L",
            host: "down",
            mem_bytes: 1,
            gpus: [],
            gpu_mem_bytes: 0,
            command: "x",
            pid: 0,
            pid_start: null,
            remote_pid: 4242,
            remote_start: "1",
            created_ms: Date.now(),
            ttl_s: 86_400,
          }],
        }),
      );
      const shown = await pool(fleet, ["leases", "--json"]);
      assertEquals(JSON.parse(shown.stdout).unanswered, ["down"]);
      assertMatch(
        shown.stderr,
        /^pool: warning: down did not answer: their bg leases were not checked\n$/,
      );
      // Removed from the roster meanwhile: not asked, and said so.
      await writeRoster(fleet, [{ name: "h1" }]);
      const gone = await pool(fleet, ["leases", "--json"]);
      assertEquals(JSON.parse(gone.stdout).not_in_roster, ["down"]);
      assertMatch(gone.stderr, /^pool: warning: down not in the roster: their bg leases were not/);
    } finally {
      await pool(fleet, ["kill", long]);
    }
  },
);

fleetTest("a job whose host rebooted is lost", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const job = await bg(fleet, ["h1", "sleep 300"]);
  // A reboot: every process of the job gone at once, with no time to write an end.
  const waiter = await pool(fleet, [
    "on",
    "h1",
    `sed -n 's/^waiter \\([0-9]*\\) .*/\\1/p' ~/.pool/jobs/${job.id}.job`,
  ]);
  const waiterPid = Number(waiter.stdout.trim());
  assert(waiterPid > 0, waiter.stdout);
  Deno.kill(waiterPid, "SIGKILL");
  Deno.kill(-job.pid, "SIGKILL");
  await until("the job gone", async () => (await jobJson(fleet, job.id))?.state !== "running");
  assertEquals((await jobJson(fleet, job.id))?.state, "lost");
  assertMatch((await pool(fleet, ["jobs"])).stdout, new RegExp(`^${job.id} +h1 +lost `, "m"));
  const follow = await pool(fleet, ["logs", "-f", job.id]);
  assertEquals(follow.code, 1);
  assertMatch(follow.stderr, /was lost/);
  assertEquals((await pool(fleet, ["wait", job.id])).code, 1);
});

fleetTest(
  "pool jobs --prune removes ended jobs past --days, never a running one",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const g = gate(fleet, "prune");
    const done = await bg(fleet, ["h1", "true"]);
    const running = await bg(fleet, ["h1", g.wait]);
    assertEquals((await pool(fleet, ["wait", done.id])).code, 0);
    // Both records three days old.
    const age = `touch -d '3 days ago' ~/.pool/jobs/${done.id}.job ~/.pool/jobs/${running.id}.job`;
    assertEquals((await pool(fleet, ["on", "h1", age])).code, 0);
    const kept = await pool(fleet, ["jobs", "--prune", "--days", "5"]);
    assertEquals([kept.code, kept.stdout], [0, ""]);
    const pruned = await pool(fleet, ["jobs", "--prune", "--days", "2"]);
    assertEquals([pruned.code, pruned.stdout], [0, `h1  pruned ${done.id}\n`]);
    const left = await pool(fleet, ["on", "h1", "ls ~/.pool/jobs"]);
    assertEquals(
      left.stdout,
      [".cmd", ".job", ".log"].map((e) => running.id + e).join("\n") + "\n",
    );
    assertMatch((await pool(fleet, ["logs", done.id])).stderr, /no job/);
    await g.open();
  },
);
