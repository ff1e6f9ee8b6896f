/**
 * A rebuild of the bundle leaves the chunks a running pool may still load: from a temp copy of
 * this checkout, installed into a temp HOME.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { childEnv } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function run(cmd: string, args: string[], env: Record<string, string>, cwd?: string) {
  const out = await new Deno.Command(cmd, { args, env, clearEnv: true, stdin: "null", cwd })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "pool tests",
  GIT_AUTHOR_EMAIL: "tests@pool.invalid",
  GIT_COMMITTER_NAME: "pool tests",
  GIT_COMMITTER_EMAIL: "tests@pool.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

interface Installed {
  checkout: string;
  pool: string;
  env: Record<string, string>;
  git: (...args: string[]) => Promise<void>;
}

/** This checkout's files (as they are, committed or not) in a fresh git repository, installed. */
async function installedCopy(body: (i: Installed) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "pool-launcher-" });
  const checkout = join(dir, "pool checkout");
  const home = join(dir, "home");
  const env = childEnv({ HOME: home, PATH: "/usr/bin:/bin", ...GIT_ENV });
  const git = async (...args: string[]) => {
    const out = await run("git", ["-C", checkout, ...args], env);
    assertEquals(out.code, 0, out.stderr);
  };
  try {
    const files = await run("git", ["ls-files", "-z", "-c", "-o", "--exclude-standard"], env, ROOT);
    for (const file of files.stdout.split("\0").filter(Boolean)) {
      const to = join(checkout, file);
      await Deno.mkdir(join(to, ".."), { recursive: true });
      await Deno.copyFile(join(ROOT, file), to).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e; // deleted, not yet committed
      });
    }
    await run("git", ["init", "-q", "-b", "main", checkout], env);
    await git("add", "-A");
    await git("commit", "-q", "-m", "pool as the tests found it");
    const install = await run(Deno.execPath(), [
      "run",
      "-A",
      join(checkout, "scripts", "install.ts"),
    ], env);
    assertEquals(install.code, 0, install.stderr);
    await body({ checkout, pool: join(home, ".hx", "bin", "pool"), env, git });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Makes `pool --version` answer `version`: a cheap change anyone can see. */
async function setVersion(checkout: string, version: string): Promise<void> {
  const file = join(checkout, "version.ts");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace(/VERSION = "[^"]*"/, `VERSION = "${version}"`));
}

Deno.test("a rebuild leaves the chunks of the build before it for the pools still running it", async () => {
  await installedCopy(async ({ checkout, env }) => {
    const bundle = join(checkout, "dist", "bundle");
    const names = () =>
      [...Deno.readDirSync(bundle)].map((e) => e.name).filter((n) => n.endsWith(".js"));
    const before = names();
    await setVersion(checkout, "0.1.0-next");
    const build = await run(
      Deno.execPath(),
      ["run", "-A", join(checkout, "scripts", "build.ts")],
      env,
    );
    assertEquals(build.code, 0, build.stderr);
    const after = names();
    assert(
      after.some((n) => !before.includes(n)),
      "the change made no new chunk: change something else",
    );
    assertEquals(before.filter((n) => !after.includes(n)), []);
  });
});
