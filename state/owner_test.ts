import { join } from "node:path";
import { assertEquals, assertMatch } from "../tests/assert.ts";
import { giveFile, makeStateFolder, ownerFor } from "./owner.ts";
import { followSymlinks, withFileLock, writeFileAtomically } from "./files.ts";
import { updateListFile } from "./list_file.ts";
import { socketDir } from "../remote/multiplex.ts";

// Root giving what it makes to the state folder's owner: only root can, so only root tests it.
const ROOT = Deno.uid() === 0;
const NOBODY = 65534;

/** A folder of nobody's (group too) in a fresh temp folder of root's. */
/**
 * A test run as root only, in a temp folder (`dir`, root's) holding `st`, a state folder of
 * nobody's: a user's state that root runs pool on. The folder goes afterwards.
 */
function rootTest(
  name: string,
  body: (folders: { dir: string; st: string }) => void | Promise<void>,
) {
  Deno.test({
    name,
    ignore: !ROOT,
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: "pool-owner-" });
      try {
        const st = join(dir, "st");
        await Deno.mkdir(st);
        await Deno.chown(st, NOBODY, NOBODY);
        await body({ dir, st });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

function owner(path: string): string {
  const { uid, gid } = Deno.lstatSync(path);
  return `${uid}:${gid}`;
}

rootTest(
  "ownerFor() is the nearest folder's owner, null for root's own or when not root",
  ({ dir, st }) => {
    assertEquals(ownerFor(st), { uid: NOBODY, gid: NOBODY });
    assertEquals(ownerFor(join(st, "not", "yet")), { uid: NOBODY, gid: NOBODY });
    assertEquals(ownerFor(dir), null);
    assertEquals(ownerFor(join(dir, "missing")), null);
  },
);

rootTest(
  "writeFileAtomically(), withFileLock() and the ledger's writer give their files to the folder's owner",
  async ({ dir, st }) => {
    await writeFileAtomically(join(st, "pool.json"), "{}\n");
    const ledger = join(st, "leases.json");
    const spec = {
      what: "lease ledger",
      key: "leases",
      isItem: (v: unknown): v is number => typeof v === "number",
    };
    await updateListFile(ledger, spec, () => ({ items: [1], result: null }));
    await withFileLock(join(st, "deep", "er", "jobs.json"), () => Promise.resolve());
    const names = ["pool.json", "leases.json", "leases.json.lock", "deep", "deep/er"];
    for (const name of [...names, "deep/er/jobs.json.lock"]) {
      assertEquals(owner(join(st, name)), `${NOBODY}:${NOBODY}`, name);
    }
    assertEquals(Deno.statSync(join(st, "pool.json")).mode! & 0o777, 0o600);
    assertEquals(Deno.statSync(ledger).mode! & 0o777, 0o600);
    assertEquals(Deno.statSync(join(st, "deep", "er")).mode! & 0o777, 0o700);
    // Root's own folder: root's files, as before.
    await writeFileAtomically(join(dir, "own.json"), "{}\n");
    assertEquals(owner(join(dir, "own.json")), "0:0");
  },
);

rootTest(
  "giveFile() gives away neither what a link swapped in points at nor a hard-linked file",
  async ({ dir, st }) => {
    const precious = join(dir, "shadow");
    await Deno.writeTextFile(precious, "root's\n");
    const to = { uid: NOBODY, gid: NOBODY };
    await Deno.symlink(precious, join(st, "link"));
    let message = "";
    try {
      giveFile(join(st, "link"), to);
    } catch (e) {
      message = (e as Error).message;
    }
    assertMatch(message, /^cannot give .*\/link to uid 65534, the owner of its folder: ELOOP/);
    await Deno.link(precious, join(st, "hard"));
    try {
      giveFile(join(st, "hard"), to);
    } catch (e) {
      message = (e as Error).message;
    }
    assertMatch(
      message,
      /\/hard to uid 65534, the owner of its folder: it is no longer the file pool made$/,
    );
    assertEquals(owner(precious), "0:0");
  },
);

rootTest(
  "makeStateFolder() gives each folder it makes to the owner of the one above",
  ({ dir, st }) => {
    makeStateFolder(join(st, "a", "cm"), 0o700);
    assertEquals(owner(join(st, "a")), `${NOBODY}:${NOBODY}`);
    assertEquals(owner(join(st, "a", "cm")), `${NOBODY}:${NOBODY}`);
    makeStateFolder(join(dir, "b"), 0o700);
    assertEquals(owner(join(dir, "b")), "0:0");
  },
);

rootTest(
  "root writes through no link in a user's folder, and a FIFO swapped in does not hang it",
  async ({ dir, st }) => {
    // The user points their roster at a file of root's (or at a name not there yet): root's
    // write replaced that file, or made it.
    const victim = join(dir, "victim");
    await Deno.writeTextFile(victim, "root's\n");
    await Deno.symlink(victim, join(st, "pool.json"));
    const missing = join(dir, "made-by-root");
    await Deno.symlink(missing, join(st, "leases.json"));
    for (const name of ["pool.json", "leases.json"]) {
      const e = await writeFileAtomically(join(st, name), "{}\n").then(() => null, (e) => e);
      assertMatch(String(e), /is a link in a folder of uid 65534's: as root, pool writes/);
    }
    assertEquals(await Deno.readTextFile(victim), "root's\n");
    assertEquals(await Deno.lstat(missing).then(() => "made", () => "not made"), "not made");
    // A FIFO where root's new file was: giving it away waited for a writer forever, in a
    // synchronous open no signal could end. Run apart, bounded (a hang, not a speed).
    const fifo = join(st, "fifo");
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const owner = new URL("./owner.ts", import.meta.url).href;
    const code = `import { giveFile } from "${owner}";
    try { giveFile(${
      JSON.stringify(fifo)
    }, { uid: ${NOBODY}, gid: ${NOBODY} }); console.log("given"); }
    catch (e) { console.log(String(e)); }`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", code],
      signal: AbortSignal.timeout(30_000),
      stdout: "piped",
    }).output();
    assertMatch(new TextDecoder().decode(out.stdout), /cannot give .*fifo to uid 65534/);
  },
);

rootTest("root keeps its control sockets out of a user's state folder", ({ dir, st }) => {
  assertEquals(socketDir(st, "/tmp", 0), { dir: "/tmp/pool-0", inTemp: true });
  assertEquals(socketDir(dir, "/tmp", 0), { dir: join(dir, "cm") });
  // Nor under a TMPDIR of the user's (sudo -E keeping libpam-tmpdir's /tmp/user/1000).
  assertEquals(socketDir(st, st, 0), { dir: "/tmp/pool-0", inTemp: true });
});

rootTest(
  "root's roster, lock and state folder follow nothing of a user's: a link, a hard link",
  async ({ dir, st }) => {
    // pool.json a link to a file of root's: `pool add` (the roster's store) followed it first,
    // and replaced the file with the roster.
    const victim = join(dir, "victim");
    await Deno.writeTextFile(victim, '{"hosts": []}\n');
    await Deno.symlink(victim, join(st, "pool.json"));
    const added = await followSymlinks(join(st, "pool.json")).then(() => "", String);
    assertMatch(added, /is a link in a folder of uid 65534's: as root, pool writes through no/);
    assertEquals(await Deno.readTextFile(victim), '{"hosts": []}\n');
    // The lock a hard link to a file of root's (where protected_hardlinks is off): root wrote
    // its pid over that file.
    await Deno.remove(join(st, "pool.json"));
    await Deno.link(victim, join(st, "pool.json.lock"));
    const locked = await withFileLock(join(st, "pool.json"), () => Promise.resolve("taken"))
      .catch(String);
    assertMatch(locked, /lock .*pool\.json\.lock is not a regular file/);
    assertEquals(await Deno.readTextFile(victim), '{"hosts": []}\n');
    // The state folder a link of the user's (~/.pool -> a folder of root's).
    const roots = join(dir, "roots");
    await Deno.mkdir(roots);
    const linked = join(st, "linked");
    await Deno.symlink(roots, linked);
    await new Deno.Command("chown", { args: ["-h", `${NOBODY}:${NOBODY}`, linked] }).output();
    const wrote = await writeFileAtomically(join(linked, "pool.json"), "{}\n").then(
      () => "",
      String,
    );
    assertMatch(wrote, /state folder .*linked is a link of uid 65534's/);
    assertEquals([...Deno.readDirSync(roots)], []);
  },
);
