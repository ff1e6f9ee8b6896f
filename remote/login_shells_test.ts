import { assertEquals } from "../tests/assert.ts";
import { LoginShells } from "./login_shells.ts";

const DAY = 24 * 3600_000;

Deno.test("login shells: kept across runs, a refusal revisable only once a day old", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-login-shells-" });
  try {
    const file = `${dir}/login-shells.json`;
    const now = Date.now();
    const first = new LoginShells(file);
    assertEquals(first.get("root@a:22"), undefined);
    first.set("root@a:22", "bash", now);
    first.set("me@b:22", "other", now - 2 * DAY);
    first.set("me@c:22", "other", now);
    await first.flushed();

    const next = new LoginShells(file);
    assertEquals(next.get("root@a:22"), "bash");
    assertEquals(next.get("me@b:22"), "other");
    assertEquals(next.refusedLongAgo("me@b:22", now), true);
    assertEquals(next.refusedLongAgo("me@c:22", now), false);
    next.forget("root@a:22");
    await next.flushed();
    assertEquals(new LoginShells(file).get("root@a:22"), undefined, "forgotten");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("login shells: a damaged file is no record at all, and is written afresh", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-login-shells-" });
  try {
    const file = `${dir}/login-shells.json`;
    await Deno.writeTextFile(file, "{not json");
    const shells = new LoginShells(file);
    assertEquals(shells.get("root@a:22"), undefined);
    shells.set("root@a:22", "bash");
    await shells.flushed();
    assertEquals(new LoginShells(file).get("root@a:22"), "bash");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
