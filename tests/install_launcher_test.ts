/**
 * The launcher `deno task install` writes (pool.bin when there is no compiled binary): its guards
 * and its rebuild of a bundle older than the checkout's HEAD, first with a stand-in Deno in a
 * folder of hostile names under dash and bash, then for real from a temp copy of this checkout.
 * Also: a rebuild leaves the chunks a running pool may still load.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { childEnv } from "./helpers.ts";
import { launcherScript } from "../scripts/install.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NOTE = "pool: note: rebuilding pool's bundle: the checkout changed since it was built\n";

async function run(cmd: string, args: string[], env: Record<string, string>, cwd?: string) {
  const out = await new Deno.Command(cmd, { args, env, clearEnv: true, stdin: "null", cwd })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/**
 * A stand-in Deno: `run …/scripts/build.ts` logs a build and writes "new" into the bundle (or
 * fails when FAKE_FAILS is set), anything else prints the bundle's content and its arguments.
 * Builtins only, so the launcher can run with an empty PATH.
 */
const FAKE_DENO = `#!/bin/sh
case "$*" in
*scripts/build.ts*)
  printf 'build\\n' >>"$FAKE_LOG"
  printf 'noise on stdout\\n'; printf 'noise on stderr\\n' >&2
  if [ -n "$FAKE_FAILS" ]; then exit 3; fi
  printf 'new\\n' >"$FAKE_BUNDLE" ;;
*)
  IFS= read -r content <"$FAKE_BUNDLE"
  printf '%s\\n' "ran $content with DENO_DIR=$DENO_DIR" "$@" ;;
esac
`;

interface Fake {
  checkout: string;
  bundle: string;
  deno: string;
  launcher: string;
  log: string;
  env: Record<string, string>;
}

/** A checkout with a bundle, a git HEAD on a branch and a build.ts, under a hostile name. */
async function fakeCheckout(
  body: (f: Fake) => Promise<void>,
  form: "bundle" | "source" = "bundle",
) {
  const dir = await Deno.makeTempDir({ prefix: "pool-launcher-" });
  const base = join(dir, `it's a "$HOME" \`id\` $(id) \\ dir`);
  const checkout = join(base, "checkout");
  const bundle = join(checkout, "dist", "bundle", "pool.js");
  const deno = join(base, "deno");
  const launcher = join(base, "pool.bin");
  const log = join(dir, "builds");
  try {
    await Deno.mkdir(join(checkout, "dist", "bundle"), { recursive: true });
    await Deno.mkdir(join(checkout, "scripts"));
    await Deno.mkdir(join(checkout, ".git", "refs", "heads"), { recursive: true });
    await Deno.writeTextFile(join(checkout, "scripts", "build.ts"), "");
    await Deno.writeTextFile(join(checkout, "pool.ts"), "old\n");
    await Deno.writeTextFile(join(checkout, ".git", "HEAD"), "ref: refs/heads/main\n");
    await Deno.writeTextFile(join(checkout, ".git", "refs", "heads", "main"), "0123abcd\n");
    await Deno.writeTextFile(bundle, "old\n");
    await Deno.writeTextFile(deno, FAKE_DENO, { mode: 0o755 });
    const denoDir = join(base, "cache");
    await Deno.writeTextFile(launcher, launcherScript({ deno, denoDir, checkout, form }), {
      mode: 0o755,
    });
    // The git files as an earlier commit left them, older than the build, and both in the past
    // (a file's mtime is the kernel's coarse clock: a later write may not look newer at once).
    const [commit, build] = [new Date(Date.now() - 60_000), new Date(Date.now() - 30_000)];
    await Deno.utime(join(checkout, ".git", "HEAD"), commit, commit);
    await Deno.utime(join(checkout, ".git", "refs", "heads", "main"), commit, commit);
    await Deno.utime(bundle, build, build);
    const env = {
      FAKE_LOG: log,
      FAKE_BUNDLE: form === "bundle" ? bundle : join(checkout, "pool.ts"),
      PATH: "",
    };
    await body({ checkout, bundle, deno, launcher, log, env });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function builds(log: string): Promise<number> {
  return (await Deno.readTextFile(log).catch(() => "")).split("\n").filter(Boolean).length;
}

/** Moves `path`'s mtime after the build's (and before any write the kernel's clock will stamp). */
async function touch(path: string): Promise<void> {
  const commit = new Date(Date.now() - 10_000);
  await Deno.utime(path, commit, commit);
}

for (const shell of ["/bin/sh", "/bin/bash"]) {
  const launch = (f: Fake, args: string[] = [], env: Record<string, string> = {}) =>
    run(shell, [f.launcher, ...args], { ...f.env, ...env });

  Deno.test(`${shell}: the launcher runs the bundle with builtins only, paths and arguments intact`, async () => {
    await fakeCheckout(async (f) => {
      const out = await launch(f, ["a b", "$HOME", "`id`", ""]);
      const cache = join(f.deno, "..", "cache");
      assertEquals(out, {
        code: 0,
        stdout: [
          `ran old with DENO_DIR=${cache}`,
          "run",
          "--allow-all",
          "--no-config",
          "--v8-flags=--no-lazy,--min-semi-space-size=16",
          f.bundle,
          "a b",
          "$HOME",
          "`id`",
          "",
          "",
        ]
          .join("\n"),
        stderr: "",
      });
      assertEquals(await builds(f.log), 0);
      const own = await launch(f, [], { DENO_DIR: "/elsewhere" });
      assert(own.stdout.startsWith("ran old with DENO_DIR=/elsewhere\n"), own.stdout);
    });
  });

  Deno.test(`${shell}: the launcher rebuilds once when the branch moved since the build`, async () => {
    await fakeCheckout(async (f) => {
      await touch(join(f.checkout, ".git", "refs", "heads", "main"));
      const first = await launch(f, ["x"]);
      assertEquals([first.code, first.stderr, first.stdout.split("\n")[0]], [
        0,
        NOTE,
        `ran new with DENO_DIR=${join(f.deno, "..", "cache")}`,
      ]);
      const second = await launch(f, ["x"]);
      assertEquals([second.code, second.stderr, await builds(f.log)], [0, "", 1]);
    });
  });

  Deno.test(`${shell}: the launcher rebuilds when HEAD itself moved (a checkout of another commit)`, async () => {
    await fakeCheckout(async (f) => {
      await Deno.writeTextFile(join(f.checkout, ".git", "HEAD"), "89abcdef\n");
      const out = await launch(f);
      assertEquals([out.code, out.stderr, await builds(f.log)], [0, NOTE, 1]);
    });
  });

  Deno.test(`${shell}: when the rebuild fails the launcher says so in one line and runs the old bundle`, async () => {
    await fakeCheckout(async (f) => {
      await touch(join(f.checkout, ".git", "refs", "heads", "main"));
      const out = await launch(f, [], { FAKE_FAILS: "1" });
      assertEquals(out.code, 0);
      assert(out.stdout.startsWith("ran old "), out.stdout);
      assertEquals(
        out.stderr,
        NOTE +
          `pool: warning: cannot rebuild pool's bundle (deno task build in ${f.checkout} says why); running the old one\n`,
      );
    });
  });

  Deno.test(`${shell}: a .git file (a worktree, a submodule) skips the check`, async () => {
    await fakeCheckout(async (f) => {
      await Deno.remove(join(f.checkout, ".git"), { recursive: true });
      await Deno.writeTextFile(join(f.checkout, ".git"), "gitdir: /nowhere/.git/worktrees/x\n");
      const out = await launch(f);
      assertEquals([out.code, out.stderr, await builds(f.log)], [0, "", 0]);
    });
  });

  Deno.test(`${shell}: the launcher rebuilds a bundle git clean removed`, async () => {
    await fakeCheckout(async (f) => {
      await Deno.remove(f.bundle);
      const out = await launch(f);
      assertEquals(
        out.stderr,
        "pool: note: rebuilding pool's bundle: it is missing (a git clean?)\n",
      );
      assert(out.stdout.startsWith("ran new "), out.stdout);
      await Deno.remove(f.bundle);
      const failed = await launch(f, [], { FAKE_FAILS: "1" });
      assertEquals(failed.code, 1);
      assertEquals(
        failed.stderr.split("\n")[1],
        `pool: cannot rebuild pool's bundle (deno task build in ${f.checkout} says why)`,
      );
    });
  });

  Deno.test(`${shell}: a checkout or Deno that is gone is one line and exit 1`, async () => {
    await fakeCheckout(async (f) => {
      await Deno.rename(f.checkout, f.checkout + ".moved");
      assertEquals(await launch(f), {
        code: 1,
        stdout: "",
        stderr:
          `pool: the checkout pool was installed from is gone (${f.checkout}); run deno task install again\n`,
      });
      await Deno.remove(f.deno);
      assertEquals(await launch(f), {
        code: 1,
        stdout: "",
        stderr:
          `pool: the Deno pool was installed with is gone (${f.deno}); run deno task install again\n`,
      });
    });
    await fakeCheckout(async (f) => {
      assert((await launch(f)).stdout.startsWith("ran old "));
      await Deno.remove(join(f.checkout, "pool.ts"));
      assertEquals(await launch(f), {
        code: 1,
        stdout: "",
        stderr:
          `pool: the checkout pool was installed from is gone (${f.checkout}); run deno task install again\n`,
      });
    }, "source");
  });
}

// ---- For real: a temp copy of this checkout, installed into a temp HOME.

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

Deno.test("after a commit the installed pool rebuilds its bundle once and runs the new code", async () => {
  await installedCopy(async ({ checkout, pool, env, git }) => {
    assertEquals(await run(pool, ["--version"], env), { code: 0, stdout: "0.1.0\n", stderr: "" });
    await setVersion(checkout, "0.1.0-next");
    await git("commit", "-q", "-a", "-m", "a new version");
    assertEquals(await run(pool, ["--version"], env), {
      code: 0,
      stdout: "0.1.0-next\n",
      stderr: NOTE,
    });
    assertEquals(await run(pool, ["--version"], env), {
      code: 0,
      stdout: "0.1.0-next\n",
      stderr: "",
    });
  });
});

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

Deno.test("an installed pool whose checkout moved says so in one line", async () => {
  await installedCopy(async ({ checkout, pool, env }) => {
    await Deno.rename(checkout, checkout + " moved");
    assertEquals(await run(pool, ["--version"], env), {
      code: 1,
      stdout: "",
      stderr:
        `pool: the checkout pool was installed from is gone (${checkout}); run deno task install again\n`,
    });
  });
});
