/**
 * Scripts written against the old tool, run as they were written: the old
 * tool's documented commands in bash pipelines (awk on `list --fast`, sort on
 * `on all`, grep on `status`). Each gets the old tool's output, except where
 * README "Changes from the old tool" says otherwise; those lines assert the
 * documented new shape and name the README row.
 */

import { assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, runWithPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

/** Runs a line of bash with `pool` on PATH, as an old script's cron job or Makefile would. */
const script = (fleet: Fleet, line: string) => runWithPool(fleet, "bash", ["-c", line]);

fleetTest(
  "the old tool's documented commands, in scripts, keep their shapes",
  2,
  async (t, fleet) => {
    const h2 = `root@${fleet.hosts[1].address}`;
    await writeRoster(fleet, []);

    await t.step("add prints '+ <name> (<target>)  <os>' and '  sudo'", async () => {
      const r = await script(fleet, `pool add h1 h1 && pool add h2 ${h2} --sudo`);
      assertEquals([r.code, r.stdout], [0, `+ h1 (h1)  linux\n+ h2 (${h2})  linux  sudo\n`]);
      // The old pool-akida rule: added like any host, kept out of `all`.
      const akida = await script(fleet, "pool add pi5-akida refused");
      assertEquals(akida.stdout, "+ pi5-akida (refused)  unknown\n");
      // README changes: "an unreachable host at add" (a warning on stderr; stdout unchanged).
      assertMatch(akida.stderr, /^pool: warning: pi5-akida \(refused\) did not answer/m);
    });

    await t.step(
      "list --fast | awk '{print $1}' gives the roster's names, one a line",
      async () => {
        const r = await script(fleet, "pool list --fast | awk '{print $1}'");
        assertEquals([r.code, r.stdout], [0, "h1\nh2\npi5-akida\n"]);
        const rows = await script(fleet, "pool list --fast");
        assertMatch(rows.stdout, /^h1 +h1 +linux\nh2 +root@\S+ +linux +sudo\n/);
        assertEquals(
          await script(fleet, "pool list --fast | wc -l").then((x) => x.stdout.trim()),
          "3",
        );
        // README changes: "desc column" (the excluded mark).
        assertMatch(rows.stdout, /^pi5-akida +refused +unknown +\(excluded\)$/m);
      },
    );

    await t.step(
      "the live list keeps the old header and columns; README: a local row last",
      async () => {
        const r = await script(fleet, "pool list | awk '{print $1}'");
        assertEquals(r.stdout, "load\nh1\nh2\npi5-akida\nlocal\n");
        const header = (await script(fleet, "pool list | head -n 1")).stdout;
        // Columns are as wide as their widest value: a load of 10.00 or more widens "load".
        assertMatch(header, /^ +load {2,}ram +gpu +disk +sudo {2}desc\n$/);
      },
    );

    await t.step("list --json is the roster document: .hosts[].name", async () => {
      const r = await script(
        fleet,
        `pool list --fast --json | python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(sys.stdin)["hosts"]))'`,
      );
      assertEquals(r.stdout, "h1 h2 pi5-akida\n");
    });

    await t.step("on <name> prints raw output and exits with the remote's code", async () => {
      assertEquals((await script(fleet, "pool on h1 echo hello")).stdout, "hello\n");
      assertEquals((await script(fleet, "pool on h1 'exit 7'; echo $?")).stdout, "7\n");
    });

    await t.step(
      "on all prefixes [name], drops empty lines, skips akida, exits with the largest code",
      async () => {
        const r = await script(fleet, `pool on all 'echo $((6 * 7)); echo; echo err >&2' | sort`);
        assertEquals(r.stdout, "[h1] 42\n[h1] err\n[h2] 42\n[h2] err\n");
        // README changes: "excluded hosts" (said on stderr).
        assertMatch(r.stderr, /^pool: warning: skipping excluded hosts: pi5-akida$/m);
        const codes = await script(fleet, "pool on all 'exit 3'; echo $?");
        assertEquals(codes.stdout.trim().split("\n").at(-1), "3");
      },
    );

    await t.step("on all: --jobs/--timeout after the command words still work", async () => {
      const r = await script(fleet, "pool on all echo x --jobs 1 --timeout 5 | sort");
      assertEquals([r.code, r.stdout], [0, "[h1] x\n[h2] x\n"]);
      const slow = await script(fleet, "pool on all sleep 5 --timeout 1; echo $?");
      assertEquals(slow.stdout.trim().split("\n").at(-1), "124");
      // README changes: "--jobs/--timeout in the middle" (they are the command's words now).
      const middle = await script(fleet, "pool on all echo --jobs 1 x | sort");
      assertEquals(middle.stdout, "[h1] --jobs 1 x\n[h2] --jobs 1 x\n");
    });

    await t.step("status, desc, refresh and rm print the old lines", async () => {
      const status = await script(fleet, "pool status | grep '\\[ok \\]' | awk '{print $1}'");
      assertEquals(status.stdout, "h1\nh2\n");
      assertEquals(
        (await script(fleet, "pool desc h1 the build box; pool desc h1")).stdout,
        "h1: the build box\nh1: description cleared\n",
      );
      const refresh = await script(fleet, "pool refresh | grep '^h'");
      assertEquals(refresh.stdout, "h1: linux → linux\nh2: linux → linux\n");
      assertEquals((await script(fleet, "pool rm h2")).stdout, "- h2\n");
    });

    await t.step(
      "errors exit 1 and keep their words; README: after 'pool: ', on stderr",
      async () => {
        const r = await script(fleet, "pool rm nosuch");
        assertEquals([r.code, r.stdout, r.stderr], [1, "", "pool: not in roster: nosuch\n"]);
        const dup = await script(fleet, "pool add h1 h1");
        assertEquals([dup.code, dup.stderr.trim()], [1, "pool: already in roster: h1"]);
        const help = await script(fleet, "pool");
        assertEquals(help.code, 0);
        assertMatch(help.stdout, /Usage: pool/);
      },
    );
  },
);
