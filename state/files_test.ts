import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import {
  followSymlinks,
  lockHolderPid,
  lockTimeoutSeconds,
  readTextIfExists,
  withFileLock,
  writeFileAtomically,
} from "./files.ts";

const PROC_LOCKS = `1: POSIX  ADVISORY  WRITE 77 08:01:555 0 EOF
2: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF
2: -> FLOCK  ADVISORY  WRITE 5151 fd:01:1234567 0 EOF
3: FLOCK  ADVISORY  WRITE 99 fd:01:7 0 EOF
`;

Deno.test("lockHolderPid() finds the flock holder of an inode, not a waiter or a POSIX lock", () => {
  assertEquals(lockHolderPid(PROC_LOCKS, 1234567), 4242);
  assertEquals(lockHolderPid(PROC_LOCKS, 7), 99);
  assertEquals(lockHolderPid(PROC_LOCKS, 555), undefined);
  assertEquals(lockHolderPid("", 7), undefined);
});

Deno.test("lockTimeoutSeconds() reads POOL_LOCK_TIMEOUT, default 60", () => {
  const before = Deno.env.get("POOL_LOCK_TIMEOUT");
  try {
    Deno.env.delete("POOL_LOCK_TIMEOUT");
    assertEquals(lockTimeoutSeconds(), 60);
    Deno.env.set("POOL_LOCK_TIMEOUT", "2.5");
    assertEquals(lockTimeoutSeconds(), 2.5);
    Deno.env.set("POOL_LOCK_TIMEOUT", "10");
    assertEquals(lockTimeoutSeconds(), 10);
    // Digits and a point only: Number() reads these as 16, 1000 and forever.
    for (const bad of ["soon", "-1", "0x10", "1e3", "Infinity", "9".repeat(400), "1."]) {
      Deno.env.set("POOL_LOCK_TIMEOUT", bad);
      let message = "";
      try {
        lockTimeoutSeconds();
      } catch (e) {
        message = (e as Error).message;
      }
      assertMatch(message, /^POOL_LOCK_TIMEOUT expects a number of seconds/);
    }
  } finally {
    if (before === undefined) Deno.env.delete("POOL_LOCK_TIMEOUT");
    else Deno.env.set("POOL_LOCK_TIMEOUT", before);
  }
});

Deno.test("withFileLock() gives up at once with POOL_LOCK_TIMEOUT=0, naming the holder", async () => {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("POOL_LOCK_TIMEOUT");
  // flock locks belong to an open file: a second open in this process contends like another pool.
  const held = await Deno.open(join(dir, "x.lock"), { create: true, write: true });
  try {
    await held.lock(true);
    await held.write(new TextEncoder().encode("4242\n"));
    Deno.env.set("POOL_LOCK_TIMEOUT", "0");
    let message = "";
    await withFileLock(join(dir, "x"), () => Promise.resolve(), "the test lock").catch((e) => {
      message = e.message;
    });
    assertMatch(message, /^gave up waiting for the test lock after 0 s: held by pid \d+/);
  } finally {
    held.close();
    if (before === undefined) Deno.env.delete("POOL_LOCK_TIMEOUT");
    else Deno.env.set("POOL_LOCK_TIMEOUT", before);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomically() writes through a chain of symlinks and leaves them links", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "real"));
    await Deno.writeTextFile(join(dir, "real", "f"), "old");
    await Deno.symlink("real/f", join(dir, "one"));
    await Deno.symlink(join(dir, "one"), join(dir, "two"));
    assertEquals(await followSymlinks(join(dir, "two")), join(dir, "real", "f"));
    await writeFileAtomically(join(dir, "two"), "new");
    assertEquals(await Deno.readTextFile(join(dir, "real", "f")), "new");
    assert((await Deno.lstat(join(dir, "two"))).isSymlink);
    assert((await Deno.lstat(join(dir, "one"))).isSymlink);
    assertEquals(await followSymlinks(join(dir, "none")), join(dir, "none"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("followSymlinks() reads a relative link's `..` from its real folder", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    // dir/link -> dir/real/sub, and real/sub/pool.json -> ../data/pool.json: the file is real/data/pool.json.
    await Deno.mkdir(join(dir, "real", "sub"), { recursive: true });
    await Deno.mkdir(join(dir, "real", "data"));
    await Deno.writeTextFile(join(dir, "real", "data", "pool.json"), "hosts");
    await Deno.symlink(join(dir, "real", "sub"), join(dir, "link"));
    await Deno.symlink("../data/pool.json", join(dir, "real", "sub", "pool.json"));
    const path = await followSymlinks(join(dir, "link", "pool.json"));
    assertEquals(path, join(dir, "real", "data", "pool.json"));
    await writeFileAtomically(join(dir, "link", "pool.json"), "more hosts");
    assertEquals(await Deno.readTextFile(join(dir, "real", "data", "pool.json")), "more hosts");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomically() removes the old temps a killed write left, never a fresh one", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "pool.json");
  const old = `${path}.tmp-4242-deadbeef`;
  const fresh = `${path}.tmp-4243-cafef00d`;
  const other = join(dir, "leases.json.tmp-4242-deadbeef");
  for (const file of [old, fresh, other]) await Deno.writeTextFile(file, "{}");
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const file of [old, other]) await Deno.utime(file, hourAgo, hourAgo);
  await writeFileAtomically(path, "{}\n");
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  // Another file's temps are its own writes' business.
  assertEquals(left.sort(), [
    "leases.json.tmp-4242-deadbeef",
    "pool.json",
    "pool.json.tmp-4243-cafef00d",
  ]);
});

Deno.test("withFileLock() gives up after POOL_LOCK_TIMEOUT even while the wall clock runs back", async () => {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("POOL_LOCK_TIMEOUT");
  const realNow = Date.now;
  let calls = 0;
  // Every look at the wall clock finds it an hour further back.
  Date.now = () => realNow() - 3_600_000 * ++calls;
  const held = await Deno.open(join(dir, "x.lock"), { create: true, write: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await held.lock(true);
    Deno.env.set("POOL_LOCK_TIMEOUT", "0.3");
    const gaveUp = withFileLock(join(dir, "x"), () => Promise.resolve(), "the test lock")
      .then(() => "got the lock", (e) => e.message);
    const hung = new Promise<string>((r) => timer = setTimeout(() => r("still waiting"), 10_000));
    assertMatch(
      await Promise.race([gaveUp, hung]),
      /^gave up waiting for the test lock after 0.3 s/,
    );
  } finally {
    clearTimeout(timer);
    Date.now = realNow;
    held.close();
    if (before === undefined) Deno.env.delete("POOL_LOCK_TIMEOUT");
    else Deno.env.set("POOL_LOCK_TIMEOUT", before);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withFileLock() locks through no link: the file it points at is neither written nor made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // What a user could put in their own state folder for a root run to write its pid over.
    const victim = join(dir, "victim");
    await Deno.writeTextFile(victim, "precious\n");
    await Deno.symlink(victim, join(dir, "a.lock"));
    const missing = join(dir, "made-by-root");
    await Deno.symlink(missing, join(dir, "b.lock"));
    for (const name of ["a", "b"]) {
      let message = "";
      let ran = false;
      await withFileLock(join(dir, name), () => Promise.resolve(ran = true)).catch((e) => {
        message = (e as Error).message;
      });
      assertEquals(ran, false, name);
      assertEquals(
        message,
        `lock ${join(dir, name)}.lock is not a regular file (a link?): remove it`,
      );
    }
    assertEquals(await Deno.readTextFile(victim), "precious\n");
    assertEquals(await Deno.lstat(missing).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withFileLock() says who holds the lock from the lock it opened: a FIFO put at its name never hangs it", async () => {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("POOL_LOCK_TIMEOUT");
  const path = join(dir, "x.lock");
  const held = await Deno.open(path, { create: true, write: true });
  try {
    await held.lock(true);
    await held.write(new TextEncoder().encode("4242\n"));
    Deno.env.set("POOL_LOCK_TIMEOUT", "1");
    const waiting = withFileLock(join(dir, "x"), () => Promise.resolve(), "the test lock")
      .then(() => "taken", (e) => e.message);
    // Once it waits on the lock it opened, the name becomes a FIFO (a user's folder, root's
    // pool): reading the holder's pid by name waited for a writer forever.
    await new Promise((r) => setTimeout(r, 300));
    await Deno.rename(path, join(dir, "moved"));
    await new Deno.Command("mkfifo", { args: [path] }).output();
    const bound = new Promise<string>((r) => setTimeout(() => r("hung"), 20_000));
    assertMatch(
      await Promise.race([waiting, bound]),
      /^gave up waiting for the test lock after 1 s/,
    );
  } finally {
    held.close();
    if (before === undefined) Deno.env.delete("POOL_LOCK_TIMEOUT");
    else Deno.env.set("POOL_LOCK_TIMEOUT", before);
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Makes `path`, a file of our own, one we may not write: chattr +i as root (root ignores modes),
 * mode 0400 otherwise. False where that cannot be done (no chattr, a file system without it).
 */
async function refuseOwnFile(path: string): Promise<boolean> {
  if (Deno.uid() !== 0) {
    await Deno.chmod(path, 0o400);
    return true;
  }
  const out = await new Deno.Command("chattr", { args: ["+i", path], stderr: "null" }).output()
    .catch(() => null);
  return out?.success ?? false;
}

async function allowOwnFile(path: string): Promise<void> {
  if (Deno.uid() !== 0) return await Deno.chmod(path, 0o600);
  await new Deno.Command("chattr", { args: ["-i", path], stderr: "null" }).output().catch(() => {});
}

Deno.test("withFileLock() names no owner for a lock of our own it may not open: that is no chown's to fix", async (t) => {
  const dir = await Deno.makeTempDir();
  const lock = join(dir, "x.lock");
  await Deno.writeTextFile(lock, "");
  try {
    if (!(await refuseOwnFile(lock))) {
      return void await t.step({ name: "no chattr", ignore: true, fn() {} });
    }
    const message = await withFileLock(join(dir, "x"), () => Promise.resolve())
      .then(() => "taken", (e) => (e as Error).message);
    assertMatch(
      message,
      new RegExp(
        `^cannot open ${lock}: (Operation not permitted|Permission denied) \\(os error \\d+\\)$`,
      ),
    );
  } finally {
    await allowOwnFile(lock);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "readTextIfExists() names no owner for a file of our own it may not read",
  ignore: Deno.uid() === 0, // root reads a file of any mode
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "pool.json");
    await Deno.writeTextFile(path, "{}");
    await Deno.chmod(path, 0o000);
    try {
      const message = await readTextIfExists(path, "roster").then(() => "read", (e) => e.message);
      assertMatch(
        message,
        new RegExp(`^cannot read roster ${path}: Permission denied \\(os error 13\\)$`),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
