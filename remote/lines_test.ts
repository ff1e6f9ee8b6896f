import { assertEquals } from "../tests/assert.ts";
import { LineSplitter } from "./lines.ts";

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
