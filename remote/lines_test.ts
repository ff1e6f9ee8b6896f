import { assertEquals } from "../tests/assert.ts";
import { ByteLines, LinePrefixer, LineSplitter } from "./lines.ts";

Deno.test("LineSplitter joins chunks split mid-line and mid-character", () => {
  const bytes = new TextEncoder().encode("héllo\nwor");
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l));
  for (
    const chunk of [
      bytes.slice(0, 2),
      bytes.slice(2, 8),
      bytes.slice(8),
      new TextEncoder().encode("ld\r\nlast"),
    ]
  ) {
    splitter.push(chunk);
  }
  splitter.end();
  assertEquals(lines, ["héllo", "world", "last"]);
});

Deno.test("LineSplitter keeps empty lines and drops nothing", () => {
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l));
  splitter.push(new TextEncoder().encode("a\n\nb\n"));
  splitter.end();
  assertEquals(lines, ["a", "", "b"]);
});

Deno.test("LineSplitter stays linear on a huge chunk of short lines", () => {
  let count = 0;
  const splitter = new LineSplitter(() => count++);
  splitter.push(new TextEncoder().encode("x\n".repeat(1_000_000)));
  splitter.end();
  assertEquals(count, 1_000_000);
});

const encode = (text: string) => new TextEncoder().encode(text);

/** The blocks a prefixer writes for these chunks, decoded. */
function prefixed(chunks: (string | Uint8Array)[], keepBlank = false): string[] {
  const blocks: string[] = [];
  const prefixer = new LinePrefixer(
    encode("[h1] "),
    (block) => blocks.push(new TextDecoder().decode(block)),
    keepBlank,
  );
  for (const c of chunks) prefixer.push(typeof c === "string" ? encode(c) : c);
  prefixer.end();
  return blocks;
}

Deno.test("LinePrefixer writes each chunk's whole lines as one block", () => {
  assertEquals(prefixed(["a\nb\nc", "d\ne\n"]), ["[h1] a\n[h1] b\n", "[h1] cd\n[h1] e\n"]);
});

Deno.test("LinePrefixer joins a line split across chunks, mid-character too", () => {
  const bytes = encode("héllo wörld\nnext\n");
  const chunks = [bytes.slice(0, 2), bytes.slice(2, 3), bytes.slice(3, 9), bytes.slice(9)];
  assertEquals(prefixed(chunks), ["[h1] héllo wörld\n[h1] next\n"]);
});

Deno.test("LinePrefixer strips \\r before \\n only, and drops blank lines unless kept", () => {
  const chunks = ["a\r\n\n  \t\n\r\n\u00a0\n", "b\rc\r\n\r\r\n"];
  assertEquals(prefixed(chunks), ["[h1] a\n", "[h1] b\rc\n"]);
  assertEquals(prefixed(chunks, true), [
    "[h1] a\n[h1] \n[h1]   \t\n[h1] \n[h1] \u00a0\n",
    "[h1] b\rc\n[h1] \r\n",
  ]);
});

Deno.test("LinePrefixer prints a last line without newline at the end, \\r stripped", () => {
  assertEquals(prefixed(["a\nlast\r"]), ["[h1] a\n", "[h1] last\n"]);
  assertEquals(prefixed(["a\n", "  "]), ["[h1] a\n"]);
  assertEquals(prefixed(["a\n", "  "], true), ["[h1] a\n", "[h1]   \n"]);
  assertEquals(prefixed([]), []);
});

Deno.test("LinePrefixer passes bytes that are not UTF-8 through untouched", () => {
  const blocks: Uint8Array[] = [];
  const prefixer = new LinePrefixer(encode("p "), (b) => blocks.push(b.slice()));
  prefixer.push(new Uint8Array([0xff, 0x0a, 0xc3]));
  prefixer.push(new Uint8Array([0x28, 0x00]));
  prefixer.end();
  assertEquals(blocks.map((b) => [...b]), [
    [0x70, 0x20, 0xff, 0x0a],
    [0x70, 0x20, 0xc3, 0x28, 0x00, 0x0a],
  ]);
});

Deno.test("LinePrefixer keeps a long line whole across many chunks", () => {
  const line = "x".repeat(100_000);
  const chunks = [];
  for (let i = 0; i < line.length; i += 999) chunks.push(line.slice(i, i + 999));
  assertEquals(prefixed([...chunks, "\nshort\n"]), [`[h1] ${line}\n[h1] short\n`]);
});

Deno.test("LinePrefixer turns a huge chunk of many lines into one block", () => {
  const numbers = Array.from({ length: 200_000 }, (_, i) => String(i + 1));
  const blocks = prefixed([numbers.join("\n") + "\n"]);
  assertEquals(blocks.length, 1);
  assertEquals(blocks[0], numbers.map((n) => `[h1] ${n}\n`).join(""));
});

Deno.test("ByteLines hands each line's exact bytes, across chunks, and a last partial one", () => {
  const seen: [string, boolean][] = [];
  const lines = new ByteLines((line, whole) => seen.push([[...line].join(","), whole]));
  lines.push(new Uint8Array([0x61, 0x0d, 0x0a, 0x62]));
  lines.push(new Uint8Array([0x63, 0x0a, 0x0a, 0xff]));
  lines.end();
  assertEquals(seen, [["97,13", true], ["98,99", true], ["", true], ["255", false]]);
});
