/**
 * Runs one child process to its end, whatever happens.
 *
 * A deadline and an interrupt are outcomes, not exceptions: the child is
 * killed (its whole process group, so a local `sh -c 'a | b'` leaves nothing
 * behind), its status is still awaited (no zombies) and its pipes are still
 * drained (no deadlock), then the result says which one happened.
 */

import { EXIT } from "../errors.ts";
import { readLines } from "./lines.ts";

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
  /** Kill after this many milliseconds; outcome "timeout", code 124. */
  timeoutMs: number;
  /** Kill when aborted; outcome "interrupted", code 130. */
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
  /** Own process group, so a kill reaches every descendant. Off for interactive use. */
  ownGroup?: boolean;
  env?: Record<string, string>;
}

/** Seconds between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;
/** After the child is gone, how long a grandchild may keep our pipes open. */
const DRAIN_GRACE_MS = 500;

export async function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: options.input !== undefined ? "piped" : options.stdin ?? "null",
    stdout: options.stdoutInherit ? "inherit" : "piped",
    stderr: "piped",
    detached: options.ownGroup ?? true,
    env: options.env,
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
  const readers: Promise<void>[] = [];
  const streams: ReadableStream<Uint8Array>[] = [];
  if (!options.stdoutInherit) {
    streams.push(child.stdout);
    readers.push(readLines(child.stdout, (line) => {
      stdout += line + "\n";
      options.onStdoutLine?.(line);
    }));
  }
  const [stderrLines, stderrRaw] = child.stderr.tee();
  streams.push(stderrLines, stderrRaw);
  readers.push(readLines(stderrLines, (line) => {
    stderr += line + "\n";
    options.onStderrLine?.(line);
  }));
  readers.push((async () => {
    for await (const chunk of stderrRaw) options.onStderrChunk?.(chunk);
  })());

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
  const deadline = setTimeout(() => kill("timeout"), options.timeoutMs);
  const onAbort = () => kill("interrupted");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort);

  const status = await child.status;
  clearTimeout(deadline);
  options.signal?.removeEventListener("abort", onAbort);
  // A grandchild (a ProxyCommand, a background job of a local command) may
  // still hold the pipes; read what is there, then stop waiting.
  const drained = Promise.allSettled(readers);
  const grace = new Promise((resolve) => setTimeout(resolve, DRAIN_GRACE_MS));
  const graceTimer = await Promise.race([drained.then(() => "drained"), grace]);
  if (graceTimer !== "drained") {
    for (const s of streams) s.cancel().catch(() => {});
    await drained;
  }
  clearTimeout(killTimer);

  const durationMs = Math.round(performance.now() - started);
  if (killedFor === "timeout") {
    return { code: EXIT.timeout, outcome: "timeout", stdout, stderr, durationMs };
  }
  if (killedFor === "interrupted") {
    return { code: EXIT.interrupted, outcome: "interrupted", stdout, stderr, durationMs };
  }
  const code = status.signal ? 128 + signalNumber(status.signal) : status.code;
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

const SIGNALS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function signalNumber(signal: Deno.Signal): number {
  return SIGNALS[signal] ?? 0;
}
