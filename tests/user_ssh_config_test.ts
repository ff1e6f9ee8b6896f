/**
 * What a user's own ssh_config may say that pool's commands must still work
 * under: a connection master of their own, a RemoteCommand, a quiet LogLevel.
 * Against real sshd test hosts, with ssh_configs written per test that put
 * the user's lines first (ssh keeps the first value it reads) and then
 * `Include` the fleet's own (its keys, port and known_hosts).
 */

import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, type PoolRun, spawnPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";
import { assertGone, markerBase, processesWith } from "./procs.ts";

/** An ssh_config with `blocks` first, then the fleet's. */
async function sshConfig(fleet: Fleet, name: string, blocks: string): Promise<string> {
  const path = join(fleet.dir, name);
  // `Host *`: an Include inside the last block would apply to that block's host only.
  await Deno.writeTextFile(path, `${blocks}Host *\n  Include ${fleet.sshConfig}\n`);
  return path;
}

/** Runs the real ssh with `config`; its stderr. */
async function ssh(config: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("ssh", {
    args: ["-F", config, "-o", "BatchMode=yes", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stderr);
}

fleetTest("a wedged master of the user's own never hangs a command pool does not share", 1, async (
  t,
  fleet,
) => {
  const config = await sshConfig(
    fleet,
    "own_master_config",
    `Host *\n  ControlMaster auto\n  ControlPath ${fleet.dir}/ucm-%C\n  ControlPersist 600\n`,
  );
  await writeRoster(fleet, [{ name: "h1" }]);
  // The user's own ssh leaves its master behind; then that master stops answering.
  await ssh(config, ["h1", "true"]);
  const check = await ssh(config, ["-O", "check", "h1"]);
  const pid = Number(/pid=(\d+)/.exec(check)?.[1]);
  assertEquals(Number.isInteger(pid) && pid > 0, true, check);
  Deno.kill(pid, "SIGSTOP");
  try {
    // A generous deadline, so a run that went through the wedged master ends (124) rather than
    // hang the test: the check is the answer, not how fast it came.
    const answers = async (env: Record<string, string>) => {
      const r = await pool(fleet, ["on", "h1", "--timeout", "60", "echo", "hi"], {
        env: { POOL_SSH_CONFIG: config, ...env },
      });
      assertEquals([r.code, r.stdout], [0, "hi\n"], r.stderr);
    };

    await t.step("sharing turned off (as for a terminal's connection of its own)", async () => {
      await answers({ POOL_CONTROL_PERSIST: "0" });
    });

    await t.step("a state directory whose socket path would be too long", async () => {
      const state = join(fleet.dir, "s".repeat(100));
      await Deno.mkdir(state, { mode: 0o700 });
      await Deno.copyFile(fleet.roster, join(state, "pool.json"));
      await answers({ POOL_STATE: join(state, "pool.json") });
    });
  } finally {
    Deno.kill(pid, "SIGKILL");
  }
});

fleetTest("a RemoteCommand in the user's config leaves pool's commands alone", 1, async (
  t,
  fleet,
) => {
  const env = {
    POOL_SSH_CONFIG: await sshConfig(
      fleet,
      "remote_command_config",
      "Host h1\n  RemoteCommand echo REMOTE-COMMAND-RAN\n",
    ),
  };
  await writeRoster(fleet, [{ name: "h1" }]);

  await t.step("a command runs, and only it", async () => {
    const r = await pool(fleet, ["on", "h1", "echo", "hi"], { env });
    assertEquals([r.code, r.stdout], [0, "hi\n"], r.stderr);
  });

  await t.step("a copy goes there and back", async () => {
    const file = join(fleet.dir, "sent.txt");
    await Deno.writeTextFile(file, "sent\n");
    let r = await pool(fleet, ["push", "h1", file, "work/"], { env });
    assertEquals(r.code, 0, r.stderr);
    r = await pool(fleet, ["on", "h1", "cat", "work/sent.txt"], { env });
    assertEquals([r.code, r.stdout], [0, "sent\n"], r.stderr);
  });
});

fleetTest("LogLevel QUIET in the user's config: an unreachable host still says why", 1, async (
  t,
  fleet,
) => {
  const env = {
    POOL_SSH_CONFIG: await sshConfig(fleet, "quiet_config", "Host *\n  LogLevel QUIET\n"),
  };
  await writeRoster(fleet, [{ name: "h1" }, { name: "refused" }]);

  // Twice: the first run asks ssh -G, the second takes its answer from the cache.
  for (const run of ["first", "second"]) {
    await t.step(`refused, ${run} run`, async () => {
      const r = await pool(fleet, ["on", "refused", "true"], { env });
      assertEquals(r.code, 255, r.stderr);
      assertMatch(r.stderr, /refused \(refused\) unreachable: refused/);
    });
  }

  await t.step("a reachable host answers as ever", async () => {
    const r = await pool(fleet, ["on", "h1", "echo", "hi"], { env });
    assertEquals([r.code, r.stdout, r.stderr], [0, "hi\n", ""]);
  });
});

fleetTest("a login shell that changed from bash to sh -u: the command runs, once", 1, async (
  t,
  fleet,
) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  // A connection of its own each run: a shared one keeps the login shell its sshd looked up.
  const env = { POOL_CONTROL_PERSIST: "0" };
  // A fan-out: pool sends the bash form only where it could send a command twice (no stdin).
  const run = async () => {
    const r = await pool(fleet, ["on", "all", "echo ran >> ran.txt; echo hi"], { env });
    assertEquals([r.code, r.stdout], [0, "[h1] hi\n"], r.stderr);
  };

  await t.step("bash: pool learns it, then sends the bash form", async () => {
    await run();
    await run();
  });

  await t.step("root's login shell becomes a strict sh (inside the hosts' namespace)", async () => {
    const shell = join(fleet.dir, "strict-sh");
    await Deno.writeTextFile(shell, '#!/bin/sh\nexec /bin/sh -u "$@"\n', { mode: 0o755 });
    // In place: the file is bind-mounted over the hosts' /etc/passwd.
    const passwd = join(fleet.dir, "users", "passwd");
    const text = await Deno.readTextFile(passwd);
    await Deno.writeTextFile(passwd, text.replace(/^(root:[^\n]*:)[^:\n]*$/m, `$1${shell}`));
    await run();
    await run();
    const r = await pool(fleet, ["on", "h1", "cat ran.txt; echo $SHELL"], { env });
    assertEquals(r.stdout, `ran\n`.repeat(4) + `${shell}\n`, r.stderr);
  });
}, { users: true });

fleetTest("a state folder too deep for a control socket shares from a short one", 1, async (
  t,
  fleet,
) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const state = join(fleet.dir, "s".repeat(100));
  await Deno.mkdir(state, { mode: 0o700 });
  await Deno.copyFile(fleet.roster, join(state, "pool.json"));
  // Temp folders as short as a user's (the fleet's own is too deep to hold a socket).
  const temps: string[] = [];
  const shortTemp = async () => {
    temps.push(await Deno.makeTempDir({ prefix: "pt" }));
    return temps.at(-1)!;
  };
  /** `pool on h1 echo hi` with sockets kept under the temp folder `tmp`; its stderr. */
  const run = async (tmp: string) => {
    const r = await pool(fleet, ["on", "h1", "echo", "hi"], {
      env: { POOL_STATE: join(state, "pool.json"), TMPDIR: tmp },
    });
    assertEquals([r.code, r.stdout], [0, "hi\n"], r.stderr);
    return r.stderr;
  };
  /** Every file under `tmp`. */
  const sockets = async (tmp: string) => {
    const found: string[] = [];
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        const path = join(dir, e.name);
        if (e.isDirectory) await walk(path);
        else found.push(path);
      }
    };
    await walk(tmp);
    return found;
  };
  try {
    await t.step(
      "the first command leaves a master in the temp folder, the next finds it",
      async () => {
        const tmp = await shortTemp();
        assertEquals(await run(tmp), "");
        const [socket, ...more] = await sockets(tmp);
        assertEquals(more, []);
        assertMatch(socket, new RegExp(`^${tmp}/pool-${Deno.uid()}/[0-9a-f]{20}$`));
        assertEquals((await Deno.stat(join(tmp, `pool-${Deno.uid()}`))).mode! & 0o777, 0o700);
        // A live master answers at it.
        assertMatch(await ssh(fleet.sshConfig, ["-S", socket, "-O", "check", "h1"]), /running/);
        assertEquals(await run(tmp), "");
        assertEquals(await sockets(tmp), [socket]);
      },
    );

    await t.step("a temp folder others may enter is not used, and the user hears why", async () => {
      const tmp = await shortTemp();
      const mine = join(tmp, `pool-${Deno.uid()}`);
      await Deno.mkdir(mine);
      await Deno.chmod(mine, 0o777);
      const stderr = await run(tmp);
      assertMatch(stderr, /^pool: warning: ssh connections not shared: .* is open to other users/);
      assertEquals(stderr.trim().split("\n").length, 1, stderr);
      assertEquals(await sockets(tmp), []);
    });

    await t.step("nor is a link in its place", async () => {
      const tmp = await shortTemp();
      const elsewhere = await shortTemp();
      await Deno.symlink(elsewhere, join(tmp, `pool-${Deno.uid()}`));
      assertMatch(await run(tmp), /ssh connections not shared: .* is not a folder/);
      assertEquals(await sockets(elsewhere), []);
    });
  } finally {
    for (const dir of temps) await Deno.remove(dir, { recursive: true });
  }
});

/** Runs pool, killed past `ms` (the test then fails on its answer): a hang shows as one. */
async function bounded(
  fleet: Fleet,
  args: string[],
  env: Record<string, string>,
  ms: number,
): Promise<PoolRun & { killed: boolean }> {
  const started = performance.now();
  const child = spawnPool(fleet, args, "null", env);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, ms);
  const out = await child.output();
  clearTimeout(timer);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    stdout: text(out.stdout),
    stderr: text(out.stderr),
    ms: performance.now() - started,
    killed,
  };
}

fleetTest("a Match exec that never answers costs its host alone, for its deadline alone", 3, async (
  t,
  fleet,
) => {
  // A wedged gpg-agent behind `Match exec "gpg-connect-agent …"`: ssh -G runs it, and waits.
  const marker = `sleep ${markerBase()}`;
  const env = {
    POOL_SSH_CONFIG: await sshConfig(
      fleet,
      "stalled_exec_config",
      `Match host h2 exec "${marker}"\n  User root\n`,
    ),
  };
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }, { name: "h3" }]);
  // ssh -G's 10 s, and a generous slack for a loaded machine: a bound on a hang, not a speed.
  const bound = 45_000;
  const said = /ssh -G did not answer in 10 s \(a Match exec in your ssh config\?\)/;
  try {
    await t.step("pool list: h2 unreachable, saying why; the others answer", async () => {
      const r = await bounded(fleet, ["list", "--json"], env, bound);
      assertEquals(r.killed, false, `still running after ${bound} ms: ${r.stderr}`);
      const probes = (JSON.parse(r.stdout).hosts as { probe: { ok: boolean; error?: string } }[])
        .map((h) => h.probe);
      assertEquals(probes.map((p) => p.ok), [true, false, true], r.stdout);
      assertMatch(probes[1].error ?? "", said);
      await assertGone(marker, "pool list");
    });

    await t.step("pool on all true: h2 unreachable (255), saying why; the others ran", async () => {
      const r = await bounded(fleet, ["on", "all", "true"], env, bound);
      assertEquals([r.killed, r.code], [false, 255], r.stderr);
      assertMatch(r.stderr, /h2.*unreachable|unreachable.*h2/);
      assertMatch(r.stderr, said);
      assertEquals(/\bh[13]\b/.test(r.stderr), false, r.stderr);
      await assertGone(marker, "pool on all");
    });
  } finally {
    for (const p of await processesWith(marker)) {
      try {
        Deno.kill(Number(p.split(" ")[0]), "SIGKILL");
      } catch { /* gone */ }
    }
  }
});
