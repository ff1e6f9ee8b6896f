import { join } from "node:path";
import { assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { inShipped, parsePushSpec, planShipping } from "./ship.ts";

Deno.test("parsePushSpec() splits PATH:DEST at the first colon", () => {
  assertEquals(parsePushSpec("."), { path: "." });
  assertEquals(parsePushSpec(".:work/app"), { path: ".", dest: "work/app" });
  assertEquals(parsePushSpec("a:/srv/x:y"), { path: "a", dest: "/srv/x:y" });
  assertThrows(() => parsePushSpec(":x"), /--push expects PATH or PATH:DEST/);
  assertThrows(() => parsePushSpec("x:"), /--push expects PATH or PATH:DEST/);
});

Deno.test("planShipping() sends a directory's contents to ~/.pool/push/<its name> unless told", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "my app"));
  await Deno.writeTextFile(join(dir, "model.bin"), "m");
  assertEquals(
    await planShipping([{ path: join(dir, "my app") }, { path: join(dir, "model.bin") }]),
    [
      { path: join(dir, "my app"), source: join(dir, "my app") + "/", dest: ".pool/push/my app" },
      { path: join(dir, "model.bin"), source: join(dir, "model.bin"), dest: ".pool/push" },
    ],
  );
  assertEquals((await planShipping([{ path: `${dir}/`, dest: "/srv" }]))[0].dest, "/srv");
  const e = await assertRejects(() => planShipping([{ path: join(dir, "nope") }]));
  assertEquals(e.message.startsWith(`cannot read ${join(dir, "nope")}: No such file`), true);
});

Deno.test("inShipped() runs the command in the first copy", () => {
  assertEquals(inShipped([], "make"), "make");
  const plan = { path: ".", source: "./", dest: "~/a b" };
  assertEquals(inShipped([plan, { ...plan, dest: "x" }], "make -j8"), "cd -- 'a b' && make -j8");
});
