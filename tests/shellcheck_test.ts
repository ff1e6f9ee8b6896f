/** Every payload pool ships to hosts is real shell, and shellcheck-clean as it is sent. */

import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { featurePayload, FEATURES } from "../features/mod.ts";

const root = new URL("../", import.meta.url);

async function shellcheck(files: string[], cwd: string | URL): Promise<void> {
  const out = await new Deno.Command("shellcheck", {
    args: ["--shell=sh", "--severity=style", ...files],
    cwd,
  })
    .output();
  assertEquals(
    out.code,
    0,
    new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  );
}

Deno.test("shellcheck passes on every shell file of the project", async () => {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "*.sh"],
    cwd: root,
    stdout: "piped",
  }).output();
  // A feature file is a fragment: it is checked below, joined to _lib.sh as it is sent.
  const fragments = new Set(FEATURES.map((f) => `features/${f.name}.sh`));
  const files = new TextDecoder().decode(listed.stdout).split("\n").filter((f) =>
    f && !fragments.has(f)
  );
  assertEquals(
    files.includes("probes/host.sh") && files.includes("features/clean.sh"),
    true,
    files.join(" "),
  );
  // Bash, by its own say: the VM scripts, and what only a bash login shell is sent.
  const isBash = (f: string) =>
    f.startsWith("tests/vm/") ||
    Deno.readTextFileSync(new URL(f, root)).startsWith("# shellcheck shell=bash\n");
  await shellcheck(files.filter((f) => !isBash(f)), root);
  const bash = files.filter(isBash);
  assertEquals(bash.includes("remote/supervise_bash.sh"), true, bash.join(" "));
  const out = await new Deno.Command("shellcheck", { args: bash, cwd: root }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stdout));
});

Deno.test("shellcheck passes on every bootstrap payload as it is sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-payloads-" });
  try {
    const files: string[] = [];
    for (const f of FEATURES) {
      const path = join(dir, `${f.name}.sh`);
      await Deno.writeTextFile(path, await featurePayload(f.name));
      files.push(path);
    }
    await shellcheck(files, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
