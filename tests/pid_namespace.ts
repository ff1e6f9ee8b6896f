/**
 * Tests that hand a process number out again on purpose (they write
 * /proc/sys/kernel/ns_last_pid) run in a pid namespace of their own: in this
 * machine's, each write steers every fork on it, and the numbers they take
 * belong to tests running beside them.
 */

import { fileURLToPath } from "node:url";
import { assertMatch } from "./assert.ts";

const INSIDE = "POOL_TEST_IN_PID_NAMESPACE";

/** Whether a private pid namespace (and its ns_last_pid) is ours to make here: root, unshare -p. */
export const canUnsharePid = Deno.uid() === 0 &&
  await new Deno.Command("unshare", {
    args: ["-p", "--fork", "--mount-proc", "sh", "-c", "echo 1 > /proc/sys/kernel/ns_last_pid"],
    stdout: "null",
    stderr: "null",
  }).output().then((o) => o.success, () => false);

/**
 * Registers the test `name` to run in a private pid namespace. Outside, the
 * test runs this file again there, filtered to `name`, and passes when that
 * run passes its one test; it is reported ignored where no namespace can be
 * made. Inside, `register` registers the test itself, under the same name.
 */
export function pidNamespaceTest(name: string, file: string, register: () => void): void {
  if (Deno.env.get(INSIDE) === "1") return register();
  Deno.test({
    name,
    ignore: !canUnsharePid,
    fn: async () => {
      // sh as pid 1, not deno: it reaps the orphans the namespace's processes leave.
      const out = await new Deno.Command("unshare", {
        args: [
          "-p",
          "--fork",
          "--kill-child",
          "--mount-proc",
          "sh",
          "-c",
          '"$@"; exit $?',
          "sh",
          Deno.execPath(),
          "test",
          "--allow-all",
          "--filter",
          name,
          fileURLToPath(file),
        ],
        env: { [INSIDE]: "1", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(300_000),
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertMatch(text, /^ok \| 1 passed \| 0 failed/m, text);
    },
  });
}
