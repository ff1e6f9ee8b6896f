/**
 * Every byte pool prints goes through an Output: whole writes, one at a time
 * and in order, so lines from concurrent hosts never interleave mid-line, and
 * stdout's and stderr's lines keep their order when both go to one pipe.
 *
 * Writes to the process's stdout and stderr are asynchronous: a reader that
 * stops reading (`pool on all … | less`, left alone) must not stop pool's own
 * clock, so deadlines still fire and Ctrl-C still stops the work. What waits is
 * queued; past HIGH_WATER bytes, `room()` makes the readers of the hosts'
 * output wait too, so a stalled reader holds the hosts back, as a pipe would,
 * instead of filling pool's memory. `flushed()` says when all of it is out.
 *
 * A closed stdout (`pool on all … | head -1`) is not an error but the reader's
 * way of saying "enough": the first failed write stops the run quietly (exit
 * 141, like any pipeline member killed by SIGPIPE). Any other write failure
 * (a full disk, /dev/full, EIO) stops it with one line on stderr and exit 1.
 */

import { concatBytes } from "../bytes.ts";
import { visibleLines } from "./visible.ts";
import { after } from "../timers.ts";

const encoder = new TextEncoder();
const LF = 0x0a;

/** Bytes waiting to be written beyond which the hosts' output is read no further. */
const HIGH_WATER = 1 << 20;

export interface Sink {
  /**
   * Writes all of `bytes` or throws: at once, or by the promise it returns, calling `progress`
   * (if given) each time part of them is taken.
   */
  write(bytes: Uint8Array, progress?: () => void): void | Promise<void>;
  isTerminal(): boolean;
}

/** How a write to stdout failed, passed to `onStdoutFailed`. */
export type StdoutFailure = { closed: true } | { closed: false; message: string };

type Stream = "out" | "err";

interface Pending {
  stream: Stream;
  bytes: Uint8Array;
  /** The write already under way, for the first of a run. */
  started?: Promise<void>;
}

export class Output {
  #stdoutDone = false;
  #wroteStdout = false;
  /** stdout's last byte was not a newline: a host's line is unfinished there. */
  #outOpen = false;
  /** The last bytes passed on to stderr (a host's) did not end their line. */
  #errOpen = false;
  /** Whether stdout and stderr are one file, once a message needed to know. */
  #sameTarget: boolean | undefined;
  #queue: Pending[] = [];
  #queued = 0;
  #writing: Promise<void> | null = null;
  #waiting: (() => void)[] = [];
  /** Set by `stopWaitingForStalled`: how long a write may take nothing before it is given up. */
  #stallMs: number | undefined;
  #cancelStall = () => {};
  /** The write under way: its stream, and how to stop waiting for it. */
  #inFlight: { stream: Stream; giveUp: () => void } | null = null;
  /** Streams whose reader took nothing for #stallMs after a stop: what is left for them goes. */
  #abandoned = { out: false, err: false };
  /** A write took part of its bytes: the reader is there, its stall clock starts again. */
  #progress = () => this.#armStall();
  /** Called once, on the first failed write to stdout. */
  onStdoutFailed: (failure: StdoutFailure) => void = () => {};

  constructor(
    readonly stdout: Sink,
    readonly stderr: Sink,
    readonly env: (name: string) => string | undefined = () => undefined,
    /** Whether stdout and stderr reach one file (`2>&1`, one terminal); asked at most once. */
    private readonly oneTarget: () => boolean = () => false,
  ) {}

  /** Whether stdout still takes writes. */
  get stdoutOpen(): boolean {
    return !this.#stdoutDone;
  }

  /** Whether anything was written to stdout (or is on its way). */
  get wroteStdout(): boolean {
    return this.#wroteStdout;
  }

  outBytes(bytes: Uint8Array): void {
    if (this.#stdoutDone || this.#abandoned.out) return;
    if (bytes.length > 0) {
      this.#wroteStdout = true;
      this.#outOpen = bytes[bytes.length - 1] !== LF;
    }
    this.#write("out", bytes);
  }

  out(text: string): void {
    this.outBytes(encoder.encode(text));
  }

  outLine(line = ""): void {
    this.out(line + "\n");
  }

  /** A command's stderr, passed on as it came. */
  errBytes(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#errOpen = bytes[bytes.length - 1] !== LF;
    this.#write("err", bytes);
  }

  /** pool's own text on stderr (a progress line keeps its own place: no newline is added). */
  err(text: string): void {
    this.#write("err", encoder.encode(text));
  }

  /**
   * One of pool's own messages: text from a host or the roster in it acts on nothing
   * (visible.ts). It starts a line of its own: after a command's last line with no newline
   * (`printf partial` timed out) it was read as the end of that line, `partialpool: h1: timed
   * out…`, by a script that reads the two streams merged (`2>&1`), and on stderr alone.
   */
  errLine(line = ""): void {
    const open = this.#errOpen || (this.#outOpen && this.#oneTarget());
    this.#errOpen = false;
    if (open) this.#outOpen = false;
    this.err((open ? "\n" : "") + visibleLines(line) + "\n");
  }

  #oneTarget(): boolean {
    return this.#sameTarget ??= this.oneTarget();
  }

  warn(message: string): void {
    this.errLine(`pool: warning: ${message}`);
  }

  /** Colour only on a terminal that takes it, and never with NO_COLOR (https://no-color.org). */
  get color(): boolean {
    return this.drawsOn("out") && !this.env("NO_COLOR");
  }

  /**
   * Whether `stream` is a terminal that takes escape sequences: `TERM=dumb` (Emacs's shell, some
   * CI consoles) says it shows them as they are.
   */
  drawsOn(stream: Stream): boolean {
    return this.#sink(stream).isTerminal() && this.env("TERM") !== "dumb";
  }

  /**
   * After a stop by signal: a reader gets all it takes, but a write it leaves untaken for `ms`
   * (not one byte of it) is given up, with all that is still queued for that stream. A harness
   * that stopped reading and then sent SIGTERM (its own timeout) wants pool gone: waiting on that
   * reader held the hosts' output, so the work's end and the lease's release, and then pool
   * itself, until the hard stop 10 s on, after the harness's SIGKILL. A pipeline member killed by
   * the signal would lose its unwritten output the same way. Only a write under way is timed: a
   * stop with nothing to print for a while, or a slow reader that still takes bytes, loses
   * nothing. stdout given up is not stdout closed: the summary still goes to stderr.
   */
  stopWaitingForStalled(ms: number): void {
    if (this.#stallMs !== undefined) return;
    this.#stallMs = ms;
    this.#armStall();
  }

  #armStall(): void {
    this.#cancelStall();
    const flight = this.#inFlight;
    if (this.#stallMs === undefined || flight === null) return;
    this.#cancelStall = after(this.#stallMs, () => this.#abandon(flight));
  }

  #abandon(flight: { stream: Stream; giveUp: () => void }): void {
    this.#abandoned[flight.stream] = true;
    flight.giveUp();
    // What is queued for that stream holds nothing back any more (the write under way, the
    // first entry, is left to #run, which no longer waits for it).
    this.#queue = this.#queue.filter((p, i) => i === 0 || p.stream !== flight.stream);
    this.#queued = this.#queue.reduce((n, p) => n + p.bytes.length, 0);
    this.#waiting.splice(0).forEach((go) => go());
  }

  /** Whether what is written to `stream` now goes nowhere (closed, failed, or given up). */
  #dropped(stream: Stream): boolean {
    return stream === "out" ? this.#stdoutDone || this.#abandoned.out : this.#abandoned.err;
  }

  /** Undefined while there is room for more output, else when there is again. */
  room(): Promise<void> | undefined {
    if (this.#queued <= HIGH_WATER || this.#dropped("out")) return undefined;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** When everything written so far is out (or could not be). */
  async flushed(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #write(stream: Stream, bytes: Uint8Array): void {
    if (this.#dropped(stream)) return;
    if (this.#writing === null) {
      // Nothing in flight: a sink that writes at once (tests) is done here.
      let started: void | Promise<void>;
      try {
        started = this.#sink(stream).write(bytes, this.#progress);
      } catch (e) {
        return this.#failed(stream, e);
      }
      if (started === undefined) return;
      this.#queue.push({ stream, bytes, started });
      this.#queued += bytes.length;
      this.#writing = this.#run();
      return;
    }
    this.#queue.push({ stream, bytes });
    this.#queued += bytes.length;
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      const { stream, bytes, started } = this.#queue[0];
      if (!this.#dropped(stream)) {
        try {
          const written = started ?? this.#sink(stream).write(bytes, this.#progress);
          // A write given up (stopWaitingForStalled) is left pending, not waited for.
          let giveUp = () => {};
          const givenUp = new Promise<void>((resolve) => giveUp = resolve);
          this.#inFlight = { stream, giveUp };
          this.#armStall();
          await Promise.race([written, givenUp]);
        } catch (e) {
          this.#failed(stream, e);
        } finally {
          this.#inFlight = null;
          this.#cancelStall();
        }
      }
      this.#queue.shift();
      this.#queued -= bytes.length;
      if (this.#queued <= HIGH_WATER) this.#waiting.splice(0).forEach((go) => go());
    }
    this.#writing = null;
  }

  #sink(stream: Stream): Sink {
    return stream === "out" ? this.stdout : this.stderr;
  }

  #failed(stream: Stream, e: unknown): void {
    // stderr: nowhere left to say anything.
    if (stream === "err" || this.#stdoutDone) return;
    this.#stdoutDone = true;
    this.onStdoutFailed(
      e instanceof Deno.errors.BrokenPipe
        ? { closed: true }
        : { closed: false, message: (e as Error).message },
    );
  }
}

/** All of `bytes` to `file`, synchronously: one writeSync may take only part of them. */
export function writeAllSync(file: typeof Deno.stdout, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/** All of `bytes` to `file`, without holding up anything else meanwhile; `progress` after each part. */
async function writeAll(
  file: typeof Deno.stdout,
  bytes: Uint8Array,
  progress = () => {},
): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += await file.write(bytes.subarray(at));
    progress();
  }
}

function fileSink(file: typeof Deno.stdout): Sink {
  return {
    write: (bytes, progress) => writeAll(file, bytes, progress),
    isTerminal: () => file.isTerminal(),
  };
}

/** The process's own stdout and stderr; a TERM or NO_COLOR that is not UTF-8 reads as unset. */
export function consoleOutput(): Output {
  return new Output(fileSink(Deno.stdout), fileSink(Deno.stderr), (n) => {
    try {
      return Deno.env.get(n);
    } catch {
      return undefined;
    }
  }, () => sameFile("/dev/stdout", "/dev/stderr"));
}

/** Whether two paths are one file (a pipe or a terminal too, through /dev/stdout's link); false when unknown. */
function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [Deno.statSync(a), Deno.statSync(b)];
    return x.ino !== null && x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** An Output that keeps what is written, for tests. */
export function memoryOutput(): Output & { stdoutText(): string; stderrText(): string } {
  const chunks = { out: [] as Uint8Array[], err: [] as Uint8Array[] };
  const sink = (into: Uint8Array[]): Sink => ({
    write: (bytes) => void into.push(bytes.slice()),
    isTerminal: () => false,
  });
  const text = (parts: Uint8Array[]) => new TextDecoder().decode(concatBytes(parts));
  return Object.assign(new Output(sink(chunks.out), sink(chunks.err)), {
    stdoutText: () => text(chunks.out),
    stderrText: () => text(chunks.err),
  });
}
