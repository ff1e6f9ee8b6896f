/**
 * Root running pool on a user's state (`sudo -E pool …`, a root cron job with POOL_STATE)
 * leaves it the user's: everything pool makes or replaces there belongs to the folder's owner.
 * Before, each was root's and 0600, and the user could no longer read their roster.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { pool } from "./helpers.ts";

const NOBODY = 65534;
const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];

/** A temp folder others may enter, holding `st`, nobody's; h1 refuses at once (port 1). */
async function nobodysState() {
  const dir = await Deno.makeTempDir({ prefix: "pool-root-state-" });
  await Deno.chmod(dir, 0o755);
  const st = join(dir, "st");
  await Deno.mkdir(st, { mode: 0o700 });
  const config = join(dir, "ssh_config");
  await Deno.writeTextFile(config, "Host h1\n  HostName 127.0.0.1\n  Port 1\n");
  const env = {
    HOME: join(dir, "home"),
    POOL_STATE: join(st, "pool.json"),
    POOL_SSH_CONFIG: config,
  };
  return { dir, st, env, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** Every path under `dir` (not `dir` itself) whose owner or group is not nobody's. */
async function notNobodys(dir: string): Promise<string[]> {
  const wrong: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const { uid, gid } = await Deno.lstat(path);
    if (uid !== NOBODY || gid !== NOBODY) wrong.push(`${entry.name} ${uid}:${gid}`);
    if (entry.isDirectory) wrong.push(...await notNobodys(path));
  }
  return wrong;
}

/** pool run as nobody: the built bundle only (the source form needs root's Deno cache). */
const asNobody = (env: Record<string, string>, args: string[]) =>
  new Deno.Command(AS_NOBODY[0], {
    args: [
      ...AS_NOBODY.slice(1),
      Deno.execPath(),
      "run",
      "--allow-all",
      "--no-config",
      BUNDLE,
      ...args,
    ],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", DENO_NO_UPDATE_CHECK: "1", ...env },
    clearEnv: true,
    stdin: "null",
  }).output().then((o) => ({
    code: o.code,
    stdout: new TextDecoder().decode(o.stdout),
    stderr: new TextDecoder().decode(o.stderr),
  }));

/** `pool: <what>: Permission denied (os error 13) (it belongs to uid 0)`, one line. */
const lockedOut = (what: string) =>
  new RegExp(`^pool: ${RegExp.escape(what)}: Permission denied[^\n]* \\(it belongs to uid 0\\)\n$`);

const BUNDLE = new URL("../dist/bundle/pool.js", import.meta.url).pathname;
const BUILT = Deno.env.get("POOL_TEST_FORM") === "built";

Deno.test({
  name: "root changing a user's state leaves every file it made or replaced the user's",
  ignore: Deno.uid() !== 0,
  fn: async (t) => {
    const s = await nobodysState();
    try {
      await Deno.writeTextFile(
        join(s.st, "pool.json"),
        '{"hosts": [{"name": "h1", "ssh": "h1"}]}\n',
      );
      await Deno.chown(s.st, NOBODY, NOBODY);
      await Deno.chown(join(s.st, "pool.json"), NOBODY, NOBODY);
      for (
        const args of [["tag", "h1", "gpu"], ["on", "h1", "true"], ["route", "--mem", "1G", "true"]]
      ) {
        await pool(s, args);
      }
      const made = [...Deno.readDirSync(s.st)].map((e) => e.name).sort();
      // No cm/: root keeps its control sockets in its own temp folder (multiplex.ts socketDir).
      const expected = [
        "leases.json.lock",
        "pool.json",
        "pool.json.bak",
        "pool.json.lock",
        "ssh-resolve-cache.json",
      ];
      for (const name of expected) {
        assert(made.includes(name), `${name} in ${made}`);
      }
      assertEquals(await notNobodys(s.st), [], `made: ${made}`);
      assertEquals(Deno.statSync(join(s.st, "pool.json")).mode! & 0o777, 0o600);
      assert(!made.includes("cm"), `no cm/ of root's in the user's folder: ${made}`);

      await t.step({
        name: "and the user can still read and change it",
        ignore: !BUILT,
        fn: async () => {
          const hosts = await asNobody(s.env, ["hosts"]);
          assertEquals(hosts.code, 0, hosts.stderr);
          assertEquals(hosts.stdout, "h1\n");
          const list = await asNobody(s.env, ["list", "--json"]);
          assertEquals(list.code, 0, list.stderr);
          const tag = await asNobody(s.env, ["tag", "h1", "cpu"]);
          assertEquals(tag.code, 0, tag.stderr);
          const leases = await asNobody(s.env, ["leases"]);
          assertEquals(leases.code, 0, leases.stderr);
        },
      });
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "root making ~/.pool in a user's home gives it, and what is in it, to the user",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const s = await nobodysState();
    try {
      await Deno.mkdir(s.env.HOME, { mode: 0o700 });
      await Deno.chown(s.env.HOME, NOBODY, NOBODY);
      const env = { ...s.env, POOL_STATE: "" };
      const add = await pool({ env }, ["add", "h1", "h1"]);
      assertEquals(add.code, 0, add.stderr);
      assertEquals(await notNobodys(s.env.HOME), []);
      assertEquals(Deno.statSync(join(s.env.HOME, ".pool")).mode! & 0o777, 0o700);
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "a user's pool names the root-owned roster or lock file it cannot open, and its owner",
  ignore: Deno.uid() !== 0 || !BUILT,
  fn: async () => {
    const s = await nobodysState();
    try {
      const roster = join(s.st, "pool.json");
      await Deno.writeTextFile(roster, '{"hosts": [{"name": "h1", "ssh": "h1"}]}\n');
      await Deno.writeTextFile(roster + ".lock", "", { mode: 0o600 });
      await Deno.chown(s.st, NOBODY, NOBODY);
      await Deno.chown(roster, NOBODY, NOBODY);
      const tag = await asNobody(s.env, ["tag", "h1", "gpu"]);
      assertEquals(tag.code, 1);
      assertMatch(tag.stderr, lockedOut(`cannot open ${roster}.lock`));
      await Deno.chown(roster, 0, 0);
      await Deno.chmod(roster, 0o600);
      const hosts = await asNobody(s.env, ["hosts"]);
      assertEquals(hosts.code, 1);
      assertMatch(hosts.stderr, lockedOut(`cannot read roster ${roster}`));
    } finally {
      await s.cleanup();
    }
  },
});
