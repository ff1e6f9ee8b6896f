import { assertEquals } from "../tests/assert.ts";
import { shellLine, shQuote } from "./quote.ts";
import { HOSTILE } from "../tests/hostile.ts";

Deno.test("shQuote() round-trips hostile strings through a real sh", async () => {
  for (const word of HOSTILE) {
    const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shQuote(word)}`] })
      .output();
    assertEquals(new TextDecoder().decode(out.stdout), word, JSON.stringify(word));
  }
});

Deno.test("shQuote() quotes a leading = : zsh would expand =ls to the path of ls", async () => {
  assertEquals(shQuote("=ls"), "'=ls'");
  // zsh is a test prerequisite (scripts/prereqs.sh).
  const out = await new Deno.Command("zsh", { args: ["-f", "-c", `printf %s ${shQuote("=ls")}`] })
    .output();
  assertEquals(new TextDecoder().decode(out.stdout), "=ls");
});

Deno.test("shQuote() leaves safe words bare", () => {
  assertEquals(shQuote("abc/def-1.2"), "abc/def-1.2");
  assertEquals(shQuote("-x"), "'-x'");
  assertEquals(shQuote("a=b"), "a=b");
  assertEquals(shQuote(""), "''");
});

Deno.test("shellLine() quotes each word for pasting, leaving option words bare", () => {
  assertEquals(
    shellLine(["ssh", "-o", "ControlPath=/tmp/a b", "--", "h1", "echo 'x'; rm -rf ~"]),
    `ssh -o 'ControlPath=/tmp/a b' -- h1 'echo '\\''x'\\''; rm -rf ~'`,
  );
  assertEquals(shellLine(["-$(x)"]), `'-$(x)'`);
});
