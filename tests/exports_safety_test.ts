/**
 * Issue 12, "exports never betray the user": what pool hands to other tools
 * (pdsh and pssh host lists, completion words, the Ansible inventory) is run
 * through the real tools with a hand-edited roster whose hosts would run code
 * on this machine, and each attack must leave its marker file uncreated.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, poolOnPath, runWithPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

const run = runWithPool;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

fleetTest("host lists for pdsh and pssh leave out hosts that fail validation", 2, async (
  t,
  fleet,
) => {
  const marker = (what: string) => join(fleet.dir, `marker-${what}`);
  // A shell reads ${IFS} as a space: the way to smuggle one past a no-whitespace rule.
  const touch = (what: string) => `touch\${IFS}${marker(what)}`;
  /** Hand-written, as `add` would refuse it; each tool gets markers of its own. */
  const hostileRoster = (tool: string) =>
    writeRoster(fleet, [
      { name: "h1" },
      { name: "evil-user", ssh: `root@-oProxyCommand=${touch(`${tool}-user`)}` },
      {
        name: "evil-url",
        ssh: `ssh://-oProxyCommand=${encodeURIComponent(touch(`${tool}-url`))}@h2`,
      },
    ]);
  const untouched = async (tool: string) => {
    for (const what of ["user", "url"]) {
      assert(!await exists(marker(`${tool}-${what}`)), `${tool} ran the ${what} ProxyCommand`);
    }
  };
  // pdsh and pssh read the fleet's ssh_config, never this machine's ~/.ssh.
  const sshConfig = `-F ${fleet.sshConfig}`;

  await t.step(
    "pool hosts leaves those hosts out, naming each, and prints the good one",
    async () => {
      await hostileRoster("hosts");
      for (const format of ["names", "targets", "pdsh", "pssh"]) {
        const r = await pool(fleet, ["hosts", "--format", format]);
        assertEquals([r.code, r.stdout], [0, "h1\n"], format);
        assertMatch(r.stderr, /^pool: warning: host "evil-user": target's host must not start/m);
        assertMatch(r.stderr, /^pool: warning: host "evil-url": target's user must not start/m);
      }
    },
  );

  // The remote command is one word on purpose: ssh reads the word after an injected
  // option as the host name, and refuses one with spaces or `$` before running anything.
  await t.step("README's pdsh recipe with the real pdsh -R ssh", async () => {
    await hostileRoster("pdsh");
    for (
      const list of ["$(pool hosts --format pdsh | paste -sd,)", "$(pool hosts --format pdsh)"]
    ) {
      const r = await run(fleet, "bash", ["-c", `pdsh -R ssh -w "${list}" whoami`], {
        PDSH_SSH_ARGS: `${sshConfig} -x -l%u %h`,
      });
      // Only the good host is listed, and reached.
      assertMatch(r.stdout, /^h1: \S+\n$/, r.stderr);
    }
    await untouched("pdsh");
  });

  await t.step("README's pssh recipe with the real parallel-ssh", async () => {
    await hostileRoster("pssh");
    const r = await run(fleet, "bash", [
      "-c",
      `parallel-ssh -h <(pool hosts --format pssh) -x '${sshConfig}' -i whoami`,
    ]);
    assertEquals(r.stdout.match(/\[SUCCESS\] \S+/g), ["[SUCCESS] h1"], r.stdout);
    await untouched("pssh");
  });
});

/** What Tab offers after `pool on <typed>` in a real bash, zsh or fish, as the shell would insert it. */
async function completeOn(
  fleet: Fleet,
  shell: string,
  typed: string,
  bin?: string,
  prelude = "",
) {
  const scripts: Record<string, string[]> = {
    bash: [
      "-c",
      `${prelude}eval "$(pool completions bash)"; COMP_WORDS=(pool on '${typed}'); COMP_CWORD=2; _pool; ` +
      `printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    // compadd itself needs a live line editor: a stand-in prints what it was given.
    zsh: [
      "-f",
      "-c",
      `autoload -Uz compinit && compinit -u -d ${fleet.dir}/zcompdump; source <(pool completions zsh); ` +
      `compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }; ` +
      `words=(pool on '${typed}'); CURRENT=3; _pool`,
    ],
    fish: ["--no-config", "-c", `pool completions fish | source; complete -C 'pool on ${typed}'`],
  };
  const r = await run(fleet, shell, scripts[shell], {}, bin);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.split("\n").map((l) => l.split("\t")[0]).filter(Boolean).sort();
}

fleetTest("completions never run host names or tags, in bash, zsh and fish", 1, async (
  t,
  fleet,
) => {
  const marker = (what: string) => join(fleet.dir, `marker-${what}`);
  const untouched = async (what: string) =>
    assert(!await exists(marker(what)), `completion ran the code in a ${what}`);

  await t.step("with a hand-edited roster", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      await writeRoster(fleet, [
        { name: "h1", tags: ["gpu"] },
        { name: "h2" },
        { name: `x$(touch\${IFS}${marker(`${shell}-name`)})`, ssh: "h1" },
        { name: "h3", ssh: "h1", tags: [`\`touch\${IFS}${marker(`${shell}-tag`)}\``] },
      ]);
      // The reader leaves such hosts out: only the good ones are offered, nothing run.
      const offered = await completeOn(fleet, shell, "");
      assert(offered.includes("h1") && offered.includes("h2"), `${shell} offers ${offered}`);
      assert(!offered.some((w) => /touch|h3/.test(w)), `${shell} offers ${offered}`);
      await untouched(`${shell}-name`);
      await untouched(`${shell}-tag`);
    }
  });

  // The script alone must hold even if a word slips past the export check
  // (an older pool on PATH, a looser rule): a stand-in prints hostile words.
  await t.step("with hostile words from pool hosts --format complete itself", async () => {
    const bin = join(fleet.dir, "hostile-bin");
    await Deno.mkdir(bin, { recursive: true });
    const real = await poolOnPath(fleet);
    for (const shell of ["bash", "zsh", "fish"]) {
      const words = [
        "h1",
        `x$(touch ${marker(`${shell}-dollar`)})`,
        `\`touch ${marker(`${shell}-tick`)}\``,
      ];
      await Deno.writeTextFile(join(bin, "words"), words.join("\n") + "\n");
      await Deno.writeTextFile(
        join(bin, "pool"),
        `#!/bin/sh\nif [ "$1" = hosts ]; then exec cat '${bin}/words'; fi\nexec '${real}/pool' "$@"\n`,
        { mode: 0o755 },
      );
      const offered = await completeOn(fleet, shell, "", bin);
      assert(offered.includes("h1"), `${shell} offers ${offered}`);
      await untouched(`${shell}-dollar`);
      await untouched(`${shell}-tick`);
    }
    // bash inserts a word as it is written: quoted, it stays the literal name.
    await Deno.writeTextFile(join(bin, "words"), "h1\nx$(id)\n");
    assertEquals(await completeOn(fleet, "bash", "x", bin), ["x\\$\\(id\\)"]);
    // macOS's bash 3.2 has no mapfile (the builtin taken away stands in for it).
    const old = await completeOn(fleet, "bash", "", bin, "enable -n mapfile readarray; ");
    assertEquals(old, ["h1", "x\\$\\(id\\)"]);
  });
});

fleetTest("the Ansible inventory keeps Ansible's own groups and asks for become", 2, async (
  t,
  fleet,
) => {
  const [a, b] = fleet.hosts.map((h) => h.address);
  await writeRoster(fleet, [
    { name: "h1", tags: ["all", "_meta", "web-tier"] },
    { name: "h2", tags: ["web_tier", "ungrouped"], sudo: true }, // root login: sudo not needed
    { name: "h3", ssh: `ubuntu@${b}`, sudo: true, tags: ["linux"] },
  ]);
  const script = join(fleet.dir, "pool-inventory");
  await Deno.writeTextFile(script, '#!/bin/sh\nexec pool inventory "$@"\n', { mode: 0o755 });
  const ansibleEnv = {
    ANSIBLE_HOST_KEY_CHECKING: "False",
    ANSIBLE_LOCAL_TEMP: join(fleet.dir, "ansible-tmp"),
    ANSIBLE_NOCOLOR: "1",
  };
  const ansible = async (program: string, args: string[]) => {
    const r = await run(fleet, program, ["-i", script, ...args], ansibleEnv);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    return r.stdout;
  };
  const members = async (pattern: string) =>
    (await ansible("ansible", [pattern, "--list-hosts"])).split("\n").slice(1).map((l) => l.trim())
      .filter(Boolean).sort();

  await t.step("ansible-inventory sees every tag as its own group", async () => {
    const doc = JSON.parse(await ansible("ansible-inventory", ["--list"]));
    assertEquals(doc.tag_all.hosts, ["h1"]);
    assertEquals(doc.tag__meta.hosts, ["h1"]);
    assertEquals(doc.tag_ungrouped.hosts, ["h2"]);
    assertEquals(doc.tag_linux.hosts, ["h3"]);
    assertEquals(doc.web_tier.hosts, ["h2"]);
    const split = Object.keys(doc).filter((g) => /^web_tier_[0-9a-f]{6}$/.test(g));
    assertEquals(split.map((g) => doc[g].hosts), [["h1"]]);
    assertEquals(doc._meta.hostvars.h3.ansible_become, true);
    assertEquals(doc._meta.hostvars.h2.ansible_become, undefined);
    assertEquals(doc._meta.hostvars.h1.ansible_become, undefined);
    assertEquals(Object.keys(doc._meta.hostvars).sort(), ["h1", "h2", "h3"]);
  });

  await t.step("ansible's all, tag and OS patterns pick the right hosts", async () => {
    assertEquals(await members("tag_all"), ["h1"]);
    assertEquals(await members("all"), ["h1", "h2", "h3"]);
    assertEquals(await members("linux"), ["h1", "h2", "h3"]);
    assertEquals(await members("web_tier"), ["h2"]);
    const r = await run(fleet, "ansible", [
      "all:!h3",
      "-i",
      script,
      "-m",
      "raw",
      "-a",
      "echo reached $SSH_CONNECTION",
    ], ansibleEnv);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(r.stdout, new RegExp(`^h1 \\| CHANGED \\| rc=0 >>\\nreached .* ${a} `, "m"));
    assertMatch(r.stdout, new RegExp(`^h2 \\| CHANGED \\| rc=0 >>\\nreached .* ${b} `, "m"));
    assert(!await exists(join(fleet.dir, "marker")));
  });
});
