import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "../tests/assert.ts";
import { testDeps } from "../deps/testing.ts";
import { UsageError } from "../errors.ts";
import { NOT_ROOT, sudoCommand } from "../remote/as_root.ts";
import { on, parseOnWords, trailingLegacyFlags, withExclusions } from "./on.ts";
import { printCollapsed, printSummary } from "../render/fanout.ts";
import { memoryOutput, Output } from "../render/out.ts";
import { concatBytes } from "../bytes.ts";

Deno.test("parseOnWords() takes pool's options up to the first other word", () => {
  assertEquals(parseOnWords(["--jobs", "4", "-b", "uptime", "-a"]), {
    flags: { jobs: 4, collapse: true },
    command: ["uptime", "-a"],
  });
  assertEquals(parseOnWords(["-t", "vim", "x"]), { flags: { tty: true }, command: ["vim", "x"] });
  assertEquals(parseOnWords(["--timeout", "5m", "true"]).flags, { timeout: 300_000 });
  assertEquals(parseOnWords(["-x", "h2", "-x", "h3,h4", "true"]).flags, {
    exclude: ["h2", "h3,h4"],
  });
});

Deno.test("parseOnWords() refuses an unknown option before the command: a typo never runs", () => {
  assertThrows(() => parseOnWords(["--jbos", "4", "uptime"]), /unknown option '--jbos'/);
  assertThrows(() => parseOnWords(["--dryrun", "echo", "would-run"]), /unknown option/);
  assertThrows(() => parseOnWords(["--jobs", "-1", "true"]), /--jobs expects a whole number/);
  assertThrows(() => parseOnWords(["--jobs", "1e3", "true"]), /--jobs expects a whole number/);
  assertThrows(() => parseOnWords(["--jobs"]), /argument missing/);
});

Deno.test("parseOnWords() leaves everything after -- to the command", () => {
  assertEquals(parseOnWords(["--", "grep", "--json", "x"]), {
    flags: {},
    command: ["grep", "--json", "x"],
  });
  assertEquals(parseOnWords(["ls", "-la", "--jobs", "3"]), {
    flags: {},
    command: ["ls", "-la", "--jobs", "3"],
  });
});

Deno.test("trailingLegacyFlags() takes the old tool's --jobs/--timeout after the command", () => {
  const words = ["uptime", "--timeout", "5", "--jobs=2"];
  assertEquals(trailingLegacyFlags(words, words), {
    flags: { timeout: 5000, jobs: 2 },
    command: ["uptime"],
    taken: ["--timeout", "5", "--jobs=2"],
  });
  const ended = ["--", "sleep", "--timeout", "5"];
  assertEquals(trailingLegacyFlags(ended, ended.slice(1)).taken, []);
  assertThrows(
    () => trailingLegacyFlags(["x", "--jobs", "lots"], ["x", "--jobs", "lots"]),
    /--jobs/,
  );
});

Deno.test("withExclusions() turns -x into !terms of the selection", () => {
  assertEquals(withExclusions("all", ["h2", "h3,@gpu"]), "all,!h2,!h3,!@gpu");
  assertEquals(withExclusions("@gpu", []), "@gpu");
  assertEquals(withExclusions("h[1-9]", ["web[1,3]", "gpu*"]), "h[1-9],!web[1,3],!gpu*");
  for (const empty of ["", ",", "h2,", "!"]) {
    assertThrows(() => withExclusions("all", [empty]), UsageError, `empty term in -x "${empty}"`);
  }
});

const ROSTER = {
  hosts: [
    { name: "h1", ssh: "h1", sudo: true },
    { name: "h2", ssh: "h2", sudo: true },
    { name: "h3", ssh: "me@h3" },
    { name: "edge", ssh: "edge" },
  ],
};

Deno.test("on --dry-run prints each host's ssh argv and runs nothing", async () => {
  const deps = await testDeps(ROSTER);
  const code = await on({ hosts: "h[1-2],edge", command: ["echo", "'a b'"], dryRun: true }, deps);
  assertEquals(code, 0);
  assertEquals(deps.runner.calls, []);
  assertEquals(
    deps.out.stdoutText(),
    "h1: ssh -- h1 'echo '\\''a b'\\'''\nh2: ssh -- h2 'echo '\\''a b'\\'''\n" +
      "edge: ssh -- edge 'echo '\\''a b'\\'''\n",
  );
  assertMatch(deps.out.stderrText(), /dry run: 3 hosts, nothing started/);
});

Deno.test("on --sudo wraps the command per host and names why sudo failed", async () => {
  const deps = await testDeps(ROSTER);
  const hosts = ROSTER.hosts;
  deps.runner.stub("h1", sudoCommand(hosts[0], "id -u"), { stdout: "0\n" });
  deps.runner.stub("h2", sudoCommand(hosts[1], "id -u"), {
    code: 1,
    stderr: "sudo: a password is required\n",
  });
  deps.runner.stub("h3", sudoCommand(hosts[2], "id -u"), {
    code: 1,
    stderr: `pool: ${NOT_ROOT}\n`,
  });
  const code = await on({ hosts: "h[1-3]", command: ["id", "-u"], sudo: true }, deps);
  deps.runner.verify();
  assertEquals(code, 1);
  assertMatch(deps.runner.calls[0].command!, /exec sudo -n --/);
  assertMatch(deps.runner.calls[2].command!, /the roster does not allow sudo/);
  assertMatch(
    deps.out.stderrText(),
    /exit 1: h2 \(sudo wants a password here \(pool never prompts\)\), h3 \(no sudo: the roster does not allow it\)/,
  );
});

Deno.test("on --prefix host: prints pdsh's lines, empty ones kept, for dshbak", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", "uname", { stdout: "Linux\n\nx\n" });
  assertEquals(await on({ hosts: "h1", command: ["uname"], prefix: "host:" }, deps), 0);
  assertEquals(deps.out.stdoutText(), "h1: Linux\nh1: \nh1: x\n");
});

Deno.test("on --out-dir writes each host's exact bytes to <host>.out and <host>.err", async () => {
  const deps = await testDeps(ROSTER);
  const dir = join(deps.dir, "out", "nested");
  deps.runner.stub("h1", "cmd", { stdoutBytes: new Uint8Array([0xff, 0x0a]), stderr: "e\n" });
  deps.runner.stub("edge", "cmd", { code: 3, stdout: "x" });
  assertEquals(await on({ hosts: "h1,edge", command: ["cmd"], outDir: dir }, deps), 3);
  assertEquals(await Deno.readFile(join(dir, "h1.out")), new Uint8Array([0xff, 0x0a]));
  assertEquals(await Deno.readTextFile(join(dir, "h1.err")), "e\n");
  assertEquals(await Deno.readTextFile(join(dir, "edge.out")), "x");
  assertMatch(
    deps.out.stdoutText(),
    /^\[h1 {2}\] exit 0 {2}\S+h1\.out \(2 bytes\) {2}\S+h1\.err \(2 bytes\)$/m,
  );
  assertMatch(deps.out.stdoutText(), /^\[edge\] exit 3 /m);
});

Deno.test("on prints whole prefixed lines: stderr merged, blank ones dropped, last one ended", async () => {
  const deps = await testDeps(ROSTER);
  deps.runner.stub("h1", "cmd", { stdout: "a\r\n\n  \nb\nlast", stderr: "e\n" });
  deps.runner.stub("edge", "cmd", { stdout: "x\n" });
  assertEquals(await on({ hosts: "h1,edge", command: ["cmd"] }, deps), 0);
  const lines = deps.out.stdoutText().split("\n");
  assertEquals(lines.filter((l) => l.startsWith("[h1  ]")), [
    "[h1  ] e",
    "[h1  ] a",
    "[h1  ] b",
    "[h1  ] last",
  ]);
  assertEquals(lines.filter((l) => l.startsWith("[edge]")), ["[edge] x"]);
});

Deno.test("printCollapsed() groups by whole stdout, stderr and exit: never by how the pipes interleaved", () => {
  const result = (host: string, stdout: string, stderr: string, code = 0) => ({
    host,
    code,
    outcome: code === 0 ? "ok" as const : "failed" as const,
    stdout,
    stderr,
    stdoutBytes: new TextEncoder().encode(stdout),
    stderrBytes: new TextEncoder().encode(stderr),
    durationMs: 1,
  });
  const out = memoryOutput();
  printCollapsed(out, [
    result("h1", "out\nout2\n", "err\n"),
    result("h2", "out\r\nout2\r\n", "err\n"),
    result("h3", "out\nout2\n", "err\n"),
    result("h4", "out\nout2\n", "err\n", 2),
  ]);
  assertEquals(
    out.stdoutText(),
    "----------\nh[1-3] (3)\n----------\nout\nout2\nerr\n" +
      "--------------\nh4 (1, exit 2)\n--------------\nout\nout2\nerr\n",
  );
});

Deno.test("printCollapsed() tells bytes no decoder keeps apart, and prints them as they came", () => {
  const result = (host: string, stdout: number[]) => ({
    host,
    code: 0,
    outcome: "ok" as const,
    stdout: new TextDecoder().decode(new Uint8Array(stdout)),
    stderr: "",
    stdoutBytes: new Uint8Array(stdout),
    stderrBytes: new Uint8Array(0),
    durationMs: 1,
  });
  const chunks: Uint8Array[] = [];
  const out = new Output(
    { write: (b) => void chunks.push(b.slice()), isTerminal: () => false },
    { write: () => {}, isTerminal: () => false },
  );
  // "v\377", "v\376" (no final newline), and a Latin-1 "é".
  printCollapsed(out, [
    result("h1", [118, 255, 10]),
    result("h2", [118, 254]),
    result("h3", [233]),
  ]);
  const bytes = [...concatBytes(chunks)];
  const header = (name: string) => {
    const title = `${name} (1)`;
    const rule = "-".repeat(title.length);
    return [...new TextEncoder().encode(`${rule}\n${title}\n${rule}\n`)];
  };
  assertEquals(bytes, [
    ...header("h1"),
    118,
    255,
    10,
    ...header("h2"),
    118,
    254,
    10,
    ...header("h3"),
    233,
    10,
  ]);
});

Deno.test("printSummary() names every host that did not simply succeed, those a signal killed too", () => {
  const result = (host: string, code: number, outcome: "failed" | "signalled") => ({
    host,
    code,
    outcome,
    stdout: "",
    stderr: "",
    stdoutBytes: new Uint8Array(0),
    stderrBytes: new Uint8Array(0),
    durationMs: 1,
  });
  const out = memoryOutput();
  printSummary(out, [
    result("h1", 139, "signalled"),
    result("h2", 139, "signalled"),
    result("h3", 1, "failed"),
  ], 30_000);
  assertEquals(out.stderrText(), "pool: 3 of 3 hosts failed\n  exit 1: h3\n  exit 139: h1, h2\n");
});

Deno.test('on refuses a blank command: `pool on all "$UNSET"` is a mistake, not a no-op', async () => {
  const deps = await testDeps({ hosts: [{ name: "h1", ssh: "h1" }] });
  for (const command of [[], [""], ["  ", ""]]) {
    const e = await assertRejects(() => on({ hosts: "h1", command }, deps));
    assertEquals((e as Error).message, "missing command: pool on <hosts> <cmd...>");
  }
});

Deno.test("on --out-dir replaces a host's pair of files whole or not at all, and says so", async () => {
  const deps = await testDeps(ROSTER);
  const dir = join(deps.dir, "od");
  await Deno.mkdir(join(dir, "h1.err"), { recursive: true }); // h1.err cannot be a file
  await Deno.writeTextFile(join(dir, "h1.out"), "old");
  deps.runner.stub("h1", "cmd", { stdout: "new" });
  deps.runner.stub("edge", "cmd", { stdout: "x" });
  assertEquals(await on({ hosts: "h1,edge", command: ["cmd"], outDir: dir }, deps), 1);
  assertEquals(await Deno.readTextFile(join(dir, "h1.out")), "old", "not half replaced");
  assertMatch(
    deps.out.stdoutText(),
    /^\[h1 {2}\] output not saved: .*h1\.err is a directory \(the command exited 0\)$/m,
  );
  assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
    "edge.err",
    "edge.out",
    "h1.err",
    "h1.out",
  ]);
});

Deno.test("on --out-dir never writes through a name someone put where its temp file goes", async () => {
  const deps = await testDeps(ROSTER);
  const dir = join(deps.dir, "od");
  await Deno.mkdir(dir);
  const victim = join(deps.dir, "victim");
  await Deno.writeTextFile(victim, "precious");
  // The temp name another user of an open folder could see coming, with a link planted there.
  const uuid = crypto.randomUUID;
  crypto.randomUUID = () => "abcdef01-0000-4000-8000-000000000000";
  try {
    await Deno.symlink(victim, join(dir, "h1.out.pool-abcdef01"));
    deps.runner.stub("h1", "cmd", { stdout: "new" });
    assertEquals(await on({ hosts: "h1", command: ["cmd"], outDir: dir }, deps), 1);
  } finally {
    crypto.randomUUID = uuid;
  }
  assertEquals(await Deno.readTextFile(victim), "precious");
  // Named by the file it is for, not by the temp name.
  assertMatch(
    deps.out.stdoutText(),
    /^\[h1\] output not saved: \S*od\/h1\.out: File exists \(os error 17\) \(the command exited 0\)$/m,
  );
  assert((await Deno.lstat(join(dir, "h1.out.pool-abcdef01"))).isSymlink, "their link is left");
});

Deno.test("on runs 32 hosts at once by default, and every host with --jobs 0, as the old tool", async () => {
  const hosts = Array.from({ length: 40 }, (_, i) => ({ name: `n${i + 1}`, ssh: `n${i + 1}` }));
  for (
    const [jobs, most] of [
      [undefined, 32],
      [parseOnWords(["--jobs", "0", "true"]).flags.jobs, 40],
      [trailingLegacyFlags(["true", "--jobs", "0"], ["true", "--jobs", "0"]).flags.jobs, 40],
      [5, 5],
    ] as const
  ) {
    const deps = await testDeps({ hosts });
    let running = 0;
    let seen = 0;
    for (const h of hosts) {
      deps.runner.stub(h.name, "true", async () => {
        seen = Math.max(seen, ++running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return {};
      });
    }
    assertEquals(await on({ hosts: "all", command: ["true"], jobs }, deps), 0);
    assertEquals(seen, most, `--jobs ${jobs}`);
  }
});
