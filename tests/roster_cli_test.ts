/**
 * The roster through the real CLI: adds, removals, bad input, broken files,
 * concurrent writers. Targets here are loopback addresses where nothing
 * listens (an instant "refused"), so no test host is needed.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { pool } from "./helpers.ts";

async function tempState() {
  const dir = await Deno.makeTempDir({ prefix: "pool-roster-" });
  const roster = join(dir, "state", "pool.json");
  // An ssh config of our own, so nothing here reads or writes the real ~/.ssh.
  const sshConfig = join(dir, "ssh_config");
  await Deno.writeTextFile(
    sshConfig,
    `Host *\n  UserKnownHostsFile ${dir}/known_hosts\n  IdentityFile ${dir}/none\n`,
  );
  const env = {
    HOME: join(dir, "home"),
    POOL_STATE: roster,
    POOL_SSH_CONFIG: sshConfig,
    NO_COLOR: "1",
  };
  return { dir, roster, env, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

const readJson = async (path: string) => JSON.parse(await Deno.readTextFile(path));
const NOBODY = "root@127.0.254.1"; // loopback, nothing listens: refused at once

Deno.test("50 concurrent pool add processes leave all 50 hosts in the file", async () => {
  const s = await tempState();
  try {
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pool(s, ["add", `host${i}`, `root@127.0.254.${i + 1}`])),
    );
    for (const r of runs) assertEquals(r.code, 0, r.stderr);
    const names = (await readJson(s.roster)).hosts.map((h: { name: string }) => h.name).sort();
    assertEquals(names, Array.from({ length: 50 }, (_, i) => `host${i}`).sort());
  } finally {
    await s.cleanup();
  }
});

Deno.test("pool add prints the old line, keeps an unreachable host, and creates 0700/0600 state", async () => {
  const s = await tempState();
  try {
    const r = await pool(s, ["add", "box", NOBODY, "--sudo"]);
    assertEquals([r.code, r.stdout], [0, `+ box (${NOBODY})  unknown  sudo\n`]);
    assertMatch(r.stderr, /warning: box .* did not answer \(refused\)/);
    assertEquals((await Deno.stat(join(s.dir, "state"))).mode! & 0o777, 0o700);
    assertEquals((await Deno.stat(s.roster)).mode! & 0o777, 0o600);
    assertEquals((await readJson(s.roster)).hosts, [{
      name: "box",
      ssh: NOBODY,
      sudo: true,
      os: "unknown",
    }]);

    const tagged = await pool(s, ["add", "gpu", NOBODY, "--tag", "gpu", "--tag", "ci"]);
    assertEquals(tagged.stdout, `+ gpu (${NOBODY})  unknown\n`);
    assertEquals((await readJson(s.roster)).hosts[1].tags, ["gpu", "ci"]);

    const dup = await pool(s, ["add", "box", NOBODY]);
    assertEquals([dup.code, dup.stdout, dup.stderr], [1, "", "pool: already in roster: box\n"]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("bad names and targets are refused with one line, exit 2, nothing written", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "keep", NOBODY]);
    const before = await Deno.readTextFile(s.roster);
    const cases = [
      ["add", "--", "x", "-oProxyCommand=touch /tmp/pool-pwned"],
      ["add", "--", "-x", NOBODY],
      ["add", "a b", NOBODY],
      ["add", "x", "root@host\nProxyCommand=x"],
      ["add", "x", "a\u0007b"],
      ["add", "all", NOBODY],
      ["add", "x", "ssh://"],
      ["add", "x", NOBODY, "--tag", "a,b"],
      ["add", "x"],
      ["add", "x", NOBODY, "--bogus"],
      ["desc", "keep", "two\nlines"],
      ["bogus-verb"],
      ["on", "keep"],
      ["on", "keep", "--timeout", "soon", "true"],
      ["on", "keep", "--jobs", "-1", "true"],
      ["add", "h1\ufe0f", NOBODY],
      ["tag", "keep", "t\u034f"],
    ];
    for (const args of cases) {
      const r = await pool(s, args);
      assertEquals(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assertEquals(r.stderr.trim().split("\n").length, 1, `${JSON.stringify(args)}: ${r.stderr}`);
      assertEquals(r.stdout, "");
    }
    assertEquals(await Deno.readTextFile(s.roster), before);
    // A tag an older roster holds, whatever it is, can still be removed.
    await Deno.writeTextFile(s.roster, before.replace('"keep",', '"keep", "tags": ["t\u034f"],'));
    assertEquals((await pool(s, ["tag", "keep", "t\u034f", "--rm"])).stdout, "keep: no tags\n");
    await Deno.stat("/tmp/pool-pwned").then(
      () => assert(false, "a target ran a local command"),
      () => {},
    );
  } finally {
    await s.cleanup();
  }
});

Deno.test("rm, desc, tag, exclude and include edit one host and print the old lines", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "a", NOBODY]);
    await pool(s, ["add", "b", NOBODY]);
    assertEquals(
      (await pool(s, ["desc", "a", "shared", "CI", "runner"])).stdout,
      "a: shared CI runner\n",
    );
    assertEquals((await pool(s, ["desc", "a"])).stdout, "a: description cleared\n");
    // Every word after the name is the text, as the old tool took it; pool's options go first.
    assertEquals(
      (await pool(s, ["desc", "a", "uses", "--json", "output", "--no-reboot"])).stdout,
      "a: uses --json output --no-reboot\n",
    );
    assertEquals(
      (await pool(s, ["desc", "a", "--json", "-", "--x"])).stdout,
      '{"name":"a","description":"- --x"}\n',
    );
    // Options after the name and no text: never a silent clear (the old tool set `--json`).
    const cleared = await pool(s, ["desc", "a", "--json"]);
    assertEquals([cleared.code, cleared.stdout, cleared.stderr], [
      2,
      "",
      "pool: no text after the options: to clear a's description, pool desc --json a\n",
    ]);
    assertEquals((await readJson(s.roster)).hosts[0].description, "- --x");
    // After a `--`, nothing is an option.
    assertEquals((await pool(s, ["desc", "--", "a", "--json"])).stdout, "a: --json\n");
    assertEquals(
      (await pool(s, ["desc", "--json", "--", "a", "--json", "x"])).stdout,
      '{"name":"a","description":"--json x"}\n',
    );
    await pool(s, ["desc", "a"]);
    assertEquals((await pool(s, ["tag", "a", "gpu", "ci"])).stdout, "a: @gpu @ci\n");
    assertEquals((await pool(s, ["tag", "a", "ci", "--rm"])).stdout, "a: @gpu\n");
    assertEquals((await pool(s, ["exclude", "b"])).stdout, "b: excluded\n");
    let hosts = (await readJson(s.roster)).hosts;
    assertEquals([hosts[0].description, hosts[0].tags, hosts[1].exclude], [
      undefined,
      ["gpu"],
      true,
    ]);
    assertEquals((await pool(s, ["include", "b"])).stdout, "b: included\n");
    assertEquals((await pool(s, ["rm", "a"])).stdout, "- a\n");
    const missing = await pool(s, ["rm", "a"]);
    assertEquals([missing.code, missing.stderr], [1, "pool: not in roster: a\n"]);
    assertEquals((await pool(s, ["rm", "b"])).code, 0, "removing the last host is allowed");
    hosts = (await readJson(s.roster)).hosts;
    assertEquals(hosts, []);
    assertEquals((await pool(s, ["desc", "zz", "x"])).code, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a malformed roster is reported with line:column and left byte-for-byte untouched", async () => {
  const s = await tempState();
  try {
    await Deno.mkdir(join(s.dir, "state"), { recursive: true });
    const broken =
      '{\n  "hosts": [\n    {"name": "a", "ssh": "a"}\n    {"name": "b", "ssh": "b"}\n  ]\n}\n';
    // (A host without a target is only left out: one bad host never takes the roster down.)
    for (const text of [broken, "[]\n", '{"hosts": [{"ssh": "a"}]}']) {
      await Deno.writeTextFile(s.roster, text);
      for (
        const args of [["list", "--fast"], ["add", "c", NOBODY], ["rm", "a"], ["on", "all", "true"]]
      ) {
        const r = await pool(s, args);
        assertEquals(r.code, 1, `${args}: ${r.stderr}`);
        assertMatch(r.stderr, new RegExp(`^pool: cannot read roster ${s.roster}`));
        assertEquals(await Deno.readTextFile(s.roster), text);
      }
    }
    await Deno.writeTextFile(s.roster, broken);
    assertMatch((await pool(s, ["list"])).stderr, /pool\.json:4:5: CommaExpected/);
  } finally {
    await s.cleanup();
  }
});

Deno.test("an empty or cut-short roster recovers from .bak with a warning", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "a", NOBODY]);
    await pool(s, ["add", "b", NOBODY]); // .bak now holds [a]
    for (const damage of ["", '{"hosts": [{"name": "a", "ss']) {
      await Deno.writeTextFile(s.roster, damage);
      const r = await pool(s, ["list", "--fast"]);
      assertEquals(r.code, 0);
      assertMatch(
        r.stderr,
        /warning: roster .* (is empty|is cut short); using .*\.bak \(1 hosts\)/,
      );
      assertMatch(r.stdout, /^a {2}/);
    }
    // The next write builds on the recovered roster and keeps the good .bak.
    assertEquals((await pool(s, ["add", "c", NOBODY])).code, 0);
    assertEquals((await readJson(s.roster)).hosts.map((h: { name: string }) => h.name), ["a", "c"]);
    assertEquals((await readJson(s.roster + ".bak")).hosts.length, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("an old roster with comments and unknown keys survives add and rm", async () => {
  const s = await tempState();
  try {
    await Deno.mkdir(join(s.dir, "state"), { recursive: true });
    const legacy = `{
  // written by hand
  "hosts": [
    {"name": "ubu-1", "ssh": "ubu-1", "sudo": true, "os": "linux", "rack": "B2"},
    {"name": "pi5-akida", "ssh": "ubuntu@192.0.2.155", "sudo": true, "os": "linux",
     "description": "anima — dedicated Akida neuromorphic host"}
  ],
  "owner": "ops"
}
`;
    await Deno.writeTextFile(s.roster, legacy);
    // --fast: the document without probing, so ubu-1 and 192.0.2.155 are never looked up.
    const list = await pool(s, ["list", "--fast", "--json"]);
    const doc = JSON.parse(list.stdout);
    assertEquals([doc.owner, doc.hosts[0].rack, doc.local.name], ["ops", "B2", "local"]);
    assertEquals(doc.hosts.length, 2, "local is not inside hosts");
    await pool(s, ["add", "new", NOBODY]);
    await pool(s, ["rm", "new"]);
    assertEquals(await Deno.readTextFile(s.roster), legacy);
    assertEquals(
      await Deno.readTextFile(s.roster + ".bak"),
      (await Deno.readTextFile(s.roster)).replace(
        '     "description": "anima — dedicated Akida neuromorphic host"}\n',
        `     "description": "anima — dedicated Akida neuromorphic host"},\n    {"name": "new", "ssh": "${NOBODY}", "sudo": false, "os": "unknown"}\n`,
      ),
    );
  } finally {
    await s.cleanup();
  }
});

Deno.test("pool list --fast shows the roster hosts only (--local adds the local row), and a hint when empty", async () => {
  const s = await tempState();
  try {
    const empty = await pool(s, ["list", "--fast"]);
    assertEquals([empty.code, empty.stdout], [0, ""]);
    assertMatch(empty.stderr, /pool add/);
    assertMatch(
      (await pool(s, ["list", "--fast", "--local"])).stdout,
      /^local {2}\(local\) {2}linux/m,
    );
    await pool(s, ["add", "box", NOBODY, "--sudo"]);
    await pool(s, ["desc", "box", "the box"]);
    const r = await pool(s, ["list", "--fast"]);
    assertEquals(r.stdout, `box  ${NOBODY}  unknown  sudo  the box\n`);
    assertEquals(
      (await pool(s, ["list", "--fast", "--local"])).stdout.split("\n")[0],
      `box    ${NOBODY}  unknown  sudo  the box`,
    );
    assert(r.stdout.split("\n").every((line) => line === line.trimEnd()), "rows are right-trimmed");
    // A roster host named local replaces this machine's row, in the table and in completions.
    await pool(s, ["add", "local", NOBODY]);
    const shadowed = await pool(s, ["list", "--fast", "--local"]);
    assertEquals(shadowed.stdout.split("\n").filter((l) => l.startsWith("local ")).length, 1);
    assertMatch(shadowed.stdout, new RegExp(`^local  ${NOBODY}`, "m"));
    const words = await pool(s, ["hosts", "--format", "complete"]);
    assertEquals(words.stdout.split("\n").filter((w) => w === "local").length, 1, words.stdout);
  } finally {
    await s.cleanup();
  }
});

Deno.test("refusing to replace a non-empty roster with an empty one", async () => {
  const s = await tempState();
  try {
    await pool(s, ["add", "a", NOBODY]);
    // A roster whose only host is removed by rm is fine (tested above); any
    // other verb that would empty it must refuse. tag --rm of a missing host
    // cannot empty it, so check the guard where it lives: a unit of store.
    const { updateRoster } = await import("../roster/store.ts");
    let threw = false;
    try {
      await updateRoster((e) => e.remove("a"), {}, s.roster);
    } catch (e) {
      threw = /refusing to replace roster/.test((e as Error).message);
    }
    assert(threw);
    assertEquals((await readJson(s.roster)).hosts.length, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a roster saved with a byte order mark is read, and edited with its mark kept", async () => {
  const s = await tempState();
  try {
    await Deno.mkdir(join(s.dir, "state"), { recursive: true });
    await Deno.writeTextFile(s.roster, '\ufeff{"hosts": [{"name": "a", "ssh": "a"}]}\n');
    const hosts = await pool(s, ["hosts", "--json"]);
    assertEquals(hosts.code, 0, hosts.stderr);
    assertEquals(JSON.parse(hosts.stdout).hosts.map((h: { name: string }) => h.name), ["a"]);
    assertEquals((await pool(s, ["desc", "a", "notes"])).code, 0);
    const text = await Deno.readTextFile(s.roster);
    assert(text.startsWith("\ufeff{"), JSON.stringify(text.slice(0, 12)));
    assertMatch(text, /"description": "notes"/);
  } finally {
    await s.cleanup();
  }
});

Deno.test({
  name: "a roster that is not a regular file (a device, a folder) is refused, never replaced",
  // A device node of our own (mknod: root), never the machine's /dev/null.
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const s = await tempState();
    try {
      await Deno.mkdir(join(s.dir, "state"), { recursive: true });
      const device = join(s.dir, "state", "null");
      await new Deno.Command("mknod", { args: ["-m", "666", device, "c", "1", "3"] }).output();
      const env = { ...s.env, POOL_STATE: device };
      for (const args of [["add", "q", NOBODY], ["hosts"]]) {
        const r = await pool({ env }, args);
        assertEquals(r.code, 1, args.join(" "));
        assertEquals(r.stderr, `pool: roster ${device} is not a regular file\n`);
      }
      assert(Deno.statSync(device).isCharDevice, "still the device");
      assertEquals([...Deno.readDirSync(join(s.dir, "state"))].map((e) => e.name), ["null"]);
      const folder = await pool({ env: { ...s.env, POOL_STATE: join(s.dir, "state") } }, ["hosts"]);
      assertEquals(folder.stderr, `pool: roster ${join(s.dir, "state")} is a folder\n`);
    } finally {
      await s.cleanup();
    }
  },
});
