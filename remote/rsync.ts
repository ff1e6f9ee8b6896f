/**
 * Copying by rsync: which rsync an end has (pool takes 3.0 or later, for -s), the remote shell
 * (`-e`) that carries pool's own ssh command line, the command line itself, and what its --stats
 * say. Apart from tar_copy.ts so that a reader of one copy method never steps over the other;
 * transfer.ts chooses between them.
 */

import { type Host, isLocal } from "../roster/host.ts";
import { splitTarget } from "../roster/target.ts";
import { type ExecOptions, sshOptionsFor } from "./exec.ts";
import { sshCommand } from "./ssh.ts";
import type { CopyRequest, CopyStats } from "./transfer.ts";
import { localOperand, remotePath } from "./copy_paths.ts";

/**
 * The major version in rsync's `--version` line (`rsync  version 3.2.7  protocol
 * version 31`); null for anything else (openrsync, a wrapper), which pool does not use.
 */
export function rsyncMajor(line: string): number | null {
  const m = /^rsync\s+version\s+v?(\d+)\./.exec(line.trim());
  return m ? Number(m[1]) : null;
}

let localRsync: Promise<number | null> | undefined;

/** The major version of this machine's rsync, null when it has none pool uses (asked once). */
export function localRsyncMajor(): Promise<number | null> {
  localRsync ??= (async () => {
    try {
      // Spawning throws at once when there is no rsync: that is an answer, not a failure.
      const o = await new Deno.Command("rsync", {
        args: ["--version"],
        stdout: "piped",
        stderr: "null",
      }).output();
      return o.success ? rsyncMajor(new TextDecoder().decode(o.stdout).split("\n")[0]) : null;
    } catch {
      return null;
    }
  })();
  return localRsync;
}

/**
 * rsync's remote shell (`-e`) and the host part of its remote path. rsync
 * splits `-e` on spaces and reads quotes, not backslashes: rsyncWords.
 */
export async function rsyncShell(
  host: Host,
  exec: ExecOptions,
): Promise<{ rsh: string; spec: string }> {
  if (isLocal(host)) return { rsh: "", spec: "" };
  // An IPv6 address goes in brackets: rsync would split `2001:db8::5:dir` at its first colon.
  const t = splitTarget(host.ssh);
  const name = t.host.includes(":") ? `[${t.host}]` : t.host;
  const spec = t.user ? `${t.user}@${name}` : name;
  const port = t.port ? ["-p", String(t.port)] : [];
  const argv = [...sshCommand(await sshOptionsFor(host, exec)), ...port];
  return { rsh: rsyncWords(argv), spec };
}

/**
 * `argv` as rsync's `-e` splits it back (main.c do_cmd): words apart by spaces, a quoted word
 * whole, and inside single quotes a doubled `'` is one (not the shell's `'\''`). A jump host's
 * ProxyCommand always holds a `'` (`-W '[%h]:%p'`): quoted for a shell, it made every host
 * behind a jump copy by tar.
 */
export function rsyncWords(argv: string[]): string {
  return argv.map((w) => /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "''")}'`).join(
    " ",
  );
}

/**
 * The rsync command line for `request` (`spec` empty for this machine itself,
 * `home` its $HOME, for `~`).
 */
export function rsyncArgv(
  request: CopyRequest,
  rsh: string,
  spec: string,
  excludeFile: string | null,
  home?: string,
): string[] {
  const remote = (path: string) =>
    spec === "" ? localOperand(remotePath(path, home)) : `${spec}:${remotePath(path)}`;
  const sources = request.direction === "push"
    ? request.sources.map(localOperand)
    : request.sources.map(remote);
  const dest = request.direction === "push"
    ? remote(request.dest.replace(/\/*$/, "/"))
    : localOperand(request.dest.replace(/\/*$/, "/"));
  return [
    "rsync",
    "-a",
    // Paths travel inside rsync's protocol, never through a remote shell's word splitting.
    "-s",
    "--stats",
    ...(request.delete ? ["--delete"] : []),
    ...(request.exclude ?? []).map((p) => `--exclude=${p}`),
    ...(excludeFile ? ["--from0", `--exclude-from=${excludeFile}`] : []),
    ...(request.gitignore && request.direction === "push" ? ["--exclude=.git"] : []),
    ...(rsh ? ["-e", rsh] : []),
    "--",
    ...sources,
    dest,
  ];
}

/** The numbers of rsync's --stats: files, regular files sent, and bytes on the wire. */
export function parseRsyncStats(stdout: string, direction: "push" | "pull"): CopyStats {
  const number = (label: string) => {
    const m = new RegExp(`^${label}: ([\\d,.]+)`, "m").exec(stdout);
    return m ? Number(m[1].replace(/[,.]/g, "")) : undefined;
  };
  return {
    files: number("Number of files"),
    transferred: number("Number of regular files transferred"),
    bytes: number(direction === "push" ? "Total bytes sent" : "Total bytes received") ?? 0,
  };
}

/** A path as an rsync rule that matches only it: wildcard characters escaped where rsync reads them. */
export function escapeRule(path: string): string {
  return /[*?[]/.test(path) ? path.replace(/[\\*?[]/g, "\\$&") : path;
}
