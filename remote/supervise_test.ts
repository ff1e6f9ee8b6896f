/**
 * The bash supervisor is sent to hosts whose login shell only pool's records
 * say is bash: in any other shell its command line must run nothing and say
 * no marker, so that pool may send the command again under supervise.sh.
 * Run here, in a temp folder, with each shell this machine has.
 */

import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { findOnPath } from "./process.ts";
import { connectionLost, execOnHost, supervisorLine } from "./exec.ts";
import { localHost } from "../roster/host.ts";

const OTHERS = ["dash", "sh", "zsh", "fish", "ksh", "mksh", "tcsh", "csh"];

async function runIn(shell: string[], line: string, dir: string) {
  const out = await new Deno.Command(shell[0], {
    args: [...shell.slice(1), "-c", line],
    cwd: dir,
    env: { SHELL: shell[0] },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await out.stdin.close();
  const done = await out.output();
  return { code: done.code, stderr: new TextDecoder().decode(done.stderr) };
}

Deno.test("the bash supervisor runs nothing in a shell that is not bash, and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-supervise-" });
  try {
    // Not bash under another name (sh is bash on some systems).
    const shells: string[][] = OTHERS.map((name) => findOnPath(name))
      .filter((p): p is string => p !== null && !Deno.realPathSync(p).endsWith("/bash"))
      .map((p) => [p]);
    const busybox = findOnPath("busybox");
    if (busybox) shells.push([busybox, "sh"]);
    // Unset variables are errors there (a zsh whose .zshenv sets nounset, as many do).
    for (const name of ["dash", "zsh"]) {
      const found = findOnPath(name);
      if (found) shells.push([found, "-u"]);
    }
    assert(shells.length > 0, "no shell but bash to try");
    for (const shell of shells) {
      const line = supervisorLine("bash", "n0nce", true, "echo ran >> ran.txt");
      const r = await runIn(shell, line, dir);
      // Each says the marker on a line of its own (after the test's complaint, in fish and csh);
      // csh's exit 97 ends only the subshell of its || list: it stops later, on bash's syntax.
      assertMatch(r.stderr, /(^|\n)@@pool-n0nce refused\n/, shell.join(" "));
      if (!/csh$/.test(shell[0])) assertEquals(r.code, 97, shell.join(" "));
      const ran = await Deno.readTextFile(`${dir}/ran.txt`).catch(() => "");
      assertEquals(ran, "", `${shell.join(" ")} ran the command (exit ${r.code})`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("in bash it says the marker, runs the command once, and exits with its code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pool-supervise-" });
  try {
    const bash = findOnPath("bash")!;
    const line = supervisorLine("bash", "n0nce", false, "echo ran >> ran.txt; exit 7");
    const r = await runIn([bash], line, dir);
    assertEquals(r.code, 7);
    assert(r.stderr.startsWith("@@pool-n0nce "), r.stderr);
    assertEquals(await Deno.readTextFile(`${dir}/ran.txt`), "ran\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectionLost() reads only ssh's own words, never a command's that look like them", () => {
  assertEquals(
    connectionLost("Connection to 10.0.0.7 closed by remote host.\n"),
    "closed by remote host",
  );
  assertEquals(
    connectionLost("out\nclient_loop: send disconnect: Broken pipe\r\n"),
    "client_loop: send disconnect",
  );
  assertEquals(connectionLost("Timeout, server gpu1 not responding.\n"), "not responding");
  assertEquals(
    connectionLost("ssh_dispatch_run_fatal: Connection to 10.0.0.7 port 22: Broken pipe\n"),
    "Broken pipe",
  );
  assertEquals(connectionLost("curl: (56) Recv failure: Connection reset by peer\n"), null);
  assertEquals(connectionLost("tar: write error: Broken pipe\n"), null);
  assertEquals(connectionLost("the link was closed by remote host, it said\n"), null);
});

Deno.test("the local host reads 128+n as signal n, as the supervisor does over ssh", async () => {
  for (const [command, outcome] of [["exit 130", "signalled"], ["exit 3", "failed"]] as const) {
    const r = await execOnHost(localHost(), command, { timeoutMs: 10_000 });
    assertEquals(r.outcome, outcome, command);
  }
});
