/** push and pull without sshd: what each host is asked to copy, and what is reported. */

import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { pull, push } from "./copy.ts";

const ROSTER = {
  hosts: [{ name: "h1", ssh: "h1" }, { name: "h2", ssh: "h2" }, { name: "web", ssh: "web" }],
};

Deno.test("push copies to each selected host and reports one line per host, then failures", async () => {
  const deps = await testDeps(ROSTER);
  const src = join(deps.dir, "app");
  await Deno.mkdir(src);
  deps.runner.stub("h1", `push --delete ${src} -> /srv`, {
    method: "rsync",
    stats: { files: 12, transferred: 2, bytes: 20_200 },
  } as never);
  deps.runner.stub("h2", `push --delete ${src} -> /srv`, {
    code: 255,
    outcome: "unreachable",
    reason: "refused",
  });
  const code = await push({ hosts: "h[1-2]", sources: [src], dest: "/srv", delete: true }, deps);
  deps.runner.verify();
  assertEquals(code, 255);
  assertMatch(deps.out.stdoutText(), /^h1 {2}rsync {2}2 of 12 files sent, 20\.2 kB$/m);
  assertMatch(deps.out.stdoutText(), /^h2 {2}failed refused$/m);
  assertMatch(deps.out.stderrText(), /1 of 2 hosts failed\n {2}unreachable: h2 \(refused\)/);
});

Deno.test("push --json prints one object per host with the method and rsync's numbers", async () => {
  const deps = await testDeps(ROSTER);
  const src = join(deps.dir, "f");
  await Deno.writeTextFile(src, "x");
  deps.runner.stub("web", `push --gitignore --exclude=*.o ${src} -> d`, {
    method: "tar",
    fallback: "no rsync on web",
    stats: { bytes: 10240 },
  } as never);
  const code = await push(
    { hosts: "web", sources: [src], dest: "d", json: true, gitignore: true, exclude: ["*.o"] },
    deps,
  );
  assertEquals(code, 0);
  const o = JSON.parse(deps.out.stdoutText());
  assertEquals([o.name, o.status, o.method, o.fallback, o.bytes], [
    "web",
    "ok",
    "tar",
    "no rsync on web",
    10240,
  ]);
});

Deno.test("pull lands each host in <dir>/<host>/, made before the copy", async () => {
  const deps = await testDeps(ROSTER);
  const out = join(deps.dir, "logs");
  for (const h of ["h1", "web"]) {
    deps.runner.stub(h, `pull /var/log/syslog -> ${join(out, h)}`, async () => {
      assertEquals((await Deno.stat(join(out, h))).isDirectory, true);
      return { method: "rsync", stats: { files: 1, transferred: 1, bytes: 99 } } as never;
    });
  }
  assertEquals(await pull({ hosts: "h1,web", sources: ["/var/log/syslog"], dest: out }, deps), 0);
  deps.runner.verify();
  assertMatch(deps.out.stdoutText(), /^web +rsync {2}1 of 1 files received, 99 B$/m);
});

Deno.test("push refuses a missing source and pull --gitignore before any host", async () => {
  const deps = await testDeps(ROSTER);
  const missing = await assertRejects(() =>
    push({ hosts: "all", sources: [join(deps.dir, "nope")], dest: "x" }, deps)
  );
  assertMatch(missing.message, /cannot read .*nope: No such file or directory/);
  const git = await assertRejects(() =>
    pull({ hosts: "all", sources: ["a"], dest: "x", gitignore: true }, deps)
  );
  assertMatch(git.message, /--gitignore is for push/);
  assertEquals(deps.runner.calls, []);
});
