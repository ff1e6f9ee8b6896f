/**
 * The seam between pool and the processes it starts. Verbs, probes and the
 * dispatcher run everything through a Runner; the real one starts ssh (or a
 * local shell for `local`), and tests pass a recording one instead.
 */

import type { Host } from "../roster/host.ts";
import { execOnHost, type ExecOptions, hostArgv, type HostResult } from "./exec.ts";
import type { MuxSettings } from "./multiplex.ts";
import { copyOnHost, type CopyOptions, type CopyRequest, type CopyResult } from "./transfer.ts";
import { type ResolvedTarget, resolveTarget } from "./ssh.ts";

/** What a caller may ask of one run; connection sharing is the runner's business. */
export type RunOptions = Omit<ExecOptions, "mux"> & {
  /** A connection of its own, not the shared one (whose master would do this run's terminal I/O). */
  unshared?: boolean;
};

export interface Runner {
  /** Runs `command` on `host` (null: a login shell); a failure is a result, never a throw. */
  exec(host: Host, command: string | null, options: RunOptions): Promise<HostResult>;
  /**
   * What ssh would connect to for `target` after reading its config (`ssh -G`,
   * no connection): pool's own, or `config` (a path) where given. A stop (`signal`) ends the
   * `ssh -G` at once: null.
   */
  resolve(target: string, config?: string, signal?: AbortSignal): Promise<ResolvedTarget | null>;
  /** The argv that would run `command` on `host` (for --dry-run): nothing is started. */
  argv(host: Host, command: string, options: RunOptions): Promise<string[]>;
  /** Copies files to or from `host` (rsync, else tar over ssh); a failure is a result, never a throw. */
  copy(host: Host, request: CopyRequest, options: Omit<CopyOptions, "mux">): Promise<CopyResult>;
}

/** The real runner: OpenSSH, sharing connections as `mux` says. */
export function sshRunner(mux?: MuxSettings): Runner {
  return {
    exec: (host, command, { unshared, ...options }) =>
      execOnHost(host, command, {
        ...options,
        mux: unshared && mux ? { ...mux, persistSeconds: 0 } : mux,
      }),
    resolve: (target, config, signal) =>
      config === undefined
        ? resolveTarget(target, mux?.sshConfig, mux?.resolveCache, signal)
        : resolveTarget(target, config, undefined, signal),
    argv: (host, command, options) => hostArgv(host, command, { ...options, mux }),
    copy: (host, request, options) => copyOnHost(host, request, { ...options, mux }),
  };
}
