import { posix } from "node:path";
import { assertEquals } from "./tests/assert.ts";
import { basename, dirname, isAbsolute, join, normalize, resolve } from "./paths.ts";

const SAMPLES = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///a",
  "a",
  "a/",
  "a//",
  "/a",
  "/a/",
  "a/b",
  "a//b",
  "a/b/",
  "/a/b//",
  "./a",
  "../a",
  "a/./b",
  "a/../b",
  "a/../../b",
  "/../a",
  "/a/../..",
  "a/..",
  "a/../",
  ".hidden",
  "a/b.txt",
  "a/.b",
  "x y/ü é",
  "~/.ssh/config",
  "../../x/./y/..",
];

Deno.test("paths.ts gives node:path's POSIX answers", () => {
  for (const a of SAMPLES) {
    assertEquals(normalize(a), posix.normalize(a), `normalize(${JSON.stringify(a)})`);
    assertEquals(dirname(a), posix.dirname(a), `dirname(${JSON.stringify(a)})`);
    assertEquals(basename(a), posix.basename(a), `basename(${JSON.stringify(a)})`);
    assertEquals(basename(a, ".txt"), posix.basename(a, ".txt"), `basename(${a}, .txt)`);
    assertEquals(isAbsolute(a), posix.isAbsolute(a));
    assertEquals(resolve(a), posix.resolve(a), `resolve(${JSON.stringify(a)})`);
    for (const b of SAMPLES) {
      assertEquals(
        join(a, b),
        posix.join(a, b),
        `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`,
      );
      assertEquals(resolve(a, b), posix.resolve(a, b), `resolve(${a}, ${b})`);
    }
  }
  assertEquals(join("a", "", "b", "/c/"), posix.join("a", "", "b", "/c/"));
  assertEquals(join(), posix.join());
});
