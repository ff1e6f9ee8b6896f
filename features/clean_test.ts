/**
 * features/clean.sh run for real, as root, in a mount namespace of its own
 * whose swept folders (/tmp, /var/tmp, /var/log, /root, /home) are fresh
 * tmpfs mounts and whose journalctl, apt-get, snap and docker are no-ops: it
 * changes nothing of this machine. Skipped where that cannot be set up (not
 * root, no unshare).
 */

import { assertEquals } from "../tests/assert.ts";
import { cleanScript } from "./mod.ts";

const SWEPT = ["/tmp", "/var/tmp", "/var/log", "/root", "/home"];

/** Runs `setup`, then the clean script (run, days 3), then `after`, all in the namespace. */
async function inThrowawayRoot(setup: string, after: string): Promise<string | null> {
  const dir = await Deno.makeTempDir({ dir: "/var/lib", prefix: "pool-clean-test-" }).catch(() =>
    null
  );
  if (dir === null || Deno.uid() !== 0) return null;
  try {
    await Deno.mkdir(`${dir}/bin`);
    for (const tool of ["journalctl", "apt-get", "snap", "docker"]) {
      await Deno.writeTextFile(`${dir}/bin/${tool}`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    }
    await Deno.writeTextFile(`${dir}/clean.sh`, await cleanScript());
    const script = [
      "set -eu",
      // Every swept folder a fresh tmpfs, or nothing runs at all.
      ...SWEPT.map((d) => `mount -t tmpfs pool-test ${d} && mountpoint -q ${d}`),
      setup,
      `PATH=${dir}/bin:$PATH sh -s -- run 0 3 < ${dir}/clean.sh`,
      after,
    ].join("\n");
    const out = await new Deno.Command("unshare", {
      args: ["-m", "--fork", "sh", "-c", script],
      stdout: "piped",
      stderr: "piped",
    }).output().catch(() => null);
    if (out === null) return null;
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
    return text;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("clean leaves old files a process still holds open, and removes the others", async () => {
  const out = await inThrowawayRoot(
    [
      "mkdir -p /var/log/app",
      "for f in /var/log/app/current.log /var/log/app/old.log /var/log/top.log /var/log/gone.log; do",
      "  echo x > $f; touch -d 2020-01-01 $f",
      "done",
      // A daemon's current logs, open and quiet for days.
      "sh -c 'exec 3>>/var/log/app/current.log 4>>/var/log/top.log; exec sleep 60' >/dev/null 2>&1 &",
      "holder=$!",
      "sleep 0.3",
    ].join("\n"),
    "echo left: $(ls /var/log/app /var/log); kill $holder",
  );
  if (out === null) return; // no throwaway root here
  assertEquals(
    out.split("\n").find((l) => l.startsWith("left:")),
    "left: /var/log: app top.log /var/log/app: current.log",
  );
  assertEquals(out.includes("removed 1 files, 4096 bytes: /var/log/app"), true, out);
});
