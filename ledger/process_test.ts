import { join } from "node:path";
import { assertEquals } from "../tests/assert.ts";
import { psStart } from "./process.ts";
import { withEnv } from "../tests/env.ts";

/**
 * BSD ps as macOS's answers `-o lstart= -p PID`: the start in the locale's words (LC_ALL, then
 * LC_TIME, then LANG) and the time zone's hour, as the environment it inherits says.
 */
const PS = `#!/bin/sh
[ "$*" = "-o lstart= -p 4242" ] || exit 1
case "\${TZ:-}" in Europe/Berlin) hour=14 ;; *) hour=13 ;; esac
case "\${LC_ALL:-\${LC_TIME:-\${LANG:-C}}}" in
de*) echo "So 29 Nov $hour:00:33 2026" ;;
*) echo "Sun Nov 29 $hour:00:33 2026" ;;
esac
`;

Deno.test("psStart() reads one token whatever the locale of the pool asking, in its time zone", async () => {
  // A lease written by a route in a German terminal is checked by an agent's pool in the C
  // locale: the same process must read as the same start, or its lease is dropped as gone.
  const dir = await Deno.makeTempDir({ prefix: "pool-ps-" });
  try {
    await Deno.writeTextFile(join(dir, "ps"), PS, { mode: 0o755 });
    const path = `${dir}:${Deno.env.get("PATH")}`;
    const german = withEnv(
      {
        PATH: path,
        LC_ALL: undefined,
        LC_TIME: undefined,
        LANG: "de_DE.UTF-8",
        TZ: undefined,
      },
      () => psStart(4242),
    );
    const plain = withEnv(
      { PATH: path, LC_ALL: undefined, LC_TIME: undefined, LANG: undefined, TZ: undefined },
      () => psStart(4242),
    );
    assertEquals(german, plain);
    assertEquals(plain, "Sun Nov 29 13:00:33 2026");
    // The time zone is the caller's, as every pool before wrote it: a live lease of theirs holds.
    const berlin = withEnv(
      { PATH: path, LANG: undefined, TZ: "Europe/Berlin" },
      () => psStart(4242),
    );
    assertEquals(berlin, "Sun Nov 29 14:00:33 2026");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
