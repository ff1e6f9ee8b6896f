import { join } from "node:path";
import { assertEquals } from "./tests/assert.ts";
import { ignoredAtStart } from "./ignored_signals.ts";
import { withEnv } from "./tests/env.ts";

Deno.test("ignoredAtStart() reads Linux's SigIgn, by Linux's numbers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-sigign-" });
  try {
    const status = join(dir, "status");
    // SIGHUP (1) and SIGTSTP (20): bits 0 and 19; SIGPIPE (13) is none of pool's.
    await Deno.writeTextFile(status, "Name:\tdeno\nSigIgn:\t0000000000081001\n");
    assertEquals([...ignoredAtStart("linux", status)].sort(), ["SIGHUP", "SIGTSTP"]);
    assertEquals(ignoredAtStart("linux", join(dir, "none")), new Set());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ignoredAtStart() without /proc asks ps, by the BSDs' numbers (macOS: nohup pool)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-sigign-" });
  try {
    // macOS's ps writes the mask in hex, right-aligned: SIGHUP (1) and SIGTSTP (18 there).
    await Deno.writeTextFile(
      join(dir, "ps"),
      `#!/bin/sh\n[ "$*" = "-o sigignore= -p ${Deno.pid}" ] && echo '   20001'\n`,
      { mode: 0o755 },
    );
    const ignored = withEnv(
      { PATH: `${dir}:${Deno.env.get("PATH")}` },
      () => ignoredAtStart("darwin"),
    );
    assertEquals([...ignored].sort(), ["SIGHUP", "SIGTSTP"]);
    // A ps that says nothing useful: nothing known, pool listens to all.
    await Deno.writeTextFile(join(dir, "ps"), "#!/bin/sh\necho 'ps: illegal keyword'\nexit 1\n");
    assertEquals(
      withEnv({ PATH: `${dir}:${Deno.env.get("PATH")}` }, () => ignoredAtStart("darwin")),
      new Set(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
