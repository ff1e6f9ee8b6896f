/**
 * A newcomer's first `deno task test`, on a fresh Debian 12 root filesystem
 * with only Deno and git (tests/vm/build-fresh-root.sh), cut off from the
 * network so nothing can be installed: it must stop within seconds with one
 * message naming every missing package and the command that installs them.
 * Run by `deno task test:vm` (it needs debootstrap and root), never on the
 * machine's own root: the check runs in a copy, chrooted, in its own mount
 * and network namespaces.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { VM_DIR } from "./vm.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const PREREQS = join(REPO, "scripts", "prereqs.sh");

async function run(cmd: string, args: string[], options: Partial<Deno.CommandOptions> = {}) {
  const out = await new Deno.Command(cmd, { args, stdin: "null", ...options }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Where this Deno keeps its cache (as tests/helpers.ts pins it for pool's own runs). */
function denoDir(): string {
  const home = Deno.env.get("HOME") ?? "/root";
  return Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("XDG_CACHE_HOME") ?? join(home, ".cache"), "deno");
}

/** The test suite's packages whose command the root lacks, read from the one list. */
async function expectedMissing(root: string): Promise<string[]> {
  const script = await Deno.readTextFile(PREREQS);
  const list = /^LIST='\n([\s\S]*?)^'/m.exec(script)![1];
  const dirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  const exists = (path: string) => {
    try {
      Deno.statSync(join(root, path));
      return true;
    } catch {
      return false;
    }
  };
  const missing: string[] = [];
  for (const line of list.split("\n")) {
    const [suite, cmd, deb] = line.trim().split(/\s+/);
    if (suite !== "test") continue;
    const found = cmd.startsWith("/") ? exists(cmd) : dirs.some((d) => exists(join(d, cmd)));
    if (!found && !missing.includes(deb)) missing.push(deb);
  }
  return missing;
}

Deno.test({
  name:
    "deno task test on a fresh Debian 12 with only Deno and git stops at once, naming every missing package",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "pool-fresh-" });
    const root = join(work, "root");
    try {
      const copied = await run("cp", ["-a", join(VM_DIR, "fresh-root"), root]);
      assertEquals(copied.code, 0, copied.stderr);
      await Deno.copyFile(Deno.execPath(), join(root, "usr/local/bin/deno"));
      await Deno.chmod(join(root, "usr/local/bin/deno"), 0o755);
      // The checkout as `git clone` would make it: tracked and new files, nothing ignored.
      await Deno.mkdir(join(root, "pool"));
      await Deno.mkdir(join(root, "root/.cache/deno"), { recursive: true });
      const clone = await run("sh", [
        "-c",
        `git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C '${
          join(root, "pool")
        }'`,
      ], { cwd: REPO });
      assertEquals(clone.code, 0, clone.stderr);
      // `deno task` fetches the npm packages first, from the registry a newcomer reaches (so does
      // CI); offline here, they come from this machine's Deno cache instead.
      const seeded = await run("cp", [
        "-a",
        join(denoDir(), "npm"),
        join(root, "root/.cache/deno/"),
      ]);
      assertEquals(seeded.code, 0, seeded.stderr);
      const missing = await expectedMissing(root);
      assert(missing.length > 0, "the fresh root already has everything");

      const started = performance.now();
      const r = await run("unshare", [
        "--mount",
        "--net",
        "--fork",
        "sh",
        "-c",
        `mount -t proc proc '${root}/proc' && mount --rbind /dev '${root}/dev' && ` +
        `exec chroot '${root}' /bin/sh -c 'cd /pool && exec deno task test'`,
      ], {
        clearEnv: true,
        env: {
          PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          HOME: "/root",
          LANG: "C.UTF-8",
        },
      });
      const seconds = (performance.now() - started) / 1000;
      const said = r.stdout + r.stderr;
      assertEquals(r.code, 1, said);
      assert(seconds < 60, `took ${seconds.toFixed(1)} s`);
      const list = missing.join(" ");
      assertMatch(said, new RegExp(`^pool: installing what the tests need: ${list}$`, "m"));
      assertMatch(
        said,
        new RegExp(`^pool: the tests need packages that are missing: ${list}$`, "m"),
      );
      assertMatch(said, /^pool: apt-get could not install them: /m);
      assertMatch(
        said,
        new RegExp(
          `^Install them with: apt-get update && apt-get install -y --no-install-recommends ${list}$`,
          "m",
        ),
      );
      // It stopped there: neither the formatter nor a test ran.
      assert(!/Checked \d+ files|running \d+ tests/.test(said), said);
    } finally {
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
