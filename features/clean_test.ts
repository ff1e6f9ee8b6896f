/**
 * features/clean.sh run for real, as root, in a mount namespace of its own
 * whose swept folders (/tmp, /var/tmp, /var/crash, /var/log, /root, /home) are
 * fresh tmpfs mounts and whose journalctl, apt-get, snap and docker are stubs
 * that log their calls: it changes nothing of this machine. clean.sh puts the
 * system folders first on PATH, so a stub merely first on ours would lose to
 * /usr/bin/apt-get: each stub is bind-mounted over every copy clean.sh could
 * find, and the run is refused unless every copy on its PATH is the stub.
 * Reported ignored where that cannot be set up (not root, no unshare).
 */

import { assertEquals } from "../tests/assert.ts";
import { cleanScript } from "./mod.ts";

const SWEPT = ["/tmp", "/var/tmp", "/var/crash", "/var/log", "/root", "/home"];
const TOOLS = ["journalctl", "apt-get", "snap", "docker"];
/** clean.sh's own PATH, put before the one it is given. */
const CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const canUnshare = Deno.uid() === 0 &&
  await new Deno.Command("unshare", { args: ["-m", "true"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false);

/** A stub that logs its words; snap's lists one disabled revision, so `snap remove` runs too. */
function stub(tool: string, log: string): string {
  const list = tool === "snap"
    ? '[ "$1" = list ] && echo "core 16 1234 latest/stable canonical disabled"\n'
    : "";
  return `#!/bin/sh\necho "${tool} $*" >> ${log}\n${list}exit 0\n`;
}

/**
 * Runs `setup`, then the clean script (run, deep, days 3), then `after`, all in
 * the namespace. Returns its output and the stubs' calls, one a line.
 */
async function inThrowawayRoot(
  setup: string,
  after: string,
): Promise<{ out: string; calls: string[] }> {
  const dir = await Deno.makeTempDir({ dir: "/var/lib", prefix: "pool-clean-test-" });
  try {
    const log = `${dir}/calls`;
    await Deno.mkdir(`${dir}/bin`);
    for (const tool of TOOLS) {
      await Deno.writeTextFile(`${dir}/bin/${tool}`, stub(tool, log), { mode: 0o755 });
    }
    await Deno.writeTextFile(log, "");
    await Deno.writeTextFile(`${dir}/clean.sh`, await cleanScript());
    const path = `${CLEAN_PATH}:${dir}/bin:${Deno.env.get("PATH") ?? ""}`;
    const script = [
      "set -eu",
      // Every swept folder a fresh tmpfs, or nothing runs at all. One this machine lacks
      // is left alone: clean.sh skips it too.
      ...SWEPT.map((d) =>
        `if [ -d ${d} ]; then mount -t tmpfs pool-test ${d} && mountpoint -q ${d}; fi`
      ),
      // Every copy of a tool on clean.sh's PATH becomes the stub; a missing one is found in bin.
      `for tool in ${TOOLS.join(" ")}; do`,
      `  for d in $(printf %s "${path}" | tr : ' '); do`,
      `    [ "$d" = ${dir}/bin ] || [ ! -e "$d/$tool" ] || mount --bind ${dir}/bin/$tool "$d/$tool"`,
      "  done",
      "done",
      // And the run is refused unless that holds, whatever made a mount miss.
      `for tool in ${TOOLS.join(" ")}; do`,
      `  for d in $(printf %s "${path}" | tr : ' '); do`,
      `    [ ! -e "$d/$tool" ] || cmp -s ${dir}/bin/$tool "$d/$tool" || { echo "real $d/$tool" >&2; exit 1; }`,
      "  done",
      "done",
      setup,
      `PATH=${dir}/bin:$PATH sh -s -- run 1 3 < ${dir}/clean.sh`,
      after,
    ].join("\n");
    const out = await new Deno.Command("unshare", {
      args: ["-m", "--propagation", "private", "--fork", "sh", "-c", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
    const calls = (await Deno.readTextFile(log)).split("\n").filter((l) => l !== "");
    return { out: text, calls };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "clean leaves old files a process still holds open, and removes the others",
  ignore: !canUnshare,
  fn: async () => {
    const { out, calls } = await inThrowawayRoot(
      [
        "mkdir -p /var/log/app",
        "for f in /var/log/app/current.log /var/log/app/old.log /var/log/top.log /var/log/gone.log; do",
        "  echo x > $f; touch -d 2020-01-01 $f",
        "done",
        // A daemon's current logs, open and quiet for days; it says so once they are open.
        "sh -c 'exec 3>>/var/log/app/current.log 4>>/var/log/top.log; : > /tmp/held; exec sleep 60' >/dev/null 2>&1 &",
        "holder=$!",
        "i=0; until [ -e /tmp/held ]; do i=$((i + 1)); [ $i -lt 600 ]; sleep 0.05; done",
        "rm /tmp/held",
      ].join("\n"),
      "echo left: $(ls /var/log/app /var/log); kill $holder",
    );
    assertEquals(
      out.split("\n").find((l) => l.startsWith("left:")),
      "left: /var/log: app top.log /var/log/app: current.log",
    );
    assertEquals(out.includes("removed 1 files, 4096 bytes: /var/log/app"), true, out);
    // Every tool clean.sh runs was a stub: the real ones never ran.
    assertEquals(calls, [
      "journalctl --vacuum-time=3d",
      "apt-get autoremove -y -q",
      "apt-get clean",
      "snap list --all",
      "snap remove core --revision=1234",
      "docker system prune -f",
    ]);
  },
});
