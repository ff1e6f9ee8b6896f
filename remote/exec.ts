/**
 * Runs a command on a host: through ssh, or directly for the implicit
 * `local` host. Turns ssh's own failure (exit 255 with ssh's words on stderr)
 * into the outcome "unreachable" with a short reason.
 */

import { EXIT } from "../exit.ts";
import { type Host, isLocal } from "../roster/host.ts";
import {
  OutOfLocalResources,
  type ProcessOptions,
  type ProcessResult,
  runProcess,
} from "./process.ts";
import { muxOptions, type MuxSettings } from "./multiplex.ts";
import {
  DEFAULT_CONNECT_TIMEOUT,
  resolveTarget,
  sshArgv,
  sshFailureReason,
  type SshOptions,
} from "./ssh.ts";
import { loginShells } from "./login_shells.ts";
import { shQuote } from "./quote.ts";
import { remoteScript, withoutComments } from "./scripts.ts";

/**
 * What ssh itself says when it goes on over a connection of its own, harmless
 * and not the remote command's output: two commands raced to become a host's
 * master and this one lost, or the master's sshd refused it a session (a host
 * with `MaxSessions 1` while another command holds the master).
 */
const SSH_CHATTER =
  /^(ControlSocket .* already exists, disabling multiplexing|mux_client_request_session: session request failed: .*)$/;

export interface HostResult extends ProcessResult {
  host: string;
  /** Why ssh could not reach the host (refused, timeout, auth, host key, …). */
  reason?: string;
}

export interface ExecOptions extends ProcessOptions {
  /** A script for the remote `sh -s` (probes, features): fed on stdin, and the command is run as is. */
  payload?: string;
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
  return sshArgv(host.ssh, command, await sshOptionsFor(host, options));
}

/** pool's ssh options for `host`: its deadlines, host-key default and connection sharing. */
export async function sshOptionsFor(host: Host, options: ExecOptions): Promise<SshOptions> {
  const connectTimeout = Math.min(
    options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    Math.max(1, options.timeoutMs / 1000),
  );
  const extra = await muxOptions(options.mux, host.ssh, options.signal);
  return { connectTimeout, tty: options.tty, extra };
}

/**
 * Runs `command` on `host`. A remote command (not a terminal session, not a
 * payload fed on stdin) runs under remote/supervise.sh, so that when pool
 * stops waiting — deadline, signal, closed stdout, or pool itself killed —
 * the command's whole process tree on the host ends too, and a command killed
 * by a signal is told apart from a connection that failed.
 */
export async function execOnHost(
  host: Host,
  command: string | null,
  options: ExecOptions,
): Promise<HostResult> {
  if (options.payload !== undefined) {
    return await execPlain(host, command, {
      ...options,
      input: ANSWER_ON_ITS_OWN_LINE + options.payload,
    });
  }
  if (isLocal(host) || command === null || options.tty) {
    const result = await execPlain(host, command, options);
    // A local shell's 128+n is signal n, as under the supervisor.
    return isLocal(host) && result.outcome === "failed" && isSignalCode(result.code)
      ? { ...result, outcome: "signalled" }
      : result;
  }
  return await execSupervised(host, command, options);
}

/**
 * Runs `command` under a supervisor: supervise_bash.sh where the login shell
 * is known to be bash, else supervise.sh, whose marker names the login shell
 * (kept per account in the state directory: login_shells.ts). The bash form
 * is turned down, saying so before anything runs, by any other shell; then
 * the command goes again under supervise.sh. So the bash form is used only
 * where a second send can be the same as the first: no stdin of pool's own to
 * pass on, output not written straight through. Nothing is ever sent twice on
 * a guess: a run that says nothing (a forced command runs instead of any
 * supervisor) is the run.
 */
async function execSupervised(
  host: Host,
  command: string,
  options: ExecOptions,
): Promise<HostResult> {
  // When the command reads stdin (the user's, or bytes pool sends), pool stops
  // it by signalling the supervisor; otherwise pool holds the supervisor's stdin.
  const watch = options.stdin !== "inherit" && options.input === undefined;
  // Bytes pool sends and then closes tie the command to pool no longer: guarded, as the user's
  // stdin is (process.ts), so that a pool killed outright leaves no ssh behind.
  if (options.input !== undefined) options = { ...options, guard: true };
  const repeatable = options.stdin !== "inherit" && options.inputStream === undefined &&
    !options.stdoutInherit && options.stdoutSink === undefined;
  const account = repeatable && options.mux
    ? await accountOf(host, options.mux, options.signal)
    : null;
  const shells = loginShells(options.mux?.loginShells);
  if (account !== null && shells.get(account) === "bash") {
    const tried = await supervised(host, command, options, watch, "bash");
    if (tried) {
      // Not a word from the supervisor: supervise.sh asks again next time.
      if (tried.loginShell === null) shells.forget(account);
      return tried.result;
    }
    shells.set(account, "other");
  }
  // Only the bash form is ever refused.
  const plain = (await supervised(host, command, options, watch, "sh"))!;
  if (account !== null && plain.loginShell !== null) {
    if (plain.loginShell !== "bash") shells.set(account, "other");
    // A bash that turned the bash form down is asked again only a day later.
    else if (shells.refusedLongAgo(account)) shells.set(account, "bash");
  }
  return plain.result;
}

/** The account a command runs as (user@host:port), what login_shells.ts is keyed by. */
async function accountOf(
  host: Host,
  mux: MuxSettings,
  signal?: AbortSignal,
): Promise<string | null> {
  const target = await resolveTarget(host.ssh, mux.sshConfig, mux.resolveCache, signal);
  return target && `${target.user}@${target.hostname}:${target.port}`;
}

let shSupervisor: string | undefined;
let bashSupervisor: string | undefined;

/** The remote command line that runs `command` under the supervisor of `form`. */
export function supervisorLine(
  form: "sh" | "bash",
  nonce: string,
  watch: boolean,
  command: string,
): string {
  const mode = watch ? "watch" : "inherit";
  if (form === "bash") {
    bashSupervisor ??= shQuote(withoutComments(remoteScript("supervise_bash")));
    // The script goes through eval: fish parses a whole command line before it runs any
    // of it, and would choke on bash's syntax before its first line could turn it away.
    // The guard reads BASH_VERSION inside an eval, with a default: a bare "$BASH_VERSION" is
    // an error that stopped sh -u (zsh with nounset) and csh before they said they refuse,
    // so their error came back as the command's result; ${…-} is one that fish and csh
    // cannot parse, but inside an eval they fail the test and go on. The refusal is said by
    // sh, not by printf >&2 (csh writes that to a file named 2). csh goes on past it (its
    // exit ends an || list's subshell; in -c, even a plain exit waits for the end of input)
    // through what it can read of the next lines, which never reaches COMMAND: it is in
    // `set --`, which csh cannot read, and bash's syntax.
    return [
      `eval 'test -n "\${BASH_VERSION-}"' || sh -c 'echo @@pool-${nonce} refused >&2; exit 1' || exit 97`,
      `set -- ${[nonce, mode, command].map(shQuote).join(" ")}`,
      `eval ${bashSupervisor}`,
    ].join("\n");
  }
  shSupervisor ??= withoutComments(remoteScript("supervise"));
  return ["sh", "-c", shSupervisor, "pool-supervise", nonce, mode, command].map(shQuote).join(" ");
}

/**
 * One supervised run; null when the bash form was turned down (its shell said
 * so: "@@pool-NONCE refused"), so nothing ran. The bash form holds back what
 * comes before the supervisor's marker (rc-file output, a refusing shell's
 * words) until the marker shows that the supervisor runs.
 */
async function supervised(
  host: Host,
  command: string,
  options: ExecOptions,
  watch: boolean,
  form: "sh" | "bash",
): Promise<{ result: HostResult; loginShell: string | null } | null> {
  const nonce = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  let pid: number | null = null;
  let refused = false;
  /** The supervisor's last word, "@@pool-NONCE exit N": the command's own status. */
  let exited: number | null = null;
  // The marker: `@@pool-NONCE PID LOGIN-SHELL` (supervise.sh names it; the bash form is bash).
  let loginShell: string | null = null;
  const held: (() => void)[] | null = form === "bash" ? [] : null;
  const release = () => {
    held?.splice(0).forEach((show) => show());
  };
  const hold = <T>(pass?: (value: T) => void) =>
    pass && held ? (value: T) => (pid === null ? held.push(() => pass(value)) : pass(value)) : pass;
  const result = await execPlain(host, supervisorLine(form, nonce, watch, command), {
    ...options,
    onStdoutChunk: hold(options.onStdoutChunk),
    onStdoutLine: hold(options.onStdoutLine),
    onStderrChunk: hold(options.onStderrChunk),
    onStderrLine: hold(options.onStderrLine),
    holdStdin: watch,
    marker: {
      prefix: `@@pool-${nonce} `,
      onMarker: (line) => {
        const [, said, shell] = line.split(" ");
        if (said === "refused" && form === "bash") {
          refused = true;
          return;
        }
        if (said === "exit" && pid !== null) {
          exited = Number(shell);
          return;
        }
        pid = Number(said) || null;
        loginShell = form === "bash" ? "bash" : shell ?? "";
        release();
      },
    },
    softStop: (closeStdin) => {
      if (pid === null) return false; // nothing started there yet: just end our ssh
      if (watch) closeStdin();
      else {
        execPlain(host, `kill -TERM ${pid}`, {
          timeoutMs: 5000,
          mux: options.mux,
          outlivesPool: true,
        }).catch(() => {});
      }
      return true;
    },
  });
  if (refused) return null;
  release();
  return { result: settle(result, pid !== null, exited === result.code), loginShell };
}

/**
 * What a supervised run's exit means, once it is known whether the command
 * started, and whether the supervisor said its status (`saidSo`): then the
 * code is the command's, a 255 too (a nested ssh that lost its own host).
 */
function settle(result: HostResult, started: boolean, saidSo: boolean): HostResult {
  if (!started || result.outcome !== "failed" && result.outcome !== "unreachable") {
    return result;
  }
  if (saidSo) {
    const outcome = isSignalCode(result.code) ? "signalled" : "failed";
    return { ...result, outcome, reason: undefined };
  }
  // No last word, and ssh's 255: the connection broke under the command (ssh may say how;
  // a shared connection's client often says nothing), or the supervisor itself was killed.
  if (result.code === EXIT.unreachable) {
    const why = connectionLost(result.stderr);
    return {
      ...result,
      outcome: "unreachable",
      reason: `connection lost${why ? ` (${why})` : ""}`,
    };
  }
  // The supervisor exits 128+n when signal n killed the command.
  if (isSignalCode(result.code)) return { ...result, outcome: "signalled" };
  return result;
}

/** 128+n for a signal n: what a shell says when signal n killed its command. */
function isSignalCode(code: number): boolean {
  return code > 128 && code <= 128 + 64;
}

/**
 * What ssh itself says, each on a line of its own, when an established
 * connection goes away: whole lines, so that a command's own words ("curl:
 * (56) Recv failure: Connection reset by peer") never make its exit 255 a
 * lost connection.
 */
/** Why the connection went away, when ssh's own last words say so; null otherwise. */
export function connectionLost(stderr: string): string | null {
  const lost = CONNECTION_LOST.exec(lastLines(stderr, 3));
  return lost?.slice(1).find((part) => part !== undefined) ?? null;
}

const CONNECTION_LOST = new RegExp(
  "^(?:Connection to \\S+ (closed by remote host)\\.|Timeout, server \\S+ (not responding)\\." +
    "|(client_loop: send disconnect): .*|(?:ssh_dispatch_run_fatal|packet_write_wait): " +
    "Connection to .*: (.+)|Read from remote host \\S+: (.+))\\r?$",
  "m",
);

/**
 * Put before every payload: its answer starts on a line of its own. A login
 * shell's rc file that prints without a newline (an xterm title, common in
 * ~/.bashrc) would otherwise glue its text onto the answer's first line, and
 * the parsers, which read whole lines, would find no answer at all.
 */
const ANSWER_ON_ITS_OWN_LINE = "echo\n";

/**
 * Runs without the supervisor: for a payload on stdin, or a command whose
 * end follows the connection's anyway (a tar reading from it or writing to it).
 */
export async function execPlain(
  host: Host,
  command: string | null,
  options: ExecOptions,
): Promise<HostResult> {
  let result: ProcessResult;
  let started = false;
  try {
    result = await runProcess(await hostArgv(host, command, options), {
      ...options,
      ignoreStderr: SSH_CHATTER,
      onSpawn: (pid) => {
        started = true;
        options.onSpawn?.(pid);
      },
    });
  } catch (e) {
    // Could not even start the child (no ssh binary, no such shell), or not here and now (out
    // of file descriptors or processes: this host failed, said why, but it is not down). Once it
    // ran, a throw is pool's own failure: the host answered, and is not called down for it.
    const message = (e as Error).message;
    const here = e instanceof OutOfLocalResources || started;
    return {
      host: host.name,
      code: here ? EXIT.failure : EXIT.unreachable,
      outcome: here ? "failed" : "unreachable",
      stdout: "",
      stderr: message + "\n",
      stdoutBytes: new Uint8Array(0),
      stderrBytes: new TextEncoder().encode(message + "\n"),
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
