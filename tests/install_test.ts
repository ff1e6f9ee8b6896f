/**
 * deno task install, with a temp HOME: files, shim pass-through, warnings, idempotence, uninstall;
 * files it did not write left alone; every failure one line.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv } from "./helpers.ts";
import { BUNDLE_RUN_FLAGS } from "../scripts/build.ts";
import { shQuote } from "../remote/quote.ts";

const INSTALL = fileURLToPath(new URL("../scripts/install.ts", import.meta.url));

async function run(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task install puts pool.bin and the pool shim in ~/.hx/bin, and uninstalls exactly them", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-install-" });
  const bin = join(home, ".hx", "bin");
  const env = { HOME: home, POOL_STATE: join(home, "state", "pool.json"), PATH: "/usr/bin:/bin" };
  try {
    const first = await run(Deno.execPath(), ["run", "-A", INSTALL], env);
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stderr, /\.hx\/bin is not on PATH/);
    assertMatch(first.stdout, /pool\.bin is a launcher for the bundle /);
    for (const f of ["pool", "pool.bin"]) {
      assertEquals((await Deno.stat(join(bin, f))).mode! & 0o111, 0o111);
    }

    // The launcher, and the bundle by its own shebang, run it with the same flags as the tests do.
    const bundle = fileURLToPath(new URL("../dist/bundle/pool.js", import.meta.url));
    const flags = BUNDLE_RUN_FLAGS.join(" ");
    const launcher = await Deno.readTextFile(join(bin, "pool.bin"));
    assert(launcher.includes(`\npool_program=${shQuote(bundle)}\n`), launcher);
    assert(launcher.includes(`run ${flags} "$pool_program" "$@"`), launcher);
    const shebang = (await Deno.readTextFile(bundle)).split("\n")[0];
    assertEquals(shebang, `#!/usr/bin/env -S deno run ${flags}`);
    const byShebang = await run(bundle, ["--version"], {
      ...env,
      PATH: `${dirname(Deno.execPath())}:/usr/bin:/bin`,
    });
    assertEquals([byShebang.code, byShebang.stdout, byShebang.stderr], [0, "0.1.0\n", ""]);

    // The shim (what `sidecar pool` runs) passes arguments, output and exit codes through.
    const version = await run(join(bin, "pool"), ["--version"], env);
    assertEquals([version.code, version.stdout.trim()], [0, "0.1.0"]);
    const local = await run(
      join(bin, "pool"),
      ["on", "local", "printf '%s|' \"$0\" 'a b'; exit 7"],
      env,
    );
    assertEquals([local.code, local.stdout.endsWith("|a b|")], [7, true]);
    const usage = await run(join(bin, "pool"), ["frobnicate"], env);
    assertEquals([usage.code, usage.stdout], [2, ""]);
    const direct = await run(join(bin, "pool.bin"), ["frobnicate"], env);
    assertEquals([direct.code, direct.stderr], [usage.code, usage.stderr]);

    // Twice is harmless; a `pool` earlier on PATH is pointed out.
    const shadow = join(home, "other");
    await Deno.mkdir(shadow);
    await Deno.writeTextFile(join(shadow, "pool"), "#!/bin/sh\necho old pool\n", { mode: 0o755 });
    const second = await run(Deno.execPath(), ["run", "-A", INSTALL], {
      ...env,
      PATH: `${shadow}:${bin}:/usr/bin:/bin`,
    });
    assertEquals(second.code, 0);
    assertMatch(second.stderr, new RegExp(`${shadow}/pool comes first on PATH and shadows`));
    assert(!second.stderr.includes("not on PATH"));

    // Uninstall removes what install wrote and nothing else.
    await Deno.writeTextFile(join(bin, "mine"), "keep me");
    const gone = await run(Deno.execPath(), ["run", "-A", INSTALL, "--uninstall"], env);
    assertEquals(gone.code, 0, gone.stderr);
    assertEquals([...Deno.readDirSync(bin)].map((e) => e.name), ["mine"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** A temp HOME with `~/.hx/bin` in it; removed after `body`. */
async function withHome(
  body: (home: string, bin: string, env: Record<string, string>) => Promise<void>,
  name = "home",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pool-install-" });
  const home = join(dir, name);
  const bin = join(home, ".hx", "bin");
  await Deno.mkdir(bin, { recursive: true });
  try {
    await body(home, bin, { HOME: home, PATH: "/usr/bin:/bin" });
  } finally {
    await Deno.chmod(bin, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

function install(env: Record<string, string>, ...args: string[]) {
  return run(Deno.execPath(), ["run", "-A", INSTALL, ...args], env);
}

/** The names in a folder, sorted. */
function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** A failure as the tests want it: one line saying `install: …`, no stack trace. */
function assertOneLine(out: { code: number; stderr: string }, pattern: RegExp) {
  assertEquals(out.code, 1, out.stderr);
  assertEquals(out.stderr.trimEnd().split("\n").length, 1, out.stderr);
  assertMatch(out.stderr, pattern);
}

const OLD_POOL = "#!/bin/sh\necho the old pool\n";

for (const name of ["pool", "pool.bin"]) {
  Deno.test(`install refuses to overwrite a ~/.hx/bin/${name} it did not write; --force does`, async () => {
    await withHome(async (_home, bin, env) => {
      await Deno.writeTextFile(join(bin, name), OLD_POOL, { mode: 0o755 });
      const refused = await install(env);
      assertOneLine(refused, /^install: \S+ is not what an earlier install wrote/);
      assert(refused.stderr.includes(join(bin, name)) && refused.stderr.includes("--force"));
      assertEquals(names(bin), [name]);
      assertEquals(await Deno.readTextFile(join(bin, name)), OLD_POOL);

      const forced = await install(env, "--force");
      assertEquals(forced.code, 0, forced.stderr);
      assertEquals((await run(join(bin, "pool"), ["--version"], env)).stdout, "0.1.0\n");
      // Now it is recorded: installing again needs no --force.
      assertEquals((await install(env)).code, 0);
    });
  });
}

Deno.test("install replaces a file it wrote that is unrecorded only when it holds the same bytes", async () => {
  await withHome(async (_home, bin, env) => {
    assertEquals((await install(env)).code, 0);
    await Deno.remove(join(bin, ".pool-install.json"));
    assertEquals((await install(env)).code, 0);

    // A shim edited by hand is no longer install's to overwrite.
    await Deno.writeTextFile(join(bin, "pool"), OLD_POOL);
    assertOneLine(await install(env), /pool is not what an earlier install wrote/);
    assertEquals(await Deno.readTextFile(join(bin, "pool")), OLD_POOL);
  });
});

Deno.test("install fails in one line when ~/.hx is a file, and uninstall finds nothing to do", async () => {
  await withHome(async (home, _bin, env) => {
    await Deno.remove(join(home, ".hx"), { recursive: true });
    await Deno.writeTextFile(join(home, ".hx"), "not a folder");
    assertOneLine(await install(env), /^install: cannot create \S+\/\.hx\/bin: Not a directory/);
    const gone = await install(env, "--uninstall");
    assertEquals([gone.code, gone.stdout, gone.stderr], [0, "install: nothing to uninstall\n", ""]);
    assertEquals(await Deno.readTextFile(join(home, ".hx")), "not a folder");
  });
});

Deno.test("a half-done install records what it wrote, leaves no temp file, and uninstalls", async () => {
  await withHome(async (_home, bin, env) => {
    await Deno.mkdir(join(bin, "pool"));
    assertOneLine(await install(env), /^install: \S+\/pool is not what an earlier install wrote/);
    assertEquals(names(bin), ["pool"]);

    // --force overwrites files, not folders: pool.bin is written, the shim cannot be.
    assertOneLine(
      await install(env, "--force"),
      /^install: cannot write \S+\/pool: Is a directory/,
    );
    assertEquals(names(bin), [".pool-install.json", "pool", "pool.bin"]);
    const gone = await install(env, "--uninstall");
    assertEquals(gone.code, 0, gone.stderr);
    assertEquals(names(bin), ["pool"]);
  });
});

Deno.test({
  name: "install into a read-only ~/.hx/bin fails in one line and leaves nothing",
  ignore: Deno.uid() === 0, // root writes there anyway
  fn: async () => {
    await withHome(async (_home, bin, env) => {
      await Deno.chmod(bin, 0o555);
      assertOneLine(await install(env), /^install: cannot write \S+\/pool\.bin: Permission denied/);
      assertEquals(names(bin), []);
    });
  },
});

Deno.test("uninstall with a manifest it cannot read says so and removes nothing", async () => {
  await withHome(async (_home, bin, env) => {
    assertEquals((await install(env)).code, 0);
    for (const broken of ["{ not json", '{"files": ["pool"]}']) {
      await Deno.writeTextFile(join(bin, ".pool-install.json"), broken);
      assertOneLine(
        await install(env, "--uninstall"),
        /^install: cannot read \S+pool-install\.json/,
      );
      assertEquals(names(bin), [".pool-install.json", "pool", "pool.bin"]);
      assertEquals(await Deno.readTextFile(join(bin, ".pool-install.json")), broken);
    }
  });
});

Deno.test("uninstall with nothing installed says so", async () => {
  await withHome(async (_home, bin, env) => {
    const gone = await install(env, "--uninstall");
    assertEquals([gone.code, gone.stdout, gone.stderr], [0, "install: nothing to uninstall\n", ""]);
    assertEquals(names(bin), []);
  });
});

Deno.test("install's PATH hint is safe to paste whatever HOME holds, and so is the shim", async () => {
  await withHome(async (home, bin, env) => {
    const first = await install(env);
    assertEquals(first.code, 0, first.stderr);
    assert(first.stderr.includes(`add it: export PATH="$HOME/.hx/bin:$PATH"\n`), first.stderr);
    assert(!first.stderr.includes(`PATH="${home}`), first.stderr);
    assertEquals((await run(join(bin, "pool"), ["--version"], env)).stdout, "0.1.0\n");
  }, 'it\'s a "$HOME" `id` home');
});
