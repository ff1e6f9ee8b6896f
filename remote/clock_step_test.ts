/**
 * Payloads that wait time their waits by a `sleep` of their own, never by the wall clock: run
 * here under a `date` that jumps an hour at every call. kill.sh acts on a job of the test's own
 * (launched by launch.sh into a temporary HOME): nothing else on this machine is signalled; the
 * host probe only reads.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { remoteScript } from "./scripts.ts";
import { launchPayload } from "./detach.ts";
import { fedScript } from "../tests/procs.ts";
import { parseHostProbe } from "../probes/mod.ts";

/** A `date` whose every answer is an hour past its last: a wall clock stepped while kill waits. */
const JUMPING_DATE = `#!/bin/sh
n=$(cat "$HOME/jumps" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$HOME/jumps"
echo $(($(/bin/date +%s) + 3600 * n))
`;

const sh = (script: string, args: string[], env: Record<string, string>) =>
  fedScript(["/bin/sh", "-s", "--", ...args], script, env);

Deno.test("kill's grace is not cut short when the host's wall clock jumps forward", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-kill-script-" });
  try {
    await Deno.mkdir(join(home, "bin"));
    await Deno.writeTextFile(join(home, "bin", "date"), JUMPING_DATE, { mode: 0o755 });
    const env = { HOME: home, SHELL: "/bin/sh", PATH: `${join(home, "bin")}:/usr/bin:/bin` };
    // On TERM the job takes 2 s to save its work; the grace gives it 30.
    const job = `trap 'sleep 2; echo saved; exit 0' TERM; echo ready; sleep 300 & wait`;
    const launched = await sh(launchPayload("", job), ["kclock1", "-"], env);
    assertEquals(launched.code, 0, launched.stderr);
    const log = join(home, ".pool", "jobs", "kclock1.log");
    for (let i = 0; i < 100 && !(await Deno.readTextFile(log)).includes("ready"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const killed = await sh(remoteScript("kill"), ["kclock1", "TERM", "30"], env);
    assertEquals(killed.code, 0, killed.stderr);
    assertMatch(killed.stdout, /^@@ killed\n/);
    assert(
      (await Deno.readTextFile(log)).includes("saved"),
      "the job was KILLed before its TERM handler could finish",
    );
    assertMatch(killed.stdout, /^exit 0$/m);
  } finally {
    // Whatever is left of the job's group (a failed run) goes with its HOME.
    const record = await Deno.readTextFile(join(home, ".pool", "jobs", "kclock1.job")).catch(() =>
      ""
    );
    const pgid = Number(/^pid (\d+) /m.exec(record)?.[1]);
    if (pgid > 1) {
      try {
        Deno.kill(-pgid, "SIGKILL");
      } catch { /* gone: as it should be */ }
    }
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the host probe gives a slow nvidia-smi its seconds when the wall clock jumps", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-probe-clock-" });
  try {
    await Deno.mkdir(join(home, "bin"));
    await Deno.writeTextFile(join(home, "bin", "date"), JUMPING_DATE, { mode: 0o755 });
    // One H100, answering after a second, as a busy driver does.
    const smi = "#!/bin/sh\nsleep 1\necho 'index, name, utilization.gpu [%], memory.used [MiB], " +
      "memory.total [MiB]'\necho '0, NVIDIA H100 80GB HBM3, 3 %, 1024 MiB, 81559 MiB'\n";
    await Deno.writeTextFile(join(home, "bin", "nvidia-smi"), smi, { mode: 0o755 });
    const env = { HOME: home, PATH: `${join(home, "bin")}:/usr/bin:/bin` };
    const probed = await sh(remoteScript("host_probe"), [], env);
    assertEquals(probed.code, 0, probed.stderr);
    const facts = parseHostProbe(probed.stdout);
    assertEquals([facts.gpuError, facts.gpus.length], [undefined, 1], probed.stdout);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
