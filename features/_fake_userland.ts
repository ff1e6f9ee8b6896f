/**
 * A fake userland for running bootstrap payloads on this machine without
 * touching it: a temp directory of fake commands that record who called them
 * and with what, plus links to a few harmless real tools (sed, awk, …). The
 * payload's whole PATH is that directory (POOL_PAYLOAD_PATH), so it can reach
 * no real system tool; the fakes keep their state under the same temp
 * directory. For tests only.
 */

import { join } from "node:path";
import { featurePayload } from "./mod.ts";

/** Real tools a payload may use that change nothing outside the files it names. */
const HARMLESS = ["awk", "sed", "tail", "head", "cat", "grep", "tr", "cut", "wc", "sh"];

/** Fakes every payload test shares: `id` answers for $FAKE_USER, `sudo` switches it. */
const COMMON: Record<string, string> = {
  id: `
u=\${FAKE_USER:-root}
case "$1" in
-u) if [ "$u" = root ]; then echo 0; else echo 501; fi ;;
-un | -nu) echo "$u" ;;
*) echo "uid=? ($u)" ;;
esac`,
  // Only root switches users without a password; the target user becomes $FAKE_USER.
  sudo: `
user=root
while [ $# -gt 0 ]; do
  case "$1" in
  -n | -H) shift ;;
  -u) user=$2; shift 2 ;;
  --) shift; break ;;
  -*) echo "sudo: unknown option $1" >&2; exit 1 ;;
  *) break ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "sudo: a password is required" >&2; exit 1; }
log "sudo -u $user \${1##*/}"
FAKE_USER=$user HOME=/Users/$user exec "$@"`,
  sleep: `log "sleep $*"`,
};

/** A macOS userland: brew refuses root, preferences are per user, pmset is system-wide. */
export const MACOS: Record<string, string> = {
  uname: `echo Darwin`,
  sw_vers: `log "sw_vers $*"; printf 'ProductName:\\tmacOS\\nProductVersion:\\t14.5\\n'`,
  // macOS's BSD stat: the console's owner is in $FAKE_DIR/console (root at the login window).
  stat: `
log "stat $*"
if [ "$1 $2 $3" = "-f %Su /dev/console" ]; then cat "$FAKE_DIR/console"; exit 0; fi
echo "stat: illegal option" >&2; exit 1`,
  brew: `
me=$(id -un)
log "brew $*"
if [ "$me" = root ] && [ "$1" != services ] && [ "$1" != --prefix ]; then
  echo "Error: Running Homebrew as root is extremely dangerous and no longer supported." >&2
  exit 1
fi
case "$1 $2" in
"list --formula") [ -f "$FAKE_DIR/installed" ] ;;
"install tailscale") echo "$me" > "$FAKE_DIR/installed" ;;
"services list")
  echo "Name      Status  User File"
  if [ "$(cat "$FAKE_DIR/started" 2>/dev/null)" = "$me" ]; then echo "tailscale started $me x.plist"; else echo "tailscale none"; fi ;;
"services start")
  [ -f "$FAKE_DIR/installed" ] || { echo "Error: No available formula with the name \\"$3\\"." >&2; exit 1; }
  echo "$me" > "$FAKE_DIR/started" ;;
*) echo "Error: Unknown command: $1" >&2; exit 1 ;;
esac`,
  // Settings in $FAKE_DIR/pmset, one "key value" a line; only root changes them.
  pmset: `
log "pmset $*"
case "$1" in
-g) echo "System-wide power settings:"; echo "Currently in use:"; sed 's/^/ /' "$FAKE_DIR/pmset" ;;
-a)
  [ "$(id -u)" = 0 ] || { echo "pmset: Must be run as root" >&2; exit 1; }
  shift
  while [ $# -ge 2 ]; do
    awk -v k="$1" -v v="$2" '$1 == k { $2 = v } { print }' "$FAKE_DIR/pmset" > "$FAKE_DIR/pmset.new"
    cat "$FAKE_DIR/pmset.new" > "$FAKE_DIR/pmset"
    shift 2
  done ;;
*) exit 1 ;;
esac`,
  // Each user's preferences in $FAKE_DIR/defaults.<user>[.currentHost], "domain key value" lines.
  defaults: `
me=$(id -un)
log "defaults $*"
store="$FAKE_DIR/defaults.$me"
[ "$1" = -currentHost ] && { store="$store.currentHost"; shift; }
case "$1" in
read)
  v=$(awk -v d="$2" -v k="$3" '$1 == d && $2 == k { print $3 }' "$store" 2>/dev/null | tail -n 1)
  [ -n "$v" ] || { echo "The domain/default pair of ($2, $3) does not exist" >&2; exit 1; }
  echo "$v" ;;
write)
  [ "$4" = -int ] && set -- "$1" "$2" "$3" "$5"
  echo "$2 $3 $4" >> "$store" ;;
*) exit 1 ;;
esac`,
};

/**
 * A Linux whose readings come back empty or garbled: awk reads SwapTotal from /proc/meminfo as
 * what $FAKE_DIR/swap holds, and df says what $FAKE_DIR/df holds (nothing unless written). For
 * dry runs of swapfile only.
 */
export const EMPTY_READINGS: Record<string, string> = {
  uname: `echo Linux`,
  awk: `
for a; do last=$a; done
[ "$last" = /proc/meminfo ] && { cat "$FAKE_DIR/swap" 2>/dev/null; exit 0; }
exec /usr/bin/awk "$@"`,
  df: `cat "$FAKE_DIR/df" 2>/dev/null`,
  sysctl: `echo 60`,
  stat: `exit 1`,
};

/** A Debian userland for earlyoom: apt with a lock someone else holds for a while. */
export const DEBIAN: Record<string, string> = {
  uname: `echo Linux`,
  // The dpkg lock is held for the first $FAKE_DIR/lock_busy calls; package lists exist once updated.
  "apt-get": `
log "apt-get $*"
busy=$(cat "$FAKE_DIR/lock_busy" 2>/dev/null || echo 0)
if [ "$busy" -gt 0 ]; then
  echo $((busy - 1)) > "$FAKE_DIR/lock_busy"
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)" >&2
  exit 100
fi
for a; do case "$a" in
update) echo lists > "$FAKE_DIR/lists"; exit 0 ;;
install)
  [ -f "$FAKE_DIR/lists" ] || { echo "E: Unable to locate package earlyoom" >&2; exit 100; }
  printf '#!/bin/sh\\n' > "$FAKE_DIR/bin/earlyoom"
  /bin/chmod 755 "$FAKE_DIR/bin/earlyoom"
  exit 0 ;;
esac; done
exit 0`,
  "apt-cache": `
log "apt-cache $*"
[ -f "$FAKE_DIR/lists" ] || { echo "N: Unable to locate package earlyoom" >&2; exit 100; }`,
  systemctl: `
log "systemctl $*"
case "$*" in
"enable --now earlyoom") echo on > "$FAKE_DIR/earlyoom" ;;
*is-active* | *is-enabled*) [ -f "$FAKE_DIR/earlyoom" ] ;;
*) exit 1 ;;
esac`,
};

/**
 * Linux hosts beyond Debian: package managers that install earlyoom into the fake bin, and
 * service managers whose state is a file per service in $FAKE_DIR (`<name>.enabled`,
 * `<name>.active`). Hosts without systemd leave `systemctl` out (`withoutSystemd`).
 */
const INSTALL =
  `printf '#!/bin/sh\\n' > "$FAKE_DIR/bin/earlyoom"; /bin/chmod 755 "$FAKE_DIR/bin/earlyoom"`;
export const OTHER_LINUX: Record<string, string> = {
  uname: `echo Linux`,
  dnf: `log "dnf $*"; ${INSTALL}`,
  apk: `log "apk $*"; ${INSTALL}`,
  systemctl: `
log "systemctl $*"
case "$1" in
enable) for u; do case "$u" in enable | --now) ;; *) : >"$FAKE_DIR/$u.enabled"; : >"$FAKE_DIR/$u.active" ;; esac; done ;;
is-active) [ -f "$FAKE_DIR/$3.active" ] ;;
is-enabled) [ -f "$FAKE_DIR/$3.enabled" ] ;;
*) exit 1 ;;
esac`,
  "rc-update": `
log "rc-update $*"
case "$1" in
add) : >"$FAKE_DIR/$2.enabled" ;;
show) for f in "$FAKE_DIR"/*.enabled; do [ -f "$f" ] && n=\${f##*/} && echo " \${n%.enabled} | default"; done ;;
esac`,
  "rc-service": `
log "rc-service $*"
case "$2" in
status) [ -f "$FAKE_DIR/$1.active" ] ;;
start) : >"$FAKE_DIR/$1.active" ;;
esac`,
};

/** `fakes` without the named commands. */
export function without(fakes: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(fakes).filter(([name]) => !names.includes(name)));
}

export interface Userland {
  dir: string;
  /** Runs a feature's payload as pool sends it (`sh -s -- <mode> [arg]`), as root. */
  run(
    feature: string,
    mode?: string,
    env?: Record<string, string>,
    /** A program (absolute path) and its words that run the payload's shell: `unshare …`. */
    wrapper?: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Each fake's calls so far, as `user: command args`, and forgets them. */
  calls(): Promise<string[]>;
  write(name: string, text: string): Promise<void>;
  read(name: string): Promise<string | null>;
  remove(): Promise<void>;
}

export async function fakeUserland(fakes: Record<string, string>): Promise<Userland> {
  const dir = await Deno.makeTempDir({ prefix: "pool-fake-userland-" });
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  // A fake replaces a harmless tool of the same name: never write through its link to the real one.
  for (const tool of HARMLESS.filter((t) => !(t in fakes))) {
    const real = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
    if (!real) throw new Error(`fake userland: no ${tool} on this machine`);
    await Deno.symlink(real, join(bin, tool));
  }
  const log = `log() { echo "$(id -un): $*" >> "$FAKE_DIR/calls"; }`;
  for (const [name, body] of Object.entries({ ...COMMON, ...fakes })) {
    await Deno.writeTextFile(join(bin, name), `#!/bin/sh\n${log}\n${body.trim()}\n`, {
      mode: 0o755,
    });
  }
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    dir,
    async run(feature, mode = "apply", env = {}, wrapper = []) {
      const [program, ...words] = [...wrapper, join(bin, "sh"), "-s", "--", mode];
      const child = new Deno.Command(program, {
        args: words,
        env: {
          PATH: bin,
          POOL_PAYLOAD_PATH: bin,
          FAKE_DIR: dir,
          // systemd runs where the fakes have a systemctl (_lib.sh's systemd_runs).
          POOL_SYSTEMD_RUN: join(dir, "systemctl" in fakes ? "bin" : "no-systemd"),
          ...env,
        },
        clearEnv: true,
        cwd: dir,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(featurePayload(feature)));
      await w.close();
      const out = await child.output();
      return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
    },
    async calls() {
      const path = join(dir, "calls");
      const lines = await Deno.readTextFile(path).catch(() => "");
      await Deno.remove(path).catch(() => {});
      return lines.split("\n").filter(Boolean);
    },
    write: (name, content) => Deno.writeTextFile(join(dir, name), content),
    read: (name) => Deno.readTextFile(join(dir, name)).catch(() => null),
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
