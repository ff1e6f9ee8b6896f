/**
 * Two supervisors, one contract, against real sshd hosts: root's login shell
 * there is bash (it runs supervise_bash.sh itself), the test user `plain`'s
 * is /bin/sh (it gets supervise.sh). pool learns which is which from
 * supervise.sh, keeps it in login-shells.json, and a wrong record costs a
 * round trip, never a result; no command is ever sent twice on a guess.
 */

import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { fleetTest, pool, spawnPool, writeRoster } from "./helpers.ts";
import { assertGone, markerBase, processesWith, running } from "./procs.ts";
import type { Fleet } from "./hosts/harness.ts";

/** The start of the supervisor's command line, as the command's shell sees its parent. */
const PARENT = `head -c 9 /proc/$PPID/cmdline | tr '\\0' ' '; echo`;

/**
 * SIGKILLs `child`, a pool, once `sleep MARKER` runs (`count` of them), then checks that
 * nothing of its work is left: not the command on the host, not an ssh here.
 */
async function killOutright(
  fleet: Fleet,
  child: Deno.ChildProcess,
  marker: string,
  what: string,
  count = 1,
): Promise<void> {
  await running(`sleep ${marker}`, count);
  Deno.kill(child.pid, "SIGKILL");
  await child.output();
  await assertGone(marker, what);
  const left = (await processesWith(fleet.sshConfig)).filter((p) => p.includes(`sleep ${marker}`));
  assertEquals(left, [], `${what}: no ssh left behind here`);
}

fleetTest("each login shell gets the supervisor it can run, and stop still means stop", 1, async (
  t,
  fleet,
) => {
  await writeRoster(fleet, [{ name: "root", ssh: "h1" }, { name: "plain", ssh: "plain@h1" }]);
  const file = join(fleet.dir, "state", "login-shells.json");
  const records = async () =>
    Object.entries(
      JSON.parse(await Deno.readTextFile(file)).entries as Record<
        string,
        { shell: string; at: number }
      >,
    );
  const recordOf = async (user: string) =>
    (await records()).find(([key]) => key.startsWith(`${user}@`))?.[1];

  // One host each, as a fan-out (--prefix): the path `pool on` takes for many hosts.
  const on = (who: string, ...rest: string[]) =>
    pool(fleet, ["on", who, "--prefix", "host:", ...rest]);
  const linesOf = (who: string, stdout: string) =>
    stdout.split("\n").filter((l) => l.startsWith(`${who}: `));
  const COUNT = "echo x >> ~/runs; wc -l < ~/runs";

  await t.step("bash: supervise.sh first, then the login shell is the supervisor", async () => {
    const first = await on("root", PARENT);
    assertEquals([first.code, first.stderr, first.stdout], [0, "", "root: sh -c __p\n"]);
    assertEquals((await recordOf("root"))?.shell, "bash");
    const r = await on("root", PARENT);
    assertEquals([r.code, r.stderr, r.stdout], [0, "", "root: bash -c e\n"]);
  });

  await t.step("bash: nothing but the command's output (job control says nothing)", async () => {
    for (let i = 0; i < 10; i++) {
      const r = await on("root", "true");
      assertEquals([r.code, r.stdout, r.stderr], [0, "", ""], `run ${i}`);
    }
  });

  await t.step(
    "sh: supervise.sh from the first contact, and pool remembers the shell is not bash",
    async () => {
      const r = await on("plain", `${PARENT}; ${COUNT}`);
      assertEquals([r.code, r.stderr, r.stdout], [0, "", "plain: sh -c __p\nplain: 1\n"]);
      assertEquals((await recordOf("plain"))?.shell, "other");
    },
  );

  await t.step("a host known not to run bash is not asked again", async () => {
    const before = await recordOf("plain");
    const r = await on("plain,root", COUNT);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(linesOf("plain", r.stdout), ["plain: 2"]);
    assertEquals(await recordOf("plain"), before, "a refusal would have renewed the record");
  });

  await t.step("a stale record (the shell changed) costs a retry, not a result", async () => {
    const data = JSON.parse(await Deno.readTextFile(file));
    for (const key of Object.keys(data.entries)) {
      if (key.startsWith("plain@")) data.entries[key] = { shell: "bash", at: Date.now() };
    }
    await Deno.writeTextFile(file, JSON.stringify(data));
    const r = await on("plain", COUNT);
    assertEquals([r.code, r.stderr, r.stdout], [0, "", "plain: 3\n"], "ran once, quietly");
    assertEquals((await recordOf("plain"))?.shell, "other");
  });

  await t.step(
    "a day-old refusal is revised once supervise.sh says the shell is bash",
    async () => {
      const data = JSON.parse(await Deno.readTextFile(file));
      for (const key of Object.keys(data.entries)) {
        data.entries[key] = { shell: "other", at: Date.now() - 2 * 24 * 3600_000 };
      }
      await Deno.writeTextFile(file, JSON.stringify(data));
      const r = await on("root,plain", "true");
      assertEquals([r.code, r.stderr], [0, ""]);
      assertEquals((await recordOf("root"))?.shell, "bash", "root's login shell is bash");
      assertEquals((await recordOf("plain"))?.shell, "other", "plain's is sh");
    },
  );

  let n = markerBase();
  for (const who of ["root", "plain"]) {
    await t.step(`${who}: a killed command is 128+n, a deadline ends its whole tree`, async () => {
      const segv = await on(who, "kill -SEGV $$");
      assertEquals(segv.code, 139, segv.stderr);
      const marker = String(++n);
      const r = await on(who, "--timeout", "2", `sh -c 'sleep ${n} & sleep ${n} & wait'`);
      assertEquals(r.code, 124, r.stderr);
      await assertGone(marker, `${who}: after --timeout`);
    });

    await t.step(`${who}: SIGKILL to pool ends the command (the held stdin ends)`, async () => {
      const marker = String(++n);
      const child = spawnPool(fleet, ["on", who, "--prefix", "host:", `sh -c 'sleep ${n} & wait'`]);
      await killOutright(fleet, child, marker, `${who}: after pool was SIGKILLed`);
    });

    await t.step(
      `${who}: SIGKILL to pool ends a foreground command too (stdin the user's)`,
      async () => {
        const marker = String(++n);
        // One host, in the foreground, over the shared connection: nothing of pool's is in its
        // stdin, and the connection's sshd outlives it.
        assertEquals((await pool(fleet, ["on", who, "true"])).code, 0);
        const child = spawnPool(fleet, ["on", who, `sh -c 'sleep ${n} & wait'`]);
        await killOutright(fleet, child, marker, `${who}: after a foreground pool was SIGKILLed`);
      },
    );
  }

  await t.step(
    "the command gets SIGINT and SIGQUIT at their defaults, as under plain ssh, in every form",
    async () => {
      const IGNORED = "sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status";
      // INT is bit 1 and QUIT bit 2 of the mask (signals 2 and 3).
      const neither = (hex: string) => (parseInt(hex.slice(-2), 16) & 0b110) === 0;
      for (const who of ["root", "plain"]) {
        const fanned = await on(who, IGNORED); // held stdin; root: the bash form
        const plain = await pool(fleet, ["on", who, IGNORED]); // inherited stdin: the sh form
        for (const [form, r] of [["held stdin", fanned], ["inherited stdin", plain]] as const) {
          assertEquals(r.code, 0, r.stderr);
          const mask = r.stdout.trim().split(" ").at(-1)!;
          assertEquals(neither(mask), true, `${who}, ${form}: SigIgn ${mask}`);
        }
      }
    },
  );

  await t.step("--stdin: bytes sent and closed tie nothing to pool, so it is guarded", async () => {
    const marker = String(++n);
    const child = spawnPool(
      fleet,
      ["on", "root,plain", "--stdin", `cat >/dev/null; sleep ${n}`],
      "piped",
    );
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("hi\n"));
    await w.close();
    await killOutright(fleet, child, marker, "after a --stdin pool was SIGKILLed", 2);
  });
  await t.step(
    "words before the marker, or no marker at all, never send a command twice",
    async () => {
      const ONCE = "echo x >> ~/once; wc -l < ~/once";
      // A ~/.bashrc that prints with no newline: the marker comes on the same line.
      assertEquals((await on("root", "printf 'printf noise >&2' > ~/.bashrc")).code, 0);
      const noisy = await on("root", ONCE);
      const all = noisy.stdout + noisy.stderr;
      assertEquals([noisy.code, linesOf("root", noisy.stdout)[0]], [0, "root: 1"], all);
      assertEquals([all.includes("@@pool"), all.includes("noise")], [false, true], all);
      assertEquals((await recordOf("root"))?.shell, "bash");
      // One that silences stderr: no supervisor says a word, as where a forced command runs.
      assertEquals((await on("root", "echo 'exec 2>/dev/null' > ~/.bashrc")).code, 0);
      const silent = await on("root", ONCE);
      assertEquals([silent.code, silent.stdout], [0, "root: 2\n"], silent.stderr);
      assertEquals(await recordOf("root"), undefined, "forgotten: supervise.sh asks next time");
      const again = await on("root", ONCE);
      assertEquals([again.code, again.stdout], [0, "root: 3\n"], again.stderr);
      assertEquals((await on("root", "rm ~/.bashrc")).code, 0);
    },
  );

  await t.step(
    "~/.bashrc is read once per command, by sshd's shell, under either supervisor",
    async () => {
      const setup = await on(
        "root",
        "echo 'echo x >> ~/bashrc-reads' > ~/.bashrc; : > ~/bashrc-reads",
      );
      assertEquals(setup.code, 0, setup.stderr);
      // Each read is itself a command: it counts its own reading of ~/.bashrc.
      const reads = async () => (await on("root", "wc -l < ~/bashrc-reads")).stdout;
      assertEquals(await reads(), "root: 1\n", "bash form: one read");
      const foreground = await pool(fleet, ["on", "root", "true"]);
      assertEquals(foreground.code, 0, foreground.stderr);
      assertEquals(await reads(), "root: 3\n", "sh form (a foreground command): one read");
    },
  );
}, { users: true });

/** A perl without IO::Poll, as Debian's perl-base alone is: the module is found, and dies. */
const PERL_BASE_ONLY = `#!/bin/sh
lib=\${TMPDIR:-/tmp}/pool-perl-base-only
mkdir -p "$lib/IO" && echo 'die "no IO::Poll here\\n";' > "$lib/IO/Poll.pm"
PERL5LIB=$lib exec /usr/bin/perl "$@"
`;

fleetTest(
  "a pool killed outright leaves nothing running on a host whose perl has no IO::Poll",
  1,
  async (
    t,
    fleet,
  ) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    let n = markerBase();
    await t.step("no IO::Poll: the supervisor still ends the command when sshd goes", async () => {
      assert(
        (await pool(fleet, ["on", "h1", "perl -e 'require IO::Poll'"])).code !== 0,
        "no IO::Poll",
      );
      const marker = String(++n);
      // A connection of its own: its sshd ends with it, which is what this supervisor watches.
      const child = spawnPool(fleet, ["on", "h1", `sleep ${n}`], "null", {
        POOL_CONTROL_PERSIST: "0",
      });
      await killOutright(fleet, child, marker, "on a host whose perl has no IO::Poll");
    });
  },
  { bin: { perl: PERL_BASE_ONLY } },
);
