/**
 * Selections typed into real interactive shells, where `!` is history
 * expansion: `-x` is the spelling that survives bash and zsh as typed.
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, POOL_SH, writeRoster } from "./helpers.ts";

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
