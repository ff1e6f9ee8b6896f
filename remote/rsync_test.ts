import { assertEquals } from "../tests/assert.ts";
import { parseRsyncStats, rsyncArgv, rsyncMajor, rsyncShell, rsyncWords } from "./rsync.ts";

Deno.test("rsyncArgv() builds push and pull lines: protected args, --, the host's spec", () => {
  assertEquals(
    rsyncArgv(
      {
        direction: "push",
        sources: ["-weird name", "dir/"],
        dest: "~/work",
        delete: true,
        exclude: ["*.log"],
        gitignore: true,
      },
      "ssh -T -o BatchMode=yes",
      "me@box",
      "/tmp/excludes",
    ),
    [
      "rsync",
      "-a",
      "-s",
      "--stats",
      "--delete",
      "--exclude=*.log",
      "--from0",
      "--exclude-from=/tmp/excludes",
      "--exclude=.git",
      "-e",
      "ssh -T -o BatchMode=yes",
      "--",
      "-weird name",
      "dir/",
      "me@box:work/",
    ],
  );
  assertEquals(
    rsyncArgv(
      { direction: "pull", sources: ["/var/log/", "~/a b"], dest: "out/h1" },
      "ssh",
      "h1",
      null,
    ),
    ["rsync", "-a", "-s", "--stats", "-e", "ssh", "--", "h1:/var/log/", "h1:a b", "out/h1/"],
  );
  // This machine itself: no remote shell, plain paths.
  assertEquals(
    rsyncArgv({ direction: "push", sources: ["a"], dest: "/b" }, "", "", null).slice(-3),
    ["--", "a", "/b/"],
  );
});

Deno.test("parseRsyncStats() reads rsync 3.2's --stats", () => {
  const stats = `
Number of files: 5 (reg: 3, dir: 2)
Number of created files: 5 (reg: 3, dir: 2)
Number of deleted files: 0
Number of regular files transferred: 3
Total file size: 60,000 bytes
Total transferred file size: 60,000 bytes
Literal data: 60,000 bytes
Matched data: 0 bytes
File list size: 0
File list generation time: 0.001 seconds
File list transfer time: 0.000 seconds
Total bytes sent: 60,273
Total bytes received: 85

sent 60,273 bytes  received 85 bytes  120,716.00 bytes/sec
total size is 60,000  speedup is 0.99
`;
  assertEquals(parseRsyncStats(stats, "push"), { files: 5, transferred: 3, bytes: 60273 });
  assertEquals(parseRsyncStats(stats, "pull").bytes, 85);
  assertEquals(parseRsyncStats("", "push"), { files: undefined, transferred: undefined, bytes: 0 });
});

Deno.test("rsyncShell() puts an IPv6 address in brackets, as rsync's host:path needs", async () => {
  // No ssh config at all ("none"), and no shared connections: nothing here reads ~/.ssh.
  const exec = {
    timeoutMs: 5000,
    mux: { dir: "/nonexistent", persistSeconds: 0, sshConfig: "none" },
  };
  const spec = async (ssh: string) => (await rsyncShell({ name: "x", ssh }, exec))?.spec;
  assertEquals(await spec("root@2001:db8::5"), "root@[2001:db8::5]");
  assertEquals(await spec("ssh://me@[2001:db8::5]:2222"), "me@[2001:db8::5]");
  assertEquals(await spec("root@h1"), "root@h1");
  assertEquals(await spec("h1"), "h1");
});

Deno.test("rsyncMajor() reads rsync's version line; anything else is no rsync pool uses", () => {
  assertEquals(rsyncMajor("rsync  version 3.2.7  protocol version 31"), 3);
  assertEquals(rsyncMajor("rsync  version v3.4.1  protocol version 32"), 3);
  // macOS's stock rsync: no -s (--protect-args), which pool's paths need.
  assertEquals(rsyncMajor("rsync  version 2.6.9  protocol version 29"), 2);
  assertEquals(rsyncMajor("openrsync: protocol version 29"), null);
  assertEquals(rsyncMajor(""), null);
});

Deno.test("rsyncWords() gives rsync's -e the words back as they were, quotes and all", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-rsync-e-" });
  try {
    // The remote shell rsync starts: it writes down the words it got, one per line.
    const shell = `${dir}/argdump`;
    await Deno.writeTextFile(shell, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/got'\nexit 1\n`);
    await Deno.chmod(shell, 0o755);
    const words = [
      "-o",
      "ProxyCommand=ssh -o BatchMode=yes -W '[%h]:%p' -- 'bastion'",
      "it's",
      "",
      "two  spaces",
      '"double"',
      "back\\slash",
      "$(touch nope)",
    ];
    await new Deno.Command("rsync", {
      args: ["-e", rsyncWords([shell, ...words]), "h1:/nothing", `${dir}/to`],
      stdout: "null",
      stderr: "null",
    }).output();
    const got = (await Deno.readTextFile(`${dir}/got`)).split("\n");
    assertEquals(got.slice(0, words.length), words);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
