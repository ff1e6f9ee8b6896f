/**
 * Turns chunks of bytes into whole lines as they arrive: a chunk may end
 * mid-line or mid-character; `end()` delivers a last line with no newline.
 */

import { concatBytes } from "../bytes.ts";

export class LineSplitter {
  #decoder = new TextDecoder();
  #pending = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Uint8Array): void {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    // One slice per chunk, not per line: a big chunk of short lines stays linear.
    let start = 0;
    let newline: number;
    while ((newline = this.#pending.indexOf("\n", start)) !== -1) {
      this.onLine(withoutCr(this.#pending.slice(start, newline)));
      start = newline + 1;
    }
    this.#pending = this.#pending.slice(start);
  }

  end(): void {
    this.#pending += this.#decoder.decode();
    if (this.#pending !== "") this.onLine(withoutCr(this.#pending));
    this.#pending = "";
  }
}

const withoutCr = (line: string) => line.endsWith("\r") ? line.slice(0, -1) : line;

/**
 * Lines as the bytes they were written in, each without its `\n` (a `\r` kept), whole
 * (`whole` true) or, from `end()`, a last one that had no newline.
 */
export class ByteLines {
  #pending: Uint8Array[] = [];

  constructor(private readonly onLine: (line: Uint8Array, whole: boolean) => void) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.onLine(this.#joined(chunk.subarray(start, nl)), true);
      start = nl + 1;
    }
    if (start < chunk.length) this.#pending.push(chunk.slice(start));
  }

  end(): void {
    if (this.#pending.length > 0) this.onLine(this.#joined(new Uint8Array()), false);
  }

  #joined(last: Uint8Array): Uint8Array {
    const line = concatBytes([...this.#pending, last]);
    this.#pending = [];
    return line;
  }
}

const NL = 0x0a;
const CR = 0x0d;
/** Below this many bytes a line is copied byte by byte: cheaper than a subarray and a `set`. */
const SHORT_LINE = 64;

/**
 * A fan-out's live output: each chunk's complete lines become one block, the
 * prefix before each line and `\r\n` made `\n`, handed to `write` in one call.
 * A block is one write and holds only whole lines, so hosts writing blocks in
 * turn never mix their lines; the incomplete tail waits for the next chunk,
 * or `end()`.
 *
 * It works on bytes: a newline byte is never part of a UTF-8 character, so
 * nothing is decoded or re-encoded, and bytes that are not UTF-8 pass through
 * as they came (as pdsh passes them).
 */
export class LinePrefixer {
  /** The incomplete last line so far, as the chunks it came in: joined once, when it ends. */
  #tail: Uint8Array[] = [];
  #tailLength = 0;

  constructor(
    private readonly prefix: Uint8Array,
    private readonly write: (block: Uint8Array) => void,
    /** Keep lines that are empty or only white space (pdsh's `host: `); else they are dropped. */
    private readonly keepBlank = false,
  ) {}

  push(chunk: Uint8Array): void {
    let newline = nextNewline(chunk, 0);
    if (newline === -1) {
      if (chunk.length > 0) this.#keep(chunk);
      return;
    }
    // Room for every line and its prefix: the block never grows, and is written once.
    let lines = 0;
    for (let i = newline; i < chunk.length; i++) if (chunk[i] === NL) lines++;
    const block = new Uint8Array(this.#tailLength + chunk.length + lines * this.prefix.length);
    let at = 0;
    let start = 0;
    if (this.#tailLength > 0) {
      const first = concatBytes([...this.#tail, chunk.subarray(0, newline)]);
      this.#tail = [];
      this.#tailLength = 0;
      at = this.#line(block, at, first, 0, first.length);
      start = newline + 1;
      newline = nextNewline(chunk, start);
    }
    for (; newline !== -1; newline = nextNewline(chunk, start)) {
      at = this.#line(block, at, chunk, start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) this.#keep(chunk.subarray(start));
    if (at > 0) this.write(block.subarray(0, at));
  }

  /** The last line, when it has no newline. */
  end(): void {
    if (this.#tailLength === 0) return;
    const last = concatBytes(this.#tail);
    this.#tail = [];
    this.#tailLength = 0;
    const block = new Uint8Array(this.prefix.length + last.length + 1);
    const at = this.#line(block, 0, last, 0, last.length);
    if (at > 0) this.write(block.subarray(0, at));
  }

  #keep(part: Uint8Array): void {
    this.#tail.push(part);
    this.#tailLength += part.length;
  }

  /** Writes `prefix + from[start, end) + \n` at `at` (no `\r` before the `\n`); returns the new end. */
  #line(block: Uint8Array, at: number, from: Uint8Array, start: number, end: number): number {
    if (end > start && from[end - 1] === CR) end--;
    if (!this.keepBlank && isBlank(from, start, end)) return at;
    for (let i = 0; i < this.prefix.length; i++) block[at++] = this.prefix[i];
    if (end - start < SHORT_LINE) {
      for (let i = start; i < end; i++) block[at++] = from[i];
    } else {
      block.set(from.subarray(start, end), at);
      at += end - start;
    }
    block[at++] = NL;
    return at;
  }
}

/**
 * Where the next newline is, or -1. A plain loop: the JIT keeps it inline,
 * where `indexOf` on a typed array is a call into the runtime per line.
 */
function nextNewline(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) if (bytes[i] === NL) return i;
  return -1;
}

const blankDecoder = new TextDecoder();

/** Whether the line is empty or white space only, as `String.prototype.trim` sees it. */
function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    if (b < 0x80) return false;
    // Not ASCII: whether it is white space (a no-break space, U+3000…) is trim's call.
    return blankDecoder.decode(bytes.subarray(start, end)).trim() === "";
  }
  return true;
}
