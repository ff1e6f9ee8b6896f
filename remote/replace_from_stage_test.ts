/** remote/replace_from_stage.sh run here on temporary folders: the second step of a copy by tar. */

import { join } from "../paths.ts";
import { assertEquals } from "../tests/assert.ts";
import { remoteScript } from "./scripts.ts";

async function replace(
  dest: string,
  stage: string,
  names: string[],
  mode: "mirror" | "merge" = "mirror",
  tmp?: string,
): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: ["-c", remoteScript("replace_from_stage"), "pool-replace", mode, dest, stage, ...names],
    stdout: "null",
    stderr: "null",
    ...(tmp ? { env: { TMPDIR: tmp } } : {}),
  }).output();
  return out.code;
}

const listing = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

interface Dest {
  /** Its parent, the temporary folder. */
  dir: string;
  dest: string;
  /** The stage's name, as the first step of a copy makes it inside DEST. */
  stage: string;
  /** A path inside DEST. */
  at: (...parts: string[]) => string;
}

/** Runs `body` on a fresh DEST in a temporary folder, removed after (read-only folders too). */
async function withDest(body: (d: Dest) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pool-replace-" });
  const dest = join(dir, "dest");
  try {
    await body({ dir, dest, stage: ".pool-unpack.1234abcd", at: (...p) => join(dest, ...p) });
  } finally {
    await new Deno.Command("chmod", { args: ["-R", "u+w", dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("replace_from_stage.sh mirror: the staged copy takes the place of what each source replaces", () =>
  withDest(async ({ dest, stage }) => {
    const fresh = async () => {
      await Deno.remove(dest, { recursive: true }).catch(() => {});
      await Deno.mkdir(join(dest, "a"), { recursive: true });
      await Deno.writeTextFile(join(dest, "a", "old"), "old");
      await Deno.writeTextFile(join(dest, "other"), "other");
      await Deno.mkdir(join(dest, stage, "a"), { recursive: true });
      await Deno.writeTextFile(join(dest, stage, "a", "new"), "new");
      await Deno.writeTextFile(join(dest, stage, ".dot"), "dot");
      await Deno.writeTextFile(join(dest, stage, "-dash"), "dash");
    };
    // Contents (`.`): everything in dest gives way to the stage's entries.
    await fresh();
    assertEquals(await replace(dest, stage, ["."]), 0);
    assertEquals(await listing(dest), ["-dash", ".dot", "a"]);
    assertEquals(await listing(join(dest, "a")), ["new"]);

    // Named entries: only they are replaced, and the stage goes.
    await fresh();
    assertEquals(await replace(dest, stage, ["a", "-dash"]), 0);
    assertEquals(await listing(dest), ["-dash", "a", "other"]);
    assertEquals(await listing(join(dest, "a")), ["new"]);

    // No stage (the first step never made it): nothing is touched.
    await fresh();
    await Deno.remove(join(dest, stage), { recursive: true });
    assertEquals(await replace(dest, stage, ["."]), 1);
    assertEquals(await listing(dest), ["a", "other"]);
  }));

Deno.test("replace_from_stage.sh merge: each staged entry replaces its namesake, folders merge", () =>
  withDest(async ({ dest, stage, at }) => {
    await Deno.mkdir(at("a", "kept dir"), { recursive: true });
    await Deno.writeTextFile(at("a", "old"), "old");
    await Deno.writeTextFile(at("a", "same"), "old version");
    await Deno.writeTextFile(at("other"), "other");
    await Deno.mkdir(at("elsewhere"));
    await Deno.symlink("elsewhere", at("link"));
    await Deno.chmod(at("a"), 0o755);
    await Deno.mkdir(at(stage, "a", "new dir"), { recursive: true });
    await Deno.writeTextFile(at(stage, "a", "same"), "new version");
    await Deno.writeTextFile(at(stage, "a", "new dir", "f"), "f");
    await Deno.writeTextFile(at(stage, "-dash"), "dash");
    await Deno.writeTextFile(at(stage, "two\nlines"), "a name with a newline");
    await Deno.writeTextFile(at(stage, "link"), "a file where a link to a folder was");
    await Deno.chmod(at(stage, "a"), 0o2750);
    const same = await Deno.lstat(at(stage, "a", "same"));

    assertEquals(await replace(dest, stage, ["a", "-dash"], "merge"), 0);
    assertEquals(await listing(dest), ["-dash", "a", "elsewhere", "link", "other", "two\nlines"]);
    assertEquals(await listing(at("a")), ["kept dir", "new dir", "old", "same"]);
    assertEquals(await Deno.readTextFile(at("a", "same")), "new version");
    // Renamed into place, not written over: the staged file itself.
    assertEquals((await Deno.lstat(at("a", "same"))).ino, same.ino);
    assertEquals((await Deno.stat(at("a"))).mode! & 0o7777, 0o2750);
    // The link was replaced, not followed.
    assertEquals((await Deno.lstat(at("link"))).isFile, true);
    assertEquals(await listing(at("elsewhere")), []);

    // A non-empty folder never gives way to a file: the copy fails, the folder stays.
    await Deno.mkdir(at(stage));
    await Deno.writeTextFile(at(stage, "a"), "a file");
    assertEquals(await replace(dest, stage, ["a"], "merge"), 1);
    assertEquals(await listing(at("a")), ["kept dir", "new dir", "old", "same"]);
  }));

Deno.test("replace_from_stage.sh merge: a folder replaces a file, and takes the staged mode exactly", () =>
  withDest(async ({ dest, stage, at }) => {
    await Deno.mkdir(at("src"), { recursive: true });
    await Deno.writeTextFile(at("src", "a"), "a file where a folder comes");
    await Deno.mkdir(at("g"), { mode: 0o777 });
    await Deno.chmod(at("g"), 0o2777);
    await Deno.mkdir(at(stage, "src", "a"), { recursive: true });
    await Deno.writeTextFile(at(stage, "src", "a", "f"), "hi");
    await Deno.mkdir(at(stage, "g"));
    await Deno.chmod(at(stage, "g"), 0o750);
    assertEquals(await replace(dest, stage, ["src", "g"], "merge"), 0);
    assertEquals(await Deno.readTextFile(at("src", "a", "f")), "hi");
    // A number would have left GNU chmod's set-group-ID on the folder.
    assertEquals((await Deno.stat(at("g"))).mode! & 0o7777, 0o750);
  }));

Deno.test("replace_from_stage.sh merge: read-only folders, as a user who is not root", () =>
  withDest(async ({ dir, dest, stage, at }) => {
    // A folder new to DEST, and one already there, both read-only in the copy (a Go module cache).
    await Deno.mkdir(at("old"), { recursive: true });
    await Deno.mkdir(at(stage, "pkg", "sub"), { recursive: true });
    await Deno.writeTextFile(at(stage, "pkg", "sub", "f"), "y");
    await Deno.mkdir(at(stage, "old"));
    await Deno.writeTextFile(at(stage, "old", "g"), "x");
    for (const d of [at(stage, "pkg", "sub"), at(stage, "pkg"), at(stage, "old")]) {
      await Deno.chmod(d, 0o555);
    }
    const nobody = 65534;
    for await (const path of [dir, dest, at("old"), at(stage)]) {
      await Deno.chown(path, nobody, nobody);
    }
    for (const p of ["pkg", "pkg/sub", "pkg/sub/f", "old", "old/g"]) {
      await Deno.chown(at(stage, p), nobody, nobody);
    }
    const out = await new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "sh",
        "-c",
        remoteScript("replace_from_stage"),
        "pool-replace",
        "merge",
        dest,
        stage,
        "pkg",
        "old",
      ],
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(await Deno.readTextFile(at("pkg", "sub", "f")), "y");
    assertEquals(await Deno.readTextFile(at("old", "g")), "x");
    assertEquals((await Deno.stat(at("pkg"))).mode! & 0o777, 0o555);
    assertEquals((await Deno.stat(at("old"))).mode! & 0o777, 0o555);
    assertEquals(await listing(dest), ["old", "pkg"]);
  }));

Deno.test("replace_from_stage.sh merge: a merged folder keeps the staged folder's time", () =>
  withDest(async ({ stage, at, dest }) => {
    await Deno.mkdir(at("d"), { recursive: true });
    await Deno.writeTextFile(at("d", "old"), "old");
    await Deno.mkdir(at(stage, "d"), { recursive: true });
    await Deno.writeTextFile(at(stage, "d", "f"), "f");
    const then = new Date("2001-01-01T00:00:00Z");
    await Deno.utime(at(stage, "d"), then, then);
    await Deno.utime(at(stage), then, then);
    assertEquals(await replace(dest, stage, ["d"], "merge"), 0);
    // Moving its entries out changed the staged folder's time: the one tar gave it is kept.
    assertEquals((await Deno.stat(at("d"))).mtime, then);
    // And DEST's, for contents sent.
    await Deno.mkdir(at(stage, "e"), { recursive: true });
    await Deno.utime(at(stage), then, then);
    assertEquals(await replace(dest, stage, ["."], "merge"), 0);
    assertEquals((await Deno.stat(dest)).mtime, then);
  }));

Deno.test("replace_from_stage.sh mirror of contents leaves another copy's stage alone", () =>
  withDest(async ({ stage, at, dest }) => {
    // Two hosts sharing one home push into the same DEST at once: each has its stage there.
    const other = ".pool-unpack.5678ef01";
    await Deno.mkdir(at(other, "x"), { recursive: true });
    await Deno.writeTextFile(at("old"), "old");
    await Deno.mkdir(at(stage));
    await Deno.writeTextFile(at(stage, "new"), "new");
    assertEquals(await replace(dest, stage, ["."]), 0);
    assertEquals(await listing(dest), [other, "new"]);
    // A stage removed meanwhile (by an older pool) is a failure, never an empty DEST and exit 0.
    assertEquals(await replace(dest, ".pool-unpack.gone", ["."]), 1);
  }));

Deno.test("replace_from_stage.sh merge leaves nothing in TMPDIR, whether it ends well or stops", () =>
  withDest(async ({ dir, dest, stage, at }) => {
    // The times it keeps for folders went to files in /tmp, left there when a merge stopped
    // at an entry it could not put in place (one per folder, on every such push).
    const tmp = join(dir, "tmp");
    await Deno.mkdir(tmp);
    await Deno.mkdir(at(stage, "a", "b"), { recursive: true });
    await Deno.writeTextFile(at(stage, "a", "b", "f"), "new");
    await Deno.mkdir(at("a", "b"), { recursive: true });
    assertEquals(await replace(dest, stage, ["."], "merge", tmp), 0);
    assertEquals(await listing(tmp), [], "after a merge that ended well");
    // A folder, not empty, where a file comes: it does not give way, and the merge stops there.
    await Deno.mkdir(at(stage, "a"), { recursive: true });
    await Deno.writeTextFile(at(stage, "a", "c"), "a file");
    await Deno.mkdir(at("a", "c", "full"), { recursive: true });
    assertEquals(await replace(dest, stage, ["."], "merge", tmp), 1);
    assertEquals(await listing(tmp), [], "after a merge that stopped");
  }));
