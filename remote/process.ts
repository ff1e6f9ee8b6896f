/**
 * Runs one child process to its end, whatever happens.
 *
 * A deadline and an interrupt are outcomes, not exceptions: the child is
 * killed (its whole process group, so a local `sh -c 'a | b'` leaves nothing
 * behind), its status is still awaited (no zombies) and its pipes are still
 * drained (no deadlock), then the result says which one happened.
 */

import { abortCode, EXIT, signalledCode } from "../exit.ts";
import { concatBytes, LogTail } from "../bytes.ts";
import { after, sleep } from "../timers.ts";
import { LineSplitter } from "./lines.ts";
import { remoteScript, withoutComments } from "./scripts.ts";

export type Outcome = "ok" | "failed" | "signalled" | "timeout" | "interrupted" | "unreachable";

export interface ProcessResult {
  /** Exit code: the child's own, 128+n when signal n killed it, 124 timed out, 128+n stopped by pool's signal. */
  code: number;
  outcome: Outcome;
  /**
   * What the child wrote, decoded (invalid UTF-8 replaced); the exact bytes are in *Bytes. Past
   * the longest string V8 can make (512 MiB), the last whole lines that fit (textOf).
   */
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
  stderrBytes: Uint8Array;
  durationMs: number;
  /** Set when pool ended the child for what it did, not for time or a stop (`stdoutLimit`). */
  reason?: string;
  /** The lines of each stream left out before what was kept (`keepLast`, stderr's bound). */
  stdoutOmittedLines?: number;
  stderrOmittedLines?: number;
}

export interface ProcessOptions {
  /** Kill after this many milliseconds (Infinity: never); outcome "timeout", code 124. */
  timeoutMs: number;
  /** Kill when aborted; outcome "interrupted", code 128 + the signal that stopped pool (130 for SIGINT). */
  signal?: AbortSignal;
  /** "inherit" only for a single foreground command; fan-outs never share the terminal. */
  stdin?: "null" | "inherit";
  /** Bytes fed to the child's stdin, then closed (a payload for `sh -s`, or `--stdin`). Overrides `stdin`. */
  input?: string | Uint8Array;
  /** A stream piped into the child's stdin (a tar archive on its way to a host). Overrides `stdin`. */
  inputStream?: ReadableStream<Uint8Array>;
  /** Where stdout goes instead of being kept (a tar archive on its way to a local tar). */
  stdoutSink?: WritableStream<Uint8Array>;
  /**
   * Give the child a stdin pipe that stays open, unwritten, until the child
   * exits or is stopped: its end of file tells the far side that pool is gone.
   */
  holdStdin?: boolean;
  /**
   * The most bytes of stdout kept; past them the child is killed and the run
   * fails. A probe's answer is a few kB: a host that floods (a `yes` for an
   * nvidia-smi) must not fill pool's memory.
   */
  stdoutLimit?: number;
  /**
   * Keep only the last whole lines of stdout and of stderr that fit in this
   * many bytes each (the command runs on to its end; a result says how many
   * lines went): for a caller that hands the output on in one piece.
   * Without it stdout is kept whole and stderr's last STDERR_KEPT bytes;
   * Infinity keeps all of both (`--out-dir` writes them to files).
   */
  keepLast?: number;
  /** Write stdout straight through (single-host mode) instead of reading it. */
  stdoutInherit?: boolean;
  /**
   * Stdout chunk by chunk as it is read, instead of kept: `stdout` in the
   * result stays empty (a fan-out prints what it reads and needs no copy).
   */
  onStdoutChunk?: (chunk: Uint8Array) => void;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Raw stderr chunks, for passing a foreground command's stderr through unchanged. */
  onStderrChunk?: (chunk: Uint8Array) => void;
  /** stderr lines that are the transport's chatter, not the command's: dropped everywhere. */
  ignoreStderr?: RegExp;
  /** A stderr line holding this is a message to pool from there on, not output: taken out, handed to `onMarker`. */
  marker?: { prefix: string; onMarker: (line: string) => void };
  /**
   * Asks the child to stop before it is killed (closing its held stdin, or
   * telling the far side); returns false when there is nothing to ask, and the
   * child is killed at once.
   */
  softStop?: (closeStdin: () => void) => boolean;
  /**
   * Told, once the child runs, the local process whose life is the command's (route: it holds
   * the lease too): the child's guard where it has one, which outlives it while the host ends
   * the command after pool was killed outright; else the child itself.
   */
  onSpawn?: (pid: number) => void;
  /** Own process group, so a kill reaches every descendant. Off for interactive use. */
  ownGroup?: boolean;
  /**
   * Asked before each read of the child's output while it runs: a promise
   * holds reading back until it settles (pool's own output is backed up), as a
   * full pipe would hold the child.
   */
  readGate?: () => Promise<void> | undefined;
  /**
   * Left running when pool ends at once (killEveryChild): the `kill` that
   * stops a remote command must still get there.
   */
  outlivesPool?: boolean;
  /**
   * End the child if pool is killed outright, though its stdin is a pipe of pool's: bytes pool
   * writes and closes (`--stdin`), which tie it to pool no longer once sent.
   */
  guard?: boolean;
}

/** SIGKILL for each child still running, but those that outlive pool. */
const killers = new Set<() => void>();

/**
 * Ends every child at once (its whole group): pool is about to exit without
 * waiting (a second Ctrl-C), and its children, in groups of their own, would
 * not get the terminal's signal.
 */
export function killEveryChild(): void {
  killers.forEach((kill) => kill());
}

/**
 * The guarded children (pool's own stdin theirs: they may read the terminal) running in process
 * groups of their own (pgid = pid), which Ctrl-Z does not reach.
 */
const groups = new Set<number>();

/**
 * Ctrl-Z: stops every child's group, as the terminal stopped pool's own. Left running, a
 * one-host ssh went on reading the terminal under the shell's prompt (the shared connection's
 * ssh is in a session of its own: no SIGTTIN), and its output went on over it.
 */
export function suspendChildren(): void {
  signalGroups("SIGSTOP");
}

/** `fg` or `bg` (SIGCONT): the children go on with pool. */
export function resumeChildren(): void {
  signalGroups("SIGCONT");
}

function signalGroups(signal: Deno.Signal): void {
  for (const pgid of groups) {
    try {
      Deno.kill(-pgid, signal);
    } catch { /* ended meanwhile */ }
  }
}

/** Between SIGTERM and SIGKILL: time for ssh to say goodbye. */
const KILL_GRACE_MS = 2000;
/** After a soft stop: time for the far side to end the command (its own TERM → KILL is 2 s). */
const SOFT_STOP_GRACE_MS = 5000;
/** Once the child is gone: how long a pipe may stay silent before we stop reading it. */
const QUIET_AFTER_EXIT_MS = 50;
/**
 * The most of stderr kept, its last whole lines, unless `keepLast` says otherwise: what reasons
 * and messages are made of (ssh's last words, a tool's error). Passed on (onStderrChunk), stderr
 * still goes whole; kept whole, a chatty command's log filled pool's memory and, past V8's longest
 * string, failed a command that had exited 0.
 */
export const STDERR_KEPT = 64 * 1024;
/**
 * How long a chunk may be and still be the transport's chatter (`ignoreStderr`): ssh says each of
 * its messages in one short write, and reading a command's flood to find one cost a copy a chunk.
 */
const CHATTER_MAX = 1024;

export async function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const piped = options.input !== undefined || options.holdStdin;
  const child = await spawn(
    argv,
    {
      stdin: piped || options.inputStream ? "piped" : options.stdin ?? "null",
      stdout: options.stdoutInherit ? "inherit" : "piped",
      stderr: "piped",
    },
    options.ownGroup ?? true,
    options.signal,
    options.timeoutMs,
  );

  const ownGroup = options.ownGroup ?? true;
  const guard = unheld(options) ? guardChild(child.pid, ownGroup) : null;
  // Stopped with pool only where a guard would still end it if pool died meanwhile (kill -9 %1):
  // nothing else would ever continue a stopped group of its own. One in pool's group stops with it.
  if (guard && ownGroup) groups.add(child.pid);
  options.onSpawn?.(guard?.pid ?? child.pid);
  let closeStdin = () => {};
  // A child that stops reading breaks the pipe: the source is cancelled, which ends its writer.
  options.inputStream?.pipeTo(child.stdin).catch(() => {});
  if (piped) {
    const writer = child.stdin.getWriter();
    let closed = false;
    closeStdin = () => {
      if (closed) return;
      closed = true;
      writer.close().catch(() => {});
    };
    if (options.input !== undefined) {
      // A child that exits without reading its stdin makes this fail: that is its answer, not ours.
      const bytes = typeof options.input === "string"
        ? new TextEncoder().encode(options.input)
        : options.input;
      writer.write(bytes).then(closeStdin).catch(() => {});
    }
  }

  // Once pool is told to stop, nothing more of the output will be shown: reading
  // it only keeps the pipes flowing so the child can die, not parsing a flood.
  let discarding = false;
  const gate = options.readGate && (() => discarding ? undefined : options.readGate!());
  const stdout = collector(options.keepLast);
  const stderr = collector(options.keepLast ?? STDERR_KEPT);
  const pumps: Pump[] = [];
  // Streamed elsewhere: read to its end (ssh's stdout is never held by a ControlPersist master).
  const sinkStop = new AbortController();
  const sinking = options.stdoutSink && !options.stdoutInherit
    ? child.stdout.pipeTo(options.stdoutSink, { signal: sinkStop.signal }).catch(() => {})
    : null;
  if (!options.stdoutInherit && !sinking) {
    // Lines are cut only for a caller that listens for them: a caller that keeps
    // the bytes (`on --json`) or prints whole chunks pays nothing per line.
    const onLine = options.onStdoutLine;
    const lines = onLine ? new LineSplitter(onLine) : null;
    const limit = options.stdoutLimit ?? Infinity;
    const take = options.onStdoutChunk ?? ((chunk: Uint8Array) => {
      stdout.push(chunk);
      if (stdout.length > limit) kill("overflow");
    });
    pumps.push(pump(
      child.stdout,
      (chunk) => {
        if (discarding) return;
        take(chunk);
        lines?.push(chunk);
      },
      () => lines?.end(),
      gate,
    ));
  }
  const ignored = (line: string) => options.ignoreStderr?.test(line) ?? false;
  const chatter = (chunk: Uint8Array) =>
    options.ignoreStderr !== undefined && chunk.length <= CHATTER_MAX &&
    ignored(new TextDecoder().decode(chunk).replace(/\r?\n$/, ""));
  const onStderrLine = options.onStderrLine;
  const stderrLines = onStderrLine
    ? new LineSplitter((line) => {
      if (!ignored(line)) onStderrLine(line);
    })
    : null;
  const passStderr = (chunk: Uint8Array) => {
    // ssh writes its own messages in one write each, so a whole chunk is one of them or none.
    if (chatter(chunk)) return;
    stderr.push(chunk);
    options.onStderrChunk?.(chunk);
    stderrLines?.push(chunk);
  };
  const markers = options.marker ? new MarkerFilter(options.marker, passStderr) : null;
  pumps.push(
    pump(child.stderr, (chunk) => markers ? markers.push(chunk) : passStderr(chunk), () => {
      markers?.end();
      stderrLines?.end();
    }, gate),
  );

  let killedFor: "timeout" | "interrupted" | "overflow" | null = null;
  const timers: (() => void)[] = [];
  const hardKill = () => {
    signalChild(child, options.ownGroup ?? true, "SIGTERM");
    timers.push(
      after(KILL_GRACE_MS, () => signalChild(child, options.ownGroup ?? true, "SIGKILL")),
    );
  };
  const kill = (why: "timeout" | "interrupted" | "overflow") => {
    if (killedFor) return;
    killedFor = why;
    discarding = why !== "timeout";
    if (options.softStop?.(closeStdin)) timers.push(after(SOFT_STOP_GRACE_MS, hardKill));
    else hardKill();
  };
  // A child that has exited is no timeout, however late pool hears of it: a pool stopped
  // (Ctrl-Z, SIGSTOP) past the deadline finds both ready when it goes on, the deadline's timer
  // first, and took a command that had finished for one it killed (exit 124: a script that
  // retries on it ran the command twice). One turn of the event loop lets a ready status land;
  // a child not yet reaped is a zombie meanwhile, which /proc says at once.
  let exited = false;
  child.status.then(() => exited = true, () => exited = true);
  let cancelLate = () => {};
  // An infinite deadline is no timer at all.
  const cancelDeadline = after(options.timeoutMs, () => {
    if (isZombie(child.pid)) return;
    cancelLate = after(0, () => exited || isZombie(child.pid) || kill("timeout"));
  });
  const onAbort = () => kill("interrupted");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort);

  const killNow = () => signalChild(child, options.ownGroup ?? true, "SIGKILL");
  if (!options.outlivesPool) killers.add(killNow);
  const status = await child.status;
  groups.delete(child.pid);
  await guard?.release();
  killers.delete(killNow);
  cancelDeadline();
  cancelLate();
  options.signal?.removeEventListener("abort", onAbort);
  closeStdin();
  // What the child wrote is in the pipes now, but they may never close: an
  // ssh ControlPersist master it forked keeps stderr, and so may a local
  // background job. Read until the pipes go quiet, then stop waiting.
  await Promise.all(pumps.map((p) => p.drain()));
  // Killed, the rest of the output is wanted nowhere: a sink that stopped
  // taking it (a local tar on a hung disk) must not hold the deadline up, and
  // an aborted pipe still waits for a write in flight. Its owner ends it.
  if (killedFor) sinkStop.abort();
  else await sinking;
  timers.forEach((cancel) => cancel());

  const [stdoutBytes, stderrBytes] = [stdout.bytes(), stderr.bytes()];
  const output = {
    stdout: textOf(stdoutBytes),
    stderr: textOf(stderrBytes),
    stdoutBytes,
    stderrBytes,
    durationMs: Math.round(performance.now() - started),
    ...(stdout.dropped ? { stdoutOmittedLines: stdout.dropped } : {}),
    ...(stderr.dropped ? { stderrOmittedLines: stderr.dropped } : {}),
  };
  if (killedFor === "timeout") return { code: EXIT.timeout, outcome: "timeout", ...output };
  if (killedFor === "overflow") {
    const reason = `answered more than ${options.stdoutLimit} bytes`;
    return { code: EXIT.failure, outcome: "failed", ...output, reason };
  }
  if (killedFor === "interrupted") {
    return { code: abortCode(options.signal), outcome: "interrupted", ...output };
  }
  if (status.signal) return { code: signalledCode(status.signal), outcome: "signalled", ...output };
  return { code: status.code, outcome: status.code === 0 ? "ok" : "failed", ...output };
}

/**
 * Whether nothing of pool's would end the child if pool were killed outright
 * (SIGKILL, the OOM killer): its stdin is the user's, not a pipe pool holds.
 * In a group of its own, away from the terminal's signals, or in pool's own
 * (`on -t`'s ssh): the terminal's group outlives pool, and no signal of the
 * terminal's comes for a pool killed alone.
 */
function unheld(options: ProcessOptions): boolean {
  const userStdin = options.stdin === "inherit" && options.input === undefined &&
    !options.inputStream;
  return (userStdin || options.guard === true) && !options.holdStdin && !options.outlivesPool;
}

/** remote/guard.sh as it runs: comments are for readers of the file, not for every `ps`. */
let guardScript: string | undefined;
const GUARD_SCRIPT = () => guardScript ??= withoutComments(remoteScript("guard"));

/**
 * A guard for such a child: a small sh, in a group of its own too, reading a
 * pipe pool holds and never writes. If pool dies, the pipe ends and the guard
 * ends the child's group (TERM, KILL 2 s later), or the child alone where it has
 * none of its own (`group` false: it is in pool's group, which a pipeline's other
 * commands share, `| tee log`): a local ssh, and with it the remote command (the supervisor,
 * or a pty's sshd, sees its channel go), whose end it then waits out, as the carrier
 * of a route's lease. Released — killed, before the child's number could be anyone
 * else's — when the child ends.
 */
function guardChild(pid: number, group: boolean): { pid: number; release(): Promise<void> } | null {
  let kill = () => {};
  let guard: Deno.ChildProcess;
  try {
    const [program, ...args] = SETSID ? [SETSID, "/bin/sh"] : ["/bin/sh"];
    guard = new Deno.Command(program, {
      args: [...args, "-c", GUARD_SCRIPT(), "pool-guard", String(pid), ...(group ? [] : ["pid"])],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
      detached: !SETSID,
    }).spawn();
  } catch {
    return null; // no guard: the child runs as it would have before there was one
  }
  guard.unref();
  kill = () => {
    try {
      guard.kill("SIGKILL");
    } catch { /* gone already */ }
  };
  // A hard stop (killEveryChild) ends the guard first: the child it guards goes next, by pool's
  // own hand, and a guard left behind would signal that group's number after it had ended.
  killers.add(kill);
  return {
    pid: guard.pid,
    release: async () => {
      killers.delete(kill);
      kill();
      await guard.status;
      await guard.stdin.close().catch(() => {});
    },
  };
}

/** Whether `e` says this process is out of file descriptors (its own limit, or the system's). */
export function isOutOfDescriptors(e: unknown): boolean {
  return /Too many open files|EMFILE|ENFILE/.test(String((e as Error)?.message ?? e));
}

/**
 * What this machine ran out of, by a failed spawn's words: file descriptors, or processes (fork's
 * EAGAIN: `ulimit -u`, a container's pids limit); null for any other failure.
 */
export function localShortage(e: unknown): "descriptors" | "processes" | null {
  if (isOutOfDescriptors(e)) return "descriptors";
  const text = String((e as Error)?.message ?? e);
  return /Resource temporarily unavailable|EAGAIN|os error 11\b/.test(text) ? "processes" : null;
}

/** No descriptor or process came free in time to start a child: this machine's limit, not the host's. */
export class OutOfLocalResources extends Error {
  constructor(program: string, what: "descriptors" | "processes") {
    super(
      what === "descriptors"
        ? `out of file descriptors here: cannot start ${program} (raise ulimit -n)`
        : `out of processes here: cannot start ${program} (raise ulimit -u, or the pids limit)`,
    );
    this.name = "OutOfLocalResources";
  }
}

/** How long a spawn waits for a file descriptor to come free before it gives up. */
const SPAWN_PATIENCE_MS = 60_000;

/** pool's children that run now (started by spawn): while any does, a descriptor may come free. */
let running = 0;
/**
 * With none running, how long a spawn still waits: a burst of pool's own sockets (the
 * control-socket checks) or a child's pipes still draining give theirs back within moments.
 */
const IDLE_PATIENCE_MS = 2000;

/**
 * Starts the child, as the leader of a process group of its own when
 * `ownGroup` (so a kill reaches ssh's own children, a ProxyCommand). Out of
 * file descriptors (EMFILE/ENFILE, e.g. many hosts under a low `ulimit -n`)
 * or processes (EAGAIN: `ulimit -u`, a pids limit) is a reason to wait for a
 * slot, not to fail a host: every child that ends gives its back — for at most
 * `patienceMs` (the child's own deadline) or a minute; with no child of pool's
 * running, for a moment only. Then it throws OutOfLocalResources: the host's
 * failure (said so), not its being down.
 */
export async function spawn(
  argv: string[],
  options: Omit<Deno.CommandOptions, "args" | "detached">,
  ownGroup: boolean,
  signal?: AbortSignal,
  patienceMs = SPAWN_PATIENCE_MS,
): Promise<Deno.ChildProcess> {
  const started = performance.now();
  const giveUp = started + Math.min(patienceMs, SPAWN_PATIENCE_MS);
  for (let pause = 10;; pause = Math.min(pause * 2, 250)) {
    try {
      const [program, ...args] = ownGroup && SETSID
        ? [SETSID, onPath(argv[0]), ...argv.slice(1)]
        : argv;
      const child = new Deno.Command(program, {
        ...options,
        args,
        detached: ownGroup && !SETSID,
      }).spawn();
      running++;
      const ended = () => void running--;
      child.status.then(ended, ended);
      return child;
    } catch (e) {
      const short = localShortage(e);
      if (short === null) throw e;
      const now = performance.now();
      const idle = running === 0 && now > started + IDLE_PATIENCE_MS;
      if (signal?.aborted || now > giveUp || idle) throw new OutOfLocalResources(argv[0], short);
      await sleep(pause);
    }
  }
}

/**
 * The `setsid` program, where there is one (Linux: util-linux or BusyBox).
 * Deno's `detached` makes the group too, but by calling setsid() between fork
 * and exec, which forks the whole runtime: measured here, 32 children took
 * 150–400 ms of blocked main thread that way against 60–100 ms through
 * setsid(1), which a plain (vfork) spawn starts. macOS has none: `detached`.
 */
const SETSID = ["/usr/bin/setsid", "/bin/setsid"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}) ?? null;

/**
 * `program` as the exec would find it on PATH, found here so that a missing
 * one fails the spawn (as without setsid) instead of becoming setsid's exit 127.
 */
function onPath(program: string): string {
  if (program.includes("/")) return program;
  const path = findOnPath(program);
  if (path === null) {
    throw new Deno.errors.NotFound(`Failed to spawn '${program}': entity not found`);
  }
  return path;
}

/** What findOnPath found, per program and PATH: ssh is looked for once a run, not once a host. */
const found = new Map<string, string>();

/** The first executable file named `program` in the folders of `path` (a PATH value), as a shell finds it. */
export function findOnPath(program: string, path = Deno.env.get("PATH") ?? ""): string | null {
  const key = `${program}\0${path}`;
  const known = found.get(key);
  if (known !== undefined) return known;
  for (const dir of path.split(":")) {
    const candidate = `${dir || "."}/${program}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) {
        found.set(key, candidate);
        return candidate;
      }
    } catch { /* next */ }
  }
  return null;
}

/** One stream's bytes: all of them, or its last whole lines within a limit. */
interface Kept {
  push(chunk: Uint8Array): void;
  /** Bytes taken so far (all of them, kept or not). */
  length: number;
  bytes(): Uint8Array;
  /** Lines left out (a limit). */
  dropped: number;
}

/** All of a stream (no limit, or Infinity), or its last whole lines that fit in `limit` bytes. */
function collector(limit?: number): Kept {
  const chunks: Uint8Array[] = [];
  const tail = limit === undefined || limit === Infinity ? null : new LogTail(limit);
  let kept: Uint8Array | null = null;
  const self: Kept = {
    length: 0,
    dropped: 0,
    push(chunk) {
      self.length += chunk.length;
      if (tail) tail.push(chunk);
      else chunks.push(chunk);
    },
    bytes() {
      if (kept) return kept;
      kept = tail ? tail.bytes() : concatBytes(chunks);
      self.dropped = tail?.dropped ?? 0;
      return kept;
    },
  };
  return self;
}

/** The longest string V8 makes, in UTF-16 units; decoding more bytes may fail. */
const LONGEST_TEXT = 2 ** 29 - 24;

/**
 * `bytes` as text (invalid UTF-8 replaced); past the longest string there can be, the text of
 * their last whole lines that fit: a command that wrote more than that keeps its exit code (and
 * its bytes), where the decoding threw and the run read as a lost connection.
 */
export function textOf(bytes: Uint8Array, longest = LONGEST_TEXT): string {
  if (bytes.length <= longest) return new TextDecoder().decode(bytes);
  // Each byte decodes to at most one unit: this many bytes always fit.
  const tail = new LogTail(longest);
  tail.push(bytes);
  return new TextDecoder().decode(tail.bytes());
}

/**
 * Takes pool's own marker out of a stream. Until it has been seen the stream
 * is cut into lines (a login shell may print before it, even on the marker's
 * own line: a `printf` in ~/.bashrc with no newline); after it, chunks pass
 * through untouched, byte for byte.
 */
class MarkerFilter {
  #seen = false;
  #pending = new Uint8Array(0);
  #prefix: Uint8Array;

  constructor(
    private readonly marker: { prefix: string; onMarker: (line: string) => void },
    private readonly pass: (chunk: Uint8Array) => void,
  ) {
    this.#prefix = new TextEncoder().encode(marker.prefix);
  }

  push(chunk: Uint8Array): void {
    if (this.#seen) return this.#after(chunk);
    const buffer = concatBytes([this.#pending, chunk]);
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      if (buffer[i] !== 0x0a) continue;
      const line = buffer.subarray(start, i + 1);
      start = i + 1;
      const at = indexOf(line, this.#prefix);
      if (at !== -1) {
        this.#seen = true;
        if (at > 0) this.pass(line.slice(0, at));
        this.marker.onMarker(new TextDecoder().decode(line.subarray(at)).trimEnd());
        this.#pending = new Uint8Array(0);
        if (start < buffer.length) this.#after(buffer.slice(start));
        return;
      }
      this.pass(line.slice());
    }
    this.#pending = buffer.slice(start);
  }

  /**
   * After the first marker, chunks pass through as they come, but for a later
   * marker line (the supervisor's last word), taken out wherever it starts.
   * Bytes that may begin one are held until the next chunk says.
   */
  #after(chunk: Uint8Array): void {
    let buffer = this.#pending.length > 0 ? concatBytes([this.#pending, chunk]) : chunk;
    this.#pending = new Uint8Array(0);
    for (;;) {
      const at = indexOf(buffer, this.#prefix);
      if (at === -1) break;
      const newline = buffer.indexOf(0x0a, at);
      if (newline === -1) {
        if (at > 0) this.pass(buffer.slice(0, at));
        this.#pending = buffer.slice(at);
        return;
      }
      if (at > 0) this.pass(buffer.slice(0, at));
      this.marker.onMarker(new TextDecoder().decode(buffer.subarray(at, newline)).trimEnd());
      buffer = buffer.subarray(newline + 1);
    }
    const held = partialAtEnd(buffer, this.#prefix);
    if (held === 0) return buffer.length > 0 ? this.pass(buffer) : undefined;
    if (buffer.length > held) this.pass(buffer.slice(0, buffer.length - held));
    this.#pending = buffer.slice(buffer.length - held);
  }

  end(): void {
    if (this.#pending.length > 0) this.pass(this.#pending);
    this.#pending = new Uint8Array(0);
  }
}

/** How many bytes at the end of `bytes` are the start of `prefix` (it may go on in the next chunk). */
function partialAtEnd(bytes: Uint8Array, prefix: Uint8Array): number {
  for (let n = Math.min(prefix.length - 1, bytes.length); n > 0; n--) {
    let match = true;
    for (let i = 0; i < n && match; i++) match = bytes[bytes.length - n + i] === prefix[i];
    if (match) return n;
  }
  return 0;
}

/** Where `part` first occurs in `bytes`, or -1. */
function indexOf(bytes: Uint8Array, part: Uint8Array): number {
  const first = part[0];
  for (let at = bytes.indexOf(first); at !== -1; at = bytes.indexOf(first, at + 1)) {
    if (at + part.length > bytes.length) return -1;
    if (part.every((b, i) => bytes[at + i] === b)) return at;
  }
  return -1;
}

/** Whether our child `pid` has exited and waits to be reaped (Linux's /proc; elsewhere, never known). */
function isZombie(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat[stat.lastIndexOf(") ") + 2] === "Z";
  } catch {
    return false; // reaped (its status is on its way), or no /proc
  }
}

function signalChild(child: Deno.ChildProcess, group: boolean, signal: Deno.Signal): void {
  try {
    if (group) Deno.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // No such group yet: a stop that came as the child started (one already given, a Ctrl-C
    // then) finds it before its first act, setsid. It has started nothing, so it alone gets the
    // signal; missed, it lived out the 2 s until the KILL. Else it is gone already.
    if (!group) return;
    try {
      child.kill(signal);
    } catch { /* gone */ }
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
  gate?: () => Promise<void> | undefined,
): Pump {
  const reader = stream.getReader();
  // A fresh promise for each wait, woken by the child's exit: racing every read against one
  // long-lived promise would leave a reaction on it per read, each holding its chunk, so a
  // command's whole output stayed in memory until it exited (1.6 GB for 1.5 GB of output).
  let wake: (() => void) | null = null;
  const exited = () => new Promise<typeof EXITED>((resolve) => wake = () => resolve(EXITED));
  let hasExited = false;
  const done = (async () => {
    try {
      for (;;) {
        // Held back while the gate says so, but never past the child's exit.
        const wait = hasExited ? undefined : gate?.();
        if (wait) await Promise.race([wait, exited()]);
        wake = null;
        const next = reader.read();
        const first = hasExited ? EXITED : await Promise.race([next, exited()]);
        wake = null;
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
      wake?.();
      return done;
    },
  };
}

const EXITED = Symbol("exited");

/** The read's result, or null if the pipe stays quiet that long. */
async function quietOr<T>(read: Promise<T>): Promise<T | null> {
  let cancel = () => {};
  const quiet = new Promise<null>((resolve) =>
    cancel = after(QUIET_AFTER_EXIT_MS, () => resolve(null))
  );
  try {
    return await Promise.race([read, quiet]);
  } finally {
    cancel();
  }
}
