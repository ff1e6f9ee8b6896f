import { assertEquals } from "../tests/assert.ts";
import { Output, type Sink } from "./out.ts";

/** One file behind both streams (a `2>&1`), or two, as the test says. */
function outputs(oneTarget: boolean) {
  const written: string[] = [];
  const sink = (name: string): Sink => ({
    write: (bytes) => void written.push(`${name}:${new TextDecoder().decode(bytes)}`),
    isTerminal: () => false,
  });
  const out = new Output(sink("out"), sink("err"), undefined, () => oneTarget);
  return { out, written };
}

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("errLine() starts after a command's unfinished stderr line", () => {
  const { out, written } = outputs(false);
  out.errBytes(bytes("partial"));
  out.errLine("pool: h1: timed out");
  out.errLine("pool: next");
  assertEquals(written, ["err:partial", "err:\npool: h1: timed out\n", "err:pool: next\n"]);
});

Deno.test("errLine() ends stdout's unfinished line only where both streams are one file", () => {
  const one = outputs(true);
  one.out.outBytes(bytes("partial"));
  one.out.errLine("pool: h1: timed out");
  assertEquals(one.written, ["out:partial", "err:\npool: h1: timed out\n"]);
  const two = outputs(false);
  two.out.outBytes(bytes("partial"));
  two.out.errLine("pool: h1: timed out");
  assertEquals(two.written, ["out:partial", "err:pool: h1: timed out\n"]);
});

Deno.test("errLine() adds nothing after whole lines, nor after pool's own progress text", () => {
  const { out, written } = outputs(true);
  out.outBytes(bytes("line\n"));
  out.errBytes(bytes("err\n"));
  out.err("\r12 files\r\x1b[K");
  out.errLine("pool: done");
  assertEquals(written, ["out:line\n", "err:err\n", "err:\r12 files\r\x1b[K", "err:pool: done\n"]);
});
