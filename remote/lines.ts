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
    let newline: number;
    while ((newline = this.#pending.indexOf("\n")) !== -1) {
      this.onLine(this.#pending.slice(0, newline).replace(/\r$/, ""));
      this.#pending = this.#pending.slice(newline + 1);
    }
  }

  end(): void {
    this.#pending += this.#decoder.decode();
    if (this.#pending !== "") this.onLine(this.#pending.replace(/\r$/, ""));
    this.#pending = "";
  }
}
