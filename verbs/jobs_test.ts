/** The job verbs (jobs, wait, kill) without sshd: which host is asked, how often, and what is said. */

import { assert, assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { IDLE_LINUX_PROBE as PROBE, jobLease, testDeps } from "../deps/testing.ts";
import type { PoolError } from "../errors.ts";
import { wait, WAIT_POLL_MS } from "./wait.ts";
import { kill } from "./kill.ts";
import { jobs } from "./jobs.ts";
import { bg } from "./bg.ts";
import { leases } from "./leases.ts";
import { logs } from "./logs.ts";

const ROSTER = { hosts: [{ name: "h1", ssh: "h1", os: "linux" }] };
const LIST = /^sh '-s' '--' list abc123$/;

/** What jobs.sh answers about job abc123: its record, and which of its processes run. */
function answer(tail: string): string {
  return `@@ now 100\n@@ job abc123\nrec started 40\nrec pid 10 500\nrec waiter 9 499\n${tail}cmd make\n@@ end\n`;
}
/** What launch.sh answers for the job it was asked to start: its pid and start, then its log. */
function launchAnswer(call: { command: string | null }) {
  const id = call.command!.split(" ")[3];
  return { stdout: `4242 77\n/root/.pool/jobs/${id}.log\n` };
}
const RUNNING = answer("alive 10 500\nalive 9 499\n");
const EXITED = answer("rec exit 3\nrec ended 90\n");

async function withJob() {
  const deps = await testDeps(ROSTER);
  await deps.jobs.update(() => ({
    jobs: [{ id: "abc123", host: "h1", command: "make", started_ms: 0, gpus: [] }],
    result: undefined,
  }));
  return deps;
}

Deno.test("wait asks the job's host until the job ends, then exits with its code", async () => {
  const deps = await withJob();
  deps.runner.stub("h1", LIST, { stdout: RUNNING });
  deps.runner.stub("h1", LIST, { stdout: EXITED });
  const started = deps.clock.now();
  assertEquals(await wait(["abc123"], {}, deps), 3);
  assertEquals(deps.out.stdoutText(), "abc123  h1  exited 3\n");
  assertEquals(deps.clock.now() - started, WAIT_POLL_MS);
  deps.runner.verify();
});

Deno.test("wait gives up at --timeout with 124, naming what still runs", async () => {
  const deps = await withJob();
  deps.runner.stub("h1", LIST, { stdout: RUNNING }, Infinity);
  const e = await assertRejects(() => wait(["abc123"], { timeout: 5000 }, deps));
  assertEquals((e as PoolError).exitCode, 124);
  assertEquals((e as Error).message, "still running after 5s: abc123");
});

Deno.test("wait waits for what a job left running in its group, then says its own code", async () => {
  const deps = await withJob();
  deps.runner.stub("h1", LIST, { stdout: answer("rec exit 0\nrec ended 90\ngroup 2\n") });
  deps.runner.stub("h1", LIST, { stdout: answer("rec exit 0\nrec ended 90\ngroup 0\n") });
  assertEquals(await wait(["abc123"], {}, deps), 0);
  assertEquals(deps.out.stdoutText(), "abc123  h1  exited 0\n");
  assertMatch(deps.out.stderrText(), /^pool: note: abc123 exited 0; waiting for the 2 process/);
  deps.runner.verify();
  // --timeout still holds while they run.
  const bounded = await withJob();
  bounded.runner.stub("h1", LIST, { stdout: answer("rec exit 0\ngroup 1\n") }, Infinity);
  const e = await assertRejects(() => wait(["abc123"], { timeout: 3000 }, bounded));
  assertEquals((e as PoolError).exitCode, 124);
  assertEquals((e as Error).message, "still running after 3s: abc123 (what it left)");
});

Deno.test("jobs leaves out a lost job whose last sign of life is over a day old, as an ended one", async () => {
  const deps = await withJob();
  const day = 24 * 3600;
  const lost = (seen: number) =>
    `@@ now ${2 * day}\n@@ job abc123\nrec started 40\nrec pid 10 500\ncmd make\n` +
    `@@ seen abc123.log ${seen}\n@@ end\n`;
  deps.runner.stub("h1", /^sh '-s' '--' list$/, { stdout: lost(100) });
  deps.runner.stub("h1", /^sh '-s' '--' list$/, { stdout: lost(day + 100) }, 2);
  assertEquals(await jobs({}, deps), 0);
  assertEquals(deps.out.stdoutText(), "");
  assertEquals(await jobs({ all: true, json: true }, deps), 0);
  const [job] = JSON.parse(deps.out.stdoutText()).jobs;
  assertEquals([job.state, job.run_s, job.last_seen_s], ["lost", null, day + 100]);
  await jobs({}, deps);
  assertMatch(deps.out.stdoutText(), /abc123 +h1 +lost .* 1d00h\+ /);
  deps.runner.verify();
});

Deno.test("jobs lists what a host told before it ran out of time, and says the rest is missing", async () => {
  const deps = await withJob();
  deps.runner.stub("h1", /^sh '-s' '--' list$/, {
    code: 124,
    outcome: "timeout",
    stdout: "@@ now 100\n@@ job abc123\nrec started 40\nrec exit 0\ncmd make\n" +
      "@@ job half\nrec started 41\nrec pi",
  });
  assertEquals(await jobs({}, deps), 1);
  assertMatch(deps.out.stdoutText(), /^abc123 +h1 +exited 0 /m);
  assertEquals(deps.out.stdoutText().includes("half"), false, "the job cut short is not listed");
  assertMatch(
    deps.out.stderrText(),
    /^pool: h1: timeout: listed the 1 job\(s\) it told of by then/,
  );
  deps.runner.verify();
});

Deno.test("kill sends the signal through kill.sh and gives the job's lease back", async () => {
  const deps = await withJob();
  await deps.ledger.update(() => ({
    leases: [jobLease({ gpus: [0] })],
    result: undefined,
  }));
  deps.runner.stub("h1", /^sh '-s' '--' abc123 INT 10$/, {
    stdout: "@@ killed\nstarted 40\npid 10 500\nexit 130\nsignal INT\nended 90\n@@ end\n",
  });
  assertEquals(await kill("abc123", { signal: "INT" }, deps), 0);
  assertEquals(deps.out.stdoutText(), "abc123  h1  killed by SIGINT\n");
  assertEquals(await deps.ledger.read(), []);
  deps.runner.verify();
});

Deno.test("kill refuses a signal that is not a name before it asks any host (as MCP sends it)", async () => {
  const deps = await testDeps();
  for (const signal of ["0", "9", "TERM; reboot", ""]) {
    const e = await assertRejects(() => kill("k3x9q2", { signal }, deps));
    assertEquals(
      (e as PoolError).message.startsWith("--signal expects a signal name"),
      true,
      signal,
    );
  }
});

Deno.test("jobs lists what the job index's hosts say, and names a host that did not answer", async () => {
  const deps = await withJob();
  deps.runner.stub("h1", /^sh '-s' '--' list$/, {
    code: 255,
    outcome: "unreachable",
    reason: "refused",
  });
  assertEquals(await jobs({}, deps), 1);
  assertEquals(deps.out.stderrText(), "pool: h1: refused\n");
});

Deno.test("bg stopped mid-launch ends the job it may have started, and keeps no lease", async () => {
  const deps = await testDeps(ROSTER);
  // launch.sh's answer never came: pool was stopped (Ctrl-C) while it ran.
  deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ /, { code: 130, outcome: "interrupted" });
  deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ TERM 2$/, { stdout: "@@ missing\n@@ end\n" });
  assertEquals(await bg(["h1", "sleep", "100"], {}, deps), 130);
  assertEquals(await deps.ledger.read(), []);
  assertEquals((await deps.jobs.read()).length, 0);
  deps.runner.verify();
});

Deno.test("bg never reuses a job id the index already has", async () => {
  const deps = await withJob(); // abc123 is taken
  const real = crypto.getRandomValues.bind(crypto);
  const draws = [[10, 11, 12, 1, 2, 3], [13, 14, 15, 4, 5, 6]]; // "abc123", then "def456"
  crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
    const next = draws.shift();
    if (next && array instanceof Uint8Array && array.length === 6) array.set(next);
    else real(array as unknown as Uint8Array);
    return array;
  }) as typeof crypto.getRandomValues;
  try {
    deps.runner.stub("h1", /^sh '-s' '--' def456 /, {
      stdout: "4242 77\n/root/.pool/jobs/def456.log\n",
    });
    assertEquals(await bg(["h1", "sleep", "100"], {}, deps), 0);
    assertEquals(deps.out.stdoutText().includes("job def456"), true, deps.out.stdoutText());
    deps.runner.verify();
  } finally {
    crypto.getRandomValues = real;
  }
});

Deno.test("bg takes no launcher answer whose log is not the job's log path: it never reaches the terminal", async () => {
  // A shell on the host that adds to what it prints (ESC sequences here) after launch.sh's answer.
  for (
    const log of ["/root/.pool/jobs/ID.log\x1b]0;PWNED\x07\x1b[2J", "/tmp/other.log", "ID.log"]
  ) {
    const deps = await testDeps(ROSTER);
    let id = "";
    deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ '-'$/, (call) => {
      id = call.command!.split(" ")[3];
      return { stdout: `4242 77\n${log.replace("ID", id)}\n` };
    });
    // What launch.sh said is not to be trusted: the job it may have started is ended.
    deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ TERM 2$/, { stdout: "@@ killed\n@@ end\n" });
    const e = await assertRejects(() => bg(["h1", "sleep 1"], {}, deps));
    assertMatch(e.message, /^could not start the job on h1: its launcher answered no pid and log/);
    assertEquals(deps.out.stdoutText(), "");
    assertEquals((await deps.jobs.read()).length, 0);
    deps.runner.verify();
  }
});

Deno.test("bg with a host given apart (as MCP gives it) refuses one not in the roster, never routes it", async () => {
  const deps = await testDeps(ROSTER);
  const e = await assertRejects(() => bg(["sleep 1"], { host: "h1,h2" }, deps));
  assertEquals((e as PoolError).message, "not in roster: h1,h2");
  deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ '-'$/, launchAnswer);
  assertEquals(await bg(["sleep 1"], { host: "h1" }, deps), 0);
  deps.runner.verify();
});

Deno.test("bg refuses a selection where its host goes: routed, it would run that text", async () => {
  const deps = await testDeps({
    hosts: [
      { name: "h1", ssh: "h1", os: "linux", tags: ["gpu"] },
      { name: "old", ssh: "old", os: "linux", exclude: true },
    ],
  });
  for (const word of ["@gpu", "all", "h1,old", "!old", "h*", "o?d", "h[1]"]) {
    const e = await assertRejects(() => bg([word, "echo", "hi"], {}, deps));
    assertMatch(
      (e as PoolError).message,
      /^bg takes one host name or none \(to route\), not a selection/,
    );
  }
  assertEquals(deps.out.stdoutText(), "");
  // One word with spaces is a whole command (MCP's routed bg): routed, never taken for hosts.
  const routed = await assertRejects(() => bg(["sort -t, -k2 f"], {}, deps));
  assert(!/not a selection/.test((routed as Error).message), (routed as Error).message);
});

Deno.test('bg refuses an empty first word: `pool bg "$HOST" …` with HOST unset runs nothing', async () => {
  const deps = await testDeps(ROSTER);
  for (const word of ["", " ", "\t"]) {
    // After a `--` too: that only says the words are not pool's options.
    for (const [words, opts] of [[[word], {}], [["--", word], { dashed: true }]] as const) {
      const e = await assertRejects(() => bg([...words, "touch /tmp/m"], opts, deps));
      assertEquals((e as PoolError).exitCode, 2);
      assertMatch((e as PoolError).message, /^empty host name: /);
    }
  }
  assertEquals(deps.out.stdoutText(), "");
  deps.runner.verify();
});

Deno.test("bg refuses a first word a typo away from a host's name: routed, it would run as the command", async () => {
  const deps = await testDeps({
    hosts: ["h1", "gpu2", "trainbox"].map((name) => ({ name, ssh: name, os: "linux" })),
  });
  const cases: [string, string][] = [
    ["gpu1", "gpu2"],
    ["GPU2", "gpu2"],
    ["H1", "h1"],
    ["h1 ", "h1"],
    [" gpu2", "gpu2"],
    ["trianbx", "trainbox"],
  ];
  for (const [word, host] of cases) {
    let json = false;
    const e = await assertRejects(() =>
      bg([word, "--json", "python3", "-c", "1"], { onJson: () => json = true }, deps)
    );
    const shown = /\s/.test(word) ? JSON.stringify(word) : word;
    assertEquals(
      (e as PoolError).message,
      `not in roster: ${shown} (did you mean ${host}?` +
        ` to route a command named ${shown}: pool bg -- ${shown} …)`,
    );
    assertEquals([(e as PoolError).exitCode, (e as PoolError).kind], [1, "not_in_roster"]);
    assert(json, "its --json was pool's: the error answers as JSON");
  }
  assertEquals(deps.out.stdoutText(), "");
  deps.runner.verify();
});

/** Routes `words` on a roster of one host, and says the command its job was launched with (its payload's line). */
async function routedCommand(host: string, words: string[], opts = {}): Promise<string> {
  const deps = await testDeps({ hosts: [{ name: host, ssh: host, os: "linux" }] });
  deps.runner.stub(host, /^sh '-s' '--'$/, { stdout: PROBE });
  let launched = "";
  deps.runner.stub(host, /^sh '-s' '--' [a-z0-9]+ '-'$/, (call) => {
    launched = /^pool_command=.*$/m.exec(call.options.payload ?? "")?.[0] ?? "";
    return launchAnswer(call);
  });
  assertEquals(await bg(words, opts, deps), 0, deps.out.stderrText());
  deps.runner.verify();
  return launched;
}

Deno.test("bg routes a first word near no host's name as the command, and a near miss after --", async () => {
  // h1 has two letters: only its case counts, or `ls` would be a typo of it.
  assertMatch(await routedCommand("h1", ["ls", "-l"]), /='ls -l'$/);
  assertMatch(await routedCommand("h1", ["h2", "x"]), /='h2 x'$/);
  assertMatch(await routedCommand("gpu2", ["python3", "-c", "1"]), /='python3 -c 1'$/);
  assertMatch(await routedCommand("gpu2", ["gpu12x"]), /=gpu12x$/);
  // MCP's routed command, one word with spaces, is never a host's near miss.
  assertMatch(await routedCommand("gpu2", ["gpu1 --version"]), /='gpu1 --version'$/);
  // After `--` the word is the command's, as the refusal says.
  assertMatch(
    await routedCommand("gpu2", ["--", "gpu1", "-c", "1"], { dashed: true }),
    /='gpu1 -c 1'$/,
  );
});

Deno.test("bg with a host refuses each option that only steers routing", async () => {
  const deps = await testDeps(ROSTER);
  const given: [Record<string, unknown>, string][] = [
    [{ mem: 1 << 30 }, "--mem"],
    [{ gpus: 1 }, "--gpus"],
    [{ gpuMem: 1 << 30 }, "--gpu-mem"],
    [{ os: "linux" }, "--os"],
    [{ pack: true }, "--pack"],
    [{ wait: 300_000 }, "--wait"],
    [{ wait: true }, "--wait"],
    [{ headroom: 0.2 }, "--headroom"],
    [{ ttl: 5000 }, "--ttl"],
  ];
  for (const [flags, flag] of given) {
    const e = await assertRejects(() => bg(["h1", "true"], flags, deps));
    assertEquals((e as PoolError).exitCode, 2);
    assertMatch((e as PoolError).message, new RegExp(`not both: h1 with ${flag}$`));
  }
  // The same words after the host, as the command line passes them.
  for (const words of [["--wait=5m"], ["--ttl", "5"], ["--pack"], ["--headroom", "20%"]]) {
    const e = await assertRejects(() => bg(["h1", ...words, "true"], {}, deps));
    assertEquals((e as PoolError).exitCode, 2, (e as Error).message);
    assertMatch((e as PoolError).message, /not both: h1 with --/);
  }
  assertEquals(deps.out.stdoutText(), "");
  deps.runner.verify();
});

Deno.test("bg whose job index cannot be written starts nothing, and says why", async () => {
  const deps = await testDeps(ROSTER);
  // A full disk: reading works, writing does not. Written after the launch, the job ran and
  // `pool jobs` said "no jobs".
  deps.jobs.update = () => Promise.reject(new Error("No space left on device (os error 28)"));
  const e = await assertRejects(() => bg(["h1", "sleep", "100"], {}, deps));
  assertEquals((e as PoolError).exitCode, 1);
  assertEquals(
    (e as Error).message,
    "cannot write the job index, so nothing was started: No space left on device (os error 28)",
  );
  assertEquals(deps.out.stdoutText(), "");
  deps.runner.verify(); // no launch asked of any host
});

Deno.test("bg whose index write fails once the job runs still says the job, with a warning", async () => {
  const deps = await testDeps(ROSTER);
  // The disk fills while the job starts: the line written before it is there; a `jobs --prune`
  // meanwhile took it out, and putting it back fails.
  const update = deps.jobs.update.bind(deps.jobs);
  let writes = 0;
  deps.jobs.update = (change, signal) =>
    ++writes === 1
      ? update(change, signal).then(async (id) => {
        await update(() => ({ jobs: [], result: undefined })); // the prune
        return id;
      })
      : Promise.reject(new Error("No space left on device (os error 28)"));
  deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ /, launchAnswer);
  // An error would tell a script the job never started, and it would start it again.
  assertEquals(await bg(["h1", "sleep", "100"], {}, deps), 0);
  assertMatch(deps.out.stdoutText(), /^h1 {2}job [a-z0-9]+ {2}pid 4242/);
  assertMatch(
    deps.out.stderrText(),
    /^pool: warning: job [a-z0-9]+ runs on h1, but it is not in the job index: No space left/,
  );
  deps.runner.verify();
});

Deno.test("bg's job is in the index while it starts, and leaves it when the launch fails", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", /^sh '-s' '--' [a-z0-9]+ /, async () => {
    // Asked of the host only once the index holds the job.
    assertEquals((await deps.jobs.read()).map((j) => j.host), ["h1"]);
    return { outcome: "ok", code: 0, stdout: "", stderr: "" };
  });
  deps.runner.stub("h1", /'TERM'/, { stdout: "@@ missing\n" });
  const e = await assertRejects(() => bg(["h1", "sleep", "100"], {}, deps));
  assertMatch((e as Error).message, /^could not start the job on h1: /);
  assertEquals(await deps.jobs.read(), []);
});

Deno.test("no jobs and no leases are said on stderr: stdout holds rows only", async () => {
  const deps = await testDeps(ROSTER);
  assertEquals(await jobs({}, deps), 0);
  assertEquals(await leases({}, deps), 0);
  assertEquals([deps.out.stdoutText(), deps.out.stderrText()], [
    "",
    "pool: no jobs\npool: no leases\n",
  ]);
});

Deno.test("jobs --prune keeps a job that pool bg indexed while the hosts were asked", async () => {
  const deps = await withJob();
  // h1 pruned abc123 and keeps nothing; meanwhile a bg on h1 indexed a new job.
  deps.runner.stub("h1", /prune 14$/, async () => {
    await deps.jobs.update((jobs) => ({
      jobs: [...jobs, { id: "new1", host: "h1", command: "sleep", started_ms: 1, gpus: [] }],
      result: undefined,
    }));
    return { stdout: "@@ now 100\n@@ pruned abc123\n@@ end\n" };
  });
  assertEquals(await jobs({ prune: true, days: 14 }, deps), 0);
  assertEquals((await deps.jobs.read()).map((j) => j.id), ["new1"]);
  deps.runner.verify();
});

Deno.test("jobs --prune whose index cannot be written still says what the hosts deleted", async () => {
  // A read-only state folder: the host deleted abc123's record and log; an error alone hid it.
  const deps = await withJob();
  deps.jobs.update = () =>
    Promise.reject(new Error("cannot open /s/jobs.json.lock: Read-only file system (os error 30)"));
  deps.runner.stub("h1", /prune 1$/, { stdout: "@@ now 100\n@@ pruned abc123\n@@ end\n" });
  assertEquals(await jobs({ prune: true, days: 1 }, deps), 0);
  assertEquals(deps.out.stdoutText(), "h1  pruned abc123\n");
  assertEquals(
    deps.out.stderrText(),
    "pool: warning: the job index still names what was pruned (cannot open /s/jobs.json.lock: " +
      "Read-only file system (os error 30)); the next jobs --prune forgets it\n",
  );
  // Nothing pruned and nothing to forget: no write, so nothing to warn of.
  const idle = await withJob();
  idle.jobs.update = () => Promise.reject(new Error("Read-only file system (os error 30)"));
  idle.runner.stub("h1", /prune 7$/, { stdout: "@@ now 100\n@@ kept abc123\n@@ end\n" });
  assertEquals(await jobs({ prune: true, json: true }, idle), 0);
  assertEquals(JSON.parse(idle.out.stdoutText()), { pruned: [], errors: [] });
  assertEquals(idle.out.stderrText(), "");
  deps.runner.verify();
  idle.runner.verify();
});

Deno.test("jobs --prune prints no id a host sends that is not a job id (ESC sequences)", async () => {
  const deps = await withJob();
  deps.runner.stub("h1", /prune 7$/, {
    stdout: "@@ now 100\n@@ pruned x\x1b]0;PWNED\x07\x1b[2Jy\n@@ pruned abc123\n@@ end\n",
  });
  assertEquals(await jobs({ prune: true }, deps), 0);
  assertEquals(deps.out.stdoutText(), "h1  pruned abc123\n");
  deps.runner.verify();
});

Deno.test("bg refuses a host left out (unusable) by name: never routed, never this machine", async () => {
  const deps = await testDeps({
    hosts: [
      { name: "h1", ssh: "h1", os: "linux" },
      { name: "buildbox", ssh: "buildbox", tags: ["bad tag"] },
      { name: "local", ssh: "root@elsewhere", tags: ["x y"] },
    ],
  });
  for (
    const [words, opts] of [
      [["buildbox", "make", "install"], {}],
      [["local", "echo", "hi"], {}],
      [["make"], { host: "buildbox" }],
      [["echo"], { host: "local" }],
    ] as [string[], { host?: string }][]
  ) {
    const e = await assertRejects(() => bg(words, opts, deps));
    assertMatch((e as PoolError).message, /^host "(buildbox|local)" is left out: /);
  }
  // One typo from a left-out host is a near miss too.
  const e = await assertRejects(() => bg(["buildbx", "make"], {}, deps));
  assertMatch((e as PoolError).message, /^not in roster: buildbx \(did you mean buildbox\?/);
  assertEquals(deps.out.stdoutText(), "");
  deps.runner.verify();
});

Deno.test("logs that cannot be read on the host is pool's failure (1), never the host's sh's 2", async () => {
  const deps = await withJob();
  // The host's sh exits 2 when a redirection fails; passed on, it read as pool's usage error.
  deps.runner.stub("h1", /abc123/, {
    code: 2,
    stderr: "sh: 1: cannot open x: Permission denied\n",
  });
  const e = await assertRejects(() => logs("abc123", {}, deps)) as PoolError;
  assertEquals([e.exitCode, e.kind], [1, "failed"]);
  deps.runner.verify();
});
