/** deno task install, with a temp HOME: files, shim pass-through, warnings, idempotence, uninstall. */

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
    assert(
      (await Deno.readTextFile(join(bin, "pool.bin"))).includes(`run ${flags} ${shQuote(bundle)}`),
    );
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
