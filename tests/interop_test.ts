/**
 * pool with the tools around it: host lists, Ansible's dynamic inventory
 * (checked with the real ansible-core), ssh_config import, and completion
 * scripts loaded into real bash, zsh and fish.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, poolOnPath, runWithPool, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

const sh = (fleet: Fleet, shell: string, args: string[], extraEnv: Record<string, string> = {}) =>
  runWithPool(fleet, shell, args, extraEnv);

fleetTest("pool and the tools around it", 3, async (t, fleet) => {
  const uri = `ssh://root@${fleet.hosts[2].address}:${fleet.port}`;
  await writeRoster(fleet, [
    { name: "h1", tags: ["gpu", "web-tier"] },
    { name: "h2", ssh: `root@${fleet.hosts[1].address}`, tags: ["gpu"] },
    { name: "h3", ssh: uri, sudo: true, description: "the third" },
    { name: "pi5-akida", ssh: "refused" },
  ]);

  await t.step("pool hosts prints names, targets and pdsh/pssh host lines", async () => {
    assertEquals((await pool(fleet, ["hosts"])).stdout, "h1\nh2\nh3\n");
    assertEquals((await pool(fleet, ["hosts", "@gpu"])).stdout, "h1\nh2\n");
    assertEquals(
      (await pool(fleet, ["hosts", "all", "--format", "targets"])).stdout,
      `h1\nroot@${fleet.hosts[1].address}\n${uri}\n`,
    );
    assertEquals(
      (await pool(fleet, ["hosts", "--format", "pssh"])).stdout,
      `h1\nroot@${fleet.hosts[1].address}\nroot@${fleet.hosts[2].address}:${fleet.port}\n`,
    );
    const pdsh = await pool(fleet, ["hosts", "--format", "pdsh"]);
    assertEquals(pdsh.stdout, `h1\nroot@${fleet.hosts[1].address}\n`);
    assertMatch(pdsh.stderr, /h3: pdsh cannot reach a non-default port/);
    assertEquals((await pool(fleet, ["hosts", "--format", "yaml"])).code, 2);
    // Composes in a pipe: every name it prints is a host `pool on` accepts.
    const piped = await sh(fleet, "sh", [
      "-c",
      'pool hosts @gpu | while read -r h; do pool on "$h" echo "$h" </dev/null; done',
    ]);
    assertEquals(piped.stdout, "h1\nh2\n");
  });

  await t.step("pool inventory speaks Ansible's dynamic inventory protocol", async () => {
    const doc = JSON.parse((await pool(fleet, ["inventory", "--list"])).stdout);
    assertEquals(doc.all.hosts, ["h1", "h2", "h3"], "excluded hosts are left out");
    assertEquals(doc.gpu.hosts, ["h1", "h2"]);
    assertEquals(doc.web_tier.hosts, ["h1"]);
    assertEquals(doc.linux.hosts, ["h1", "h2", "h3"]);
    const h1 = doc._meta.hostvars.h1;
    // The alias as typed (its ssh_config block applies to Ansible's ssh), marked never to template.
    assertEquals([h1.ansible_host, h1.ansible_user, h1.ansible_port], [
      { __ansible_unsafe: "h1" },
      { __ansible_unsafe: "root" },
      fleet.port,
    ]);
    assertEquals(doc._meta.hostvars.h3.ansible_port, fleet.port);
    assertEquals(doc._meta.hostvars.h3.pool_sudo, true);
    const one = JSON.parse((await pool(fleet, ["inventory", "--host", "h2"])).stdout);
    assertEquals(one.ansible_host, { __ansible_unsafe: fleet.hosts[1].address });
    assertEquals((await pool(fleet, ["inventory"])).code, 2);
  });

  await t.step("the real ansible-core reaches every host through it", async () => {
    const script = join(fleet.dir, "pool-inventory");
    await Deno.writeTextFile(script, '#!/bin/sh\nexec pool inventory "$@"\n', { mode: 0o755 });
    const r = await sh(fleet, "ansible", [
      "all",
      "-i",
      script,
      "-m",
      "raw",
      "-a",
      "echo reached $SSH_CONNECTION",
    ], {
      ANSIBLE_HOST_KEY_CHECKING: "False",
      ANSIBLE_LOCAL_TEMP: join(fleet.dir, "ansible-tmp"),
      ANSIBLE_NOCOLOR: "1",
    });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    for (const [i, name] of ["h1", "h2", "h3"].entries()) {
      assertMatch(
        r.stdout,
        new RegExp(
          `^${name} \\| CHANGED \\| rc=0 >>\\nreached .* ${
            fleet.hosts[i].address.replaceAll(".", "\\.")
          } `,
          "m",
        ),
      );
    }
  });

  await t.step("Ansible takes roster text as it is: a template in it never runs", async () => {
    const script = join(fleet.dir, "pool-inventory");
    const marker = join(fleet.dir, "templated");
    const trap = `{{ lookup('pipe', 'touch ${marker}') }}`;
    assertEquals((await pool(fleet, ["desc", "h1", trap])).code, 0);
    const r = await sh(fleet, "ansible", [
      "h1",
      "-i",
      script,
      "-m",
      "debug",
      "-a",
      "var=pool_description",
    ], {
      ANSIBLE_HOST_KEY_CHECKING: "False",
      ANSIBLE_LOCAL_TEMP: join(fleet.dir, "ansible-tmp"),
      ANSIBLE_NOCOLOR: "1",
    });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assert(r.stdout.includes(trap), r.stdout);
    assertEquals(await Deno.stat(marker).then(() => true, () => false), false, "it ran");
  });

  await t.step(
    "pool import ssh-config adds literal aliases, skipping wildcards and known names",
    async () => {
      const config = join(fleet.dir, "import_config");
      await Deno.writeTextFile(
        config,
        `Host *.lan !bastion\n  User me\n# a comment\nHost h1 h2 h3  # h1 is known\n  Port ${fleet.port}\nInclude ${fleet.sshConfig}\n`,
      );
      // h3 is in the roster as gpu3: its alias is present, never a second entry for one machine.
      await writeRoster(fleet, [{ name: "h1" }, { name: "gpu3", ssh: "h3" }]);
      const dry = await pool(fleet, ["import", "ssh-config", "--file", config, "--dry-run"]);
      assertEquals(dry.code, 0, dry.stderr);
      assertEquals(
        dry.stdout,
        `would add h2 (ssh://root@${fleet.hosts[1].address}:${fleet.port})\n`,
      );
      assertMatch(dry.stderr, /= h1 \(already in roster\)/);
      assertMatch(dry.stderr, /= h3 \(already in roster as gpu3\)/);
      const none = await pool(fleet, [
        "import",
        "ssh-config",
        "--file",
        config,
        "--match",
        "gpu-*",
      ]);
      assertEquals([none.code, none.stdout, none.stderr], [
        0,
        "",
        `pool: warning: no Host alias in ${config} matches gpu-*\n`,
      ]);
      assertEquals(
        JSON.parse(await Deno.readTextFile(fleet.roster)).hosts.length,
        2,
        "dry run changed nothing",
      );
      await writeRoster(fleet, [{ name: "h1" }]);

      const real = await pool(fleet, ["import", "ssh-config", "--match", "h?"]);
      assertEquals(real.code, 0, real.stderr);
      assertEquals(real.stdout, "+ h2 (h2)  linux\n+ h3 (h3)  linux\n");
      const names = JSON.parse(await Deno.readTextFile(fleet.roster)).hosts.map((
        h: { name: string },
      ) => h.name);
      assertEquals(names, ["h1", "h2", "h3"]);
      assertEquals((await pool(fleet, ["import", "ldap"])).code, 2);
    },
  );

  await t.step(
    "pool import ssh-config adds only what pool's own ssh config will connect to as the file says",
    async () => {
      const config = join(fleet.dir, "import_other");
      await Deno.writeTextFile(
        config,
        `Host "my host" elsewhere
  HostName 127.0.0.1
  Port 1
Host h4
Include ${fleet.sshConfig}
`,
      );
      const r = await pool(fleet, [
        "import",
        "ssh-config",
        "--file",
        config,
        "--dry-run",
        "--json",
      ]);
      assertEquals(r.code, 0, r.stderr);
      const actions = JSON.parse(r.stdout).hosts.map((h: { name: string; action: string }) =>
        `${h.name} ${h.action}`
      );
      assertEquals(actions, ["my host skipped", "elsewhere skipped", "h4 would_add"]);
      assertMatch(r.stderr, /skipping elsewhere: .* connects it to root@127\.0\.0\.1:1, pool's/);
    },
  );

  await t.step("pool import ssh-config names a config ssh cannot read, in one line", async () => {
    const config = join(fleet.dir, "import_broken");
    await Deno.writeTextFile(config, "Host h5 h6\n  Bogus yes\n");
    const before = await Deno.readTextFile(fleet.roster);
    const r = await pool(fleet, ["import", "ssh-config", "--file", config]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(
      r.stderr,
      `pool: ssh cannot read ${config}: ${config}: line 2: Bad configuration option: bogus\n`,
    );
    assertEquals(await Deno.readTextFile(fleet.roster), before, "nothing added");
  });

  await writeRoster(fleet, [{ name: "h1", tags: ["gpu"] }, { name: "h2" }, { name: "web" }]);

  // What Tab offers, asked of each shell the same way: the words typed so far, the last one being
  // completed. Every shell must answer the same (README "Completions").
  await Deno.writeTextFile(join(fleet.dir, "script-one.sh"), "uptime\n");
  await Deno.writeTextFile(join(fleet.dir, "my file.txt"), "");
  // As bash itself asks: the line, and its words cut at COMP_WORDBREAKS too (`@g` is `@`, `g`).
  // Its replies complete that last piece; the typed word before it is put back to compare.
  const bashAsk = async (words: string[], prelude = "") => {
    const line = words.join(" ");
    const pieces = words.flatMap((w) => w.match(/[^"'@><=;|&(:]+|["'@><=;|&(:]+/g) ?? [""]);
    // readline replaces that piece, and an @ or $ just before it (rl_special_prefixes).
    const last = words.at(-1)!;
    const piece = pieces.at(-1)!;
    const special = !/^[@$]/.test(piece) &&
      /[@$]$/.test(last.slice(0, -piece.length || undefined));
    const replaced = (special ? last.slice(-piece.length - 1, -piece.length) : "") + piece;
    const before = last.slice(0, last.length - replaced.length);
    const script = `${prelude}source <(pool completions bash); COMP_LINE='${line}'; ` +
      `COMP_POINT=${line.length}; COMP_WORDS=(${pieces.map((w) => `'${w}'`).join(" ")}); ` +
      `COMP_CWORD=${pieces.length - 1}; _pool; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await sh(fleet, "bash", ["-c", script]);
    assertEquals(r.code, 0, r.stderr);
    return r.stdout.split("\n").filter(Boolean).map((reply) => before + reply).sort();
  };
  const askers: Record<string, (words: string[]) => Promise<string[]>> = {
    bash: (words) => bashAsk(words),
    // compadd and _files need a live line editor: stand-ins do what they would, matching against
    // PREFIX and inserting IPREFIX before each match.
    zsh: async (words) => {
      const line =
        `autoload -Uz compinit && compinit -u -d ${fleet.dir}/zcompdump; source <(pool completions zsh); ` +
        `compadd() { [[ $1 == -- ]] && shift; local w; for w; do [[ $w == "$PREFIX"* ]] && print -r -- "$IPREFIX$w"; done; }; ` +
        `_files() { print -r -- '<files>'; }; ` +
        `words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}; ` +
        `PREFIX=\${words[CURRENT]}; IPREFIX=; _pool; true`;
      const r = await sh(fleet, "zsh", ["-f", "-c", line]);
      assertEquals([r.code, r.stderr], [0, ""]);
      return r.stdout.split("\n").filter(Boolean).sort();
    },
    fish: async (words) => {
      const r = await sh(fleet, "fish", [
        "--no-config",
        "-c",
        `pool completions fish | source; complete -C '${words.join(" ")}'`,
      ]);
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.split("\n").map((l) => l.split("\t")[0]).filter(Boolean).sort();
    },
  };
  /**
   * What pool got from each line typed (Tab and all) into a real interactive shell: a
   * pseudo-terminal (script) and the shell's own line editor, not a model of them. pool is a
   * function that shows the words it got, but for `pool hosts`, which the completion asks (the
   * one on PATH: a stand-in there may answer for it).
   */
  const typedInto = async (shellLine: string, lines: string[], bin?: string) => {
    const shell = new Deno.Command("script", {
      args: ["-qfec", shellLine, "/dev/null"],
      env: childEnv({
        ...fleet.env,
        PATH: `${bin ?? await poolOnPath(fleet)}:/usr/bin:/bin`,
        PS1: "$ ",
      }),
      clearEnv: true,
      cwd: fleet.dir,
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const keys = shell.stdin.getWriter();
    // What the terminal has shown so far, read as it comes.
    let shown = "";
    const reading = (async () => {
      for await (const chunk of shell.stdout.pipeThrough(new TextDecoderStream())) shown += chunk;
    })();
    const type = async (text: string, settle = 1000) => {
      await keys.write(new TextEncoder().encode(text));
      await new Promise((r) => setTimeout(r, settle));
    };
    // A line that sets the shell up (the function, compinit, sourcing the script) is followed by
    // a marker the shell prints once it has run it: a fixed pause was too short on a loaded
    // machine, and the keys after it met a shell still loading. The printed marker differs from
    // the typed one (\x2d), so the terminal's echo of the line is not taken for it.
    let settled = 0;
    const setUp = async (text: string) => {
      const marker = `SETTLED-${++settled}`;
      await type(`${text}printf 'SETTLED\\x2d%d\\n' ${settled}\n`, 0);
      const deadline = Date.now() + 30_000;
      while (!shown.includes(marker) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await setUp(
      shellLine.startsWith("fish")
        ? `function pool; if test "$argv[1]" = hosts; command pool $argv; else; echo "ARGS:$argv"; end; end\n`
        : `pool() { if [ "$1" = hosts ]; then command pool "$@"; else echo "ARGS:$*"; fi; }\n`,
    );
    for (const line of lines) {
      if (line.endsWith("\n") && line !== "\n") await setUp(line);
      else await type(line, line.endsWith("\t") ? 1500 : 300);
    }
    // An unclosed quote left by a failed completion keeps the shell reading: the bound ends it.
    const bound = setTimeout(() => shell.kill("SIGKILL"), 30_000);
    await type("\x03exit\n", 300);
    await keys.close();
    await shell.status;
    await reading;
    // The terminal's own escapes (bracketed paste) out, then the lines the function printed.
    const said = shown
      // deno-lint-ignore no-control-regex -- the terminal's escapes are what this removes
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/[\r\n]+/).filter((l) => l.startsWith("ARGS:"));
    clearTimeout(bound);
    return said;
  };

  await t.step("Tab in a real interactive bash puts back what was meant", async () => {
    // What bash splits at COMP_WORDBREAKS and what readline replaces are bash's own here.
    const typed = [
      "pool on @g",
      "pool on h1,@g",
      "pool on -x @g",
      "pool on --exclude=w",
      "pool on h1 cat my\\ fi",
      'pool on h1 cat "my fi',
    ];
    const said = await typedInto("bash --norc --noprofile -i", [
      "source <(command pool completions bash)\n",
      ...typed.flatMap((line) => [`${line}\t`, "\n"]),
    ]);
    assertEquals(said, [
      "ARGS:on @gpu",
      "ARGS:on h1,@gpu",
      "ARGS:on -x @gpu",
      "ARGS:on --exclude=web",
      "ARGS:on h1 cat my file.txt",
      "ARGS:on h1 cat my file.txt",
    ]);
  });

  const inZsh = (lines: string[]) => typedInto("zsh -f -i", lines);

  await t.step(
    "Tab in a real interactive zsh keeps a \\! typed against history expansion",
    async () => {
      // `web=1` is in the history: were the backslash lost, Enter would expand !web to it.
      const said = await inZsh([
        "autoload -Uz compinit && compinit -u -d zcompdump-pty\n",
        "source <(command pool completions zsh)\n",
        "web=1\n",
        "pool on all,\\!we\t",
        "\n",
        "pool on h1,w\t",
        "\n",
      ]);
      assertEquals(said, ["ARGS:on all,!web", "ARGS:on h1,web"]);
    },
  );

  await t.step(
    "zsh: the script installed on fpath as _pool completes at the first Tab",
    async () => {
      await Deno.mkdir(join(fleet.dir, "zfunc"), { recursive: true });
      const said = await inZsh([
        "command pool completions zsh > zfunc/_pool\n",
        "fpath=(zfunc $fpath); autoload -Uz compinit && compinit -u -d zcompdump-fpath\n",
        "pool rm w\t",
        "\n",
      ]);
      assertEquals(said, ["ARGS:rm web"]);
    },
  );

  // How each shell is started and given the script, in a real terminal.
  const shells: Record<string, { line: string; load: string[] }> = {
    bash: {
      line: "bash --norc --noprofile -i",
      load: ["source <(command pool completions bash)\n"],
    },
    zsh: {
      line: "zsh -f -i",
      load: [
        // A path with a /: compinit reads a dump it finds with `.`, which searches $path.
        `autoload -Uz compinit && compinit -u -d ${fleet.dir}/zcompdump-tab\n`,
        "source <(command pool completions zsh)\n",
      ],
    },
    fish: { line: "fish --no-config -i", load: ["command pool completions fish | source\n"] },
  };
  const hasFish = await new Deno.Command("fish", { args: ["--version"] }).output().then(
    () => true,
    () => false,
  );
  /** What pool got from each line, typed with a Tab at its end then Enter, in a real shell. */
  const tabbed = (shell: string, lines: string[], bin?: string) =>
    typedInto(
      shells[shell].line,
      [...shells[shell].load, ...lines.flatMap((line) => [`${line}\t`, "\n"])],
      bin,
    );

  // The job index, beside the roster: where kill, logs and wait find their ids (no ssh). An id
  // pool could not have written is never offered: hand-edited, it could be shell code.
  const marker = join(fleet.dir, "completion-ran-it");
  await Deno.writeTextFile(
    join(fleet.dir, "state", "jobs.json"),
    JSON.stringify({
      jobs: [
        { id: "k3x9q2", host: "h1", command: "sleep 9", started_ms: 1, gpus: [] },
        { id: "p0a1b2", host: "h2", command: "true", started_ms: 2, gpus: [] },
        { id: `k$(touch ${marker})`, host: "h2", command: "true", started_ms: 3, gpus: [] },
      ],
    }),
  );
  // A stand-in pool on PATH answers every completion question with hostile words (as if they
  // had slipped past the export check): what Tab inserts must be each word, literally.
  const hostileBin = join(fleet.dir, "hostile-pty-bin");
  await Deno.mkdir(hostileBin, { recursive: true });
  await Deno.writeTextFile(
    join(hostileBin, "pool"),
    `#!/bin/sh\nif [ "$1" = hosts ]; then printf '%s\\n' h1 'x$(touch ${marker})' "y'z" 'v;w x'; ` +
      `exit 0; fi\nexec '${await poolOnPath(fleet)}/pool' "$@"\n`,
    { mode: 0o755 },
  );

  for (const shell of ["bash", "zsh", "fish"]) {
    await t.step({
      name: `${shell}: after the command's first word, its options are its own: Tab offers files`,
      ignore: shell === "fish" && !hasFish,
      fn: async () => {
        const said = await tabbed(shell, [
          "pool on h1 grep -x scr",
          "pool on all ls --js",
          "pool on h1 -- --js",
          "pool on -- h1 --js",
          "pool bg python --me",
          "pool route make -x scr",
          // Before the command, still pool's: its flags, and a flag's value.
          "pool on h1 --js",
          "pool bg h1 --js",
          "pool on -x we",
        ]);
        assertEquals(said, [
          "ARGS:on h1 grep -x script-one.sh",
          "ARGS:on all ls --js",
          "ARGS:on h1 -- --js",
          "ARGS:on -- h1 --js",
          "ARGS:bg python --me",
          "ARGS:route make -x script-one.sh",
          "ARGS:on h1 --json",
          "ARGS:bg h1 --json",
          "ARGS:on -x web",
        ]);
      },
    });

    await t.step({
      name: `${shell}: a host word begun with a quote or \\! completes, and nothing in it runs`,
      ignore: shell === "fish" && !hasFish,
      fn: async () => {
        assertEquals(
          await tabbed(shell, ["pool on 'w", 'pool on "h1,@g', "pool on \\!w", "pool on all,\\!w"]),
          ["ARGS:on web", "ARGS:on h1,@gpu", "ARGS:on !web", "ARGS:on all,!web"],
        );
        // Each word put back whole and literal, in the quote typed or escaped: a ' cannot go
        // inside '…' as it is, nor $ inside "…", so bash leaves such a word out there.
        const said = await tabbed(
          shell,
          ["pool on 'x", 'pool on "y', "pool on \\!v", "pool on h1,\\!v", "pool on x"],
          hostileBin,
        );
        assertEquals(said, [
          `ARGS:on x$(touch ${marker})`,
          "ARGS:on y'z",
          "ARGS:on !v;w x",
          "ARGS:on h1,!v;w x",
          `ARGS:on x$(touch ${marker})`,
        ]);
        assertEquals(await Deno.stat(marker).then(() => true, () => false), false, "it ran");
      },
    });

    await t.step({
      name: `${shell}: Tab completes tags, job ids from the job index, and push's local paths`,
      ignore: shell === "fish" && !hasFish,
      fn: async () => {
        const said = await tabbed(shell, [
          "pool tag h1 g",
          "pool tag h1 --rm g",
          "pool kill k",
          "pool logs -f p",
          "pool wait k3x9q2 p",
          "pool push all scr",
          "pool push all h1:scr",
          "pool route --push scr",
        ]);
        assertEquals(said, [
          "ARGS:tag h1 gpu",
          "ARGS:tag h1 --rm gpu",
          "ARGS:kill k3x9q2",
          "ARGS:logs -f p0a1b2",
          "ARGS:wait k3x9q2 p0a1b2",
          "ARGS:push all script-one.sh",
          // A remote path: nothing offered (pool asks no host), and the line is kept.
          "ARGS:push all h1:scr",
          "ARGS:route --push script-one.sh",
        ]);
        assertEquals(await Deno.stat(marker).then(() => true, () => false), false, "it ran");
      },
    });
  }

  const FILES = { bash: ["script-one.sh"], zsh: ["<files>"], fish: ["script-one.sh"] };
  for (const [shell, ask] of Object.entries(askers)) {
    await t.step(
      `${shell} completes verbs, flags, values, hosts, comma lists and files`,
      async () => {
        assert((await ask(["pool", "ro"])).includes("route"));
        assertEquals(await ask(["pool", "on", "h"]), ["h1", "h2"]);
        assertEquals(await ask(["pool", "on", "@"]), ["@gpu"]);
        // bash cuts words at @: a tag half typed, or after a comma, is still a tag.
        assertEquals(await ask(["pool", "on", "@g"]), ["@gpu"]);
        assertEquals(await ask(["pool", "on", "h1,@"]), ["h1,@gpu"]);
        assertEquals(await ask(["pool", "on", "-x", "@g"]), ["@gpu"]);
        assertEquals(await ask(["pool", "on", "--exclude=w"]), ["--exclude=web"]);
        if (shell === "bash") {
          // A file name with an escaped space is one word, as bash keeps it.
          assertEquals(await ask(["pool", "on", "h1", "cat", "my\\ fi"]), ["my file.txt"]);
          // macOS's bash 3.2 has neither compopt nor mapfile: pool quotes the name itself.
          const old = "enable -n compopt mapfile readarray; ";
          assertEquals(await bashAsk(["pool", "on", "h1", "cat", "my\\ fi"], old), [
            "my\\ file.txt",
          ]);
        }
        assertEquals(await ask(["pool", "on", "h1,w"]), ["h1,web"]);
        assertEquals(await ask(["pool", "on", "all,!w"]), ["all,!web"]);
        assertEquals(await ask(["pool", "on", "h1,"]), [
          "h1,@gpu",
          "h1,all",
          "h1,h1",
          "h1,h2",
          "h1,local",
          "h1,web",
        ]);
        assertEquals(await ask(["pool", "init", "h"]), ["h1", "h2"]);
        assertEquals(await ask(["pool", "jobs", "h"]), ["h1", "h2"]);
        if (shell === "fish") {
          // The token's own quote is not kept and quoted again: what Tab leaves is h1,web.
          assertEquals(await ask(["pool", "on", '"h1,w']), ["h1,web"]);
        }
        assertEquals(await ask(["pool", "clean", "@"]), ["@gpu"]);
        // A flag's value is not the host: the host comes after it.
        assertEquals(await ask(["pool", "on", "--jobs", "4", "h"]), ["h1", "h2"]);
        assertEquals(await ask(["pool", "on", "--jobs", ""]), []);
        assertEquals(await ask(["pool", "on", "-x", "w"]), ["web"]);
        assertEquals(await ask(["pool", "hosts", "--format", "p"]), ["pdsh", "pssh"]);
        assertEquals(await ask(["pool", "init", "--only", "earlyoom,sw"]), ["earlyoom,swapfile"]);
        // After the host: the command's words, so file names.
        assertEquals(await ask(["pool", "on", "h1", "scr"]), FILES[shell as keyof typeof FILES]);
        assertEquals(await ask(["pool", "route", "scr"]), FILES[shell as keyof typeof FILES]);
        assertEquals(await ask(["pool", "rm", "h1", "scr"]), []);
        // The roster edits take one roster host by name: no @tags, all or local (they refuse them).
        for (const verb of ["rm", "desc", "tag", "exclude", "include"]) {
          assertEquals(await ask(["pool", verb, ""]), ["h1", "h2", "web"], verb);
          assertEquals(await ask(["pool", verb, "@"]), [], verb);
        }
        // tag's words after the host are tags, as written (no @).
        assertEquals(await ask(["pool", "tag", "h1", ""]), ["gpu"]);
        // A command's own options: files there, never pool's flags or hosts.
        assertEquals(
          await ask(["pool", "on", "h1", "grep", "-x", "scr"]),
          FILES[shell as keyof typeof FILES],
        );
        assertEquals(await ask(["pool", "kill", "p"]), ["p0a1b2"]);
        // bg takes one host or local (this machine), then the command's words.
        assertEquals(await ask(["pool", "bg", ""]), ["h1", "h2", "local", "web"]);
        assertEquals(await ask(["pool", "bg", "h1", "scr"]), FILES[shell as keyof typeof FILES]);
        assertEquals(await ask(["pool", "on", "--j"]), ["--jobs", "--json"]);
        assertEquals(await ask(["pool", "list", "--f"]), ["--fast"]);
        assert((await ask(["pool", "route", "--"])).includes("--mem"));
        assertEquals(await ask(["pool", "--"]), ["--help", "--version"]);
        assert((await ask(["pool", "on", "--"])).includes("--help"), "every verb has --help");
        // The verb is the word after pool: a later word named like a verb changes nothing.
        assertEquals(await ask(["pool", "push", "all", "list", "--f"]), []);
      },
    );
  }

  await writeRoster(fleet, [
    { name: "h1", tags: ["gpu"] },
    { name: "h2" },
    { name: "web", tags: ["big"] },
  ]);
  for (const [shell, ask] of Object.entries(askers)) {
    await t.step(`${shell}: after tag NAME --rm, Tab offers NAME's own tags alone`, async () => {
      // Adding: any tag of the roster (another host's, the common case).
      assertEquals(await ask(["pool", "tag", "h1", ""]), ["big", "gpu"]);
      // Removing: those the host has, the ones --rm can remove.
      assertEquals(await ask(["pool", "tag", "h1", "--rm", ""]), ["gpu"]);
      assertEquals(await ask(["pool", "tag", "--rm", "web", "b"]), ["big"]);
      assertEquals(await ask(["pool", "tag", "h2", "--rm", ""]), []);
      assertEquals(await ask(["pool", "tag", "nope", "--rm", ""]), []);
      // After --, --rm is a tag to add.
      assertEquals(await ask(["pool", "tag", "h1", "--", "--rm", ""]), ["big", "gpu"]);
      // The name as typed is one word given to pool hosts, never run.
      assertEquals(await ask(["pool", "tag", `$(touch ${marker})`, "--rm", ""]), []);
      assertEquals(await Deno.stat(marker).then(() => true, () => false), false, "it ran");
    });
  }
});
