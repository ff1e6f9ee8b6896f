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
