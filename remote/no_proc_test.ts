/**
 * The job scripts on a host without /proc (macOS, the BSDs), where they read `ps`: run here in a
 * mount namespace whose /proc is an empty tmpfs, with a BSD-like `ps` in front of the real tools.
 */

import { join } from "node:path";
import { assertEquals } from "../tests/assert.ts";
import { remoteScript } from "./scripts.ts";
import proc from "./_proc.sh" with { type: "text" };
import { fedScript } from "../tests/procs.ts";

/** No pid goes this high (the kernel's pid_max is at most 2^22): nothing real is ever signalled. */
const PGID = 9_999_999;

/**
 * BSD ps as the scripts call it: `-A -o pgid=,stat=` lists two groups that are not PGID's, and
 * `-p PID` answers for PGID when $FAKE_DIR/running exists, with lstart in the locale's words.
 */
const PS = `#!/bin/sh
case "$*" in
"-A -o pgid=,stat=") printf '    1 Ss\\n  300 S\\n' ;;
"-o stat= -p ${PGID}") [ -e "$FAKE_DIR/running" ] && echo S ;;
"-o lstart= -p ${PGID}")
  [ -e "$FAKE_DIR/running" ] || exit 1
  case "\${LC_ALL:-\${LANG:-}}" in
  de*) echo "So 29 Nov 13:00:33 2026" ;;
  *) echo "Sun Nov 29 13:00:33 2026" ;;
  esac ;;
*) exit 1 ;;
esac
`;

async function withoutProc(
  script: string,
  args: string[],
  env: Record<string, string>,
  setup: (dir: string) => Promise<void> = async () => {},
): Promise<{ code: number; stdout: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pool-no-proc-" });
  try {
    await Deno.mkdir(join(dir, "bin"));
    await Deno.writeTextFile(join(dir, "bin", "ps"), PS, { mode: 0o755 });
    await setup(dir);
    const { code, stdout } = await fedScript(
      [
        "/usr/bin/unshare",
        "-m",
        "/bin/sh",
        "-c",
        '/bin/mount -t tmpfs tmpfs /proc && exec /bin/sh -s -- "$@"',
        "ns",
        ...args,
      ],
      script,
      { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, HOME: dir, FAKE_DIR: dir, ...env },
    );
    return { code, stdout };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const root = Deno.uid() === 0;

Deno.test({
  name: "without /proc, a job's start time is read in the C locale, whatever the session's",
  ignore: !root,
  fn: async () => {
    const script = proc + 'start_of "$1"\n';
    const r = await withoutProc(
      script,
      [String(PGID)],
      { LANG: "de_DE.UTF-8" },
      (dir) => Deno.writeTextFile(join(dir, "running"), ""),
    );
    assertEquals(r, { code: 0, stdout: "Sun Nov 29 13:00:33 2026\n" });
  },
});

Deno.test({
  name: "without /proc, kill of an ended job with no group left says it had ended",
  ignore: !root,
  fn: async () => {
    const record = `pid ${PGID} Sun Nov 29 13:00:33 2026\nexit 0\nended 1\n`;
    const r = await withoutProc(remoteScript("kill"), ["k3x9q2", "TERM", "0"], {}, async (dir) => {
      await Deno.mkdir(join(dir, ".pool", "jobs"), { recursive: true });
      await Deno.writeTextFile(join(dir, ".pool", "jobs", "k3x9q2.job"), record);
    });
    assertEquals(r, { code: 0, stdout: `@@ over\n${record}@@ end\n` });
  },
});
