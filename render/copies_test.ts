import { assertEquals } from "../tests/assert.ts";
import type { CopyResult } from "../remote/transfer.ts";
import { copyDetail, copyJson, copyLine, ProgressLine } from "./copies.ts";
import { Output } from "./out.ts";

const failed = (stderr: string): CopyResult => ({
  host: "h1",
  code: 23,
  outcome: "failed",
  stdout: "",
  stderr,
  stdoutBytes: new Uint8Array(0),
  stderrBytes: new TextEncoder().encode(stderr),
  durationMs: 5,
});

Deno.test("copyDetail() names the cause rsync or tar gave first, not its echo after", () => {
  const rsync = [
    'rsync: [sender] link_stat "/var/log/syslog" failed: No such file or directory (2)',
    "rsync error: some files/attrs were not transferred (see previous errors) (code 23)",
    "rsync: [Receiver] write error: Broken pipe (32)",
  ].join("\n");
  assertEquals(copyDetail(failed(rsync), "received"), rsync.split("\n")[0]);
  const tar = "tar: /x: Cannot stat: No such file or directory\n" +
    "tar: Exiting with failure status due to previous errors\n";
  assertEquals(copyDetail(failed(tar), "sent"), "tar: /x: Cannot stat: No such file or directory");
  // tar run here names itself by its path; its closing summary is no cause either.
  const local = "/usr/bin/tar: sub/a.bin: Wrote only 5120 of 10240 bytes\n" +
    "/usr/bin/tar: Exiting with failure status due to previous errors\n";
  assertEquals(copyDetail(failed(local), "received"), local.split("\n")[0]);
  assertEquals(copyDetail(failed("something else\nthe end\n"), "sent"), "the end");
  assertEquals(copyDetail(failed(""), "sent"), "exit 23");
});

Deno.test("copyLine() says a host stopped by pool was stopped, not what rsync said dying", () => {
  const stopped: CopyResult = {
    ...failed("rsync error: unexplained error (code 255) at rsync.c(716)\n"),
    code: 130,
    outcome: "interrupted",
  };
  assertEquals(copyLine(stopped, (name) => name.padEnd(2), "sent"), "h1  stopped exit 130");
});

Deno.test("colour and the progress line only on a terminal that takes escapes (not TERM=dumb)", () => {
  const drawn = (term: string | undefined) => {
    const written: string[] = [];
    const terminal = {
      write: (b: Uint8Array) => void written.push(new TextDecoder().decode(b)),
      isTerminal: () => true,
    };
    const out = new Output(terminal, terminal, (n) => (n === "TERM" ? term : undefined));
    const progress = new ProgressLine(out, "pushing", 2);
    progress.draw();
    return [out.color, written.join("").includes("\x1b")];
  };
  assertEquals(drawn("xterm-256color"), [true, true]);
  assertEquals(drawn(undefined), [true, true]);
  assertEquals(drawn("dumb"), [false, false]);
});

Deno.test("copyDetail() says a copy failed on a host whose login shell prints text", () => {
  const rsync = "protocol version mismatch -- is your shell clean?\n" +
    "(see the rsync manpage for an explanation)\n" +
    "rsync error: protocol incompatibility (code 2) at compat.c(622) [sender=3.2.7]\n";
  assertEquals(
    copyDetail(failed(rsync), "sent"),
    "protocol version mismatch -- is your shell clean? (the host's login shell prints text " +
      "before the command: an rc file that echoes?)",
  );
  const tar = "/usr/bin/tar: This does not look like a tar archive\n" +
    "/usr/bin/tar: Exiting with failure status due to previous errors\n";
  assertEquals(
    copyDetail(failed(tar), "received"),
    "/usr/bin/tar: This does not look like a tar archive (the host's login shell prints text " +
      "before the command: an rc file that echoes?)",
  );
});

Deno.test("copyJson() is one line for every line reader: a host's text cannot split it", () => {
  // rsync's words name the file, and a file's name may hold a LINE SEPARATOR.
  const line = copyJson(failed('rsync: open "a\u2028b\u0085c" failed\n'));
  assertEquals(/[\n\r\u0085\u2028\u2029]/.test(line), false, line);
  assertEquals(JSON.parse(line).stderr, 'rsync: open "a\u2028b\u0085c" failed\n');
});
