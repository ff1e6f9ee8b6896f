import { join } from "node:path";
import { assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { inShipped, parsePushSpec, planShipping } from "./ship.ts";
import { shQuote } from "../remote/quote.ts";
import { localHost } from "../roster/host.ts";

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

Deno.test("inShipped() runs the command in the first copy, never a CDPATH's", () => {
  const box = { name: "box", ssh: "box" };
  assertEquals(inShipped([], "make", box), "make");
  const plan = { path: ".", source: "./", dest: "~/a b" };
  assertEquals(
    inShipped([plan, { ...plan, dest: "x" }], "make -j8", box),
    "cd -- './a b' && make -j8",
  );
  assertEquals(inShipped([{ ...plan, dest: "/srv/x" }], "make", box), "cd -- /srv/x && make");
  // This machine: ~ is $HOME, not the directory pool runs in.
  const home = Deno.env.get("HOME")!;
  assertEquals(
    inShipped([plan], "make", localHost()),
    `cd -- ${shQuote(`${home}/a b`)} && make`,
  );
});
