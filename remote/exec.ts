/**
 * Runs a command on a host: through ssh, or directly for the implicit
 * `local` host. Turns ssh's own failure (exit 255 with ssh's words on stderr)
 * into the outcome "unreachable" with a short reason.
 */

import { EXIT } from "../errors.ts";
import { type Host, isLocal } from "../roster/host.ts";
import { type ProcessOptions, type ProcessResult, runProcess } from "./process.ts";
import { muxOptions, type MuxSettings } from "./multiplex.ts";
import { DEFAULT_CONNECT_TIMEOUT, sshArgv, sshFailureReason } from "./ssh.ts";

/**
 * What ssh itself says when two commands race to become a host's master: the
 * loser just connects directly. Harmless, and not the remote command's output.
 */
const SSH_CHATTER = /^ControlSocket .* already exists, disabling multiplexing$/;

export interface HostResult extends ProcessResult {
  host: string;
  /** Why ssh could not reach the host (refused, timeout, auth, host key, …). */
  reason?: string;
}

export interface ExecOptions extends ProcessOptions {
  tty?: boolean;
  connectTimeout?: number;
  /** Share connections through a ControlMaster; absent = a fresh connection every time. */
  mux?: MuxSettings;
}

/** The argv that runs `command` on `host`; `null` opens a login shell. */
export async function hostArgv(
  host: Host,
  command: string | null,
  options: ExecOptions,
): Promise<string[]> {
  if (isLocal(host)) {
    const shell = Deno.env.get("SHELL") || "/bin/sh";
    return command === null ? [shell, "-l"] : [shell, "-c", command];
  }
  const connectTimeout = Math.min(
    options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    Math.max(1, options.timeoutMs / 1000),
  );
  const extra = await muxOptions(options.mux, host.ssh);
  return sshArgv(host.ssh, command, { connectTimeout, tty: options.tty, extra });
}

export async function execOnHost(
  host: Host,
  command: string | null,
  options: ExecOptions,
): Promise<HostResult> {
  let result: ProcessResult;
  try {
    result = await runProcess(await hostArgv(host, command, options), {
      ...options,
      ignoreStderr: SSH_CHATTER,
    });
  } catch (e) {
    // Could not even start the child (no ssh binary, no such shell).
    const message = (e as Error).message;
    return {
      host: host.name,
      code: EXIT.unreachable,
      outcome: "unreachable",
      stdout: "",
      stderr: message + "\n",
      durationMs: 0,
      reason: message,
    };
  }
  if (result.code === EXIT.unreachable && !isLocal(host)) {
    const reason = sshFailureReason(lastLines(result.stderr, 3));
    if (reason) return { ...result, host: host.name, outcome: "unreachable", reason };
  }
  return { ...result, host: host.name };
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** Why a host gave no answer, in a word or two: ssh's reason, "timeout", or the exit code. */
export function failureReason(result: HostResult): string {
  return result.reason ?? (result.outcome === "timeout" ? "timeout" : `exit ${result.code}`);
}
