/** `pool on <host>` against real sshd test hosts: one host in the foreground. */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, POOL_SH, spawnPool, writeRoster } from "./helpers.ts";
import { processesWith, running } from "./procs.ts";
import { shQuote } from "../remote/quote.ts";
import { HOSTILE } from "./hostile.ts";

fleetTest("pool on <host>", 2, async (t, fleet) => {
  await writeRoster(fleet, [
    { name: "h1" },
    { name: "h2", ssh: `root@${fleet.hosts[1].address}` },
    { name: "uri", ssh: `ssh://root@${fleet.hosts[0].address}:${fleet.port}` },
    { name: "refused", ssh: "refused" },
    { name: "hang", ssh: "hang" },
  ]);

  await t.step("passes the remote exit code, stdout and stderr through", async () => {
    const r = await pool(fleet, ["on", "h1", "echo out; echo err >&2; exit 7"]);
    assertEquals([r.code, r.stdout, r.stderr], [7, "out\n", "err\n"]);
  });

  await t.step("joins the words with spaces for the remote shell, like ssh", async () => {
    const r = await pool(fleet, [
      "on",
      "h1",
      "echo",
      "$HOME",
      "$((6*7))",
      "|",
      "tr",
      "a-z",
      "A-Z",
    ]);
    assertEquals(r.stdout, "/ROOT 42\n");
    assertEquals((await pool(fleet, ["on", "h1", "echo $HOME"])).stdout, "/root\n");
  });

  await t.step("hostile arguments reach the remote shell exactly", async () => {
    for (const word of HOSTILE) {
      const r = await pool(fleet, ["on", "h1", "printf", "%s", shQuote(word)]);
      assertEquals([r.code, r.stdout], [0, word], JSON.stringify(word));
    }
    // Words that look like options, after the first, are the remote command's: not ssh's, not ours.
    const dash = await pool(fleet, [
      "on",
      "h1",
      "printf",
      "'%s\\n'",
      "-x",
      "--json",
      "--timeout",
      "1",
    ]);
    assertEquals(dash.stdout, "-x\n--json\n--timeout\n1\n");
  });

  await t.step("passes stdin through", async () => {
    const r = await pool(fleet, ["on", "h1", "wc", "-l"], { stdin: "a\nb\nc\n" });
    assertEquals(r.stdout.trim(), "3");
  });

  await t.step("a stdin of /dev/null is none: no byte to pass on, nothing to guard", async () => {
    const stdinOf = "readlink /proc/$$/fd/0";
    assertEquals((await pool(fleet, ["on", "h1", stdinOf])).stdout, "/dev/null\n", "as -n gives");
    const piped = await pool(fleet, ["on", "h1", stdinOf], { stdin: "" });
    assertMatch(piped.stdout, /^(pipe|socket):/, "a stdin that is something passes on");
    // Passed on, /dev/null tied the run to it: a guard of pool's beside the ssh.
    const child = spawnPool(fleet, ["on", "h1", "sleep 31702"]);
    await running("sleep 31702");
    const ssh = (await processesWith(fleet.sshConfig)).filter((p) => p.includes("sleep 31702"));
    assertEquals(ssh.length, 1, ssh.join("\n"));
    const pid = ssh[0].split(" ")[0];
    const guards = await processesWith(` pool-guard ${pid} `);
    assertEquals(guards, [], "no guard for a stdin of /dev/null");
    Deno.kill(child.pid, "SIGTERM");
    assertEquals((await child.output()).code, 143);
  });

  await t.step("reaches user@host and ssh:// targets", async () => {
    assertEquals(
      (await pool(fleet, ["on", "h2", "echo $SSH_CONNECTION"])).stdout.split(" ")[2],
      fleet.hosts[1].address,
    );
    assertEquals((await pool(fleet, ["on", "uri", "echo ok"])).stdout, "ok\n");
  });

  await t.step("-t gives the remote command a terminal", async () => {
    // script(1) puts pool itself on a pseudo-terminal, as a person's shell would.
    const line = `${POOL_SH} on h1 -t 'tty; exit 5'`;
    const out = await new Deno.Command("script", {
      args: ["-qec", line, "/dev/null"],
      env: childEnv(fleet.env),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    await out.stdin.close();
    const { code, stdout } = await out.output();
    assertMatch(new TextDecoder().decode(stdout), /\/dev\/pts\/\d+/);
    assertEquals(code, 5);
    const plain = await pool(fleet, ["on", "h1", "tty"]);
    assertEquals(plain.stdout, "not a tty\n");
  });

  await t.step("an unreachable host exits 255 and says why", async () => {
    const r = await pool(fleet, ["on", "refused", "true"]);
    assertEquals(r.code, 255);
    assertMatch(r.stderr, /pool: refused \(refused\) unreachable: refused/);
  });

  await t.step("the foreground ceiling kills a hung command: exit 124", async () => {
    const r = await pool(fleet, ["on", "hang", "--timeout", "2", "true"]);
    assertEquals(r.code, 124);
    assertMatch(r.stderr, /hang: timed out after 2s/);
    assert(r.ms < 10_000, `took ${r.ms} ms`);
  });

  await t.step(
    "pool's own line after a command's unfinished one starts a line of its own",
    async () => {
      const killed = "pool: h1: timed out after 1s, killed\n";
      // On stderr alone: the command's last words there had no newline.
      const err = await pool(fleet, ["on", "h1", "--timeout", "1", "printf partial >&2; sleep 5"]);
      assertEquals([err.code, err.stderr], [124, `partial\n${killed}`]);
      // stdout and stderr to one pipe (a harness's 2>&1): stdout's unfinished line is ended first.
      const merged = await new Deno.Command("sh", {
        args: ["-c", `${POOL_SH} on h1 --timeout 1 'printf partial; sleep 5' 2>&1`],
        env: childEnv(fleet.env),
        clearEnv: true,
        stdout: "piped",
      }).output();
      assertEquals(new TextDecoder().decode(merged.stdout), `partial\n${killed}`);
      // Apart, stdout keeps its bytes and stderr gets no empty line.
      const apart = await pool(fleet, ["on", "h1", "--timeout", "1", "printf partial; sleep 5"]);
      assertEquals([apart.stdout, apart.stderr], ["partial", killed]);
    },
  );

  await t.step(
    "local runs on this machine without ssh, even with an empty roster",
    async () => {
      const r = await pool(fleet, ["on", "local", "echo $$; exit 3"]);
      assertEquals(r.code, 3);
      assertMatch(r.stdout, /^\d+\n$/);
      await Deno.remove(fleet.roster);
      assertEquals((await pool(fleet, ["on", "local", "echo", "hi"])).stdout, "hi\n");
    },
  );

  await t.step("an unknown host is one line, exit 1", async () => {
    const r = await pool(fleet, ["on", "nope", "true"]);
    assertEquals([r.code, r.stderr], [1, "pool: not in roster: nope\n"]);
  });
});

fleetTest("output passes through pool without piling up in it", 2, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
  // Peak memory of a run, from GNU time; the output goes to /dev/null.
  const peakKiB = async (args: string) => {
    const out = await new Deno.Command("sh", {
      args: ["-c", `/usr/bin/time -f '%M' ${POOL_SH} ${args} >/dev/null`],
      env: childEnv(fleet.env),
      clearEnv: true,
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0);
    return Number(new TextDecoder().decode(out.stderr).trim().split("\n").at(-1));
  };
  // Hundreds of MB through pool: it must not keep what it has already written (it did, to the end).
  for (
    const [label, args] of [
      ["one host", `on h1 'head -c 600M /dev/zero'`],
      ["many hosts, line by line", `on h1,h2 'yes | head -c 200M'`],
    ]
  ) {
    await t.step(label, async () => {
      const kib = await peakKiB(args);
      assert(
        kib < 300 * 1024,
        `${label}: peak ${Math.round(kib / 1024)} MB for hundreds of MB of output`,
      );
    });
  }
});

fleetTest("a host that allows one session per connection (MaxSessions 1)", 1, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  await t.step("a second command while the master is busy says nothing of ssh's", async () => {
    // The master is made, then held by a command: the next one's session request through it is
    // refused by sshd, and ssh goes on over a connection of its own, saying so on stderr.
    assertEquals((await pool(fleet, ["on", "h1", "true"])).code, 0);
    const first = spawnPool(fleet, ["on", "h1", "echo started; sleep 3"]);
    const reader = first.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await reader.read()).value, "started\n");
    const second = await pool(fleet, ["on", "h1", "echo second"]);
    assertEquals([second.code, second.stdout, second.stderr], [0, "second\n", ""]);
    const json = await pool(fleet, ["on", "h1", "--json", "echo third"]);
    assertEquals(JSON.parse(json.stdout).stderr, "");
    await reader.cancel();
    await first.stderr.cancel();
    assertEquals((await first.status).code, 0);
  });
}, { sshd: ["MaxSessions 1"] });
