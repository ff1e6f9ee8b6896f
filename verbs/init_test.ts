/** init and clean orchestration without sshd: which payloads run where, as whom, and what is reported. */

import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { FEATURES } from "../features/mod.ts";
import { asRootCommand } from "../remote/as_root.ts";
import { init } from "./init.ts";
import { clean } from "./clean.ts";

const ROSTER = {
  hosts: [
    { name: "deb", ssh: "root@deb", os: "linux" },
    { name: "mini", ssh: "me@mini", os: "macos", sudo: true },
    { name: "pi", ssh: "pi@pi", os: "linux" },
    { name: "old", ssh: "old", os: "linux", exclude: true },
  ],
};

/** The exact command that runs a payload as root on a roster host, with these arguments. */
const asRoot = (name: string, args: string) =>
  asRootCommand(ROSTER.hosts.find((h) => h.name === name)!, args.split(" "));

Deno.test("init runs each feature that applies, in order, and reports a host × feature matrix", async () => {
  const deps = await testDeps(ROSTER);
  const linux = FEATURES.filter((f) => f.os.includes("linux"));
  const mac = FEATURES.filter((f) => f.os.includes("macos"));
  for (const f of linux) {
    deps.runner.stub("deb", asRoot("deb", "apply"), {
      stdout: `@@ result ${f.name === "swapfile" ? "already" : "ok"} ${f.name} done\n`,
    });
  }
  for (const _ of mac) {
    deps.runner.stub("mini", asRoot("mini", "apply"), { stdout: "@@ result ok\n" });
  }
  const code = await init({ hosts: "deb,mini" }, deps);
  assertEquals(code, 0);
  deps.runner.verify();
  // Logged in as root on deb; through sudo -n on mini, whose roster entry allows it.
  assertMatch(deps.runner.calls.find((c) => c.host === "mini")!.command!, /exec sudo -n sh/);
  assert(!deps.runner.calls.find((c) => c.host === "deb")!.command!.includes("exec sudo"));
  // The payload travels on stdin; the feature's own script is in it.
  assertMatch(deps.runner.calls[0].options.payload!, /@@ result/);
  const out = deps.out.stdoutText();
  assertMatch(out, /^\[deb \] swapfile: already {2}swapfile done$/m);
  assertMatch(out, /^\[mini\] swapfile: skipped {2}not for macos$/m);
  assertMatch(
    deps.out.stderrText(),
    /^mini +ok +skipped +ok +skipped +skipped +skipped +skipped +skipped$/m,
  );
});

Deno.test("init says failed with the host's last words when a payload gives no result line", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("pi", asRoot("pi", "dry-run"), {
    code: 1,
    stderr: "sudo: a password is required\n",
  });
  const code = await init({ hosts: "pi", only: ["earlyoom"], dryRun: true }, deps);
  assertEquals(code, 1);
  assertMatch(deps.out.stdoutText(), /^\[pi\] earlyoom: failed {2}sudo: a password is required$/m);
  assertMatch(deps.out.stderrText(), /dry run: nothing was changed/);
});

Deno.test("init passes --swap-size to the swapfile payload and skips excluded hosts under all", async () => {
  const deps = await testDeps(ROSTER);
  for (const host of ["deb", "pi"]) {
    deps.runner.stub(host, asRoot(host, `apply ${16 * 1024 ** 3}`), { stdout: "@@ result ok\n" });
  }
  const code = await init({ hosts: "all", only: ["swapfile"], swapBytes: 16 * 1024 ** 3 }, deps);
  assertEquals(code, 0);
  deps.runner.verify();
  assertMatch(deps.out.stderrText(), /skipping excluded hosts: old/);
});

Deno.test("init marks what it did not run as interrupted once pool is told to stop", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("deb", asRoot("deb", "apply"), () => {
    deps.controller.abort();
    return { code: 130, outcome: "interrupted" };
  });
  const code = await init({ hosts: "deb", only: ["earlyoom", "watchdog"] }, deps);
  assertEquals(code, 1);
  assertMatch(deps.out.stderrText(), /^deb +interrupted +interrupted$/m);
});

Deno.test("clean reports freed space per host, skips macOS, and fails a host without a report", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("deb", asRoot("deb", "run auto 3"), {
    stdout: "removed 3 files in /tmp\n@@ clean 91 60 1048576 5368709120 deep\n",
  });
  deps.runner.stub("pi", asRoot("pi", "run auto 3"), {
    code: 255,
    outcome: "unreachable",
    reason: "refused",
  });
  const code = await clean({ hosts: "deb,mini,pi" }, deps);
  assertEquals(code, 1);
  deps.runner.verify();
  const out = deps.out.stdoutText();
  assertMatch(out, /^\[deb \] removed 3 files in \/tmp$/m);
  assertMatch(out, /^\[deb \] 91% → 60%, freed 1\.0M \(1048576 bytes\), 5\.0G free, deep tier$/m);
  assertMatch(out, /^\[mini\] skipped: macOS cleans up after itself$/m);
  assertMatch(deps.out.stderrText(), /^\[pi {2}\] failed: unreachable \(refused\)$/m);
});

Deno.test("clean --deep --dry-run --days 7 asks the script for exactly that", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("deb", asRoot("deb", "dry-run 1 7"), { stdout: "@@ clean 50 50 0 10 deep\n" });
  assertEquals(await clean({ hosts: "deb", deep: true, dryRun: true, days: 7 }, deps), 0);
  assert(deps.out.stdoutText().includes("would free"));
});
