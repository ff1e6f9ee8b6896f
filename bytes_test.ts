import { assertEquals } from "./tests/assert.ts";
import { LogTail } from "./bytes.ts";

const line = (i: number) => `${String(i).padStart(5, "0")}${"0".repeat(18)}\n`; // 24 bytes

function tail(limit: number, lines: number, chunk: number) {
  const all = new TextEncoder().encode(Array.from({ length: lines }, (_, i) => line(i)).join(""));
  const t = new LogTail(limit);
  for (let at = 0; at < all.length; at += chunk) t.push(all.subarray(at, at + chunk));
  const text = new TextDecoder().decode(t.bytes());
  return { text, dropped: t.dropped };
}

Deno.test("LogTail keeps the last whole lines that fit, and counts the ones left out", () => {
  for (const chunk of [1, 7, 24, 100, 10_000]) {
    // A cut on a line's end keeps every line that fits: 10 of 24 bytes in 240.
    const even = tail(240, 30, chunk);
    assertEquals([even.dropped, even.text.split("\n").length - 1], [20, 10], `chunk ${chunk}`);
    assertEquals(even.text.slice(0, 5), "00020");
    // A cut inside a line leaves that line out whole.
    const odd = tail(250, 30, chunk);
    assertEquals([odd.dropped, odd.text.split("\n").length - 1], [20, 10], `chunk ${chunk}`);
    assertEquals(odd.text.slice(0, 5), "00020");
    // Nothing cut: all of it.
    assertEquals(tail(10_000, 30, chunk).dropped, 0);
  }
});

Deno.test("LogTail never keeps a piece of a line: one longer than the limit goes whole", () => {
  const t = new LogTail(4);
  t.push(new TextEncoder().encode("aaaaaaaaaa"));
  assertEquals([t.bytes().length, t.dropped], [0, 1]);
  const u = new LogTail(4);
  u.push(new TextEncoder().encode("ééééé"));
  assertEquals([u.bytes().length, u.dropped], [0, 1], "nor a piece of a character");
  const v = new LogTail(4);
  v.push(new TextEncoder().encode("x\nééééé\nab"));
  assertEquals([new TextDecoder().decode(v.bytes()), v.dropped], ["ab", 2]);
});

Deno.test("LogTail copies what it keeps of small reads: a read pins its whole 64 KiB buffer", () => {
  // A pipe's read is a small view of a large buffer; kept as it came, each one held all of it.
  const reads = Array.from({ length: 100 }, (_, i) => {
    const buffer = new Uint8Array(64 * 1024);
    buffer.set(new TextEncoder().encode(`${line(i)}`));
    return buffer.subarray(0, 24);
  });
  const t = new LogTail(240);
  for (const read of reads) t.push(read);
  // The reader's buffers are the reader's again (reused, or freed): what was kept is a copy.
  for (const read of reads) new Uint8Array(read.buffer).fill(0);
  const kept = new TextDecoder().decode(t.bytes());
  assertEquals([kept.slice(0, 5), kept.split("\n").length - 1, t.dropped], ["00090", 10, 90]);
});
