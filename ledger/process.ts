/**
 * Whether a local process still runs, robust to pid reuse: pids wrap quickly
 * (pid_max is 32768 on many systems), so a lease remembers its process's start
 * time too, and a zombie counts as gone.
 */

/** A token for when `pid` started: field 22 of /proc/<pid>/stat on Linux, `ps -o lstart` elsewhere. */
export function processStart(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return null;
    return fields[19];
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound) || Deno.build.os === "linux") return null;
  }
  return psStart(pid);
}

/**
 * `ps -o lstart` (macOS, the BSDs), in the C locale: BSD ps writes the start in the locale's
 * words (`So 29 Nov` in German), so a route's lease written from a German terminal read as its
 * process gone in an agent's or cron's pool (C locale), and the host it held counted as free
 * while its command ran. The time zone stays the caller's, as pools before this one wrote it:
 * forced to UTC, their live leases would read as gone to this one, and this one's to them.
 * Exported for its test (Linux reads /proc).
 */
export function psStart(pid: number): string | null {
  const out = new Deno.Command("ps", {
    args: ["-o", "lstart=", "-p", String(pid)],
    env: { LC_ALL: "C" },
    stderr: "null",
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout).trim();
  return out.success && text !== "" ? text : null;
}

export function processAlive(pid: number, start: string | null): boolean {
  if (pid <= 0) return false;
  const now = processStart(pid);
  return now !== null && (start === null || now === start);
}

let space: string | undefined;

/**
 * Where this process's pids mean something: "MACHINE BOOT PIDNS" — the
 * machine (/etc/machine-id, else the host name), its boot (Linux's boot_id)
 * and the pid namespace. A lease written elsewhere (a container sharing
 * ~/.pool, a pool on another machine with the same home over NFS) names a pid
 * this /proc knows nothing of, or knows as someone else; one written on this
 * machine before its last boot names a process that is surely gone.
 */
export function processSpace(): string {
  if (space !== undefined) return space;
  const read = (path: string, fallback: string) => {
    try {
      return Deno.readTextFileSync(path).trim() || fallback;
    } catch {
      return fallback;
    }
  };
  let ns = "-";
  try {
    ns = Deno.readLinkSync("/proc/self/ns/pid");
  } catch { /* no /proc: macOS */ }
  const machine = read("/etc/machine-id", Deno.hostname()).replaceAll(" ", "_");
  space = `${machine} ${read("/proc/sys/kernel/random/boot_id", "-")} ${ns}`;
  return space;
}
