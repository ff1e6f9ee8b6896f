import { join } from "node:path";
import { assert, assertEquals } from "../tests/assert.ts";
import { controlSocket, muxOptions, type MuxSettings } from "./multiplex.ts";

/**
 * A stand-in for a master at pool's socket for `h1`: it takes every connection
 * and sends a hello only while `answering` is true (a busy or stopped master
 * takes none). No ssh connects anywhere: `ssh -G` only reads the config.
 */
async function withMaster(
  fn: (m: { settings: MuxSettings; path: string; answering: boolean }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "pool-mux-" });
  const config = join(dir, "ssh_config");
  await Deno.writeTextFile(config, "Host h1\n  HostName 127.0.0.1\n  Port 1\n");
  const settings = { dir: join(dir, "cm"), persistSeconds: 60, sshConfig: config };
  const path = (await controlSocket(settings, "h1"))!;
  await Deno.mkdir(settings.dir, { recursive: true, mode: 0o700 });
  const listener = Deno.listen({ transport: "unix", path });
  const m = { settings, path, answering: false };
  const held: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const c of listener) {
      held.push(c);
      if (m.answering) await c.write(new TextEncoder().encode("hello")).catch(() => {});
    }
  })().catch(() => {});
  try {
    await fn(m);
  } finally {
    listener.close();
    held.forEach((c) => c.close());
    await serving;
    await Deno.remove(dir, { recursive: true });
  }
}

const shared = (options: string[]) => !options.includes("ControlPath=none");

/** Moves the socket's first marked miss `ms` back, as if that much time had passed since. */
async function age(path: string, ms: number) {
  const info = await Deno.lstat(path);
  await Deno.utime(path, info.atime!, new Date(info.mtime!.getTime() - ms));
}

Deno.test("muxOptions() keeps a master that says no hello at first and goes without it", async () => {
  await withMaster(async ({ settings, path }) => {
    const ino = (await Deno.lstat(path)).ino;
    const options = await muxOptions(settings, "h1");
    assert(!shared(options), options.join(" "));
    assertEquals((await Deno.lstat(path).catch(() => null))?.ino, ino, "the socket is kept");
  });
});

Deno.test("muxOptions() removes the socket of a master still silent 10 s after its first miss", async () => {
  await withMaster(async ({ settings, path }) => {
    assert(!shared(await muxOptions(settings, "h1")));
    // Each miss waits 2 s for the hello itself.
    await age(path, 4_000);
    assert(!shared(await muxOptions(settings, "h1")), "about 6 s: still kept");
    assert(await Deno.lstat(path));
    await age(path, 5_000);
    const options = await muxOptions(settings, "h1");
    assert(shared(options), "ssh makes a fresh master there");
    assertEquals(await Deno.lstat(path).catch(() => null), null);
  });
});

Deno.test("muxOptions(): a hello clears the miss, so the next miss starts the span again", async () => {
  await withMaster(async (m) => {
    await muxOptions(m.settings, "h1");
    await age(m.path, 60_000);
    m.answering = true;
    assert(shared(await muxOptions(m.settings, "h1")));
    m.answering = false;
    assert(!shared(await muxOptions(m.settings, "h1")), "a first miss again");
    assert(await Deno.lstat(m.path));
  });
});

Deno.test("muxOptions(): a first miss later than now (the clock stepped back) counts from now", async () => {
  await withMaster(async ({ settings, path }) => {
    await muxOptions(settings, "h1");
    await age(path, -3_600_000);
    assert(!shared(await muxOptions(settings, "h1")));
    const since = (await Deno.lstat(path)).mtime!.getTime();
    assert(Math.abs(since - Date.now()) < 5_000, `first miss at ${new Date(since)}`);
    await age(path, 11_000);
    assert(shared(await muxOptions(settings, "h1")), "replaced 10 s after the step");
  });
});

Deno.test("muxOptions() removes a socket nothing listens on at once", async () => {
  await withMaster(async ({ settings, path }) => {
    // A second name for a socket outlives its listener, as a killed master's socket does.
    const gone = Deno.listen({ transport: "unix", path: `${path}-gone` });
    await Deno.link(`${path}-gone`, `${path}-stale`);
    gone.close();
    await Deno.rename(`${path}-stale`, path);
    assert(shared(await muxOptions(settings, "h1")));
    assertEquals(await Deno.lstat(path).catch(() => null), null);
  });
});

Deno.test("the temp socket folder is checked at every use, and only under a sticky or private parent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pt" });
  try {
    const config = join(dir, "ssh_config");
    await Deno.writeTextFile(config, "Host h1\n  HostName 127.0.0.1\n  Port 1\n");
    const said: string[] = [];
    const settings: MuxSettings = {
      dir: join(dir, `pool-${Deno.uid()}`),
      inTemp: true,
      persistSeconds: 60,
      sshConfig: config,
      warn: (message) => said.push(message),
    };
    assert(shared(await muxOptions(settings, "h1")), "a folder of this user's alone is used");
    // A long-lived pool (mcp) meets the folder changed since its first command.
    await Deno.chmod(settings.dir, 0o777);
    assert(!shared(await muxOptions(settings, "h1")), "a folder others may enter is not");
    assertEquals(said.length, 1, said.join("\n"));
    await Deno.chmod(settings.dir, 0o700);
    assert(shared(await muxOptions(settings, "h1")), "used again once it is private again");
    // A parent anyone may write to, without the sticky bit: ours could be swapped.
    await Deno.chmod(dir, 0o777);
    assert(!shared(await muxOptions(settings, "h1")));
    assert(said.at(-1)?.includes("writable by other users and not sticky"), said.join("\n"));
    await Deno.chmod(dir, 0o1777);
    assert(shared(await muxOptions(settings, "h1")), "a sticky parent, as /tmp, is fine");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Fills the inodes of the filesystem at `dir` with empty files: nothing new fits in it after. */
function fillInodes(dir: string) {
  for (let i = 0; i < 1000; i++) {
    try {
      Deno.writeFileSync(join(dir, `fill-${i}`), new Uint8Array());
    } catch (e) {
      assert(String(e).includes("No space left"), String(e));
      return;
    }
  }
  throw new Error(`${dir} still takes files`);
}

async function mount(...args: string[]) {
  const out = await new Deno.Command(args[0], { args: args.slice(1) }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name: "muxOptions() goes without sharing, quietly, where the socket folder takes no new entry",
  // A filesystem out of inodes of its own: a tmpfs, which takes root.
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pool-mux-" });
    const full = join(dir, "full");
    await Deno.mkdir(full);
    await mount("mount", "-t", "tmpfs", "-o", "nr_inodes=16,size=1m", "tmpfs", full);
    try {
      const config = join(dir, "ssh_config");
      await Deno.writeTextFile(config, "Host h1\n  HostName 127.0.0.1\n  Port 1\n");
      const said: string[] = [];
      const base = { persistSeconds: 60, sshConfig: config, warn: (m: string) => said.push(m) };
      // Both kinds of socket folder, each there already (made by an earlier run).
      const cm: MuxSettings = { ...base, dir: join(full, "cm") };
      const temp: MuxSettings = { ...base, dir: join(full, `pool-${Deno.uid()}`), inTemp: true };
      await Deno.mkdir(cm.dir, { mode: 0o700 });
      await Deno.mkdir(temp.dir, { mode: 0o700 });
      fillInodes(full);
      // ssh could not bind its socket there: every host would read as down (exit 255).
      assert(!shared(await muxOptions(cm, "h1")), "state folder's cm");
      assert(!shared(await muxOptions(temp, "h1")), "temp folder");
      assertEquals(said, [], "as quiet as a cm/ that cannot be made");
      // The probe left nothing behind, and a freed inode is taken again (the temp folder's
      // check runs at each use).
      assertEquals([...Deno.readDirSync(temp.dir)], []);
      await Deno.remove(join(full, "fill-0"));
      assert(shared(await muxOptions(temp, "h1")));
      assertEquals([...Deno.readDirSync(temp.dir)], []);
    } finally {
      await mount("umount", full);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
