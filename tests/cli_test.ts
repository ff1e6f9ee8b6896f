/** The CLI's surface: help, version, usage errors and their exit codes. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, pool, POOL_ARGV } from "./helpers.ts";
import denoJson from "../deno.json" with { type: "json" };

const dir = await Deno.makeTempDir({ prefix: "pool-cli-" });
const s = { env: { HOME: dir, POOL_STATE: join(dir, "pool.json") } };
const VERBS = [
  "add",
  "rm",
  "desc",
  "tag",
  "exclude",
  "include",
  "list",
  "on",
  "status",
  "refresh",
  "route",
  "bg",
  "jobs",
  "logs",
  "wait",
  "kill",
  "leases",
  "init",
  "clean",
  "hosts",
  "import",
  "inventory",
  "completions",
  "schema",
];

Deno.test("pool with no arguments prints help and exits 0", async () => {
  const r = await pool(s, []);
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /^Usage: pool/);
  for (const verb of VERBS) assertMatch(r.stdout, new RegExp(`^  ${verb} `, "m"));
});

Deno.test("every verb has --help with an example", async () => {
  for (const verb of VERBS) {
    const r = await pool(s, [verb, "--help"]);
    assertEquals(r.code, 0, verb);
    assertMatch(r.stdout, new RegExp(`^Usage: pool ${verb}`), verb);
    assertMatch(r.stdout, /Examples?:\n {2}pool /, verb);
  }
});

Deno.test("--help after on's host is on's help, not its inner parser's", async () => {
  const r = await pool(s, ["on", "h1", "--help"]);
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /^Usage: pool on \[options\] <hosts> \[command\.\.\.\]\n/);
  assertMatch(r.stdout, /Examples:\n {2}pool on /);
});

Deno.test("--version prints the version from deno.json", async () => {
  const r = await pool(s, ["--version"]);
  assertEquals([r.code, r.stdout], [0, denoJson.version + "\n"]);
});

Deno.test("an unknown verb or flag is a usage error: stderr, exit 2", async () => {
  for (
    const args of [["frobnicate"], ["list", "--bogus"], ["status", "--timeout"], ["rm"], ["on"]]
  ) {
    const r = await pool(s, args);
    assertEquals(r.code, 2, args.join(" "));
    assertEquals(r.stdout, "");
    assert(r.stderr.length > 0);
  }
  // One line, commander's suggestion in it.
  for (
    const [args, line] of [
      [["sttaus"], "pool: unknown command 'sttaus' (did you mean status?)\n"],
      [["list", "--jsno"], "pool: unknown option '--jsno' (did you mean --json?)\n"],
    ]
  ) {
    const r = await pool(s, args as string[]);
    assertEquals([r.code, r.stderr], [2, line]);
  }
});

Deno.test("the state directory is never created by reading", async () => {
  const fresh = { env: { HOME: dir, POOL_STATE: join(dir, "new", "pool.json") } };
  assertEquals((await pool(fresh, ["list", "--fast"])).code, 0);
  await Deno.stat(join(dir, "new")).then(() => assert(false, "list created state"), () => {});
});

Deno.test("pool init --list shows the features and their OS matrix; unknown features are usage errors", async () => {
  const list = await pool(s, ["init", "--list"]);
  assertEquals(list.code, 0);
  assertMatch(list.stdout, /^no-sleep +- +macos /m);
  assertMatch(list.stdout, /^swapfile +linux +- /m);
  assertMatch(list.stdout, /^tailscale +linux +macos /m);
  const json = await pool(s, ["init", "--list", "--json"]);
  const features = JSON.parse(json.stdout).features as { name: string; os: string[] }[];
  assertEquals(features.find((f) => f.name === "no-sleep")?.os, ["macos"]);
  const bad = await pool(s, ["init", "all", "--only", "earlyoom,coffee"]);
  assertEquals(bad.code, 2);
  assertMatch(
    bad.stderr,
    /unknown feature "coffee" \(valid: tailscale, disk-cleanup, .*watchdog\)/,
  );
  // A size of 0 was the default 32G; a bare number is bytes nobody meant.
  for (
    const [args, said] of [
      [["init", "all", "--swap-size", "0"], /--swap-size must be at least 16M, got "0"/],
      [["init", "all", "--swap-size", "8M"], /--swap-size must be at least 16M, got "8M"/],
      [["init", "all", "--swap-size", "17"], /--swap-size expects a size with its unit/],
      [["route", "--mem", "17", "true"], /--mem expects a size with its unit/],
      // An optional value takes the next word: a bare --wait before the command took "make".
      [["route", "--wait", "make", "-j8"], /--wait took "make" for its duration: write --wait=30m/],
      // Options that would mean nothing are refused, not ignored.
      [["init", "gpu1", "--list"], /^pool: --list takes no hosts or options but --json\n$/],
      [["init", "--list", "--dry-run"], /--list takes no hosts/],
      [["jobs", "--days", "3"], /^pool: --days goes with --prune\n$/],
      // Digits only, as counts: Number() would take 1e3 and 0x10.
      [
        ["on", "local", "--timeout", "1e3", "true"],
        /^pool: --timeout expects a duration like 30, 30s, 5m or 1h \(0 = no limit\), got "1e3"\n$/,
      ],
    ] as const
  ) {
    const r = await pool(s, [...args]);
    assertEquals([r.code, r.stdout], [2, ""], r.stderr);
    assertMatch(r.stderr, said);
  }
});

Deno.test("bad values are refused before anything runs, in one line that shows what was typed", async () => {
  const roster = join(dir, "pool.json");
  await Deno.writeTextFile(roster, '{"hosts": [{"name": "h1", "ssh": "h1"}]}\n');
  const before = await Deno.readTextFile(roster);
  const unwritable = join(dir, "not-a-dir");
  await Deno.writeTextFile(unwritable, "");
  for (
    const [args, said] of [
      // A newline in a value is shown, never a second line of pool's.
      [
        ["hosts", "h9\npool: 3 of 3 hosts ok"],
        /^pool: not in roster: h9\\npool: 3 of 3 hosts ok\n$/,
      ],
      [
        ["list", "--fast", "--jobs", "0x10"],
        /^pool: --jobs expects a whole number \(0 = all at once\), got "0x10"\n$/,
      ],
      [["route", "--gpus", "+1", "true"], /--gpus expects a whole number, got "\+1"/],
      [["clean", "h1", "--days", "1e3"], /--days expects a whole number ≥ 1, got "1e3"/],
      [
        ["route", "--mem", "99999999999999999999G", "true"],
        /--mem: 99999999999999999999G is too large/,
      ],
      [["init", "h1", "--swap-size", "9999999999T"], /--swap-size: 9999999999T is too large/],
      // An unset "$SRC" is no path: rsync read it as the whole home.
      [["pull", "h1", "", "out"], /^pool: an empty path \(an unset variable\?\)/],
      [["pull", "h1", "/etc/hostname", ""], /^pool: an empty path/],
      [["push", "h1", "/etc/hostname", ""], /^pool: an empty path/],
      [["on", "local", "--out-dir", "", "true"], /^pool: --out-dir expects a directory/],
      // Short flags run together (-b -n) are options, not a directory named -bn.
      [
        ["on", "local", "--out-dir", "-bn", `touch ${join(dir, "ran")}`],
        /^pool: --out-dir expects a value, got the option -bn\n$/,
      ],
      [["init", "h1", "--only", ""], /^pool: no features chosen/],
      [["init", "h1", "--only", "earlyoom", "--skip", "earlyoom"], /^pool: no features chosen/],
      [
        ["init", "h1", "--only", "earlyoom", "--swap-size", "16G"],
        /^pool: --swap-size is swapfile's/,
      ],
      [["add", "..", "h2"], /^pool: host name "\.\." cannot name a folder\n$/],
      [["help", "onn"], /^pool: unknown command 'onn' \(did you mean on\?\)\n$/],
    ] as const
  ) {
    const r = await pool(s, [...args]);
    assertEquals(r.stdout, "", args.join(" "));
    assertMatch(r.stderr, said);
    assert(r.code === 1 || r.code === 2, `${args.join(" ")}: exit ${r.code}`);
  }
  assertEquals(await Deno.readTextFile(roster), before, "the roster is as it was");
  // The same as data: the JSON error keeps the whole value, on one line.
  const json = await pool(s, ["hosts", "--json", "h9\nx"]);
  assertEquals(JSON.parse(json.stdout).error.message, "not in roster: h9\\nx");
  const help = await pool(s, ["help", "onn", "--json"]);
  assertEquals(JSON.parse(help.stdout).error.message, "unknown command 'onn' (did you mean on?)");
  // An --out-dir that takes no file is found before the command runs, not after.
  const marker = join(dir, "ran");
  const r = await pool(s, ["on", "local", "--out-dir", join(unwritable, "x"), `touch ${marker}`]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^pool: cannot create --out-dir /);
  // A folder that is there but takes no file (read-only, another user's): /proc, here.
  const proc = await pool(s, ["on", "local", "--out-dir", "/proc", `touch ${marker}`]);
  assertEquals(proc.code, 1);
  assertMatch(proc.stderr, /^pool: cannot write in --out-dir \/proc: /);
  await Deno.stat(marker).then(() => assert(false, "the command ran"), () => {});
});

Deno.test("an argument that is not valid UTF-8 is refused before anything runs, exit 2", async () => {
  // Deno would hand it over with U+FFFD in place of the byte: another command, another file.
  const here = await Deno.makeTempDir({ prefix: "pool-utf8-" });
  const roster = join(here, "pool.json");
  await Deno.writeTextFile(roster, '{"hosts": [{"name": "h1", "ssh": "h1"}]}\n');
  const marker = join(here, "ran");
  const env = childEnv({ HOME: here, POOL_STATE: roster });
  for (
    const [args, at] of [
      [["on", "local", `touch ${marker} $(printf 'x-\\377')`], 3],
      [["desc", "h1", "$(printf '\\377')"], 3],
      [["--json", "on", "local", `touch ${marker}`, "$(printf '\\377\\376')"], 5],
    ] as const
  ) {
    // Deno.Command's arguments are strings: a shell makes the byte.
    const words = args.map((a) => `"${a}"`).join(" ");
    const out = await new Deno.Command("sh", {
      args: ["-c", `exec "$@" ${words}`, "sh", ...POOL_ARGV],
      env,
      clearEnv: true,
      cwd: here,
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 2, stderr);
    assertEquals(
      stderr,
      `pool: argument ${at} is not valid UTF-8: pool cannot pass it on unchanged\n`,
    );
    await Deno.stat(marker).then(() => assert(false, "the command ran"), () => {});
  }
  assertEquals(
    await Deno.readTextFile(roster),
    '{"hosts": [{"name": "h1", "ssh": "h1"}]}\n',
    "no description stored",
  );
  // Valid UTF-8 passes whole, U+FFFD typed as such too.
  const ok = await pool({ env: { HOME: here, POOL_STATE: roster } }, [
    "on",
    "local",
    "printf '%s\\n' ✓ \uFFFD",
  ]);
  assertEquals([ok.code, ok.stdout], [0, "✓\n\uFFFD\n"], ok.stderr);
  await Deno.remove(here, { recursive: true });
});

Deno.test("a setting or path in the environment that is not valid UTF-8 is refused by name, exit 2", async () => {
  // Deno cannot read such a value: pool ended in an uncaught InvalidData and a stack trace.
  const here = await Deno.makeTempDir({ prefix: "pool-utf8-env-" });
  const roster = join(here, "pool.json");
  const text = '{"hosts": [{"name": "h1", "ssh": "h1"}]}\n';
  await Deno.writeTextFile(roster, text);
  const marker = join(here, "ran");
  for (const name of ["POOL_STATE", "POOL_SSH_CONFIG", "TMPDIR", "HOME", "PATH", "SHELL"]) {
    const env = childEnv({ HOME: here, POOL_STATE: roster });
    // Deno.Command's environment is strings: a shell makes the byte.
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        `${name}="$(printf '/tmp/x-\\377')"; export ${name}; exec "$@"`,
        "sh",
        ...POOL_ARGV,
        "on",
        "local",
        `touch ${marker}`,
      ],
      env,
      clearEnv: true,
      cwd: here,
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(
      [out.code, stderr],
      [2, `pool: ${name} is not valid UTF-8: pool cannot use it unchanged\n`],
      name,
    );
    await Deno.stat(marker).then(() => assert(false, `${name}: the command ran`), () => {});
  }
  assertEquals(await Deno.readTextFile(roster), text);
  await Deno.remove(here, { recursive: true });
});

Deno.test("a bad POOL_* setting is a usage error naming it, before any verb acts", async () => {
  const here = await Deno.makeTempDir({ prefix: "pool-env-" });
  const marker = join(here, "ran");
  const base = { HOME: here, POOL_STATE: join(here, "pool.json") };
  for (
    const [name, value] of [
      ["POOL_LOCK_TIMEOUT", "abc"],
      ["POOL_LOCK_TIMEOUT", "0x10"],
      ["POOL_LOCK_TIMEOUT", "1e3"],
      ["POOL_CONTROL_PERSIST", "1e3"],
      ["POOL_CONTROL_PERSIST", "2147483648"],
      ["POOL_HEADROOM", "15"],
    ]
  ) {
    for (const args of [["bg", "local", `touch ${marker}`], ["on", "local", `touch ${marker}`]]) {
      const r = await pool({ env: { ...base, [name]: value } }, args);
      const what = `${name}=${value} pool ${args.join(" ")}`;
      assertEquals([r.code, r.stdout], [2, ""], `${what}: ${r.stderr}`);
      assertMatch(r.stderr, new RegExp(`^pool: ${name} [^\\n]*"${value}"\\n$`), what);
      await Deno.stat(marker).then(() => assert(false, `${what}: the command ran`), () => {});
    }
  }
  // Empty is unset, as the shell's VAR= means.
  const empty = { POOL_LOCK_TIMEOUT: "", POOL_CONTROL_PERSIST: "", POOL_HEADROOM: "" };
  const r = await pool({ env: { ...base, ...empty } }, ["on", "local", "echo ok"]);
  assertEquals([r.code, r.stdout], [0, "ok\n"], r.stderr);
  await Deno.remove(here, { recursive: true });
});

Deno.test("import ssh-config: an empty --match or --file is a usage error, not every alias", async () => {
  const here = await Deno.makeTempDir({ prefix: "pool-import-" });
  await Deno.mkdir(join(here, ".ssh"));
  await Deno.writeTextFile(join(here, ".ssh", "config"), "Host a1\n  HostName 127.0.0.1\n");
  const env = { env: { HOME: here, POOL_STATE: join(here, "pool.json") } };
  for (
    const [args, line] of [
      [["--match", ""], 'pool: --match expects a pattern like "gpu-*", got ""\n'],
      [["--file", ""], 'pool: --file expects a path to an ssh_config, got ""\n'],
    ]
  ) {
    const r = await pool(env, ["import", "ssh-config", ...args]);
    assertEquals([r.code, r.stdout, r.stderr], [2, "", line]);
  }
  await Deno.stat(join(here, "pool.json")).then(() => assert(false, "imported"), () => {});
  await Deno.remove(here, { recursive: true });
});

Deno.test("an empty host name or tag is a usage error, exit 2, the roster untouched", async () => {
  const here = await Deno.makeTempDir({ prefix: "pool-empty-" });
  const roster = join(here, "pool.json");
  const text = '{"hosts": [{"name": "h1", "ssh": "h1", "tags": ["gpu"]}]}\n';
  await Deno.writeTextFile(roster, text);
  const env = { env: { HOME: here, POOL_STATE: roster } };
  for (
    const [args, line] of [
      [["rm", ""], "pool: empty host name\n"],
      [["exclude", ""], "pool: empty host name\n"],
      [["include", ""], "pool: empty host name\n"],
      [["desc", "", "x"], "pool: empty host name\n"],
      [["tag", "", "x"], "pool: empty host name\n"],
      [["on", "@", "true"], 'pool: empty tag in host selection "@"\n'],
      [["on", "h1,!@", "true"], 'pool: empty tag in host selection "h1,!@"\n'],
    ] as const
  ) {
    const r = await pool(env, [...args]);
    assertEquals([r.code, r.stdout, r.stderr], [2, "", line], args.join(" "));
  }
  assertEquals(await Deno.readTextFile(roster), text);
  await Deno.remove(here, { recursive: true });
});
