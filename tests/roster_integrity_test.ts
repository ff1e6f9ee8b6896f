/**
 * Issue 12, "state never betrays the user": the roster through the real CLI
 * when the file is damaged, ambiguous, hand-edited, symlinked, read-only,
 * CRLF, or locked by someone else. Each test is the repro, and holds.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { parseRoster } from "../roster/parse.ts";
import { shQuote } from "../remote/quote.ts";
import { childEnv, fleetTest, pool, POOL_ARGV, spawnPool, writeRoster } from "./helpers.ts";

async function tempState() {
  const dir = await Deno.makeTempDir({ prefix: "pool-integrity-" });
  const roster = join(dir, "state", "pool.json");
  const sshConfig = join(dir, "ssh_config");
  await Deno.writeTextFile(
    sshConfig,
    // The made-up names (h1…h5) lead to loopback, where nothing listens: never to the resolver.
    `Host h1 h2 h3 h4 h5\n  HostName 127.0.254.1\n` +
      `Host *\n  UserKnownHostsFile ${dir}/known_hosts\n  IdentityFile ${dir}/none\n`,
  );
  await Deno.mkdir(join(dir, "state"));
  const env = {
    HOME: join(dir, "home"),
    POOL_STATE: roster,
    POOL_SSH_CONFIG: sshConfig,
    NO_COLOR: "1",
  };
  return { dir, roster, env, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

const NOBODY = "root@127.0.254.1"; // loopback, nothing listens: refused at once
const namesIn = async (path: string) =>
  parseRoster(await Deno.readTextFile(path)).hosts.map((h) => h.name);
const filesIn = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);

Deno.test("a roster cut short after hand edits is refused, not swapped for its older .bak", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "a", "h1"]);
    await pool(s, ["add", "b", "h2"]); // .bak holds [a]
    const good = await Deno.readTextFile(s.roster);
    const edited = good.replace(
      /("name": "b"[^\n]*)\n/,
      '$1,\n    {"name": "c", "ssh": "h3"},\n    {"name": "d", "ssh": "h4"}\n',
    ).trimEnd().slice(0, -1); // the hand edit drops the last }
    assert(edited.includes('"d"') && !edited.trimEnd().endsWith("}"), edited);
    await Deno.writeTextFile(s.roster, edited);

    const add = await pool(s, ["add", "e", "h5"]);
    assertEquals(add.code, 1, add.stderr);
    assertEquals(
      add.stderr,
      `pool: cannot read roster ${s.roster}:${edited.split("\n").length}:1: ` +
        `CloseBraceExpected (file left untouched; ${s.roster}.bak is older and lacks some of it)\n`,
    );
    const list = await pool(s, ["hosts"]);
    assertEquals([list.code, list.stderr], [1, add.stderr]);
    assertEquals(await Deno.readTextFile(s.roster), edited, "byte for byte");
    assertEquals((await filesIn(join(s.dir, "state"))).sort(), [
      "cm",
      "pool.json",
      "pool.json.bak",
      "pool.json.lock",
      "ssh-resolve-cache.json",
    ]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a cut-short roster that its .bak fully holds is recovered, the damaged file kept aside first", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "a", NOBODY]);
    await pool(s, ["add", "b", NOBODY]); // .bak holds [a]
    const damaged = (await Deno.readTextFile(s.roster + ".bak")).slice(0, 40);
    await Deno.writeTextFile(s.roster, damaged);
    const r = await pool(s, ["add", "c", NOBODY]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /warning: roster .* is cut short; using .*\.bak \(1 hosts\)/);
    const aside = /kept the damaged roster as (\S+)\n/.exec(r.stderr)?.[1];
    assert(aside, r.stderr);
    assertMatch(aside, /\/pool\.json\.damaged-\d{4}-\d\d-\d\dT\d{6}Z$/);
    assertEquals(await Deno.readTextFile(aside), damaged);
    assertEquals(await namesIn(s.roster), ["a", "c"]);
  } finally {
    await s.cleanup();
  }
});

Deno.test('two "hosts" keys are an error naming the line, not "rm b" deleting a', async () => {
  const s = await tempState();
  try {
    const text =
      '{\n  "hosts": [{"name": "a", "ssh": "h1"}],\n  "hosts": [{"name": "b", "ssh": "h2"}]\n}\n';
    await Deno.writeTextFile(s.roster, text);
    for (const args of [["rm", "b"], ["hosts"], ["list", "--fast"], ["add", "c", NOBODY]]) {
      const r = await pool(s, args);
      assertEquals(
        [r.code, r.stdout, r.stderr],
        [
          1,
          "",
          `pool: cannot read roster ${s.roster}:3:3: duplicate key "hosts" (file left untouched)\n`,
        ],
        args.join(" "),
      );
    }
    await Deno.writeTextFile(
      s.roster,
      '{"hosts": [\n  {"name": "a", "ssh": "h1", "name": "b"}\n]}',
    );
    const r = await pool(s, ["rm", "b"]);
    assertEquals(
      r.stderr,
      `pool: cannot read roster ${s.roster}:2:30: duplicate key "name" (file left untouched)\n`,
    );
    assertEquals(
      await Deno.readTextFile(s.roster),
      '{"hosts": [\n  {"name": "a", "ssh": "h1", "name": "b"}\n]}',
    );
  } finally {
    await s.cleanup();
  }
});

/** Whether output names a host: a line or a row that starts with it, or a JSON string of it. */
const mentions = (out: string, name: string) =>
  out.includes(JSON.stringify(name)) ||
  out.split("\n").some((l) => l.startsWith(name) && /^(\s|$)/.test(l.slice(name.length)));

/** Hand-edited hosts add would refuse: each entry, its name, and what pool says of it. */
function unusableCases(dir: string): { entry: string; name: string; warning: string }[] {
  const rm = (name: string) => `pool rm ${name}, then add it under a plain name`;
  const proxy = `-oProxyCommand=touch\${IFS}${dir}/pwned`;
  return [
    {
      entry: '{"name": "mac mini", "ssh": "h1"}',
      name: "mac mini",
      warning: `name contains whitespace; left out (${rm("'mac mini'")})`,
    },
    {
      entry: '{"name": "me@mac", "ssh": "h1", "sudo": true}',
      name: "me@mac",
      warning: `name may hold only letters, digits and . _ + -; left out (${rm("me@mac")})`,
    },
    {
      entry: '{"name": "-x", "ssh": "h1"}',
      name: "-x",
      warning: `name must not start with '-' (ssh would read it as an option); left out (${
        rm("-- '-x'")
      })`,
    },
    {
      entry: `{"name": "evil", "ssh": "${proxy}"}`,
      name: "evil",
      warning: `target must not start with '-' (ssh would read it as an option): ` +
        `"${proxy}"; left out (fix it by hand, or pool rm evil)`,
    },
    {
      entry: `{"name": "evil2", "ssh": "root@${proxy}"}`,
      name: "evil2",
      warning: `target's host must not start with '-' (ssh would read it as an option): ` +
        `"${proxy}"; left out (fix it by hand, or pool rm evil2)`,
    },
    {
      entry: '{"name": "x", "ssh": "h1", "exclude": "true"}',
      name: "x",
      warning: `"exclude" is a string, not true or false; left out (fix it by hand, or pool rm x)`,
    },
    {
      entry: '{"name": "t", "ssh": "h1",\n    "tags": ["gpu", "@x"]}',
      name: "t",
      warning: `tag may hold only letters, digits and . _ + -: "@x"; ` +
        `left out (fix it by hand, or pool rm t)`,
    },
    {
      entry: '{"name": "n", "ssh": "h1", "os": 5}',
      name: "n",
      warning: `"os" is a number, not a string; left out (fix it by hand, or pool rm n)`,
    },
  ];
}

Deno.test("a hand-edited host add would refuse is left out with one warning, kept byte for byte, and rm takes it out", async () => {
  const s = await tempState();
  try {
    for (const { entry, name, warning } of unusableCases(s.dir)) {
      const said = `pool: warning: host ${JSON.stringify(name)}: ${warning}\n`;
      const text = `{\n  "hosts": [\n    ${entry},\n    {"name": "ok", "ssh": "h2"}\n  ]\n}\n`;
      await Deno.writeTextFile(s.roster, text);

      const hosts = await pool(s, ["hosts"]);
      assertEquals([hosts.code, hosts.stdout, hosts.stderr], [0, "ok\n", said], entry);
      for (const everyone of ["all", "@gpu", "ok,all"]) {
        const r = await pool(s, ["hosts", everyone]);
        assert(!mentions(r.stdout, name), `${everyone}: ${r.stdout}`);
      }
      const named = await pool(s, ["hosts", "--", name]);
      assertEquals(named.stdout, "", named.stderr);
      assert(named.code !== 0, named.stderr);
      assertEquals(await Deno.readTextFile(s.roster), text, "reading leaves it as it was");

      // A verb that reads the roster and then writes it says it once.
      const add = await pool(s, ["add", "c", NOBODY]);
      assertEquals(add.code, 0, add.stderr);
      assertEquals(add.stderr.split(said).length, 2, add.stderr);
      const added = await Deno.readTextFile(s.roster);
      assert(added.startsWith(`{\n  "hosts": [\n    ${entry},\n`), added);
      assertEquals(await namesIn(s.roster), ["ok", "c"]);

      const rm = await pool(s, ["rm", "--", name]);
      assertEquals([rm.code, rm.stdout, rm.stderr], [0, `- ${name}\n`, ""], entry);
      const left = await Deno.readTextFile(s.roster);
      assert(!left.includes(entry), left);
      assertEquals(await namesIn(s.roster), ["ok", "c"]);
    }
    assertEquals((await filesIn(s.dir)).includes("pwned"), false, "no ProxyCommand ran");

    // Changed only by hand: an edit would keep it unusable. Named in a selection, it is refused
    // with why, as the edits refuse it.
    const roster = '{"hosts": [{"name": "mac mini", "ssh": "h1"}]}';
    await Deno.writeTextFile(s.roster, roster);
    for (const args of [["desc", "mac mini", "x"], ["on", "mac mini", "true"]]) {
      const r = await pool(s, args);
      assertEquals(r.code, 1);
      assert(
        r.stderr.endsWith(
          `pool: host "mac mini" is left out: name contains whitespace ` +
            `(pool rm 'mac mini', then add it under a plain name)\n`,
        ),
        r.stderr,
      );
    }
    assertEquals(await Deno.readTextFile(s.roster), roster);
  } finally {
    await s.cleanup();
  }
});

fleetTest(
  "a roster the old tool could write runs its good hosts: bad names and targets are left out, null and odd sudo read as the old tool did",
  1,
  async (_t, fleet) => {
    const cases = unusableCases(fleet.dir);
    const good = '{"name": "ok", "ssh": "h1", "sudo": "yes", "os": null, "description": null}';
    const text = `{"hosts": [\n  ${cases.map((c) => c.entry).join(",\n  ")},\n  ${good}\n]}\n`;
    await Deno.writeTextFile(fleet.roster, text);
    const warnings = [
      ...cases.map((c) => `pool: warning: host ${JSON.stringify(c.name)}: ${c.warning}`),
      `pool: warning: host "ok": "sudo" is "yes", not true or false; read as false ` +
      `(write "sudo": true or false in the roster)`,
    ];

    const one = await pool(fleet, ["on", "ok", "echo", "hi"]);
    assertEquals([one.code, one.stdout], [0, "hi\n"], one.stderr);
    assertEquals(one.stderr.trimEnd().split("\n"), warnings);
    const all = await pool(fleet, ["on", "all", "echo", "hi"]);
    assertEquals([all.code, all.stdout], [0, "[ok] hi\n"], all.stderr);
    assertEquals(all.stderr.trimEnd().split("\n"), warnings);
    const route = await pool(fleet, ["route", "echo", "routed"]);
    assertEquals([route.code, route.stdout.trim().split("\n").at(-1)], [0, "routed"], route.stderr);

    // Every export leaves them out: none reaches another tool.
    for (
      const args of [
        ["hosts", "--format", "targets"],
        ["hosts", "--format", "complete"],
        ["inventory", "--list"],
        ["status"],
      ]
    ) {
      const r = await pool(fleet, args);
      for (const { name } of cases) assert(!mentions(r.stdout, name), `${args}: ${r.stdout}`);
      assert(!r.stdout.includes("ProxyCommand"), `${args}: ${r.stdout}`);
    }

    // list shows them, marked; the good host reads as no sudo and os unknown.
    const list = await pool(fleet, ["list", "--fast"]);
    const rows = list.stdout.trimEnd().split("\n");
    assertEquals(rows.length, cases.length + 1, list.stdout);
    assertMatch(rows[0], /^mac mini +h1 +unknown +\(unusable: name contains whitespace\)$/);
    assertMatch(rows.at(-1)!, /^ok +h1 +unknown$/);
    const json = JSON.parse((await pool(fleet, ["list", "--fast", "--json"])).stdout);
    assertEquals(json.hosts.at(-1), JSON.parse(good), "as written");
    assertEquals(json.hosts[0].unusable, "name contains whitespace");

    assertEquals((await filesIn(fleet.dir)).includes("pwned"), false, "no ProxyCommand ran");
    assertEquals(await Deno.readTextFile(fleet.roster), text);
    const rm = await pool(fleet, ["rm", "mac mini"]);
    assertEquals(rm.stdout, "- mac mini\n");
    assertEquals(
      await Deno.readTextFile(fleet.roster),
      text.replace(`  ${cases[0].entry},\n`, ""),
    );
  },
);

Deno.test("add, tag and import refuse a target part, name or tag that starts with '-' or holds shell syntax", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "keep", NOBODY]);
    const before = await Deno.readTextFile(s.roster);
    for (
      const args of [
        ["add", "x", "root@-oProxyCommand=touch${IFS}/tmp/x"],
        ["add", "x", "ssh://-oProxyCommand=x@h1"],
        ["add", "x", "ssh://%2DoProxyCommand=x@h1"],
        ["add", "x", "root@h$(touch /tmp/x)"],
        ["add", "x", "ssh://h1:0"],
        ["add", "x$(id)", NOBODY],
        ["add", "x;y", NOBODY],
        ["tag", "keep", "a$b"],
        ["tag", "keep", "--", "-a"],
      ]
    ) {
      const r = await pool(s, args);
      assertEquals([r.code, r.stdout], [2, ""], `${args}: ${r.stderr}`);
      assertEquals(r.stderr.split("\n").length, 2, r.stderr);
    }
    assertEquals(await Deno.readTextFile(s.roster), before);

    // pool's own ssh config (POOL_SSH_CONFIG), so that it resolves what it imports.
    const config = s.env.POOL_SSH_CONFIG;
    await Deno.writeTextFile(
      config,
      "Host good bad$(id) -oops\n  HostName 127.0.254.9\n" + await Deno.readTextFile(config),
    );
    const r = await pool(s, ["import", "ssh-config", "--dry-run"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /skipping bad\$\(id\): host name may hold only/);
    assertMatch(r.stderr, /skipping -oops: host name must not start with '-'/);
    assertMatch(r.stdout, /^would add good /);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a symlinked pool.json is written through the link, which stays a link", async () => {
  const s = await tempState();
  try {
    const dotfiles = join(s.dir, "dotfiles");
    await Deno.mkdir(dotfiles);
    const target = join(dotfiles, "pool.json");
    await Deno.writeTextFile(target, '{\n  // in git\n  "hosts": []\n}\n');
    await Deno.symlink("../dotfiles/pool.json", s.roster);
    for (const name of ["a", "b"]) assertEquals((await pool(s, ["add", name, NOBODY])).code, 0);
    assertEquals((await pool(s, ["rm", "a"])).stdout, "- a\n");
    assert((await Deno.lstat(s.roster)).isSymlink, "still a link");
    assertEquals(await Deno.readLink(s.roster), "../dotfiles/pool.json");
    assertEquals(await namesIn(target), ["b"]);
    assert((await Deno.readTextFile(target)).includes("// in git"));
    assertEquals((await filesIn(dotfiles)).sort(), [
      "pool.json",
      "pool.json.bak",
      "pool.json.lock",
    ]);
    assertEquals((await filesIn(join(s.dir, "state"))).sort(), [
      "cm",
      "pool.json",
      "ssh-resolve-cache.json",
    ]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a CRLF roster keeps its line ends and its trailing comment through add and rm", async () => {
  const s = await tempState();
  try {
    const crlf =
      '{\r\n  "hosts": [\r\n    {"name": "a", "ssh": "h1"} // the old one\r\n  ]\r\n}\r\n';
    await Deno.writeTextFile(s.roster, crlf);
    assertEquals((await pool(s, ["add", "b", NOBODY])).code, 0);
    assertEquals(
      await Deno.readTextFile(s.roster),
      '{\r\n  "hosts": [\r\n    {"name": "a", "ssh": "h1"}, // the old one\r\n' +
        `    {"name": "b", "ssh": "${NOBODY}", "sudo": false, "os": "unknown"}\r\n  ]\r\n}\r\n`,
    );
    assertEquals((await pool(s, ["rm", "b"])).code, 0);
    assertEquals(await Deno.readTextFile(s.roster), crlf);
  } finally {
    await s.cleanup();
  }
});

/**
 * Runs pool with its state directory mounted read-only (root ignores file
 * modes, so chmod would prove nothing here); other users get chmod 0500.
 */
async function poolReadOnly(env: Record<string, string>, stateDir: string, args: string[]) {
  const pool = [...POOL_ARGV, ...args].map(shQuote).join(" ");
  const asRoot = `mount --bind '${stateDir}' '${stateDir}' && ` +
    `mount -o remount,bind,ro '${stateDir}' && exec ${pool}`;
  const root = Deno.uid() === 0;
  if (!root) await Deno.chmod(stateDir, 0o500);
  try {
    const out = await new Deno.Command(root ? "unshare" : "sh", {
      args: root ? ["-m", "sh", "-c", asRoot] : ["-c", `exec ${pool}`],
      env: childEnv(env),
      clearEnv: true,
      stdin: "null",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } finally {
    if (!root) await Deno.chmod(stateDir, 0o700);
  }
}

Deno.test("add in a read-only state directory is one line naming the path, not a stack trace", async () => {
  const s = await tempState();
  try {
    await Deno.writeTextFile(s.roster, '{"hosts": [{"name": "a", "ssh": "h1"}]}\n');
    const state = join(s.dir, "state");
    const r = await poolReadOnly(s.env, state, ["add", "b", NOBODY]);
    assertEquals(r.code, 1, r.stderr);
    const last = r.stderr.trimEnd().split("\n").at(-1)!;
    assertMatch(last, new RegExp(`^pool: cannot write in ${state}: .*${s.roster}\\.lock`));
    assert(!r.stderr.includes("    at "), r.stderr);
    const list = await poolReadOnly(s.env, state, ["hosts"]);
    assertEquals([list.code, list.stdout], [0, "a\n"], "reading needs no write");
  } finally {
    await s.cleanup();
  }
});

/** A roster whose hosts already are what each no-op below asks, and what each verb says. */
const SETTLED = `{
  "hosts": [
    {"name": "a", "ssh": "h1", "tags": ["gpu", "ci"], "description": "shared box"},
    {"name": "b", "ssh": "h2", "exclude": true},
    {"name": "c", "ssh": "h3"}
  ]
}
`;
const NO_OPS: [string[], string][] = [
  [["tag", "a", "gpu"], "a: @gpu @ci\n"],
  [["tag", "a", "ci", "gpu"], "a: @gpu @ci\n"],
  [["tag", "--json", "a", "gpu"], '{"name":"a","tags":["gpu","ci"]}\n'],
  [["tag", "c", "x", "--rm"], "c: no tags\n"],
  [["include", "c"], "c: included\n"],
  [["exclude", "b"], "b: excluded\n"],
  [["desc", "a", "shared", "box"], "a: shared box\n"],
  [["desc", "c"], "c: description cleared\n"],
];

Deno.test("an edit that changes nothing writes nothing: the roster's bytes, no lock, .bak or temp", async () => {
  const s = await tempState();
  try {
    await Deno.writeTextFile(s.roster, SETTLED);
    for (const [args, said] of NO_OPS) {
      const r = await pool(s, args);
      assertEquals([r.code, r.stdout, r.stderr], [0, said, ""], args.join(" "));
      assertEquals(
        await Deno.readFile(s.roster),
        new TextEncoder().encode(SETTLED),
        args.join(" "),
      );
      assertEquals(await filesIn(join(s.dir, "state")), ["pool.json"], args.join(" "));
    }
  } finally {
    await s.cleanup();
  }
});

Deno.test("an edit that changes nothing succeeds on a read-only state directory; a change fails naming no owner", async () => {
  const s = await tempState();
  try {
    await Deno.writeTextFile(s.roster, SETTLED);
    await Deno.writeTextFile(s.roster + ".lock", ""); // left by an earlier edit
    const state = join(s.dir, "state");
    for (const [args, said] of NO_OPS) {
      const r = await poolReadOnly(s.env, state, args);
      assertEquals([r.code, r.stdout, r.stderr], [0, said, ""], args.join(" "));
    }
    const r = await poolReadOnly(s.env, state, ["tag", "a", "new"]);
    assertEquals(r.code, 1, r.stderr);
    // Our own lock on a read-only mount: nothing about whose it is (a chown would not help).
    assert(!r.stderr.includes("belongs to uid"), r.stderr);
    if (Deno.uid() === 0) {
      assertEquals(
        r.stderr,
        `pool: cannot open ${s.roster}.lock: Read-only file system (os error 30)\n`,
      );
    }
    assertEquals(await Deno.readTextFile(s.roster), SETTLED);
  } finally {
    await s.cleanup();
  }
});

Deno.test({
  name: "an edit on a full disk says the roster was left untouched",
  ignore: Deno.uid() !== 0, // a small tmpfs of its own takes root (unshare -m)
  async fn() {
    const s = await tempState();
    try {
      const state = join(s.dir, "state");
      const after = join(s.dir, "after.json");
      const pool = [...POOL_ARGV, "tag", "a", "new"].map(shQuote).join(" ");
      // A 256 KiB tmpfs over the state folder, the roster in it, then filled to the last block.
      const script = `mount -t tmpfs -o size=256k tmpfs '${state}' && ` +
        `printf %s ${shQuote(SETTLED)} > '${state}/pool.json' && ` +
        `{ dd if=/dev/zero of='${state}/fill' bs=4k 2>/dev/null; ${pool}; code=$?; ` +
        `cp '${state}/pool.json' '${after}'; exit $code; }`;
      const out = await new Deno.Command("unshare", {
        args: ["-m", "sh", "-c", script],
        env: childEnv(s.env),
        clearEnv: true,
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      assertMatch(
        stderr,
        new RegExp(
          `^pool: cannot write ${
            RegExp.escape(s.roster)
          }(\\.bak)?: No space left on device \\(os error 28\\) \\(roster left untouched\\)\n$`,
        ),
      );
      assertEquals(await Deno.readTextFile(after), SETTLED);
    } finally {
      await s.cleanup();
    }
  },
});

fleetTest(
  "route with a read-only state directory: a lease is one line naming the path, no lease runs",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const state = join(fleet.dir, "state");
    const env = { ...fleet.env, POOL_CONTROL_PERSIST: "0" };
    const r = await poolReadOnly(env, state, ["route", "--mem", "1M", "true"]);
    assertEquals(r.code, 1, r.stderr);
    assertMatch(
      r.stderr.trimEnd().split("\n").at(-1)!,
      new RegExp(`^pool: cannot write in ${state}: `),
    );
    assert(!r.stderr.includes("    at "), r.stderr);
    // Nothing to hold, nothing to write: the ledger is only read.
    const plain = await poolReadOnly(env, state, ["route", "echo", "ran"]);
    assertEquals([plain.code, plain.stdout.trim().split("\n").at(-1)], [0, "ran"], plain.stderr);
  },
);

/** Holds `<roster>.lock` the way another pool would, until killed. */
function holdLock(roster: string): Deno.ChildProcess {
  const code = `const f = await Deno.open(${JSON.stringify(roster + ".lock")}, ` +
    `{ create: true, read: true, write: true });\n` +
    `await f.lock(true); await f.truncate(0); await f.write(new TextEncoder().encode(Deno.pid + "\\n"));\n` +
    `console.log("held"); setInterval(() => {}, 1000);`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: childEnv({}),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Only against a hang (the old pool waited on a lock forever): never a timing assertion. */
const HANG_MS = 120_000;

async function boundedOutput(child: Deno.ChildProcess): Promise<Deno.CommandOutput> {
  const bound = setTimeout(() => stop(child), HANG_MS);
  try {
    return await child.output();
  } finally {
    clearTimeout(bound);
  }
}

function stop(child: Deno.ChildProcess) {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
}

async function untilHeld(holder: Deno.ChildProcess) {
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("held")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the lock holder quit");
    seen += value;
  }
  reader.releaseLock();
}

Deno.test("waiting on a held roster lock says who holds it, and gives up after POOL_LOCK_TIMEOUT", async () => {
  const s = await tempState();
  const holder = holdLock(s.roster);
  try {
    await untilHeld(holder);
    const child = spawnPool(s, ["add", "a", NOBODY], "null", { POOL_LOCK_TIMEOUT: "3" });
    const out = await boundedOutput(child);
    const r = { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    assertEquals(r.code, 1, r.stderr);
    const lines = r.stderr.trimEnd().split("\n").filter((l) => !l.includes("did not answer"));
    const who = `held by pid ${holder.pid} \\(.*eval.*\\)`;
    assertMatch(
      lines[0],
      new RegExp(`^pool: waiting for the roster lock ${who}; giving up after 3 s$`),
    );
    assertMatch(
      lines[1],
      new RegExp(
        `^pool: gave up waiting for the roster lock after 3 s: ${who} \\(POOL_LOCK_TIMEOUT sets how long to wait\\)$`,
      ),
    );
    assertEquals(lines.length, 2, r.stderr);
    await Deno.stat(s.roster).then(() => assert(false, "nothing written"), () => {});
  } finally {
    stop(holder);
    await holder.status;
    await holder.stdout.cancel().catch(() => {});
    await s.cleanup();
  }
});

Deno.test("a pool waiting on the roster lock goes on once the holder lets go", async () => {
  const s = await tempState();
  const holder = holdLock(s.roster);
  let bound: ReturnType<typeof setTimeout> | undefined;
  try {
    await untilHeld(holder);
    const child = spawnPool(s, ["add", "a", NOBODY]);
    bound = setTimeout(() => stop(child), HANG_MS);
    const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("waiting for the roster lock")) {
      const { value, done } = await stderr.read();
      assert(!done, seen);
      seen += value;
    }
    stop(holder);
    await holder.status;
    const [status, stdout] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      (async () => {
        while (!(await stderr.read()).done);
      })(),
    ]);
    assertEquals([status.code, stdout], [0, `+ a (${NOBODY})  unknown\n`]);
    assertEquals(await namesIn(s.roster), ["a"]);
  } finally {
    clearTimeout(bound);
    stop(holder);
    await holder.status;
    await holder.stdout.cancel().catch(() => {});
    await s.cleanup();
  }
});
