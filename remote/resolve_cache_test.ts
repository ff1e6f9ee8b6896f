import { join } from "node:path";
import { assert, assertEquals } from "../tests/assert.ts";
import { configInputs, ResolveCache } from "./resolve_cache.ts";

/** Real `ssh -G -v` stderr for `target` under `config` (no connection is made). */
async function sshVerbose(config: string, target = "h1"): Promise<string> {
  const out = await new Deno.Command("ssh", {
    args: ["-F", config, "-G", "-v", "--", target],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stderr);
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "pool-resolve-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("configInputs() names the files ssh read, their folders and unmatched Include folders", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "conf.d"));
    await Deno.writeTextFile(join(dir, "conf.d", "a.conf"), "Host h1\n  Port 2222\n");
    const config = join(dir, "config");
    await Deno.writeTextFile(
      config,
      `Include ${dir}/conf.d/*.conf\nInclude ${dir}/later.d/*\nHost *\n  IdentityFile \${KEYS}/id\n`,
    );
    const inputs = await configInputs(await sshVerbose(config), "/nowhere");
    assertEquals(
      inputs?.paths.sort(),
      [
        dir,
        config,
        join(dir, "conf.d"),
        join(dir, "conf.d", "a.conf"),
        join(dir, "later.d"),
      ].sort(),
    );
    assertEquals(inputs?.env, ["KEYS"]);
    // The probe wrapper pool writes is its own business, not an input.
    assertEquals(
      (await configInputs(await sshVerbose(config), config))?.paths.includes(config),
      false,
    );
  });
});

Deno.test("configInputs() keeps nothing from a config with Match exec", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "config");
    await Deno.writeTextFile(config, `Match exec "test -e ${dir}/flag"\n  Port 2200\n`);
    assertEquals(await configInputs(await sshVerbose(config), "/nowhere"), null);
  });
});

Deno.test("configInputs() keeps nothing from a config with Match localnetwork", async () => {
  await withDir(async (dir) => {
    const config = join(dir, "config");
    await Deno.writeTextFile(
      config,
      `Host h1\n  User u\nMatch host h1 !LocalNetwork 10.0.0.0/8\n  HostName 203.0.113.1\n`,
    );
    // ssh's own line, not ssh's run: an ssh before 9.4 refuses the keyword, and
    // the config may still be read by a newer one on the same machine.
    const stderr = `debug1: Reading configuration data ${config}\n`;
    assertEquals(await configInputs(stderr, "/nowhere"), null);
  });
});

Deno.test("ResolveCache: an answer holds until a file, a folder, a variable or the cache itself changes", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "conf.d"));
    const config = join(dir, "config");
    await Deno.writeTextFile(
      config,
      `Include ${dir}/conf.d/*\nInclude ${dir}/missing.d/*\nHost h1\n  User \${WHO}\n`,
    );
    // Not beside the config: writing it would change the folder it is stamped by.
    await Deno.mkdir(join(dir, "state"));
    const file = join(dir, "state", "cache.json");
    const vars = { PATH: Deno.env.get("PATH") ?? "", HOME: dir, WHO: "alice" };
    const remember = async (value: string) => {
      const cache = new ResolveCache<string>(file, env(vars));
      const inputs = await configInputs(await sshVerbose(config), "/nowhere");
      assert(inputs);
      cache.put("h1", inputs, value);
      await cache.flushed();
    };
    const recall = () => new ResolveCache<string>(file, env(vars)).get("h1");

    await remember("v1");
    assertEquals(recall(), "v1");

    await Deno.writeTextFile(config, "# edited\n", { append: true });
    assertEquals(recall(), undefined, "the config file changed");
    await remember("v2");

    await Deno.writeTextFile(join(dir, "conf.d", "new.conf"), "Host h1\n  Port 2201\n");
    assertEquals(recall(), undefined, "a file appeared where an Include looks");
    await remember("v3");

    await Deno.mkdir(join(dir, "missing.d"));
    assertEquals(recall(), undefined, "an Include's folder appeared");
    await remember("v4");
    assertEquals(recall(), "v4");

    vars.WHO = "bob";
    assertEquals(recall(), undefined, "a variable the config uses changed");
    await remember("v5");

    await Deno.writeTextFile(file, "{ damaged");
    assertEquals(recall(), undefined, "a damaged cache is a miss, not an error");
    await remember("v6");
    assertEquals(recall(), "v6");
  });
});
