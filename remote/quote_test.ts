import { assertEquals } from "../tests/assert.ts";
import { shQuote } from "./quote.ts";

/** The hostile strings every quoting and argument test uses. */
export const HOSTILE = [
  "plain",
  "two words",
  "it's",
  `"double"`,
  "$(touch /tmp/pool-pwned)",
  "`id`",
  "a;b",
  "a && b || c",
  "line1\nline2",
  "tab\there",
  "ünïcødé ✓ 日本",
  "-leading-dash",
  "--",
  "*",
  "$HOME",
  "back\\slash",
  "",
  "'",
  "''",
  "a'b'c",
];

Deno.test("shQuote() round-trips hostile strings through a real sh", async () => {
  for (const word of HOSTILE) {
    const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shQuote(word)}`] })
      .output();
    assertEquals(new TextDecoder().decode(out.stdout), word, JSON.stringify(word));
  }
});

Deno.test("shQuote() leaves safe words bare", () => {
  assertEquals(shQuote("abc/def-1.2"), "abc/def-1.2");
  assertEquals(shQuote("-x"), "'-x'");
  assertEquals(shQuote(""), "''");
});
