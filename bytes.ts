/** Byte arrays end to end, as one; a single part is returned as it is (no copy). */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/**
 * Below this, a chunk is copied into a shared block rather than kept: a pipe's read is a view of a
 * 64 KiB buffer whatever it holds, so a tail of one-line reads kept as they came held 64 KiB per
 * line (a 64 KiB tail of 100-byte lines: 42 MB).
 */
const BLOCK = 16 * 1024;

/** The last whole lines of a stream that fit in `limit` bytes, and how many lines went. */
export class LogTail {
  #chunks: Uint8Array[] = [];
  #first = 0;
  #size = 0;
  /** The block small chunks are copied into, its used part last in #chunks; null: none open. */
  #open: Uint8Array | null = null;
  #used = 0;
  /** The last byte left out: -1 for none, 10 when the kept bytes start a line. */
  #before = -1;
  dropped = 0;
  constructor(private limit: number) {}

  push(chunk: Uint8Array): void {
    // A flood's full reads are kept as they are: no copy on the hot path.
    if (chunk.length >= BLOCK && chunk.length * 2 >= chunk.buffer.byteLength) {
      this.#open = null;
      this.#chunks.push(chunk);
    } else this.#copy(chunk);
    this.#size += chunk.length;
    // The last chunk stays (bytes() cuts it): it may be the open block, still being filled.
    while (
      this.#first < this.#chunks.length - 1 &&
      this.#size - this.#chunks[this.#first].length >= this.limit
    ) {
      const gone = this.#chunks[this.#first];
      this.#chunks[this.#first++] = EMPTY;
      this.#size -= gone.length;
      this.dropped += newlines(gone);
      if (gone.length > 0) this.#before = gone[gone.length - 1];
    }
    if (this.#first > 1024 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }

  /** Appends `chunk` to the open block, opening new ones as each fills. */
  #copy(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length;) {
      if (this.#open === null || this.#used === BLOCK) {
        this.#open = new Uint8Array(BLOCK);
        this.#used = 0;
        this.#chunks.push(EMPTY);
      }
      const part = chunk.subarray(at, at + BLOCK - this.#used);
      this.#open.set(part, this.#used);
      this.#used += part.length;
      at += part.length;
      this.#chunks[this.#chunks.length - 1] = this.#open.subarray(0, this.#used);
    }
  }

  /** The bytes kept: from the start of a line, once anything was left out. */
  bytes(): Uint8Array {
    let kept = concatBytes(this.#chunks.slice(this.#first));
    if (kept.length > this.limit) {
      const cut = kept.length - this.limit;
      this.dropped += newlines(kept.subarray(0, cut));
      this.#before = kept[cut - 1];
      kept = kept.subarray(cut);
    }
    // Cut inside a line: that line goes whole (all of what is kept, when it is longer than the
    // limit: never a piece of a line, nor of a character).
    if (this.#before !== -1 && this.#before !== 10) {
      const nl = kept.indexOf(10);
      this.dropped++;
      kept = nl >= 0 ? kept.subarray(nl + 1) : EMPTY;
    }
    return kept;
  }
}

const EMPTY = new Uint8Array(0);

function newlines(bytes: Uint8Array): number {
  let n = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) n++;
  return n;
}
