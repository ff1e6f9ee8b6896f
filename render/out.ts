/**
 * Every byte pool prints goes through an Output: whole writes, synchronously,
 * so lines from concurrent hosts never interleave mid-line.
 *
 * A closed stdout (`pool on all … | head -1`) is not an error but the reader's
 * way of saying "enough": the first failed write stops the run quietly (exit
 * 141, like any pipeline member killed by SIGPIPE). Any other write failure
 * (a full disk, /dev/full, EIO) stops it with one line on stderr and exit 1.
 */

import { concatBytes } from "../bytes.ts";

const encoder = new TextEncoder();

export interface Sink {
  /** Writes all of `bytes` or throws. */
  write(bytes: Uint8Array): void;
  isTerminal(): boolean;
}

/** How a write to stdout failed, passed to `onStdoutFailed`. */
export type StdoutFailure = { closed: true } | { closed: false; message: string };

export class Output {
  #stdoutDone = false;
  /** Called once, on the first failed write to stdout. */
  onStdoutFailed: (failure: StdoutFailure) => void = () => {};

  constructor(
    readonly stdout: Sink,
    readonly stderr: Sink,
    readonly env: (name: string) => string | undefined = () => undefined,
  ) {}

  /** Whether stdout still takes writes. */
  get stdoutOpen(): boolean {
    return !this.#stdoutDone;
  }

  outBytes(bytes: Uint8Array): void {
    if (this.#stdoutDone) return;
    try {
      this.stdout.write(bytes);
    } catch (e) {
      this.#stdoutDone = true;
      this.onStdoutFailed(
        e instanceof Deno.errors.BrokenPipe
          ? { closed: true }
          : { closed: false, message: (e as Error).message },
      );
    }
  }

  out(text: string): void {
    this.outBytes(encoder.encode(text));
  }

  outLine(line = ""): void {
    this.out(line + "\n");
  }

  errBytes(bytes: Uint8Array): void {
    try {
      this.stderr.write(bytes);
    } catch {
      // Nowhere left to say anything.
    }
  }

  err(text: string): void {
    this.errBytes(encoder.encode(text));
  }

  errLine(line = ""): void {
    this.err(line + "\n");
  }

  warn(message: string): void {
    this.errLine(`pool: warning: ${message}`);
  }

  /** Colour only on a terminal, and never with NO_COLOR (https://no-color.org). */
  get color(): boolean {
    return this.stdout.isTerminal() && !this.env("NO_COLOR");
  }
}

/** All of `bytes` to `file`, synchronously: one writeSync may take only part of them. */
export function writeAllSync(file: typeof Deno.stdout, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

function fileSink(file: typeof Deno.stdout): Sink {
  return {
    write: (bytes) => writeAllSync(file, bytes),
    isTerminal: () => file.isTerminal(),
  };
}

/** The process's own stdout and stderr. */
export function consoleOutput(): Output {
  return new Output(fileSink(Deno.stdout), fileSink(Deno.stderr), (n) => Deno.env.get(n));
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
