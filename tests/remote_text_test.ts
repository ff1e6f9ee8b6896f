/**
 * What a host says is data, against real sshd hosts: a login shell that
 * prints before pool's payloads, a GPU tool that hangs or floods, and text
 * that would act on the user's terminal from pool's own tables and messages.
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";

/** An nvidia-smi that does what ~/gpu-mode says: hang, flood, or nothing at all. */
const NVIDIA_SMI = `#!/bin/sh
case $(cat ~/gpu-mode 2>/dev/null) in
  hang) exec sleep 60 ;;
  stuck) trap "" TERM; sleep 60; exit 0 ;;
  flood) exec yes "index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]" ;;
esac
echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
exit 9
`;

/** A rocm-smi beside it (a host with both), as stuck as nvidia-smi in "stuck" mode. */
const ROCM_SMI = `#!/bin/sh
if [ "$(cat ~/gpu-mode 2>/dev/null)" = stuck ]; then trap "" TERM; sleep 60; fi
echo '{}'
`;

const ESC = "\x1b";

fleetTest("what a host says is data", 2, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1", os: "linux" }, { name: "h2", os: "linux" }]);
  const on = async (command: string) => {
    const r = await pool(fleet, ["on", "h1", command]);
    assertEquals(r.code, 0, r.stderr);
  };
  const probe = async (): Promise<Record<string, unknown>> => {
    const r = await pool(fleet, ["list", "--json", "--timeout", "20"]);
    return JSON.parse(r.stdout).hosts[0].probe;
  };

  await t.step("a ~/.bashrc that sets the title with no newline breaks no payload", async () => {
    // The hosts share one home: every host's login shell now prints this first.
    await on(String.raw`echo 'printf "\033]0;%s@%s\007" "$USER" "$HOSTNAME"' > ~/.bashrc`);
    try {
      assertEquals((await probe()).ok, true);
      const refreshed = await pool(fleet, ["refresh", "--json"]);
      assertMatch(refreshed.stdout, /"os":"linux"/);
      assert(!refreshed.stdout.includes('"unknown"'), refreshed.stdout);
      const bg = await pool(fleet, ["bg", "--json", "h1", "sleep 60"]);
      assertEquals(bg.code, 0, bg.stderr);
      const killed = await pool(fleet, ["kill", JSON.parse(bg.stdout).id]);
      assertEquals(killed.code, 0, killed.stderr);
      const init = await pool(fleet, ["init", "h1", "--dry-run", "--only", "swapfile"]);
      assertEquals(init.code, 0, init.stderr);
      assert(!/failed/.test(init.stderr), init.stderr);
    } finally {
      await on("rm -f ~/.bashrc");
    }
  });

  await t.step("a GPU tool that hangs costs its GPUs, not the host's other numbers", async () => {
    await on("echo hang > ~/gpu-mode");
    const answer = await probe();
    assertEquals(answer.ok, true, JSON.stringify(answer));
    assert(answer.mem_total_bytes !== null);
    assertEquals(answer.gpus, []);
    assertMatch(String(answer.gpu_error), /nvidia-smi did not answer/);
  });

  await t.step(
    "GPU tools that ignore TERM, one after the other, still leave the host's numbers in time",
    async () => {
      await on("echo stuck > ~/gpu-mode");
      // The probe's own deadline (8 s), not a longer one: both tools share 5 s of it.
      const r = await pool(fleet, ["list", "--json"]);
      const answer = JSON.parse(r.stdout).hosts[0].probe;
      assertEquals(answer.ok, true, JSON.stringify(answer));
      assert(answer.mem_total_bytes !== null);
      assertMatch(String(answer.gpu_error), /did not answer/);
    },
  );

  await t.step("a host that floods its answer fails, and pool does not keep it all", async () => {
    await on("echo flood > ~/gpu-mode");
    const answer = await probe();
    assertEquals([answer.ok, answer.status], [false, "failed"]);
    assertMatch(String(answer.error), /answered more than \d+ bytes/);
    await on("rm ~/gpu-mode");
  });

  await t.step("escapes in a job record or ssh's words reach no terminal from pool", async () => {
    // A record as a host might hold it: the command and the signal name carry escapes.
    // Stamped with the host's clock: a fixed date would fall out of the default listing a day on.
    await on(String.raw`mkdir -p ~/.pool/jobs && cd ~/.pool/jobs && now=$(date +%s) &&
      printf 'started %s\nended %s\nexit 137\nsignal \033]0;PWNED\007KILL\n' "$now" "$now" > evil1.job &&
      printf '\033]0;PWNED\007\033[2Jrm -rf /\r\n' > evil1.cmd`);
    for (const args of [["jobs"], ["wait", "evil1"], ["kill", "evil1"]]) {
      const r = await pool(fleet, args);
      assert(!(r.stdout + r.stderr).includes(ESC), `${args[0]}: ${JSON.stringify(r)}`);
    }
    assertMatch((await pool(fleet, ["jobs"])).stdout, /\\e\]0;PWNED\\x07\\e\[2Jrm -rf \/\\r/);
    // ssh's "Read from remote host" words, forged by the command, name a lost connection.
    const lost = await pool(fleet, [
      "on",
      "h1,h2",
      String.raw`printf 'Read from remote host x: \033]0;PWNED\007gone\n' >&2; exit 255`,
    ]);
    assert(lost.code !== 0);
    const summary = lost.stderr.split("\n").filter((l) => !l.startsWith("[")).join("\n");
    assert(!summary.includes(ESC), summary);
  });
}, { bin: { "nvidia-smi": NVIDIA_SMI, "rocm-smi": ROCM_SMI } });
