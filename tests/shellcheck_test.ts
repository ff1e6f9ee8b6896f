/** Every payload pool ships to hosts is real shell, and shellcheck-clean as it is sent. */

import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { featurePayload, FEATURES } from "../features/mod.ts";
import { remoteScript } from "../remote/scripts.ts";

const root = new URL("../", import.meta.url);

/** shellcheck `files` with `options` (default: as POSIX sh, style notes included); clean or fail. */
async function shellcheck(
  files: string[],
  cwd: string | URL,
  options = ["--shell=sh", "--severity=style"],
): Promise<void> {
  const out = await new Deno.Command("shellcheck", { args: [...options, ...files], cwd }).output();
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
  // Fragments are checked below as they are sent: a feature joined to _lib.sh, a
  // supervisor joined to the end both share.
  const fragments = new Set([
    ...FEATURES.map((f) => `features/${f.name}.sh`),
    "remote/supervise.sh",
    "remote/supervise_bash.sh",
    "remote/_supervise_end.sh",
  ]);
  const files = new TextDecoder().decode(listed.stdout).split("\n").filter((f) =>
    f && !fragments.has(f)
  );
  assertEquals(
    files.includes("probes/host.sh") && files.includes("features/clean.sh"),
    true,
    files.join(" "),
  );
  const shells = files.filter((f) => !f.startsWith("tests/vm/"));
  await shellcheck(shells, root);
  // The VM scripts are bash, as their #! lines say.
  await shellcheck(files.filter((f) => f.startsWith("tests/vm/")), root, []);
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

Deno.test("shellcheck passes on both remote supervisors as they are sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-supervisors-" });
  try {
    await Deno.writeTextFile(join(dir, "supervise.sh"), remoteScript("supervise"));
    await shellcheck(["supervise.sh"], dir);
    // Only a bash login shell is sent this one, and it says so on its first line.
    const bash = remoteScript("supervise_bash");
    assertEquals(bash.startsWith("# shellcheck shell=bash\n"), true);
    await Deno.writeTextFile(join(dir, "supervise_bash.sh"), bash);
    await shellcheck(["supervise_bash.sh"], dir, ["--severity=style"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
