/**
 * pool's ssh goes where the user's ssh_config says, with the host-key policy
 * it says: against real sshd test hosts, with ssh_configs written per test
 * that `Include` the fleet's own (its keys, port and known_hosts).
 */

import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, POOL_SH, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

/** An ssh_config with `blocks` first (ssh keeps the first value it reads), then the fleet's. */
async function sshConfig(fleet: Fleet, name: string, blocks: string): Promise<string> {
  const path = join(fleet.dir, name);
  // `Host *`: an Include inside the last block would apply to that block's host only.
  await Deno.writeTextFile(path, `${blocks}Host *\n  Include ${fleet.sshConfig}\n`);
  return path;
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

fleetTest("pool keeps the user's StrictHostKeyChecking for hosts it has never seen", 1, async (
  t,
  fleet,
) => {
  const a = fleet.hosts[0].address;
  const known = (alias: string) => join(fleet.dir, `known_hosts.${alias}`);
  const config = await sshConfig(
    fleet,
    "host_keys_config",
    ["strict yes", "asking ask", "fresh"].map((line) => {
      const [alias, value] = line.split(" ");
      return `Host ${alias}\n  HostName ${a}\n  UserKnownHostsFile ${known(alias)}\n` +
        (value ? `  StrictHostKeyChecking ${value}\n` : "");
    }).join(""),
  );
  await writeRoster(fleet, [{ name: "strict" }, { name: "asking" }, { name: "fresh" }]);
  const env = { POOL_SSH_CONFIG: config };

  await t.step("where the config says nothing, pool accepts a first key", async () => {
    const r = await pool(fleet, ["on", "fresh", "echo", "in"], { env });
    assertEquals([r.code, r.stdout], [0, "in\n"], r.stderr);
    assertMatch(await readOr(known("fresh"), ""), /ssh-ed25519/);
  });

  // The same address as `fresh`, whose master is still up: it must not carry these.
  await t.step("StrictHostKeyChecking yes: an unknown key is refused, not learnt", async () => {
    const r = await pool(fleet, ["on", "strict", "echo", "in"], { env });
    assertEquals([r.code, r.stdout], [255, ""]);
    assertMatch(r.stderr, /strict \(strict\) unreachable: host key/);
    assertEquals(await readOr(known("strict"), ""), "");
  });

  await t.step("an explicit ask is kept too (BatchMode cannot ask: refused)", async () => {
    const r = await pool(fleet, ["on", "asking", "echo", "in"], { env });
    assertEquals(r.code, 255);
    assertMatch(r.stderr, /asking \(asking\) unreachable: host key/);
  });
});

fleetTest("a changed HostName reaches the new host, not the old master", 2, async (t, fleet) => {
  const [a, b] = fleet.hosts.map((h) => h.address);
  await writeRoster(fleet, [{ name: "moving" }]);
  const where = async (config: string) => {
    const r = await pool(fleet, ["on", "moving", "echo $SSH_CONNECTION"], {
      env: { POOL_SSH_CONFIG: config },
    });
    assertEquals(r.code, 0, r.stderr);
    return r.stdout.trim().split(" ")[2];
  };

  await t.step("the same alias and config file, edited between two runs", async () => {
    const config = await sshConfig(fleet, "moving_config", `Host moving\n  HostName ${a}\n`);
    assertEquals(await where(config), a);
    assertEquals(await where(config), a, "a second run rides the master");
    await sshConfig(fleet, "moving_config", `Host moving\n  HostName ${b}\n`);
    assertEquals(await where(config), b);
  });
});

fleetTest(
  "ssh -G is asked once per target, and again once its config changes",
  3,
  async (t, fleet) => {
    await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name })));
    // An ssh on PATH that logs each `-G` it is asked, then is the real one.
    const bin = join(fleet.dir, "client-bin");
    const log = join(fleet.dir, "ssh-G.log");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      join(bin, "ssh"),
      `#!/bin/sh\nfor a; do [ "$a" = -G ] && echo G >> '${log}'; done\nexec /usr/bin/ssh "$@"\n`,
      { mode: 0o755 },
    );
    const config = await sshConfig(fleet, "counted_config", "");
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, POOL_SSH_CONFIG: config };
    const asked = async () => (await readOr(log, "")).split("\n").filter(Boolean).length;
    const run = async () => {
      const before = await asked();
      const r = await pool(fleet, ["on", "all", "true"], { env });
      assertEquals(r.code, 0, r.stderr);
      return (await asked()) - before;
    };

    // Two a host where the answer is new: the answer, then `-v` for what the cache stamps.
    await t.step("first run: two per host; second: none", async () => {
      assertEquals(await run(), 6);
      assertEquals(await run(), 0);
    });
    await t.step("an edited config is read again", async () => {
      await Deno.writeTextFile(config, "# edited\n", { append: true });
      assertEquals(await run(), 6);
      assertEquals(await run(), 0);
    });
  },
);

fleetTest(
  "a state directory with a space, a quote, a $ or a long path still reaches the hosts",
  1,
  async (t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    // A socket path of 95 bytes: under the 108 a socket holds, over what ssh's temporary
    // `<path>.<16 characters>` leaves.
    const long = "l".repeat(95 - (fleet.dir.length + "/".length + "/cm/".length + 20));
    for (const name of ["st ate", "it's", 'quo"te', "per%cent", "v${HOME}v", long]) {
      await t.step(name === long ? "a long path" : name, async () => {
        const state = join(fleet.dir, name, "pool.json");
        await Deno.mkdir(join(fleet.dir, name));
        await Deno.copyFile(fleet.roster, state);
        for (const run of ["first", "second"]) {
          const r = await pool(fleet, ["on", "h1", "echo ok"], { env: { POOL_STATE: state } });
          assertEquals([r.code, r.stdout], [0, "ok\n"], `${run} run: ${r.stderr}`);
        }
        // Where ssh can be told the path, the connection is shared: a master's socket is there.
        let sockets: Deno.DirEntry[] = [];
        try {
          sockets = [...Deno.readDirSync(join(fleet.dir, name, "cm"))];
        } catch { /* never made: nothing shared */ }
        assertEquals(sockets.length, /["%$]/.test(name) || name === long ? 0 : 1, name);
      });
    }
  },
);

fleetTest(
  "without POOL_SSH_CONFIG, hosts resolve through the config ssh reads: the passwd home's",
  2,
  async (_t, fleet) => {
    // Needs root: a mount namespace with its own /etc/passwd, where the account's home is not
    // $HOME (as under sudo -E, in containers, in CI). The real home is never touched.
    const [a, b] = fleet.hosts.map((h) => h.address);
    const accountHome = join(fleet.dir, "account-home");
    const envHome = join(fleet.dir, "env-home");
    for (const home of [accountHome, envHome]) {
      await Deno.mkdir(join(home, ".ssh"), { recursive: true });
    }
    // ssh reads the account's config: boxB is the second host. $HOME's says both are the first.
    await sshConfig(
      fleet,
      "account-home/.ssh/config",
      `Host boxA\n  HostName ${a}\nHost boxB\n  HostName ${b}\n`,
    );
    await sshConfig(fleet, "env-home/.ssh/config", `Host boxA boxB\n  HostName ${a}\n`);
    const passwd = join(fleet.dir, "passwd");
    await Deno.writeTextFile(
      passwd,
      (await Deno.readTextFile("/etc/passwd")).replace(
        /^root:([^:]*):0:0:([^:]*):[^:]*:/m,
        `root:$1:0:0:$2:${accountHome}:`,
      ),
    );
    await writeRoster(fleet, [{ name: "boxA" }, { name: "boxB" }]);
    const env = Object.fromEntries(
      Object.entries(childEnv(fleet.env)).filter(([k]) => k !== "POOL_SSH_CONFIG"),
    );
    // Which address each answered on; boxA first, so its master is up when boxB asks.
    const where = "set -- $SSH_CONNECTION; echo $3";
    const out = await new Deno.Command("unshare", {
      args: [
        "-m",
        "sh",
        "-c",
        `mount --bind "$0" /etc/passwd && ${POOL_SH} on boxA '${where}' && ${POOL_SH} on boxB '${where}'`,
        passwd,
      ],
      env: { ...env, HOME: envHome },
      clearEnv: true,
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals([out.code, text], [0, `${a}\n${b}\n`], new TextDecoder().decode(out.stderr));
  },
  { ignore: Deno.uid() !== 0 },
);

fleetTest(
  "a state directory out of inodes still reaches the hosts, unshared",
  1,
  async (_t, fleet) => {
    // A tmpfs of its own for a state folder (root): one with room for a few entries.
    await writeRoster(fleet, [{ name: "h1" }]);
    const state = join(fleet.dir, "full");
    await Deno.mkdir(state);
    await command("mount", "-t", "tmpfs", "-o", "nr_inodes=16,size=1m", "tmpfs", state);
    try {
      const roster = join(state, "pool.json");
      await Deno.copyFile(fleet.roster, roster);
      await Deno.mkdir(join(state, "cm"), { mode: 0o700 }); // made by an earlier run
      for (let i = 0;; i++) {
        try {
          await Deno.writeFile(join(state, `fill-${i}`), new Uint8Array());
        } catch {
          break; // every inode taken: ssh could bind no socket in cm/
        }
      }
      const r = await pool(fleet, ["on", "h1", "echo hi"], { env: { POOL_STATE: roster } });
      assertEquals([r.code, r.stdout, r.stderr], [0, "hi\n", ""]);
    } finally {
      await command("umount", state);
    }
  },
  { ignore: Deno.uid() !== 0 },
);

async function command(...args: string[]) {
  const out = await new Deno.Command(args[0], { args: args.slice(1) }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}
