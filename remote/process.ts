/**
 * Runs one child process to its end, whatever happens.
 *
 * A deadline and an interrupt are outcomes, not exceptions: the child is
 * killed (its whole process group, so a local `sh -c 'a | b'` leaves nothing
 * behind), its status is still awaited (no zombies) and its pipes are still
 * drained (no deadlock), then the result says which one happened.
 */

import { abortCode, EXIT, signalledCode } from "../exit.ts";
import { LineSplitter } from "./lines.ts";

export type Outcome = "ok" | "failed" | "timeout" | "interrupted" | "unreachable";

export interface ProcessResult {
  /** Exit code: the child's own, 128+signal when signalled, 124 timed out, 130 interrupted. */
  code: number;
  outcome: Outcome;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ProcessOptions {
  /** Kill after this many milliseconds (Infinity: never); outcome "timeout", code 124. */
  timeoutMs: number;
  /** Kill when aborted; outcome "interrupted", code 128 + the signal that stopped pool (130 for SIGINT). */
  signal?: AbortSignal;
  /** "inherit" only for a single foreground command; fan-outs never share the terminal. */
  stdin?: "null" | "inherit";
  /** Text fed to the child's stdin, then closed (a payload for `sh -s`). Overrides `stdin`. */
  input?: string;
  /** Write stdout straight through (single-host mode) instead of reading it. */
  stdoutInherit?: boolean;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Raw stderr chunks, for passing a foreground command's stderr through unchanged. */
  onStderrChunk?: (chunk: Uint8Array) => void;
  /** stderr lines that are the transport's chatter, not the command's: dropped everywhere. */
  ignoreStderr?: RegExp;
  /** Own process group, so a kill reaches every descendant. Off for interactive use. */
  ownGroup?: boolean;
}

/** Between SIGTERM and SIGKILL: time for ssh to say goodbye. */
const KILL_GRACE_MS = 2000;
/** Once the child is gone: how long a pipe may stay silent before we stop reading it. */
const QUIET_AFTER_EXIT_MS = 50;

export async function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: options.input !== undefined ? "piped" : options.stdin ?? "null",
    stdout: options.stdoutInherit ? "inherit" : "piped",
    stderr: "piped",
    detached: options.ownGroup ?? true,
  }).spawn();

  if (options.input !== undefined) {
    const writer = child.stdin.getWriter();
    // A child that exits without reading its stdin makes this fail: that is its answer, not ours.
    writer.write(new TextEncoder().encode(options.input)).then(() => writer.close()).catch(
      () => {},
    );
  }

  let stdout = "";
  let stderr = "";
  const pumps: Pump[] = [];
  if (!options.stdoutInherit) {
    const lines = new LineSplitter((line) => {
      stdout += line + "\n";
      options.onStdoutLine?.(line);
    });
    pumps.push(pump(child.stdout, (chunk) => lines.push(chunk), () => lines.end()));
  }
  const ignored = (line: string) => options.ignoreStderr?.test(line) ?? false;
  const stderrLines = new LineSplitter((line) => {
    if (ignored(line)) return;
    stderr += line + "\n";
    options.onStderrLine?.(line);
  });
  pumps.push(pump(child.stderr, (chunk) => {
    // ssh writes its own messages in one write each, so a whole chunk is one of them or none.
    if (options.onStderrChunk && !ignored(new TextDecoder().decode(chunk).replace(/\r?\n$/, ""))) {
      options.onStderrChunk(chunk);
    }
    stderrLines.push(chunk);
  }, () => stderrLines.end()));

  let killedFor: "timeout" | "interrupted" | null = null;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const kill = (why: "timeout" | "interrupted") => {
    if (killedFor) return;
    killedFor = why;
    signalChild(child, options.ownGroup ?? true, "SIGTERM");
    killTimer = setTimeout(
      () => signalChild(child, options.ownGroup ?? true, "SIGKILL"),
      KILL_GRACE_MS,
    );
  };
  // An infinite deadline is no timer at all: setTimeout would wrap it into an instant kill.
  const deadline = Number.isFinite(options.timeoutMs)
    ? setTimeout(() => kill("timeout"), options.timeoutMs)
    : undefined;
  const onAbort = () => kill("interrupted");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort);

  const status = await child.status;
  clearTimeout(deadline);
  options.signal?.removeEventListener("abort", onAbort);
  // What the child wrote is in the pipes now, but they may never close: an
  // ssh ControlPersist master it forked keeps stderr, and so may a local
  // background job. Read until the pipes go quiet, then stop waiting.
  await Promise.all(pumps.map((p) => p.drain()));
  clearTimeout(killTimer);

  const durationMs = Math.round(performance.now() - started);
  if (killedFor === "timeout") {
    return { code: EXIT.timeout, outcome: "timeout", stdout, stderr, durationMs };
  }
  if (killedFor === "interrupted") {
    const code = abortCode(options.signal);
    return { code, outcome: "interrupted", stdout, stderr, durationMs };
  }
  const code = status.signal ? signalledCode(status.signal) : status.code;
  return { code, outcome: code === 0 ? "ok" : "failed", stdout, stderr, durationMs };
}

function signalChild(child: Deno.ChildProcess, group: boolean, signal: Deno.Signal): void {
  try {
    if (group) Deno.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone: nothing to kill.
  }
}

interface Pump {
  /** Call once the child has exited: reads what is buffered, then gives up on a silent pipe. */
  drain(): Promise<void>;
}

/** Reads a pipe chunk by chunk with a reader we can cancel, unlike a `for await`. */
function pump(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: () => void,
): Pump {
  const reader = stream.getReader();
  let markExited: () => void = () => {};
  const exited = new Promise<typeof EXITED>((resolve) => markExited = () => resolve(EXITED));
  let hasExited = false;
  const done = (async () => {
    try {
      for (;;) {
        const next = reader.read();
        const first = hasExited ? EXITED : await Promise.race([next, exited]);
        // After the exit, a read must come quickly or not at all.
        const result = first === EXITED ? await quietOr(next) : first;
        if (result === null) {
          await reader.cancel().catch(() => {});
          break;
        }
        if (result.done) break;
        onChunk(result.value);
      }
    } catch {
      // The pipe broke: what we have is all there is.
    } finally {
      onEnd();
    }
  })();
  return {
    drain: () => {
      hasExited = true;
      markExited();
      return done;
    },
  };
}

const EXITED = Symbol("exited");

/** The read's result, or null if the pipe stays quiet that long. */
async function quietOr<T>(read: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const quiet = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), QUIET_AFTER_EXIT_MS)
  );
  try {
    return await Promise.race([read, quiet]);
  } finally {
    clearTimeout(timer);
  }
}
