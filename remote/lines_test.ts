import { assertEquals } from "../tests/assert.ts";
import { readLines } from "./lines.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => enc.encode(c)));
}

Deno.test("readLines() joins chunks split mid-line and mid-character", async () => {
  const bytes = new TextEncoder().encode("héllo\nwor");
  const lines: string[] = [];
  await readLines(
    ReadableStream.from([
      bytes.slice(0, 2),
      bytes.slice(2, 8),
      bytes.slice(8),
      new TextEncoder().encode("ld\r\nlast"),
    ]),
    (l) => lines.push(l),
  );
  assertEquals(lines, ["héllo", "world", "last"]);
});

Deno.test("readLines() keeps empty lines and drops nothing", async () => {
  const lines: string[] = [];
  await readLines(streamOf(["a\n\nb\n"]), (l) => lines.push(l));
  assertEquals(lines, ["a", "", "b"]);
});
