/**
 * `pool on`'s selection and output modes against real sshd test hosts:
 * ranges and globs, -b headers beside ClusterShell's nodeset, --out-dir,
 * --prefix host: into pdsh's dshbak, --sudo for three kinds of login, --dry-run.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, writeRoster } from "./helpers.ts";
import { FOLDS } from "./fixtures/folds.ts";

/** The command reports which test host ran it, from the address sshd accepted on. */
const WHO = `echo "$SSH_CONNECTION" | cut -d' ' -f3`;

async function run(argv: string[], stdin?: string) {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("the folding table is what ClusterShell itself prints", async () => {
  // nodeset's own interpreter and library, one process for the whole table.
  const nodeset = await run(["sh", "-c", "command -v nodeset"]);
  assert(nodeset.code === 0, "ClusterShell's nodeset is not installed (.ci/run installs it)");
  const python = (await Deno.readTextFile(nodeset.stdout.trim())).split("\n")[0].slice(2).trim();
  const script = [
    "import json, sys",
    "from ClusterShell.NodeSet import NodeSet",
    "for names, _ in json.load(sys.stdin):",
    "    folded = str(NodeSet.fromlist(names.split(',')))",
    "    print(folded, ','.join(NodeSet(folded)))",
  ].join("\n");
  const r = await run([python, "-c", script], JSON.stringify(FOLDS));
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").map((l) => l.split(" "));
  for (const [i, [names, folded]] of FOLDS.entries()) {
    assertEquals(lines[i][0], folded, names);
    assertEquals(lines[i][1].split(",").sort(), names.split(",").sort(), folded);
  }
});

fleetTest("pool on: selections, output modes, sudo, dry runs", 5, async (t, fleet) => {
  await writeRoster(fleet, [
    ...fleet.hosts.map((h) => ({ name: h.name })),
    { name: "edge", ssh: "h1" },
    { name: "nopw", ssh: "nopw@h1", sudo: true },
    { name: "pw", ssh: "pw@h2", sudo: true },
    { name: "plain", ssh: "plain@h3" },
  ]);

  await t.step("ranges, globs, lists and exclusion select hosts; -b folds them", async () => {
    const r = await pool(fleet, ["on", "h[1-5],edge,!h[2-3]", "-b", "echo same"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    const rule = "-".repeat("edge,h[1,4-5] (4)".length);
    assertEquals(r.stdout, `${rule}\nedge,h[1,4-5] (4)\n${rule}\nsame\n`);
    assertEquals(
      (await run(["nodeset", "-f", "edge,h1,h4,h5"])).stdout.trim(),
      "edge,h[1,4-5]",
    );
    const glob = await pool(fleet, ["on", "h*", "--prefix", "host:", WHO]);
    assertEquals(
      glob.stdout.trim().split("\n").map((l) => l.split(":")[0]).sort(),
      ["h1", "h2", "h3", "h4", "h5"],
    );
    const missing = await pool(fleet, ["on", "h[4-9]", "true"]);
    assertEquals([missing.code, missing.stderr], [1, "pool: not in roster: h[6-9]\n"]);
  });

  await t.step("--out-dir writes each host's stdout and stderr to files", async () => {
    const dir = join(fleet.dir, "out");
    const r = await pool(fleet, [
      "on",
      "h[1-3]",
      "--out-dir",
      dir,
      `${WHO}; printf 'no newline' >&2; [ "$(${WHO})" != ${fleet.hosts[1].address} ] || exit 4`,
    ]);
    assertEquals(r.code, 4);
    for (const [i, h] of fleet.hosts.slice(0, 3).entries()) {
      assertEquals(await Deno.readTextFile(join(dir, `${h.name}.out`)), `${h.address}\n`);
      assertEquals(await Deno.readTextFile(join(dir, `${h.name}.err`)), "no newline");
      assertMatch(r.stdout, new RegExp(`^\\[${h.name}\\] exit ${i === 1 ? 4 : 0}  `, "m"));
    }
    assertMatch(r.stderr, /exit 4: h2/);
  });

  await t.step("--prefix host: feeds pdsh's dshbak -c", async () => {
    const r = await pool(fleet, [
      "on",
      "h[1-5]",
      "--prefix",
      "host:",
      `echo line one; echo; [ "$(${WHO})" = ${fleet.hosts[3].address} ] && echo odd || echo same`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    // Each host's lines in its order, the empty one kept (other hosts' may come between).
    assertEquals(r.stdout.split("\n").filter((l) => l.startsWith("h1:")), [
      "h1: line one",
      "h1: ",
      "h1: same",
    ]);
    const back = await run(["dshbak", "-c"], r.stdout);
    assertEquals(back.code, 0, back.stderr);
    const blocks = back.stdout.split(/^-+\n(.*)\n-+\n/m).slice(1);
    const byHosts = Object.fromEntries(
      Array.from({ length: blocks.length / 2 }, (_, i) => [blocks[2 * i], blocks[2 * i + 1]]),
    );
    assertEquals(byHosts, { "h[1-3,5]": "line one\n\nsame\n", "h4": "line one\n\nodd\n" });
  });

  await t.step(
    "--sudo: NOPASSWD runs as root, a password rule fails, no sudo is refused",
    async () => {
      const r = await pool(fleet, ["on", "nopw,pw,plain,h4", "--sudo", "id -u; id -un"]);
      assertEquals(r.code, 1);
      assertMatch(r.stdout, /^\[nopw \] 0$/m);
      assertMatch(r.stdout, /^\[nopw \] root$/m);
      assertMatch(r.stdout, /^\[h4 {3}\] 0$/m); // a root login needs no sudo
      assertMatch(r.stdout, /^\[pw {3}\] sudo: a password is required$/m);
      assertMatch(r.stdout, /^\[plain\] pool: not root, and the roster does not allow sudo/m);
      assertMatch(
        r.stderr,
        /exit 1: pw \(sudo wants a password here \(pool never prompts\)\), plain \(no sudo: the roster does not allow it\)/,
      );
      // Without --sudo the same logins are themselves.
      const plain = await pool(fleet, ["on", "nopw", "id -un"]);
      assertEquals([plain.code, plain.stdout], [0, "nopw\n"]);
      // One host in the foreground: the command's code, sudo's words, and pool's reason.
      const one = await pool(fleet, ["on", "pw", "--sudo", "id -u"]);
      assertEquals(one.code, 1);
      assertMatch(one.stderr, /^sudo: a password is required\n/m);
      assertMatch(one.stderr, /^pool: pw: sudo wants a password here \(pool never prompts\)$/m);
    },
  );

  await t.step("--dry-run prints each host's ssh command line and runs nothing", async () => {
    const r = await pool(fleet, ["on", "h[1-2]", "--dry-run", "touch /root/was-run"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assertEquals(lines.length, 2);
    for (const [i, line] of lines.entries()) {
      const name = `h${i + 1}`;
      assert(line.startsWith(`${name}: ssh -F ${fleet.sshConfig} `), line);
      assert(line.endsWith(` -- ${name} 'touch /root/was-run'`), line);
      assertMatch(line, / -o BatchMode=yes /);
      assertMatch(line, / -o ControlPath=\S+ /);
    }
    assertMatch(r.stderr, /dry run: 2 hosts, nothing started/);
    const check = await pool(fleet, ["on", "h1", "test -e /root/was-run"]);
    assertEquals(check.code, 1, "the dry run ran the command");
    // The printed line is a working command: pasted into a shell, it runs.
    const pasted = await new Deno.Command("sh", {
      args: ["-c", lines[0].slice("h1: ".length).replace("touch /root/was-run", "echo pasted")],
      env: childEnv(fleet.env),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(pasted.stdout), "pasted\n");
    const json = await pool(fleet, ["on", "h1", "--dry-run", "--json", "uptime"]);
    const object = JSON.parse(json.stdout);
    assertEquals([object.name, object.argv.at(-2), object.argv.at(-1)], ["h1", "h1", "uptime"]);
  });
}, { users: true });
