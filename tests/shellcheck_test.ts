/** Every payload shipped to hosts is a real shell file, and shellcheck-clean. */

import { assertEquals } from "./assert.ts";

Deno.test("shellcheck passes on every payload (probes/, features/, remote/, …)", async () => {
  const root = new URL("../", import.meta.url);
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "*.sh"],
    cwd: root,
    stdout: "piped",
  }).output();
  const files = new TextDecoder().decode(listed.stdout).split("\n").filter(Boolean);
  assertEquals(files.some((f) => f.startsWith("probes/")), true, "no payloads found");
  const out = await new Deno.Command("shellcheck", {
    args: ["--shell=sh", "--severity=style", ...files],
    cwd: root,
  })
    .output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stdout));
});
