/**
 * The bootstrap features of `pool init`, in the order they run, each a shell
 * payload in this folder with the OSes it applies to. A payload is
 * `_lib.sh` + the feature's own file (+ for disk-cleanup, the clean script
 * itself), run as root with `sh -s -- <apply|dry-run> [arg]`.
 *
 * Like probes/, nothing here imports the rest of pool.
 */

import lib from "./_lib.sh" with { type: "text" };
import clean from "./clean.sh" with { type: "text" };
import diskCleanup from "./disk-cleanup.sh" with { type: "text" };
import earlyoom from "./earlyoom.sh" with { type: "text" };
import noSleep from "./no-sleep.sh" with { type: "text" };
import panicRecovery from "./panic-recovery.sh" with { type: "text" };
import persistentJournal from "./persistent-journal.sh" with { type: "text" };
import swapfile from "./swapfile.sh" with { type: "text" };
import tailscale from "./tailscale.sh" with { type: "text" };
import watchdog from "./watchdog.sh" with { type: "text" };

export type FeatureOs = "linux" | "macos";

export interface Feature {
  name: string;
  /** What it guards against, for `pool init --list`. */
  summary: string;
  os: readonly FeatureOs[];
}

export const FEATURES: readonly Feature[] = [
  {
    name: "tailscale",
    summary: "headless tailscale (install only; log in with tailscale up)",
    os: ["linux", "macos"],
  },
  { name: "disk-cleanup", summary: "daily cron running the pool clean script", os: ["linux"] },
  {
    name: "no-sleep",
    summary: "pmset: no display/system/disk sleep, no screensaver",
    os: ["macos"],
  },
  {
    name: "persistent-journal",
    summary: "journal kept in /var/log/journal across reboots",
    os: ["linux"],
  },
  { name: "panic-recovery", summary: "kernel.panic = 10, vm.panic_on_oom = 0", os: ["linux"] },
  { name: "earlyoom", summary: "userspace OOM killer before the kernel hangs", os: ["linux"] },
  {
    name: "swapfile",
    summary: "/swapfile-pool (32G) + fstab + swappiness 10, if swap < 30G and room",
    os: ["linux"],
  },
  { name: "watchdog", summary: "softdog + systemd RuntimeWatchdogSec=30s", os: ["linux"] },
];

/** Each feature's own file, imported as text so the bundle and `deno compile` carry it. */
const PAYLOADS: Record<string, string> = {
  tailscale,
  "disk-cleanup": diskCleanup,
  "no-sleep": noSleep,
  "persistent-journal": persistentJournal,
  "panic-recovery": panicRecovery,
  earlyoom,
  swapfile,
  watchdog,
};

/** The script text of the disk cleanup, as `pool clean` and the cron job run it. */
export function cleanScript(): string {
  return clean;
}

/** The whole payload for one feature. */
export function featurePayload(name: string): string {
  const own = PAYLOADS[name];
  if (own === undefined) throw new Error(`unknown feature ${name}`);
  // The clean script travels inside disk-cleanup's payload as a quoted here-document.
  const embedded = name === "disk-cleanup"
    ? [`POOL_CLEAN_SCRIPT=$(cat <<'POOL_CLEAN_EOF'\n${clean}POOL_CLEAN_EOF\n)\n`]
    : [];
  return [lib, ...embedded, own].join("\n");
}

/** Parses the `@@ result <status> <message>` line a payload ends with. */
export function parseResult(stdout: string): { status: string; message: string } | null {
  const line = stdout.trimEnd().split("\n").reverse().find((l) => l.startsWith("@@ result "));
  const m = line && /^@@ result (ok|already|skipped|failed) ?(.*)$/.exec(line);
  return m ? { status: m[1], message: m[2] } : null;
}

export interface CleanReport {
  usedBefore: number | null;
  usedAfter: number | null;
  freedBytes: number;
  freeBytes: number;
  tier: string;
}

/** Parses the `@@ clean …` summary of the clean script. */
export function parseClean(stdout: string): CleanReport | null {
  const m = /^@@ clean (\S+) (\S+) (\d+) (\d+) (\S+)$/m.exec(stdout);
  if (!m) return null;
  const pct = (s: string) => (s === "-" ? null : Number(s));
  return {
    usedBefore: pct(m[1]),
    usedAfter: pct(m[2]),
    freedBytes: Number(m[3]),
    freeBytes: Number(m[4]),
    tier: m[5],
  };
}
