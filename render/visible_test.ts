import { assertEquals } from "../tests/assert.ts";
import { visible, visibleLines } from "./visible.ts";

Deno.test("visible() escapes what a terminal acts on, and nothing else", () => {
  assertEquals(visible("\x1b]0;PWNED\x07\x1b[2Jx"), "\\e]0;PWNED\\x07\\e[2Jx");
  assertEquals(visible("a\r\nh9  root@evil"), "a\\r\\nh9  root@evil");
  assertEquals(visible("\u009b31m \u202eabc \t"), "\\x9b31m \\u202eabc \\t");
  assertEquals(visible("ünïcødé ✓ 日本 $(id) 'q'"), "ünïcødé ✓ 日本 $(id) 'q'");
  assertEquals(visibleLines("one\ntwo\x1b[31m"), "one\ntwo\\e[31m");
});
