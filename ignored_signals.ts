/**
 * The signals pool was started ignoring, read before pool listens to any. `nohup pool …`,
 * `trap '' HUP`, and a script's `pool … &` (a shell without job control starts it ignoring
 * SIGINT, so a Ctrl-C meant for the script's foreground spares it) ask that those not stop
 * pool; listening undid that, and closing the terminal stopped the work on every host. ssh
 * keeps an ignored signal ignored the same way.
 */

/** The numbers of the signals pool listens to: Linux's (every architecture Deno runs on), and the BSDs' and macOS's. */
const NUMBERS = {
  linux: { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGTSTP: 20 },
  bsd: { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGTSTP: 18 },
} as const;

/**
 * Linux: /proc/self/status's SigIgn. Elsewhere (macOS, the BSDs: no /proc) ps's `sigignore`
 * of this process, one short ps where nothing else can say: left unknown, nohup'd work on
 * every host stopped when the terminal closed. `os` and `statusPath` are for tests.
 */
export function ignoredAtStart(
  os: string = Deno.build.os,
  statusPath = "/proc/self/status",
): Set<string> {
  if (os === "linux") {
    let status: string;
    try {
      status = Deno.readTextFileSync(statusPath);
    } catch {
      return new Set();
    }
    return named(/^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1], NUMBERS.linux);
  }
  return named(psMask(), NUMBERS.bsd);
}

/** This process's ignored-signal mask as ps says it (hex), or undefined where it cannot. */
function psMask(): string | undefined {
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "sigignore=", "-p", String(Deno.pid)],
      env: { LC_ALL: "C" },
      stdin: "null",
      stderr: "null",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^(0x)?[0-9a-f]+$/i.test(text) ? text.replace(/^0x/i, "") : undefined;
  } catch {
    return undefined; // no ps: nothing known, pool listens to all
  }
}

function named(mask: string | undefined, numbers: Record<string, number>): Set<string> {
  if (mask === undefined) return new Set();
  const bits = BigInt("0x" + mask);
  return new Set(
    Object.entries(numbers)
      .filter(([, n]) => ((bits >> BigInt(n - 1)) & 1n) === 1n)
      .map(([name]) => name),
  );
}
