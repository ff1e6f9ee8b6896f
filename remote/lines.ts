/**
 * Turns chunks of bytes into whole lines as they arrive: a chunk may end
 * mid-line or mid-character; `end()` delivers a last line with no newline.
 */
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
