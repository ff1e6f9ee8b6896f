import { assertEquals, assertThrows } from "../tests/assert.ts";
import { formatSize, parseSize } from "./size.ts";

Deno.test("parseSize() reads binary sizes", () => {
  assertEquals(parseSize("17G", "--mem"), 17 * 1024 ** 3);
  assertEquals(parseSize("512M", "--mem"), 512 * 1024 ** 2);
  assertEquals(parseSize("1.5T", "--mem"), 1.5 * 1024 ** 4);
  assertEquals(parseSize("17GiB", "--mem"), 17 * 1024 ** 3);
  assertEquals(parseSize("4096B", "--mem"), 4096);
  assertEquals(parseSize("0", "--mem"), 0);
  // A bare 17 meant as 17G would be 17 bytes, said nowhere: a unit is needed.
  assertThrows(() => parseSize("17", "--mem"), /--mem expects a size with its unit/);
  assertThrows(() => parseSize("lots", "--mem"), /--mem expects a size/);
  assertThrows(() => parseSize("-1G", "--mem"), /--mem expects a size/);
});

Deno.test("formatSize() prints one decimal", () => {
  assertEquals(formatSize(17 * 1024 ** 3), "17.0G");
  assertEquals(formatSize(512 * 1024 ** 2), "512.0M");
});
