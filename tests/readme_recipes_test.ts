/**
 * The README's recipes run as written: the commands listed in "Working with
 * other tools", one by one in one bash, against real sshd hosts with the real
 * pdsh, dshbak, parallel-ssh and ansible-core, and with POOL_SSH_CONFIG set
 * (the fleet's hosts exist only in that config). Also: no inline code span in
 * the sections this covers is broken across lines.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, writePoolShim, writeRoster } from "./helpers.ts";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The text of a `## ` section, up to the next one. */
function section(readme: string, title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  assert(start >= 0, `README has no "## ${title}"`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/**
 * The commands of the first list of a section: each item opens with one as a
 * code span (`- \`pool hosts @gpu\`: names, one a line`), so no comment is
 * part of what is typed (interactive zsh would pass it on as words).
 */
function recipes(text: string): string[] {
  const list = /(?:^- `[^`]+`.*\n)+/m.exec(text);
  assert(list, "no list of commands");
  return [...list[0].matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]);
}

fleetTest("the README's interop recipes run as written", 2, async (t, fleet) => {
  const readme = await Deno.readTextFile(README);
  const lines = recipes(section(readme, "Working with other tools"));
  const h2 = `root@${fleet.hosts[1].address}`;
  await writeRoster(fleet, [{ name: "h1", tags: ["gpu"] }, { name: "h2", ssh: h2 }]);
  const bin = join(fleet.dir, "recipe-bin");
  await Deno.mkdir(bin);
  await writePoolShim(join(bin, "pool"));
  // One bash for the whole block (an `export` holds for the lines after it); each line's output
  // and status between markers.
  const script = lines.map((line, i) =>
    `printf '\\n@@ %d\\n' ${i}\n{ ${line}\n} 2>&1\nprintf '\\n@@ status %d\\n' $?`
  ).join("\n");
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    env: childEnv({
      ...fleet.env,
      PATH: `${bin}:/usr/bin:/bin`,
      ANSIBLE_LOCAL_TEMP: join(fleet.dir, "ansible-tmp"),
      ANSIBLE_NOCOLOR: "1",
    }),
    clearEnv: true,
    stdin: "null",
    cwd: fleet.dir,
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const said = (pattern: RegExp) => {
    const i = lines.findIndex((l) => pattern.test(l));
    assert(i >= 0, `the README has no recipe matching ${pattern}`);
    const m = new RegExp(`\\n@@ ${i}\\n([\\s\\S]*?)\\n@@ status (\\d+)\\n`).exec(text);
    assert(m, `no output for: ${lines[i]}\n${text}`);
    assertEquals(m[2], "0", `${lines[i]}\n${m[1]}`);
    return m[1];
  };

  await t.step("pool hosts: names of a tag, and ssh targets", () => {
    assertEquals(said(/^pool hosts @gpu/), "h1\n");
    assertEquals(said(/^pool hosts --format targets/), `h1\n${h2}\n`);
  });

  await t.step("pdsh -R ssh reaches every host through pool's ssh config; dshbak groups it", () => {
    said(/^export PDSH_SSH_ARGS_APPEND=/);
    const pdsh = said(/^pdsh /);
    // pdsh labels a user@host target by its host.
    for (const host of ["h1", fleet.hosts[1].address]) {
      assertMatch(
        pdsh,
        new RegExp(`^-+\\n${host.replaceAll(".", "\\.")}\\n-+\\n.*load average`, "m"),
      );
    }
  });

  await t.step("parallel-ssh reaches every host", () => {
    const pssh = said(/^parallel-ssh /);
    assertMatch(pssh, /\[SUCCESS\] h1\n/);
    assertMatch(pssh, new RegExp(`\\[SUCCESS\\] ${h2.replaceAll(".", "\\.")}\\n`));
  });

  await t.step("ansible pings every host through the inventory script", () => {
    said(/^printf .* > pool-inventory/);
    const ansible = said(/^ansible all /);
    for (const host of ["h1", "h2"]) assertMatch(ansible, new RegExp(`^${host} \\| SUCCESS`, "m"));
    assertMatch(ansible, /"ping": "pong"/);
  });

  await t.step("pool import ssh-config reads pool's ssh config", () => {
    assertMatch(said(/^pool import ssh-config --dry-run/), /^would add /m);
    said(/^pool import ssh-config --match/);
  });
});

Deno.test("no inline code span in the sections issue 16 rewrote is broken across lines", async () => {
  const readme = await Deno.readTextFile(README);
  const titles = [
    "Completions",
    "Working with other tools",
    "Using it",
    "Changes from the old tool",
  ];
  for (const title of [...titles, "Tests"]) {
    // Outside fenced blocks, a paragraph line with an odd number of backticks opens a span the
    // line does not close.
    const prose = section(readme, title).replace(/```[\s\S]*?```/g, "");
    for (const line of prose.split("\n")) {
      const ticks = line.replaceAll("``", "").split("`").length - 1;
      assert(ticks % 2 === 0, `${title}: a code span runs past the end of: ${line}`);
    }
  }
});
