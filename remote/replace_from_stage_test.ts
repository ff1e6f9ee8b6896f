/** remote/replace_from_stage.sh run here on temporary folders: the second step of push --delete by tar. */

import { join } from "../paths.ts";
import { assertEquals } from "../tests/assert.ts";
import { remoteScript } from "./scripts.ts";

async function replace(dest: string, stage: string, names: string[]): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: ["-c", remoteScript("replace_from_stage"), "pool-replace", dest, stage, ...names],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code;
}

const listing = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("replace_from_stage.sh puts the staged copy in place of what each source replaces", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-replace-" });
  const dest = join(dir, "dest");
  const stage = ".pool-unpack.1234abcd";
  const fresh = async () => {
    await Deno.remove(dest, { recursive: true }).catch(() => {});
    await Deno.mkdir(join(dest, "a"), { recursive: true });
    await Deno.writeTextFile(join(dest, "a", "old"), "old");
    await Deno.writeTextFile(join(dest, "other"), "other");
    await Deno.mkdir(join(dest, stage, "a"), { recursive: true });
    await Deno.writeTextFile(join(dest, stage, "a", "new"), "new");
    await Deno.writeTextFile(join(dest, stage, ".dot"), "dot");
    await Deno.writeTextFile(join(dest, stage, "-dash"), "dash");
  };
  try {
    // Contents (`.`): everything in dest gives way to the stage's entries.
    await fresh();
    assertEquals(await replace(dest, stage, ["."]), 0);
    assertEquals(await listing(dest), ["-dash", ".dot", "a"]);
    assertEquals(await listing(join(dest, "a")), ["new"]);

    // Named entries: only they are replaced, and the stage goes.
    await fresh();
    assertEquals(await replace(dest, stage, ["a", "-dash"]), 0);
    assertEquals(await listing(dest), ["-dash", "a", "other"]);
    assertEquals(await listing(join(dest, "a")), ["new"]);

    // No stage (the first step never made it): nothing is touched.
    await fresh();
    await Deno.remove(join(dest, stage), { recursive: true });
    assertEquals(await replace(dest, stage, ["."]), 1);
    assertEquals(await listing(dest), ["a", "other"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
