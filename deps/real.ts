/** The real dependencies, as cli.ts wires them: files under the state directory, OpenSSH, the clock. */

import { join } from "../paths.ts";
import { PoolError, UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import { concatBytes } from "../bytes.ts";
import { after } from "../timers.ts";
import { formatDuration } from "../render/duration.ts";
import type { Output } from "../render/out.ts";
import { sshRunner } from "../remote/runner.ts";
import { type MuxSettings, socketDir } from "../remote/multiplex.ts";
import { ledgerPath } from "../ledger/store.ts";
import { jobIndexPath } from "../ledger/jobs.ts";
import { rosterPath, stateDir } from "../state/dir.ts";
import { lockTimeoutSeconds } from "../state/files.ts";
import { headroomSetting } from "../dispatch_flags.ts";
import {
  type Deps,
  fileJobs,
  fileLedger,
  fileRoster,
  type Stdin,
  type StdinLimits,
  systemClock,
} from "./deps.ts";

const DEFAULT_CONTROL_PERSIST_S = 60;
/** The most seconds ssh's ControlPersist takes: past it, ssh refuses its whole config. */
const MAX_CONTROL_PERSIST_S = 2 ** 31 - 1;

/**
 * How long idle masters are kept: `POOL_CONTROL_PERSIST` seconds (default 60; 0 or "off"
 * turns sharing off). Digits only: Number() would also take 0x10 and 1e3, and a value ssh
 * refuses would make every host read as unreachable.
 */
export function controlPersistSeconds(env: (name: string) => string | undefined): number {
  const raw = (env("POOL_CONTROL_PERSIST") ?? "").trim().toLowerCase();
  if (raw === "") return DEFAULT_CONTROL_PERSIST_S;
  if (["off", "no", "false"].includes(raw)) return 0;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= MAX_CONTROL_PERSIST_S)) {
    throw new UsageError(
      `POOL_CONTROL_PERSIST must be seconds (at most ${MAX_CONTROL_PERSIST_S}) or "off", got "${raw}"`,
    );
  }
  return n;
}

/** Connection sharing for this run: sockets under the state directory (or a short stand-in). */
function muxSettings(env: (name: string) => string | undefined, out: Output): MuxSettings {
  const state = stateDir(rosterPath(env));
  return {
    ...socketDir(state, env("TMPDIR") || "/tmp", Deno.uid() ?? 0),
    warn: (message) => out.warn(message),
    persistSeconds: controlPersistSeconds(env),
    sshConfig: env("POOL_SSH_CONFIG"),
    resolveCache: join(state, "ssh-resolve-cache.json"),
    loginShells: join(state, "login-shells.json"),
  };
}

/**
 * Every POOL_* setting that has a form, read once before any verb acts: a bad one found
 * where it is used would come after the work had started (`POOL_LOCK_TIMEOUT=abc pool bg`
 * started the job, then warned). POOL_STATE and POOL_SSH_CONFIG are paths, any text.
 */
export function checkSettings(env: (name: string) => string | undefined): void {
  lockTimeoutSeconds();
  controlPersistSeconds(env);
  headroomSetting(env);
}

const processStdin: Stdin = {
  kind() {
    if (Deno.stdin.isTerminal()) return "terminal";
    try {
      // Not node:fs's fstat: loading node:fs costs ~30 ms at every start. /dev/stdin is fd 0.
      const stat = Deno.statSync("/dev/stdin");
      if (stat.isFile) return "file";
      if (stat.isFifo || stat.isSocket) return "pipe";
      return stat.isCharDevice && stat.rdev === Deno.statSync("/dev/null").rdev ? "none" : "other";
    } catch {
      return "other";
    }
  },
  readAll: (limits) => readBounded(Deno.stdin.readable, limits),
};

/**
 * A whole stream, within a size and a time: `--stdin` keeps all of stdin before any
 * host starts, so `< /dev/zero` would fill memory and a pipe that never closes would
 * hold pool past its --timeout.
 */
/** A limit as the README states it: `256 MiB`, not the same number in decimal units. */
function inMiB(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

async function readBounded(
  stream: ReadableStream<Uint8Array>,
  { maxBytes, timeoutMs, signal }: StdinLimits,
): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  let timedOut = false;
  const stop = () => void reader.cancel().catch(() => {});
  const cancelTimer = after(timeoutMs, () => {
    timedOut = true;
    stop();
  });
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.length;
      if (size > maxBytes) {
        throw new PoolError(
          `stdin is over ${inMiB(maxBytes)}: --stdin keeps all of it, to send to each host`,
        );
      }
      chunks.push(r.value);
    }
  } finally {
    cancelTimer();
    signal.removeEventListener("abort", stop);
    stop();
  }
  if (signal.aborted) return null;
  if (timedOut) {
    throw new PoolError(
      `stdin did not end within ${
        formatDuration(timeoutMs)
      }: --stdin reads it whole before any host starts`,
      EXIT.timeout,
    );
  }
  return concatBytes(chunks);
}

/**
 * The environment variables pool reads: its settings, the paths it uses (state, configs,
 * programs, home, temp) and who runs it. Deno cannot read a value that is not UTF-8 (it throws),
 * and a path read with a byte changed would be another path; refused before any verb acts, as
 * such an argument is (command_line.ts), naming the variable, never its value.
 */
const READ_FROM_ENVIRONMENT = [
  "POOL_STATE",
  "POOL_SSH_CONFIG",
  "POOL_LOCK_TIMEOUT",
  "POOL_CONTROL_PERSIST",
  "POOL_HEADROOM",
  "HOME",
  "TMPDIR",
  "PATH",
  "SHELL",
  "USER",
  "LOGNAME",
];

export function checkEnvironmentText(
  read: (name: string) => string | undefined = (name) => Deno.env.get(name),
): void {
  for (const name of READ_FROM_ENVIRONMENT) {
    try {
      read(name);
    } catch (e) {
      if (!(e instanceof Deno.errors.InvalidData)) throw e;
      throw new UsageError(`${name} is not valid UTF-8: pool cannot use it unchanged`);
    }
  }
}

export function realDeps(out: Output, signal: AbortSignal): Deps {
  const env = (name: string) => Deno.env.get(name);
  checkEnvironmentText();
  checkSettings(env);
  const roster = rosterPath(env);
  return {
    roster: fileRoster(roster, signal),
    ledger: fileLedger(ledgerPath(stateDir(roster))),
    jobs: fileJobs(jobIndexPath(stateDir(roster))),
    // Lazily: a verb that never uses ssh does not pay for its set-up.
    get runner() {
      const runner = sshRunner(muxSettings(env, out));
      Object.defineProperty(this, "runner", { value: runner });
      return runner;
    },
    clock: systemClock,
    stdin: processStdin,
    out,
    signal,
    env,
  };
}
