/** status, refresh and add against real sshd test hosts. */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, spawnPool, writeRoster } from "./helpers.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

fleetTest("status, refresh and add over real ssh", 2, async (t, fleet) => {
  await t.step("add asks the host for its OS", async () => {
    const r = await pool(fleet, ["add", "h1", "h1", "--sudo"]);
    assertEquals([r.code, r.stdout, r.stderr], [0, "+ h1 (h1)  linux  sudo\n", ""]);
    const uri = `ssh://root@${fleet.hosts[1].address}:${fleet.port}`;
    assertEquals((await pool(fleet, ["add", "h2", uri])).stdout, `+ h2 (${uri})  linux\n`);
  });

  await t.step("add says what to do when the host refused the key or its host key", async () => {
    // Both are h1's sshd under another identity: said too (one machine under two names).
    const twin = (name: string) =>
      `pool: warning: ${name} reaches the same ssh target as h1 ` +
      `(ssh://root@${fleet.hosts[0].address}:${fleet.port}): pool on all would run there twice\n`;
    const noauth = await pool(fleet, ["add", "na", "noauth"]);
    assertEquals([noauth.code, noauth.stdout], [0, "+ na (noauth)  unknown\n"]);
    assertEquals(
      noauth.stderr,
      "pool: warning: na (noauth) answered but refused the login (auth); added with os unknown: " +
        "pool never asks for a password, so give it a key (ssh-copy-id noauth) or an ssh agent\n" +
        twin("na"),
    );
    const badkey = await pool(fleet, ["add", "bk", "badkey"]);
    assertEquals(
      badkey.stderr,
      "pool: warning: bk (badkey) answered with a host key ssh will not take (host key changed); " +
        "added with os unknown: ssh badkey says which and how to fix it\n" + twin("bk"),
    );
  });

  await writeRoster(fleet, [
    { name: "h1" },
    { name: "h2", os: "macos" },
    { name: "refused" },
    { name: "silent" },
    { name: "noauth" },
    { name: "badkey" },
    { name: "gone", ssh: "refused", exclude: true },
  ]);

  await t.step(
    "status shows [ok ] with the round trip, [x  ] with why, and exits 1",
    async () => {
      const r = await pool(fleet, ["status", "--timeout", "3"]);
      assertEquals(r.code, 1);
      const rows = r.stdout.trimEnd().split("\n");
      // An excluded host is checked too, as the old tool's status did, and marked.
      assertEquals(rows.length, 7);
      assertMatch(rows[0], /^h1 +\[ok \] +h1 +\d+ ms$/);
      assertMatch(rows[2], /^refused +\[x {2}\] +refused +refused$/);
      assertMatch(rows[3], /^silent +\[x {2}\] +silent +timeout$/);
      assertMatch(rows[4], /^noauth +\[x {2}\] +noauth +auth$/);
      assertMatch(rows[5], /^badkey +\[x {2}\] +badkey +host key changed$/);
      assertMatch(rows[6], /^gone +\[x {2}\] +refused +refused {2}\(excluded\)$/);
      assert(r.ms < 8_000, `took ${r.ms} ms`);
    },
  );

  await t.step("status exits 0 when every host answers", async () => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
    assertEquals((await pool(fleet, ["status"])).code, 0);
  });

  await t.step(
    "refresh re-probes the OS: old → new, and keeps what an unreachable host had",
    async () => {
      await writeRoster(fleet, [{ name: "h1", os: "macos" }, { name: "h2" }, {
        name: "refused",
        os: "linux",
      }]);
      const r = await pool(fleet, ["refresh"]);
      assertEquals(r.code, 1);
      assertEquals(r.stdout.split("\n").slice(0, 2), [
        "h1: macos → linux",
        "h2: linux → linux",
      ]);
      assertMatch(r.stdout, /^refused: linux → linux {2}\(did not answer: refused\)$/m);
      const hosts = JSON.parse(await Deno.readTextFile(fleet.roster)).hosts;
      assertEquals(hosts.map((h: { os: string }) => h.os), ["linux", "linux", "linux"]);
    },
  );

  await t.step(
    "status and refresh take excluded hosts too, even when only those are left",
    async () => {
      // The old tool's status and refresh walked every host; exclusion keeps a host out of work.
      const only = [{ name: "pi5-akida", ssh: "h2", os: "macos" }];
      await writeRoster(fleet, only);
      const r = await pool(fleet, ["refresh"]);
      assertEquals([r.code, r.stdout, r.stderr], [0, "pi5-akida: macos → linux\n", ""]);
      await writeRoster(fleet, only);
      const json = await pool(fleet, ["refresh", "--json"]);
      assertEquals(JSON.parse(json.stdout).hosts, [
        { name: "pi5-akida", old_os: "macos", os: "linux", status: "ok", excluded: true },
      ]);
      const s = await pool(fleet, ["status"]);
      assertEquals(s.code, 0, s.stderr);
      assertMatch(s.stdout, /^pi5-akida +\[ok \] +h2 +\d+ ms {2}\(excluded\)\n$/);
      const sj = JSON.parse((await pool(fleet, ["status", "--json"])).stdout).hosts[0];
      assertEquals([sj.status, sj.excluded], ["ok", true]);
    },
  );

  await t.step(
    "refresh leaves alone a host removed and added again while it asked (another target)",
    async () => {
      await writeRoster(fleet, [{ name: "web", ssh: "h2", os: "macos" }, { name: "silent" }]);
      // silent holds refresh for its 10 s probe deadline, long after web's answer is in.
      const refreshing = spawnPool(fleet, ["refresh"]);
      await new Promise((r) => setTimeout(r, 1000)); // refresh has read the roster
      assertEquals((await pool(fleet, ["rm", "web"])).code, 0);
      assertEquals((await pool(fleet, ["add", "web", "refused"])).code, 0);
      const r = await refreshing.output();
      assertEquals(r.code, 1, decode(r.stderr));
      assertMatch(decode(r.stdout), /^web: macos → linux {2}\(not written: changed meanwhile\)$/m);
      const web = JSON.parse(await Deno.readTextFile(fleet.roster)).hosts
        .find((h: { name: string }) => h.name === "web");
      assertEquals([web.ssh, web.os], ["refused", "unknown"], "what its own add found");
    },
  );
});
