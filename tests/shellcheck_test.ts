/** Every payload shipped to hosts is a real shell file, and shellcheck-clean. */

import { assertEquals } from "./assert.ts";

Deno.test("shellcheck passes on every payload in probes/ and features/", async () => {
  const files: string[] = [];
  for (const dir of ["probes", "features"]) {
    const url = new URL(`../${dir}/`, import.meta.url);
    try {
      for await (const entry of Deno.readDir(url)) {
        if (entry.name.endsWith(".sh")) files.push(new URL(entry.name, url).pathname);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  assertEquals(files.length > 0, true, "no payloads found");
  const out = await new Deno.Command("shellcheck", {
    args: ["--shell=sh", "--severity=style", ...files],
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stdout));
});
