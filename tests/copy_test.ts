/**
 * `pool push` and `pool pull` against real sshd test hosts, each with a home
 * of its own; h10's sessions have no rsync on PATH, so it takes the tar path.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, POOL_ARGV, spawnPool, writeRoster } from "./helpers.ts";
import { assertGone, eventually, processesWith, until } from "./procs.ts";

const HOSTS = 10;
const names = Array.from({ length: HOSTS }, (_, i) => `h${i + 1}`);

/** Random bytes, 64 KiB at a time (the most getRandomValues gives at once). */
function random(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}

/** A tree with what copies get wrong: links, modes, spaces, unicode, empty things, binary data. */
async function makeTree(root: string): Promise<void> {
  const file = async (path: string, data: string | Uint8Array, mode = 0o644) => {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(join(root, path), data);
    else await Deno.writeFile(join(root, path), data);
    await Deno.chmod(join(root, path), mode);
  };
  await file("plain.txt", "hello\n");
  await file("run me.sh", "#!/bin/sh\necho hi\n", 0o755);
  await file("secret", "s3cr3t", 0o600);
  await file("read-only", "ro", 0o444);
  await file("naïve café/日本語 ファイル.txt", "unicode\n");
  await file("emoji 🚀/ tab\there", "x");
  await file("empty", "");
  await file("-dash", "a name tar and rsync could read as an option\n");
  await file("deep/a/b/c/d.bin", crypto.getRandomValues(new Uint8Array(4096)));
  await file("big.bin", random(1 << 20));
  await file("noise.log", "log line\n");
  await Deno.mkdir(join(root, "empty dir"));
  await Deno.mkdir(join(root, "private dir"), { mode: 0o700 });
  await Deno.chmod(join(root, "private dir"), 0o700);
  await Deno.symlink("plain.txt", join(root, "link to plain"));
  await Deno.symlink("../naïve café", join(root, "deep/up link"));
  await Deno.symlink("/nonexistent/target", join(root, "dangling"));
}

interface Entry {
  kind: string;
  mode: number;
  data?: string;
}

/** Every entry under `root`: kind, permission bits, and the bytes or link target. */
async function snapshot(root: string): Promise<Record<string, Entry>> {
  const found: Record<string, Entry> = {};
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(root, rel))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const info = await Deno.lstat(join(root, path));
      const mode = (info.mode ?? 0) & 0o7777;
      if (info.isSymlink) {
        found[path] = { kind: "link", mode: 0, data: await Deno.readLink(join(root, path)) };
      } else if (info.isDirectory) {
        found[path] = { kind: "dir", mode };
        await walk(path);
      } else {
        const bytes = await Deno.readFile(join(root, path));
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        found[path] = { kind: "file", mode, data: [...digest].map((b) => b.toString(16)).join("") };
      }
    }
  };
  await walk("");
  return found;
}

function jsonLines(r: { stdout: string }) {
  return Object.fromEntries(
    r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).map((o) => [o.name, o]),
  );
}

fleetTest("pool push and pull", HOSTS, async (t, fleet) => {
  await writeRoster(fleet, [...names.map((name) => ({ name })), { name: "down", ssh: "refused" }]);
  const local = join(fleet.dir, "local");
  const tree = join(local, "tree");
  await makeTree(tree);
  const expected = await snapshot(tree);

  await t.step(
    "push to 10 hosts: rsync where it can, tar on h10; the dead host fails alone",
    async () => {
      // The hosts share this machine's disk: each must really have a home of its own.
      const homes = await pool(fleet, ["on", "h[1-10]", "--prefix", "host:", "pwd"]);
      assertEquals(
        homes.stdout.trimEnd().split("\n").sort(),
        names.map((n) => `${n}: /root/hosts/${n}`).sort(),
      );
      const r = await pool(fleet, ["push", "h[1-10],down", tree, "work/dest", "--json"]);
      assertEquals(r.code, 255, r.stderr);
      const by = jsonLines(r);
      for (const name of names.slice(0, 9)) {
        assertEquals([by[name].status, by[name].method], ["ok", "rsync"], JSON.stringify(by[name]));
      }
      assertEquals([by.h10.status, by.h10.method, by.h10.fallback], [
        "ok",
        "tar",
        "no rsync on h10",
      ]);
      assert(by.h10.bytes > 1 << 20, "the tar stream carries everything");
      assertEquals([by.down.status, by.down.exit, by.down.reason], ["unreachable", 255, "refused"]);
      assertMatch(r.stderr, /1 of 11 hosts failed\n {2}unreachable: down \(refused\)/);
    },
  );

  await t.step("pull brings each host's copy back byte for byte, into <dir>/<host>/", async () => {
    const back = join(fleet.dir, "back");
    const r = await pool(fleet, ["pull", "h[1-10]", "work/dest/tree", back]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    for (const name of names) {
      assertEquals(await snapshot(join(back, name, "tree")), expected, name);
    }
    assertMatch(r.stdout, /^h10 +tar +everything received, .*\(no rsync on h10\)$/m);
    assertMatch(r.stdout, /^h1 +rsync +\d+ of \d+ files received, /m);
  });

  await t.step(
    "a second push sends only what changed, and rsync only the changed bytes",
    async () => {
      const big = await Deno.readFile(join(tree, "big.bin"));
      big.set(new TextEncoder().encode("changed in the middle"), 500_000);
      await Deno.writeFile(join(tree, "big.bin"), big);
      const r = await pool(fleet, ["push", "h[1-10]", tree, "work/dest", "--json"]);
      assertEquals(r.code, 0, r.stderr);
      const by = jsonLines(r);
      for (const name of names.slice(0, 9)) {
        assertEquals(by[name].files_transferred, 1, JSON.stringify(by[name]));
        assert(by[name].bytes < 100_000, `${name} sent ${by[name].bytes} bytes for a 1 MiB file`);
      }
      assert(by.h10.bytes > 1 << 20);
      const back = join(fleet.dir, "back2");
      assertEquals((await pool(fleet, ["pull", "h1,h10", "work/dest/tree/", back])).code, 0);
      const now = await snapshot(tree);
      assertEquals(await snapshot(join(back, "h1")), now);
      assertEquals(await snapshot(join(back, "h10")), now);
    },
  );

  await t.step("a pulled path's wildcards mean the same with rsync and with tar", async () => {
    const back = join(fleet.dir, "wild");
    const r = await pool(fleet, [
      "pull",
      "h1,h10",
      "work/dest/tree/*.txt",
      "work/dest/tree/[bn]*.??g",
      "work/dest/tree/-*",
      back,
      "--json",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const by = jsonLines(r);
    assertEquals([by.h1.method, by.h10.method], ["rsync", "tar"]);
    for (const name of ["h1", "h10"]) {
      assertEquals(
        [...Deno.readDirSync(join(back, name))].map((e) => e.name).sort(),
        ["-dash", "noise.log", "plain.txt"],
        name,
      );
    }
    // No match: both say the path is not there, and neither copies anything.
    const none = await pool(fleet, ["pull", "h1,h10", "work/dest/tree/*.nope", join(back, "n")]);
    assertEquals(none.code === 0, false);
    assertMatch(none.stdout, /^h1 +failed .*No such file/m);
    assertMatch(none.stdout, /^h10 +failed +tar: .*\*\.nope: Cannot stat/m);
    // A wildcard in a folder's name is tar's to refuse, not to read as a name.
    const folder = await pool(fleet, ["pull", "h10", "work/*/tree/plain.txt", join(back, "f")]);
    assertMatch(folder.stdout, /^h10 +failed +a wildcard in a folder's name \(/m);
  });

  await t.step("--delete removes what the source lost; --exclude leaves files out", async () => {
    await Deno.remove(join(tree, "secret"));
    let r = await pool(fleet, ["push", "h1,h10", `${tree}/`, "work/mirror"]);
    assertEquals(r.code, 0, r.stderr);
    await Deno.writeTextFile(join(tree, "secret"), "back");
    r = await pool(fleet, ["push", "h1,h10", `${tree}/`, "work/mirror", "--exclude", "*.log"]);
    assertEquals(r.code, 0, r.stderr);
    await Deno.remove(join(tree, "secret"));
    r = await pool(fleet, ["push", "h1,h10", `${tree}/`, "work/mirror", "--delete"]);
    assertEquals(r.code, 0, r.stderr);
    const back = join(fleet.dir, "back3");
    r = await pool(fleet, ["pull", "h1,h10", "~/work/mirror/", back, "--exclude", "*.log"]);
    assertEquals(r.code, 0, r.stderr);
    const want = await snapshot(tree);
    delete want["noise.log"];
    for (const name of ["h1", "h10"]) {
      const got = await snapshot(join(back, name));
      assertEquals(got.secret, undefined, `${name} kept a deleted file`);
      assertEquals(got, want, name);
    }
  });

  await t.step(
    "tar's --delete never takes more than rsync's, nor anything on failure",
    async () => {
      const before = async () => (await pool(fleet, ["on", "h10", "ls -A work/mirror"])).stdout;
      const listed = await before();
      // rsync keeps what --exclude keeps out of the copy; tar cannot tell it apart: refused there.
      const r = await pool(fleet, [
        "push",
        "h1,h10",
        `${tree}/`,
        "work/mirror",
        "--delete",
        "--exclude",
        "*.log",
      ]);
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stdout, /^h10 +failed +--delete with --exclude or --gitignore needs rsync/m);
      assertMatch(r.stdout, /^h1 +rsync /m);
      assertEquals(await before(), listed, "nothing deleted on h10");
      // A pull that fails (no such path there) leaves the local copy as it was.
      const back = join(fleet.dir, "back3");
      const kept = await snapshot(join(back, "h10"));
      const p = await pool(fleet, ["pull", "h10", "~/work/no-such-dir/", back, "--delete"]);
      assertEquals(p.code === 0, false, p.stdout);
      assertEquals(await snapshot(join(back, "h10")), kept, "pull --delete cleared first");
      assertEquals(
        (await Array.fromAsync(Deno.readDir(join(back, "h10")))).some((e) =>
          e.name.startsWith(".pool-unpack")
        ),
        false,
      );
      // One that succeeds puts the host's copy in place of everything there, stale files included.
      await Deno.writeTextFile(join(back, "h10", "stale"), "gone after a --delete pull");
      const ok = await pool(fleet, ["pull", "h10", "~/work/mirror/", back, "--delete"]);
      assertEquals(ok.code, 0, ok.stderr);
      // The mirror the --delete push above left: the tree as it is now.
      assertEquals(await snapshot(join(back, "h10")), await snapshot(tree));
    },
  );

  await t.step("--gitignore sends what git keeps, without .git, by rsync and by tar", async () => {
    const repo = join(local, "checkout");
    await Deno.mkdir(join(repo, "build"), { recursive: true });
    const git = (...args: string[]) =>
      new Deno.Command("git", { args: ["-C", repo, ...args], stdout: "null", stderr: "null" })
        .output();
    await git("init", "-q");
    await Deno.writeTextFile(join(repo, ".gitignore"), "build/\n*.tmp\n");
    await Deno.writeTextFile(join(repo, "main.ts"), "tracked\n");
    await Deno.writeTextFile(join(repo, "new file.ts"), "untracked, not ignored\n");
    await Deno.writeTextFile(join(repo, "-flag.ts"), "a name tar could read as an option\n");
    await Deno.writeTextFile(join(repo, "build/out.o"), "ignored\n");
    await Deno.writeTextFile(join(repo, "scratch.tmp"), "ignored\n");
    // A repository inside, which git does not track: its .git never goes.
    await Deno.mkdir(join(repo, "vendor"));
    await new Deno.Command("git", { args: ["-C", join(repo, "vendor"), "init", "-q"] }).output();
    await Deno.writeTextFile(join(repo, "vendor", "lib.ts"), "vendored\n");
    await git("add", "main.ts", ".gitignore");
    const r = await pool(fleet, ["push", "h2,h10", repo, "work/git", "--gitignore"]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const back = join(fleet.dir, "back4");
    assertEquals((await pool(fleet, ["pull", "h2,h10", "work/git/checkout/", back])).code, 0);
    for (const name of ["h2", "h10"]) {
      const files = Object.keys(await snapshot(join(back, name))).sort();
      assertEquals(
        files.filter((f) => !f.startsWith("vendor")),
        ["-flag.ts", ".gitignore", "main.ts", "new file.ts"],
        name,
      );
      assertEquals(files.filter((f) => /(^|\/)\.git(\/|$)/.test(f)), [], `${name}: no .git`);
    }
    const plain = join(fleet.dir, "plain");
    await Deno.mkdir(plain);
    const refused = await pool(fleet, ["push", "h2", plain, "work/x", "--gitignore"]);
    assertEquals(refused.code, 1);
    assertMatch(refused.stdout, /^h2 +failed +--gitignore: .* is not in a git checkout$/m);
  });

  await t.step(
    "--dry-run says the method and the command per host, and copies nothing",
    async () => {
      const r = await pool(fleet, ["push", "h3,h10", tree, "work/dry", "--dry-run"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stdout,
        /^h3 +rsync +would run: rsync -a -s --stats -e 'ssh -F .*BatchMode=yes.*' -- \S+ h3:work\/dry\/$/m,
      );
      assertMatch(
        r.stdout,
        /^h10 +tar +\(no rsync on h10\) would run: COPYFILE_DISABLE=1 tar -c -f - -C \S+ tree \| ssh .* -- h10 /m,
      );
      // macOS's tar packs no `._name` files for the other end's tar to unpack as files.
      const pull = await pool(fleet, [
        "pull",
        "h10",
        "work/dry",
        join(fleet.dir, "x"),
        "--dry-run",
      ]);
      assertMatch(
        pull.stdout,
        /^h10 +tar .* would run: ssh .* -- h10 'env COPYFILE_DISABLE=1 tar /m,
      );
      const check = await pool(fleet, ["on", "h3,h10", "test -e work/dry"]);
      assertEquals(check.code, 1, "the dry run made the destination");
    },
  );

  await t.step("refuses a missing source before contacting any host", async () => {
    const r = await pool(fleet, ["push", "all", join(fleet.dir, "nope"), "x"]);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /^pool: cannot read .*nope: No such file or directory/);
    const usage = await pool(fleet, ["push", "all", "only-one"]);
    assertEquals([usage.code, usage.stderr], [
      2,
      "pool: missing destination: pool push <hosts> <path...> <dest>\n",
    ]);
  });

  // A file whose copy takes longer than the tests wait: 2 GiB of holes, read as zeros.
  const slow = join(local, "slow");
  const makeSlow = async () => {
    await Deno.mkdir(slow, { recursive: true });
    const f = await Deno.open(join(slow, "data"), { write: true, create: true, truncate: true });
    await f.truncate(2 * 1024 ** 3);
    f.close();
  };
  const onH10 = async (command: string) => (await pool(fleet, ["on", "h10", command])).stdout;

  await t.step("a tar copy cut short leaves the old files as they were, and no stage", async () => {
    await Deno.mkdir(slow, { recursive: true });
    await Deno.writeTextFile(join(slow, "data"), "the old copy\n");
    assertEquals((await pool(fleet, ["push", "h10", slow, "work/cut"])).code, 0);
    await makeSlow();
    const r = await pool(fleet, ["push", "h10", slow, "work/cut", "--timeout", "1s"]);
    assertEquals(r.code, 124, r.stdout + r.stderr);
    assertEquals(await onH10("cat work/cut/slow/data; ls -A work/cut"), "the old copy\nslow\n");
    // Stopped (Ctrl-C) rather than timed out: the stage goes all the same.
    const child = spawnPool(fleet, ["push", "h10", slow, "work/cut"]);
    const staged = () => onH10("ls -A work/cut").then((l) => l.includes(".pool-unpack."));
    assert(await eventually(staged, 20_000), "the copy never started");
    child.kill("SIGINT");
    assertEquals((await child.output()).code, 130);
    assertEquals(await onH10("cat work/cut/slow/data; ls -A work/cut"), "the old copy\nslow\n");
  });

  await t.step(
    "tar refuses rsync's anchored and folder-only excludes instead of ignoring them",
    async () => {
      const r = await pool(fleet, ["push", "h1,h10", tree, "work/ex", "--exclude", "deep/"]);
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stdout, /^h10 +failed +--exclude deep\/ needs rsync here and on h10/m);
      assertEquals(await onH10("ls -A work/ex"), "", "nothing sent to h10");
      const h1 = await pool(fleet, ["on", "h1", "ls work/ex/tree | grep -c deep"]);
      assertEquals(h1.stdout, "0\n", "rsync left deep/ out");
      // tar's * matches a /, and a contents copy is its member `.`, which `.*` matches.
      for (
        const [source, pattern, why] of [
          [tree, "tree/*.bin", /in tar a wildcard matches a \/ too$/m],
          [`${tree}/`, ".*", /tar would leave out the whole folder sent/m],
        ] as const
      ) {
        const r = await pool(fleet, ["push", "h10", source, "work/ex2", "--exclude", pattern]);
        assertEquals(r.code, 1, r.stderr);
        assertMatch(r.stdout, why);
      }
      assertEquals(await onH10("ls -A work/ex2 2>/dev/null"), "", "nothing sent to h10");
    },
  );

  await t.step("a local path with a colon is a path, not host:path", async () => {
    const odd = join(fleet.dir, "colon");
    await Deno.mkdir(odd);
    await Deno.writeTextFile(join(odd, "a:b"), "colon\n");
    const push = new Deno.Command(POOL_ARGV[0], {
      args: [...POOL_ARGV.slice(1), "push", "h1,h10", "a:b", "work/colon"],
      cwd: odd,
      env: childEnv(fleet.env),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    });
    const out = await push.output();
    assertEquals(
      out.code,
      0,
      new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    );
    const both = await pool(fleet, ["on", "h1,h10", "--prefix", "host:", "cat work/colon/a:b"]);
    assertEquals(both.stdout.split("\n").sort().join("\n"), "\nh10: colon\nh1: colon");
  });

  await t.step("on this machine, ~ is $HOME, not the folder pool runs in", async () => {
    const r = await pool(fleet, ["push", "local", join(tree, "plain.txt"), "~/tilde-dest"]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    assertEquals(
      await Deno.readTextFile(join(fleet.env.HOME, "tilde-dest", "plain.txt")),
      "hello\n",
    );
    const cwd = await Deno.stat("tilde-dest").then(() => true, () => false);
    if (cwd) await Deno.remove("tilde-dest", { recursive: true });
    assertEquals(cwd, false, "pushed into pool's working folder");
  });

  await t.step("a CDPATH in a host's profile never moves a copy or its --delete", async () => {
    await onH10("mkdir -p elsewhere/cd && echo precious > elsewhere/cd/keep");
    await onH10(`echo 'export CDPATH=$HOME/elsewhere' >> .bashrc`);
    try {
      const r = await pool(fleet, ["push", "h10", `${tree}/`, "cd", "--delete"]);
      assertEquals(r.code, 0, r.stderr + r.stdout);
      assertEquals(
        await onH10("cat elsewhere/cd/keep; test -f cd/plain.txt && echo here"),
        "precious\nhere\n",
      );
    } finally {
      await onH10("sed -i '/CDPATH/d' .bashrc");
    }
  });
}, { homes: true, withoutRsync: ["h10"] });

fleetTest("route --push and bg --push ship a directory and run in it", 1, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  const proj = join(fleet.dir, "proj");
  await Deno.mkdir(join(proj, "junk"), { recursive: true });
  await Deno.writeTextFile(join(proj, "marker"), "shipped\n");
  await Deno.writeTextFile(join(proj, "junk", "big"), "ignored by git\n");
  await Deno.writeTextFile(join(proj, ".gitignore"), "junk/\n");
  await new Deno.Command("git", { args: ["-C", proj, "init", "-q"], stdout: "null" }).output();
  const ledger = join(fleet.dir, "state", "leases.json");
  const leases = async () =>
    JSON.parse(await Deno.readTextFile(ledger).catch(() => '{"leases":[]}')).leases;

  await t.step("route --push . runs the command in the pushed copy, under its lease", async () => {
    const r = await pool(fleet, [
      "route",
      "--mem",
      "1M",
      "--push",
      proj,
      "--gitignore",
      `cat marker; pwd; ls; cat ${ledger}`,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const [marker, pwd, ...rest] = r.stdout.split("\n");
    assertEquals([marker, pwd], ["shipped", "/root/hosts/h1/.pool/push/proj"]);
    const listing = rest.slice(0, rest.findIndex((l) => l.startsWith("{")));
    assertEquals(listing, ["marker"], "git's ignored junk/ stayed home");
    // The ledger, read by the command itself: its host's lease was held while it ran.
    const held = JSON.parse(rest.slice(listing.length).join("\n")).leases;
    assertEquals(held.map((l: { host: string; mem_bytes: number }) => [l.host, l.mem_bytes]), [
      ["h1", 1 << 20],
    ]);
    assertMatch(
      r.stderr,
      /^pool: pushed \S+proj to h1:\.pool\/push\/proj \(rsync, \d+ of \d+ files sent, /m,
    );
    assertEquals(await leases(), [], "released after the command");
  });

  await t.step("a path that is not there fails before anything is reserved", async () => {
    const r = await pool(fleet, [
      "route",
      "--mem",
      "1M",
      "--push",
      join(fleet.dir, "nope"),
      "true",
    ]);
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /^pool: cannot read \S+nope: No such file or directory/);
    assertEquals(await leases(), []);
  });

  await t.step("bg --push PATH:DEST starts the job in DEST", async () => {
    const r = await pool(fleet, ["bg", "--push", `${proj}:work/job`, "h1", "cat marker > done"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^h1 {2}job \S+ {2}pid \d+ {2}log /);
    for (let i = 0;; i++) {
      const done = await pool(fleet, ["on", "h1", "cat work/job/done"]);
      if (done.stdout === "shipped\n") break;
      assert(i < 100, "the job never wrote its file");
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}, { homes: true });

/** rsync held to `kbps` KB/s, here and on the hosts (the fleet's bin comes first on theirs). */
const SLOW_RSYNC = (kbps: number) => `#!/bin/sh\nexec /usr/bin/rsync --bwlimit=${kbps} "$@"\n`;
const kbps = 2000 + Math.floor(Math.random() * 1000);

fleetTest("push and pull killed outright leave no rsync copying on", 1, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }]);
  // The bandwidth limit is the marker too: every rsync of this test's, on either side, has it.
  const marker = `--bwlimit=${kbps}`;
  const env = { PATH: `${join(fleet.dir, "bin")}:${Deno.env.get("PATH")}` };
  const work = join(fleet.dir, "killed");
  await Deno.mkdir(join(work, "src"), { recursive: true });
  // 16 MiB of nothing (sparse), some seconds at that rate, and no disk.
  const file = join(work, "src", "big.bin");
  await Deno.writeFile(file, new Uint8Array());
  await Deno.truncate(file, 16 << 20);
  for (const direction of ["push", "pull"] as const) {
    await t.step(direction, async () => {
      const dest = join(work, `${direction}-dest`);
      await Deno.mkdir(dest);
      // Where the copy lands: a pull puts each host's under its name.
      const landed = join(direction === "pull" ? join(dest, "h1") : dest, "big.bin");
      const child = spawnPool(fleet, [direction, "h1", file, dest], "null", env);
      // Under way: rsync's temp file is there, the file itself not yet.
      const partial = async () => {
        for await (const e of Deno.readDir(join(landed, ".."))) {
          if (e.name.startsWith(".big.bin.")) return true;
        }
        return false;
      };
      await until("the copy under way", () => partial().catch(() => false));
      Deno.kill(child.pid, "SIGKILL");
      await child.output();
      await assertGone(marker, `after pool ${direction} was SIGKILLed`);
      const ssh = (await processesWith(fleet.sshConfig)).filter((p) => p.includes("rsync"));
      assertEquals(ssh, [], "rsync's ssh");
      // Nothing went on copying: the file never lands.
      await new Promise((r) => setTimeout(r, 2000));
      assert(!(await exists(landed)), `${landed} was completed after pool was killed`);
    });
  }
}, { bin: { rsync: SLOW_RSYNC(kbps) } });

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
