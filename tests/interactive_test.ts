/**
 * Selections typed into real interactive shells, where `!` is history
 * expansion: `-x` is the spelling that survives bash and zsh as typed.
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, POOL_SH, writeRoster } from "./helpers.ts";
import { assertGone, eventually, processesWith } from "./procs.ts";

/** Types `lines` into an interactive `shell` whose `pool` runs this checkout; returns what it printed. */
async function typeInto(
  shell: "bash" | "zsh",
  env: Record<string, string>,
  lines: string[],
): Promise<{ stdout: string; stderr: string }> {
  const pool = `pool() { ${POOL_SH} "$@"; }`;
  const args = shell === "bash" ? ["--norc", "-i"] : ["-f", "-i"];
  const child = new Deno.Command(shell, {
    args,
    env: childEnv(env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode([pool, ...lines, "exit"].join("\n") + "\n"));
  await writer.close();
  const out = await child.output();
  return {
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

fleetTest("-x leaves hosts out when typed into interactive bash and zsh", 3, async (t, fleet) => {
  await writeRoster(fleet, fleet.hosts.map((h) => ({ name: h.name, tags: ["gpu"] })));
  const who = "set -- $SSH_CONNECTION; echo $3";
  const address = (name: string) => fleet.hosts.find((h) => h.name === name)!.address;
  for (const shell of ["bash", "zsh"] as const) {
    await t.step(shell, async () => {
      const r = await typeInto(shell, fleet.env, [`pool on @gpu -x h2 '${who}'`]);
      const lines = r.stdout.split("\n").filter((l) => l.startsWith("["));
      assertEquals(lines.sort(), [`[h1] ${address("h1")}`, `[h3] ${address("h3")}`], r.stderr);
      // What -x replaces: the shell eats `!h2` before pool ever runs.
      const bang = await typeInto(shell, fleet.env, [`pool on @gpu,!h2 '${who}'`]);
      assertMatch(bang.stderr, /event not found/);
      assert(!bang.stdout.includes("[h1]"), "pool never ran");
    });
  }
  await t.step("scripts may still write !name", async () => {
    const r = await new Deno.Command("bash", {
      args: ["-c", `${POOL_SH} on '@gpu,!h2' true && echo ran`],
      env: childEnv(fleet.env),
      clearEnv: true,
    }).output();
    assertEquals(new TextDecoder().decode(r.stdout), "ran\n");
  });
});

/** An interactive bash on a terminal of its own (script(1)): type into it, wait for what it shows. */
function terminal(env: Record<string, string>) {
  const child = new Deno.Command("script", {
    args: ["-qfec", "bash --norc --noprofile -i", "/dev/null"],
    env: childEnv({ ...env, PS1: "$ " }),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  let shown = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) shown += new TextDecoder().decode(chunk);
  })();
  return {
    type: (text: string) => writer.write(new TextEncoder().encode(text)),
    shown: () => shown,
    async until(text: string | RegExp, ms = 20_000) {
      const seen = () => typeof text === "string" ? shown.includes(text) : text.test(shown);
      for (const end = Date.now() + ms; !seen();) {
        if (Date.now() > end) throw new Error(`never showed ${text}:\n${shown}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Hangs the terminal up, as closing its window does: the shell and its jobs get SIGHUP. */
    async close() {
      await writer.close().catch(() => {});
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      child.kill("SIGHUP");
      if (await Promise.race([child.status.then(() => false), pause(5000).then(() => true)])) {
        child.kill("SIGKILL");
      }
      await child.status;
      // Whatever still holds the terminal's output open does not hold the test.
      await Promise.race([reading, pause(2000)]);
    },
  };
}

fleetTest(
  "Ctrl-Z at a terminal stops the command's input and output; kill -9 %1 ends it",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const term = terminal({ ...fleet.env, PATH: `${Deno.env.get("PATH")}` });
    try {
      await term.type(`pool() { ${POOL_SH} "$@"; }\n`);
      await term.type(`pool on h1 ': 31601; while read l; do echo "remote-read: $l"; done'\n`);
      assert(await eventually(async () => (await processesWith("31601")).length > 0, 20_000));
      await term.type("first\n");
      await term.until("remote-read: first");
      await term.type("\x1a");
      await term.until(/Stopped/);
      // Typed at the shell's prompt now: the shell's, never the remote command's.
      await term.type("echo LOCAL-$((40+2))\n");
      await term.until("LOCAL-42");
      await new Promise((r) => setTimeout(r, 500));
      assert(!term.shown().includes("remote-read: echo"), term.shown());
      // Killed outright while stopped: its guard ends the ssh, and the command with it.
      await term.type("kill -9 %1\n");
      await assertGone("31601", "after kill -9 of a stopped pool");
    } finally {
      await term.close();
    }
  },
);
