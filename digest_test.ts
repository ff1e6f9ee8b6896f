import { assertEquals } from "./tests/assert.ts";
import { createHash } from "node:crypto";
import { sha256Hex } from "./digest.ts";

Deno.test("sha256Hex matches node:crypto's, for ASCII, unicode and empty text", () => {
  for (const text of ["", "abc", "h1\0root\u00e9\n22", "x".repeat(10_000)]) {
    assertEquals(sha256Hex(text), createHash("sha256").update(text).digest("hex"));
  }
});
