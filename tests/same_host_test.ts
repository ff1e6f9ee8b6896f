/**
 * One machine under two roster names gets every command twice: import adds the first name
 * of a machine only, add says so aloud, and add refuses `user@host:port`, which never connects.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";

const rosterNames = async (path: string) =>
  JSON.parse(await Deno.readTextFile(path)).hosts.map((h: { name: string }) => h.name);

fleetTest("one machine under two names is added once, and warned of", 3, async (t, fleet) => {
  const [h1, , h3] = fleet.hosts;
  const at = (h: { address: string }) => `ssh://root@${h.address}:${fleet.port}`;
  // The fleet's config, with two more names for h3: pool's own ssh config, as a user's is.
  const config = join(fleet.dir, "two_names");
  await Deno.writeTextFile(
    config,
    `Host web1 web1.lan\n  HostName ${h3.address}\n` + await Deno.readTextFile(fleet.sshConfig),
  );
  const env = { POOL_SSH_CONFIG: config };

  await t.step("import adds the first alias of a machine; the rest are present", async () => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const dry = await pool(fleet, ["import", "ssh-config", "--match", "web1*", "--dry-run"], {
      env,
    });
    assertEquals([dry.code, dry.stdout], [0, `would add web1 (${at(h3)})\n`], dry.stderr);
    assertMatch(dry.stderr, /^= web1\.lan \(same host as web1\)$/m);

    const json = await pool(fleet, ["import", "ssh-config", "--dry-run", "--json"], { env });
    assertEquals(json.code, 0, json.stderr);
    const actions = JSON.parse(json.stdout).hosts.map((
      h: { name: string; action: string; reason?: string },
    ) => `${h.name} ${h.action}${h.reason ? ` (${h.reason})` : ""}`);
    // noauth (another key) and badkey (another HostKeyAlias) reach h1's sshd, as h1 does.
    for (
      const line of [
        "h1 present",
        "web1 would_add",
        "web1.lan present (same host as web1)",
        "h3 present (same host as web1)",
        "noauth present (same host as h1)",
        "badkey present (same host as h1)",
        "h2 would_add",
      ]
    ) assert(actions.includes(line), `${line} not in ${actions.join(", ")}`);

    const real = await pool(fleet, ["import", "ssh-config", "--match", "web1*"], { env });
    assertEquals([real.code, real.stdout], [0, "+ web1 (web1)  linux\n"], real.stderr);
    assertMatch(real.stderr, /^= web1\.lan \(same host as web1\)$/m);
    // A later import of another name of it: present, by the roster's own resolution.
    const again = await pool(fleet, ["import", "ssh-config", "--match", "h3"], { env });
    assertEquals([again.code, again.stdout], [0, ""], again.stderr);
    assertMatch(again.stderr, /^= h3 \(same host as web1\)$/m);
    assertEquals(await rosterNames(fleet.roster), ["h1", "web1"]);
  });

  await t.step("add warns of a target another host reaches, and adds it", async () => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    const literal = await pool(fleet, ["add", "dup", "h1"]);
    assertEquals([literal.code, literal.stdout], [0, "+ dup (h1)  linux\n"], literal.stderr);
    assertEquals(
      literal.stderr,
      `pool: warning: dup reaches the same ssh target as h1 (${at(h1)}): ` +
        "pool on all would run there twice\n",
    );
    const resolved = await pool(fleet, ["add", "byaddr", at(h1)]);
    assertEquals(resolved.code, 0, resolved.stderr);
    assertMatch(resolved.stderr, /byaddr reaches the same ssh target as h1 \(/);
    const other = await pool(fleet, ["add", "three", "h3"]);
    assertEquals([other.code, other.stderr], [0, ""]);
    assertEquals(await rosterNames(fleet.roster), ["h1", "h2", "dup", "byaddr", "three"]);
  });

  await t.step(
    "add looks for the same machine for a while, not for every host's ssh -G",
    async () => {
      // A `Match exec` that stalls for the roster's hosts (a VPN check), never cached: asked of 24
      // hosts, 8 at a time, 10 s each, add waited 30 s for a check that is only a warning.
      const stalls = join(fleet.dir, "stalls");
      await Deno.writeTextFile(
        stalls,
        'Match host stall* exec "sleep 30"\n  User nobody\n' +
          await Deno.readTextFile(fleet.sshConfig),
      );
      await writeRoster(fleet, Array.from({ length: 24 }, (_, i) => ({ name: `stall${i + 1}` })));
      const started = Date.now();
      const r = await pool(fleet, ["add", "three", "h3"], { env: { POOL_SSH_CONFIG: stalls } });
      assertEquals([r.code, r.stdout], [0, "+ three (h3)  linux\n"], r.stderr);
      assertEquals(
        r.stderr,
        "pool: note: not every host was checked for being the same machine as h3: " +
          "ssh -G took over 3 s for them\n",
      );
      // A bound for the hang the check was, not a speed.
      assert(Date.now() - started < 20_000, `add took ${Date.now() - started} ms`);
    },
  );

  await t.step("add refuses user@host:port, which ssh reads as a host name", async () => {
    const before = await Deno.readTextFile(fleet.roster);
    const target = `root@${h3.address}:${fleet.port}`;
    const r = await pool(fleet, ["add", "d3", target]);
    assertEquals([r.code, r.stdout], [2, ""]);
    assertEquals(
      r.stderr,
      `pool: target "${target}": ssh reads ${h3.address}:${fleet.port} as a host name, not a ` +
        `host and port; use ${at(h3)}\n`,
    );
    assertEquals(await Deno.readTextFile(fleet.roster), before);
  });
});
