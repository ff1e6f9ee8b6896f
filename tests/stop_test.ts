/**
 * Stop means stop, against real sshd hosts: after a deadline, SIGINT,
 * SIGTERM or a closed stdout no process of the command is left on any host,
 * a route's lease outlives its remote command, and a typo never runs.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, POOL_SH, spawnPool, writeRoster } from "./helpers.ts";
import { assertGone, eventually, markerBase, processesWith, running, until } from "./procs.ts";
import { pidNamespaceTest } from "./pid_namespace.ts";
import type { Fleet } from "./hosts/harness.ts";

/** The nearest ancestor of `pid` whose command line matches `pattern`. */
async function ancestor(pid: number, pattern: RegExp): Promise<number> {
  for (let at = pid; at > 1;) {
    at = Number((await Deno.readTextFile(`/proc/${at}/stat`)).split(") ")[1].split(" ")[1]);
    const cmdline = (await Deno.readTextFile(`/proc/${at}/cmdline`)).replaceAll("\0", " ");
    if (pattern.test(cmdline)) return at;
  }
  throw new Error(`no ancestor of ${pid} matches ${pattern}`);
}

/** A command that sleeps, and one that forks children that sleep; `n` makes each run's marker unique. */
const SLEEPS = (n: number) => `sleep ${n}`;
const FORKS = (n: number) => `sh -c 'sleep ${n} & sleep ${n} & wait'; echo never`;

fleetTest("stopping pool ends the remote command's whole process tree", 2, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
  let n = markerBase();

  for (const [label, command] of [["sleeps", SLEEPS], ["forks children", FORKS]] as const) {
    await t.step(`--timeout, a command that ${label}`, async () => {
      const marker = String(++n);
      const r = await pool(fleet, ["on", "h1,h2", "--timeout", "2", command(n)]);
      assertEquals(r.code, 124, r.stderr);
      await assertGone(marker, "after --timeout");
    });

    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      await t.step(`${signal}, many hosts, a command that ${label}`, async () => {
        const marker = String(++n);
        const child = spawnPool(fleet, ["on", "h1,h2", command(n)]);
        await running(`sleep ${marker}`, 2);
        Deno.kill(child.pid, signal);
        const out = await child.output();
        assertEquals(out.code, signal === "SIGINT" ? 130 : 143);
        await assertGone(marker, `after ${signal}`);
      });
    }

    await t.step(`SIGINT, one host in the foreground, a command that ${label}`, async () => {
      const marker = String(++n);
      const child = spawnPool(fleet, ["on", "h1", command(n)]);
      await running(`sleep ${marker}`);
      Deno.kill(child.pid, "SIGINT");
      assertEquals((await child.output()).code, 130);
      await assertGone(marker, "after SIGINT to a foreground run");
    });

    await t.step(`a closed stdout, a command that ${label}`, async () => {
      const marker = String(++n);
      const child = spawnPool(fleet, [
        "on",
        "h1,h2",
        `while :; do echo tick; sleep 0.05; done & ${command(n)}`,
      ]);
      await running(`sleep ${marker}`, 2);
      const reader = child.stdout.getReader();
      await reader.read();
      await reader.cancel(); // what `| head -1` does
      const status = await child.status;
      assertEquals(status.code, 141, "like a pipeline member killed by SIGPIPE");
      assertEquals(await new Response(child.stderr).text(), "", "and quietly");
      await assertGone(marker, "after stdout closed");
    });

    await t.step(
      `a closed stdout, one host in the foreground, a command that ${label}`,
      async () => {
        const marker = String(++n);
        const child = spawnPool(fleet, [
          "on",
          "h1",
          `while :; do echo tick; sleep 0.05; done & ${command(n)}`,
        ]);
        await running(`sleep ${marker}`);
        const reader = child.stdout.getReader();
        await reader.read();
        await reader.cancel();
        const status = await child.status;
        assertEquals(status.code, 141, "as for many hosts");
        assertEquals(await new Response(child.stderr).text(), "", "and quietly");
        await assertGone(marker, "after stdout closed");
      },
    );
  }

  await t.step("SIGKILL to pool itself: the held stdin ends, and so does the command", async () => {
    const marker = String(++n);
    const child = spawnPool(fleet, ["on", "h1,h2", FORKS(n)]);
    await running(`sleep ${marker}`, 2);
    Deno.kill(child.pid, "SIGKILL");
    await child.output();
    await assertGone(marker, "after pool was SIGKILLed");
  });
});

fleetTest(
  "a route's lease is released only once its remote command is gone",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const ledger = join(fleet.dir, "state", "leases.json");
    const leases = async () => {
      try {
        return JSON.parse(await Deno.readTextFile(ledger)).leases.length as number;
      } catch {
        return 0;
      }
    };
    const child = spawnPool(fleet, ["route", "--mem", "16M", FORKS(31490)]);
    await running("sleep 31490", 2);
    assertEquals(await leases(), 1);
    Deno.kill(child.pid, "SIGTERM");
    // Watch the ledger: the moment it empties, the command must already be gone.
    while (await leases() > 0) await new Promise((r) => setTimeout(r, 10));
    assertEquals(await processesWith("31490"), [], "the lease outlived the command");
    assertEquals((await child.output()).code, 143);
  },
);

fleetTest(
  "a route killed outright ends its command, and its lease lapses with it",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const leases = async () => {
      const r = await pool(fleet, ["leases", "--json"]);
      return JSON.parse(r.stdout).leases as { state: string; ssh_pid?: number }[];
    };
    const child = spawnPool(fleet, ["route", "--mem", "16M", "sleep 31495"], "piped");
    await running("sleep 31495");
    // The foreground command reads the user's stdin (a pipe: /dev/null would be none), so no held
    // pipe ends it with pool; ssh is a group of its own: pool's guard ends it, and the supervisor
    // on the host sees its channel go.
    Deno.kill(child.pid, "SIGKILL");
    await child.output();
    await assertGone("sleep 31495", "after pool route was SIGKILLed");
    while ((await leases()).some((l) => l.state === "live")) {
      await new Promise((r) => setTimeout(r, 50));
    }
  },
);

fleetTest(
  "a route killed outright holds its lease until its command has ended on the host",
  1,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const live = async () => {
      const r = await pool(fleet, ["leases", "--json"]);
      return (JSON.parse(r.stdout).leases as { state: string }[]).some((l) => l.state === "live");
    };
    for (const [i, json] of [[31497, false], [31498, true]] as const) {
      await t.step(json ? "route --json" : "route", async () => {
        // A command that takes a second over its TERM, as a job saving a checkpoint does.
        const ended = join(fleet.dir, `ended-${i}`);
        const command = `trap 'sleep 1; echo >${ended}; exit 0' TERM; sleep ${i} & wait`;
        const child = spawnPool(fleet, [
          "route",
          ...(json ? ["--json"] : []),
          "--mem",
          "16M",
          command,
        ], "piped"); // the user's stdin: route carries its lease on the guard; --json, on its ssh
        await running(`sleep ${i}`);
        assert(await live(), "the lease is live while the command runs");
        Deno.kill(child.pid, "SIGKILL");
        await child.output();
        // Watch the lease: the moment it lapses, the command must have ended its cleanup.
        while (await live()) await new Promise((r) => setTimeout(r, 50));
        assert(
          await Deno.stat(ended).then(() => true, () => false),
          "the lease lapsed while the command was still ending",
        );
      });
    }
  },
);

fleetTest("Ctrl-Z (SIGTSTP) stops pool's ssh with pool; SIGCONT goes on", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const child = spawnPool(fleet, ["on", "h1", "sleep 3.31499; echo done"], "piped");
  await running("sleep 3.31499");
  const ssh = (await processesWith("3.31499")).map((p) => Number(p.split(" ")[0]))
    .filter((pid) => /^(\S*\/)?ssh\0/.test(Deno.readTextFileSync(`/proc/${pid}/cmdline`)));
  assertEquals(ssh.length, 1, "pool's ssh");
  const state = (pid: number) => Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1][0];
  Deno.kill(child.pid, "SIGTSTP");
  // Left running, that ssh read the user's terminal under the shell's prompt.
  const stopped = () => Promise.resolve(state(ssh[0]) === "T" && state(child.pid) === "T");
  assert(await eventually(stopped, 10_000), "pool and its ssh stopped");
  Deno.kill(child.pid, "SIGCONT");
  const out = await child.output();
  assertEquals([out.code, new TextDecoder().decode(out.stdout)], [0, "done\n"]);
});

fleetTest(
  "init and clean --dry-run | head -1: a closed stdout ends them quietly, no host 'failed'",
  2,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1", os: "linux" }, { name: "h2", os: "linux" }]);
    for (const verb of ["init", "clean"]) {
      const child = spawnPool(fleet, [verb, "h1,h2", "--dry-run"]);
      // Closed before pool writes a word: its first write fails, whatever the timing.
      await child.stdout.cancel();
      const status = await child.status;
      assertEquals(status.code, 141, verb);
      assertEquals(await new Response(child.stderr).text(), "", `${verb}: and quietly`);
    }
  },
);

fleetTest("init and clean --timeout bound a host that logs in and hangs", 1, async (_t, fleet) => {
  await writeRoster(fleet, [{ name: "h1", os: "linux" }, { name: "hang", os: "linux" }]);
  const init = await pool(fleet, [
    "init",
    "h1,hang",
    "--dry-run",
    "--json",
    "--timeout",
    "3",
    "--only",
    "earlyoom,swapfile",
  ]);
  assertEquals(init.code, 1, init.stderr);
  const hang = JSON.parse(init.stdout).hosts.find((h: { name: string }) => h.name === "hang");
  // One feature times out; the host is not asked again (it was 10 min a feature, for each).
  assertEquals(hang.features.map((f: { status: string }) => f.status), ["failed", "skipped"]);
  assertMatch(hang.features[1].message, /^not tried: the host timed out on /);
  assert(init.ms < 15_000, `init took ${Math.round(init.ms)} ms with --timeout 3`);
  const clean = await pool(fleet, ["clean", "hang", "--dry-run", "--timeout", "3"]);
  assertEquals(clean.code, 1);
  assert(clean.ms < 15_000, `clean took ${Math.round(clean.ms)} ms with --timeout 3`);
});

fleetTest(
  "pool on all yes | head -1 returns at once, even with a host that never answers",
  2,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }, { name: "silent" }]);
    const started = performance.now();
    const child = spawnPool(fleet, ["on", "all", "yes 31499"]);
    const reader = child.stdout.getReader();
    assertMatch(new TextDecoder().decode((await reader.read()).value), /^\[h[12] *\] 31499$/m);
    await reader.cancel();
    const status = await child.status;
    const waited = performance.now() - started;
    assertEquals(status.code, 141);
    // Not a speed test: the silent host's connect timeout is 10 s, and pool must not wait for it.
    assert(waited < 10_000, `waited ${waited} ms for a host that never answers`);
    await assertGone("yes 31499", "after head -1");
  },
);

fleetTest(
  "a mistyped option before the command is a usage error, and no ssh starts",
  2,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    // An ssh that only records that it was started.
    const bin = join(fleet.dir, "fake-bin");
    const log = join(fleet.dir, "ssh-started");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(join(bin, "ssh"), `#!/bin/sh\necho "$@" >> ${log}\nexit 0\n`, {
      mode: 0o755,
    });
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
    for (
      const args of [
        ["on", "h1,h2", "--jbos", "4", "uptime"],
        ["on", "h1,h2", "--dryrun", "echo would-run"],
        ["on", "h1", "--timeout", "soon", "true"],
        ["on", "h1,h2", "-x"],
        ["route", "--mem", "lots", "true"],
        ["status", "--timeout", "-1"],
        ["list", "--jobs", "-1"],
      ]
    ) {
      await t.step(args.join(" "), async () => {
        const r = await pool(fleet, args, { env });
        assertEquals(r.code, 2, r.stderr);
        assertMatch(r.stderr, /^pool: /);
        assertEquals(r.stdout, "");
        await Deno.stat(log).then(() => assert(false, "ssh was started"), () => {});
      });
    }
    await t.step("the old tool's trailing --jobs still works, with a notice", async () => {
      const r = await pool(fleet, ["on", "h1,h2", "echo", "hi", "--jobs", "1"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.split("\n").filter(Boolean).sort(), ["[h1] hi", "[h2] hi"]);
      assertMatch(r.stderr, /took trailing --jobs 1 as pool's options/);
    });
    await t.step("-- ends pool's options: what follows is the command's", async () => {
      const r = await pool(fleet, ["on", "h1", "--", "echo", "--jbos"]);
      assertEquals([r.code, r.stdout], [0, "--jbos\n"]);
    });
    await t.step("-- before the hosts ends them too, trailing --jobs included", async () => {
      const r = await pool(fleet, ["on", "--", "h1,h2", "echo", "hi", "--jobs", "1"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.split("\n").filter(Boolean).sort(), [
        "[h1] hi --jobs 1",
        "[h2] hi --jobs 1",
      ]);
      assertEquals(r.stderr, "");
      // A second `--` right after the host still only marks where the command starts.
      const twice = await pool(fleet, ["on", "--", "h1,h2", "--", "echo", "a"]);
      assertEquals([twice.code, twice.stdout.split("\n").filter(Boolean).sort()], [0, [
        "[h1] a",
        "[h2] a",
      ]]);
      // `--json` there is the command's, which the remote bash refuses: no JSON from pool.
      const one = await pool(fleet, ["on", "--", "h1", "--json", "true"]);
      assertEquals(one.stdout, "");
      assertMatch(one.stderr, /bash: --: invalid option/);
    });
  },
);

fleetTest(
  "--stdin sends the same bytes to every host; a piped stdin without it draws a notice",
  3,
  async (_t, fleet) => {
    await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));
    const bytes = "line one\n\0binary\xff\r\nlast, no newline";
    const r = await pool(fleet, ["on", "all", "--stdin", "--json", "od -An -c"], { stdin: bytes });
    assertEquals(r.code, 0, r.stderr);
    const outs = r.stdout.trim().split("\n").map((l) => JSON.parse(l).stdout);
    assertEquals(outs.length, 3);
    assert(outs.every((o) => o === outs[0]) && outs[0].includes("\\0"), outs[0]);
    const quiet = await pool(fleet, ["on", "all", "cat; echo ran"], { stdin: "data\n" });
    assertEquals(quiet.stdout.split("\n").filter(Boolean).length, 3);
    assertMatch(quiet.stderr, /stdin is not sent to many hosts; --stdin sends it to each/);
    const one = await pool(fleet, ["on", "h1", "--json", "cat; echo ran"], { stdin: "data\n" });
    assertMatch(
      one.stderr,
      /^pool: note: stdin is not sent with --json, [^\n]*; --stdin sends it\n/,
    );
    // --stdin reads it whole first: a pipe that never ends is held to the deadline, and an
    // endless stream to a size, never to pool's memory.
    for (
      const [what, args, input, code, said] of [
        [
          "a pipe that never ends",
          ["on", "all", "--stdin", "--timeout", "2", "cat"],
          "sleep 6",
          124,
          /stdin did not end within 2s/,
        ],
        [
          "one host, the same",
          ["on", fleet.hosts[0].name, "--stdin", "--timeout", "2", "cat"],
          "sleep 6",
          124,
          /stdin did not end within 2s/,
        ],
        [
          "an endless stream",
          ["on", "all", "--stdin", "cat"],
          "cat /dev/zero",
          1,
          /stdin is over 256 MiB/,
        ],
      ] as const
    ) {
      const child = new Deno.Command("sh", {
        args: ["-c", `${input} | ${POOL_SH} ${args.map((a) => `'${a}'`).join(" ")}`],
        env: childEnv(fleet.env),
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const out = await child.output();
      clearTimeout(bound);
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, code, `${what}: ${stderr}`);
      assertMatch(stderr, said);
    }
  },
);

fleetTest(
  "a command killed by a signal is 128+n and 'signalled'; only ssh's own failure is 255",
  2,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }, { name: "refused" }]);
    const segv = "kill -SEGV $$";
    assertEquals((await pool(fleet, ["on", "h1", segv])).code, 139, "one host");
    assertEquals((await pool(fleet, ["on", "local", segv])).code, 139, "this machine");
    assertEquals((await pool(fleet, ["on", "h1,h2", segv])).code, 139, "many hosts");
    const json = await pool(fleet, ["on", "h1,h2", "--json", segv]);
    assertEquals(json.code, 139);
    for (const line of json.stdout.trim().split("\n")) {
      const r = JSON.parse(line);
      assertEquals([r.exit, r.status, r.reason], [139, "signalled", undefined]);
    }
    const own255 = await pool(fleet, ["on", "h1,h2", "--json", "exit 255"]);
    assertEquals(
      JSON.parse(own255.stdout.split("\n")[0]).status,
      "failed",
      "the command's own 255",
    );
    // A nested ssh that lost its own host, in ssh's own words: still the command's 255.
    const nested = await pool(fleet, [
      "on",
      "h1,h2",
      "--json",
      "echo 'Connection to far closed by remote host.' >&2; exit 255",
    ]);
    for (const line of nested.stdout.trim().split("\n")) {
      assertEquals([JSON.parse(line).status, JSON.parse(line).exit], ["failed", 255], line);
    }
    // The connection itself broken under a running command (its sshd session killed):
    // unreachable, connection lost.
    const cut = spawnPool(fleet, ["on", "h1", "--json", "sleep 31477"]);
    await running("sleep 31477");
    const [sleeper] = await processesWith("sleep 31477", true);
    Deno.kill(await ancestor(Number(sleeper.split(" ")[0]), /^sshd: \S+@notty/), "SIGKILL");
    const lost = JSON.parse(new TextDecoder().decode((await cut.output()).stdout));
    assertEquals([lost.exit, lost.status], [255, "unreachable"]);
    assertMatch(lost.reason, /^connection lost/);
    // One host in the foreground reads the user's stdin, so no end of file tells its
    // supervisor: sshd's going does, and the command ends with the connection.
    const fg = spawnPool(fleet, ["on", "h1", "sleep 31478"]);
    await running("sleep 31478");
    const [fgSleeper] = await processesWith("sleep 31478", true);
    Deno.kill(await ancestor(Number(fgSleeper.split(" ")[0]), /^sshd: \S+@notty/), "SIGKILL");
    assertEquals((await fg.output()).code, 255);
    await assertGone("sleep 31478", "after the foreground command's connection broke");
    const down = await pool(fleet, ["on", "refused", "true"]);
    assertEquals(down.code, 255);
    const downJson = JSON.parse(
      (await pool(fleet, ["on", "refused,h1", "--json", "true"])).stdout.split("\n").find((l) =>
        l.includes('"refused"')
      )!,
    );
    assertEquals([downJson.exit, downJson.status, downJson.reason], [
      255,
      "unreachable",
      "refused",
    ]);
  },
);

fleetTest(
  "output that cannot be written is one line and exit 1; binary output round-trips through --json",
  2,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    // One host in the foreground too: ssh alone drops what it cannot write and exits 0.
    // Help and --version too: written by commander and by pool.ts, not through Output.
    for (
      const args of [
        ["on", "h1,h2", "echo x"],
        ["on", "h1", "echo x"],
        ["list", "--fast"],
        [],
        ["--help"],
        ["on", "--help"],
        ["--version"],
      ]
    ) {
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          `exec "$0" run --allow-all "$@" >/dev/full`,
          Deno.execPath(),
          join(import.meta.dirname!, "..", "pool.ts"),
          ...args,
        ],
        env: childEnv(fleet.env),
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      });
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      assertEquals(stderr.trim().split("\n").length, 1, stderr);
      assertMatch(stderr, /^pool: cannot write to stdout: No space left on device/);
    }
    const r = await pool(fleet, ["on", "h1,h2", "--json", "printf 'a\\r\\nb\\377\\000'"]);
    for (const line of r.stdout.trim().split("\n")) {
      const bytes = Uint8Array.from(atob(JSON.parse(line).stdout_base64), (c) => c.charCodeAt(0));
      assertEquals([...bytes], [0x61, 0x0d, 0x0a, 0x62, 0xff, 0x00]);
    }
    const text = JSON.parse(
      (await pool(fleet, ["on", "h1,h2", "--json", "printf 'é\\r\\n'"])).stdout.split("\n")[0],
    );
    assertEquals([text.stdout, text.stdout_base64], ["é\r\n", undefined]);
  },
);

fleetTest(
  "a deadline no timer can hold never kills early; 0 means no limit wherever it is taken",
  2,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    const late = "sleep 1; echo done";
    for (
      const args of [
        ["on", "h1", "--timeout", "1000000000", late],
        ["on", "h1", "--timeout", "3000000", late],
        ["on", "h1,h2", "--timeout", "99999h", late],
        ["on", "h1,h2", "--timeout", "0", late],
        ["route", "--timeout", "0", "--wait", "99999h", "--mem", "1M", late],
        ["route", "--timeout", "1000000000", late],
      ]
    ) {
      await t.step(args.join(" "), async () => {
        const r = await pool(fleet, args);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /done$/m);
      });
    }
    await t.step("status and list take 0 as no limit, and the same duration syntax", async () => {
      for (const value of ["0", "30", "30s", "1m", "1h"]) {
        assertEquals((await pool(fleet, ["status", "--timeout", value])).code, 0, value);
      }
      assertEquals((await pool(fleet, ["list", "--timeout", "0"])).code, 0);
    });
  },
);

fleetTest(
  "a command that ends while pool is stopped past its --timeout has not timed out",
  2,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    let n = markerBase();
    for (const hosts of ["h1", "h1,h2"]) {
      await t.step(`on ${hosts}`, async () => {
        const marker = `sleep ${++n}`;
        const child = spawnPool(fleet, ["on", hosts, "--timeout", "8", `${marker}; echo done`]);
        await running(marker, hosts.split(",").length);
        // The deadline started before the command ran: past this, it has passed.
        const passed = performance.now() + 8000;
        Deno.kill(child.pid, "SIGSTOP");
        // The command ends while pool is stopped (its sleep cut short, when the test says, never
        // a race with the deadline); its ssh exits and waits, unreaped.
        for (const p of await processesWith(marker, true)) {
          Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
        }
        const others = async () =>
          (await processesWith(marker)).filter((p) => !p.startsWith(`${child.pid} `));
        await until("the command's end", async () => (await others()).length === 0);
        while (performance.now() < passed + 1000) await new Promise((r) => setTimeout(r, 100));
        Deno.kill(child.pid, "SIGCONT");
        const out = await child.output();
        const stderr = new TextDecoder().decode(out.stderr);
        // Both are ready once pool goes on, the deadline's timer first: the command's end wins.
        assertEquals(out.code, 0, stderr);
        assertMatch(new TextDecoder().decode(out.stdout), /done$/m);
        assert(!/timed out/.test(stderr), stderr);
      });
    }
  },
);

fleetTest(
  "a reader that stops reading does not stop pool's clock: the deadline and Ctrl-C still end the work",
  2,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    // `yes` fills any pipe at once; nobody reads pool's stdout here until the end.
    const yes = (n: number) => `yes stalled-${n}`;
    const remoteGone = async (n: number, what: string) => {
      const gone = async () => (await processesWith(`yes stalled-${n}`, true)).length === 0;
      for (let i = 0; i < 150 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 100));
      assert(await gone(), `${what}: yes still runs on a host`);
    };
    for (
      const [label, args, stop] of [
        ["--timeout", ["--timeout", "2"], null],
        ["SIGINT", [], "SIGINT"],
      ] as const
    ) {
      await t.step(label, async () => {
        const n = 27000 + Math.floor(Math.random() * 1000);
        const child = spawnPool(fleet, ["on", "h1,h2", ...args, yes(n)]);
        await running(`yes stalled-${n}`, 2);
        if (stop) Deno.kill(child.pid, stop);
        await remoteGone(n, label);
        // The reader goes away: pool ends with it (exit 141), or with its own code.
        await child.stdout.cancel();
        const status = await child.status;
        await child.stderr.cancel();
        assert([124, 130, 141].includes(status.code), `exit ${status.code}`);
      });
    }
  },
);

fleetTest(
  "on -t at a terminal: pool killed alone ends its ssh and the command; TERM as before",
  1,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    let n = markerBase();
    for (const [signal, code] of [["SIGKILL", 137], ["SIGTERM", 143]] as const) {
      await t.step(signal, async () => {
        const marker = `sleep ${++n}`;
        // The shell around pool stays after it, as a user's does: the terminal stays open, and
        // no hangup ends the ssh -t left in its foreground group. Read from a file, so that
        // only pool, its ssh and the command carry the marker.
        const run = join(fleet.dir, `tty-${n}.sh`);
        await Deno.writeTextFile(
          run,
          `${POOL_SH} on -t h1 '${marker}'\necho "exit=$?"\nread -r _\n`,
        );
        const term = new Deno.Command("script", {
          args: ["-qfec", `sh ${run}`, "/dev/null"],
          env: childEnv(fleet.env),
          clearEnv: true,
          stdin: "piped",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        let shown = "";
        const reading = (async () => {
          for await (const chunk of term.stdout) shown += new TextDecoder().decode(chunk);
        })();
        try {
          await running(marker);
          const [pool] = await processesWith(`on -t h1 ${marker}`);
          Deno.kill(Number(pool.split(" ")[0]), signal);
          await until("pool's end", () => Promise.resolve(/exit=\d+/.test(shown)));
          assertMatch(shown, new RegExp(`exit=${code}`));
          await assertGone(marker, `after ${signal} to pool alone`);
        } finally {
          term.kill("SIGKILL");
          await term.status;
          await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
        }
      });
    }
  },
);

/**
 * A pool on h1, SIGKILLed while its ssh runs `sleep 31496` over the shared
 * connection. Returns that ssh's number once it is gone, and reaped.
 */
async function killedOutright(fleet: Fleet): Promise<number> {
  await writeRoster(fleet, [{ name: "h1" }]);
  assertEquals((await pool(fleet, ["on", "h1", "true"])).code, 0); // the shared connection
  // The user's stdin, which a guard watches over (a pipe: /dev/null would be none).
  const child = spawnPool(fleet, ["on", "h1", "sleep 31496"], "piped");
  await running("sleep 31496");
  const [ssh] = (await processesWith(fleet.sshConfig)).filter((p) => p.includes("sleep 31496"));
  const pid = Number(ssh.split(" ")[0]);
  Deno.kill(child.pid, "SIGKILL");
  await child.output();
  // The guard ends the ssh at once: well within its own 2 s, never a wait without end.
  const exists = () => Deno.stat(`/proc/${pid}`).then(() => true, () => false);
  const deadline = Date.now() + 30_000;
  while (await exists()) {
    assert(Date.now() < deadline, `ssh ${pid} outlived the pool that was SIGKILLed`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return pid;
}

fleetTest(
  "the guard of a pool killed outright ends its ssh and the command",
  1,
  async (_t, fleet) => {
    await killedOutright(fleet);
    await assertGone("sleep 31496", "after pool was SIGKILLed");
  },
);

// In a pid namespace of its own: its writes to ns_last_pid steer no other test's forks.
const TAKEN =
  "the guard of a pool killed outright never signals a group that took its ssh's number";
pidNamespaceTest(TAKEN, import.meta.url, () =>
  fleetTest(TAKEN, 1, async (_t, fleet) => {
    const pid = await killedOutright(fleet);
    // Its number then goes to a process leading a group of its own, before the guard's 2 s are up.
    let other: Deno.ChildProcess | null = null;
    for (let i = 0; i < 50 && other === null; i++) {
      await Deno.writeTextFile("/proc/sys/kernel/ns_last_pid", String(pid - 1));
      const taker = new Deno.Command("setsid", { args: ["sleep", "600"] }).spawn();
      if (taker.pid === pid) other = taker;
      else {
        taker.kill("SIGKILL");
        await taker.status;
      }
    }
    assert(other, `pid ${pid} never came back`);
    try {
      await new Promise((r) => setTimeout(r, 3000)); // past the guard's 2 s
      assertEquals((await processesWith("sleep 600")).some((p) => p.startsWith(`${pid} `)), true);
    } finally {
      try {
        other.kill("SIGKILL");
      } catch { /* ended: what the test is about */ }
      await other.status;
    }
    await assertGone("sleep 31496", "after pool was SIGKILLed");
  }));
