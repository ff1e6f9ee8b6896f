import { assertEquals } from "../tests/assert.ts";
import { formatSize } from "./size.ts";

Deno.test("formatSize() prints one decimal", () => {
  assertEquals(formatSize(17 * 1024 ** 3), "17.0G");
  assertEquals(formatSize(512 * 1024 ** 2), "512.0M");
});
