import { assertEquals } from "../tests/assert.ts";
import { remotePath, sourceRoot } from "./copy_paths.ts";

Deno.test("remotePath() reads ~ as the login directory, where rsync and tar start", () => {
  assertEquals(remotePath("~"), ".");
  assertEquals(remotePath("~/"), ".");
  assertEquals(remotePath("~/work/app"), "work/app");
  assertEquals(remotePath("/srv/app"), "/srv/app");
  assertEquals(remotePath("work"), "work");
  assertEquals(remotePath("~other/x"), "~other/x");
});

Deno.test("sourceRoot() copies a path by name, and a trailing / or . as contents", () => {
  assertEquals(sourceRoot("a/b"), { root: "a", name: "b" });
  assertEquals(sourceRoot("file"), { root: ".", name: "file" });
  assertEquals(sourceRoot("a/b/"), { root: "a/b/", name: "." });
  assertEquals(sourceRoot("."), { root: ".", name: "." });
  assertEquals(sourceRoot("/x/.."), { root: "/x/..", name: "." });
});
