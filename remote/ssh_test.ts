import { assertEquals } from "../tests/assert.ts";
import { sshArgv, sshFailureReason } from "./ssh.ts";

Deno.test("sshArgv() puts safety options after the user's, then --, then the target", () => {
  Deno.env.delete("POOL_SSH_CONFIG");
  assertEquals(sshArgv("me@h", "uptime", { connectTimeout: 5, extra: ["-o", "Port=2222"] }), [
    "ssh",
    "-o",
    "Port=2222",
    "-T",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "StrictHostKeyChecking=accept-new",
    "--",
    "me@h",
    "uptime",
  ]);
});

Deno.test("sshArgv() passes POOL_SSH_CONFIG as -F and -t for a terminal", () => {
  Deno.env.set("POOL_SSH_CONFIG", "/tmp/cfg");
  try {
    const argv = sshArgv("h", null, { connectTimeout: 2.2, tty: true });
    assertEquals(argv.slice(0, 4), ["ssh", "-F", "/tmp/cfg", "-t"]);
    assertEquals(argv.includes("ConnectTimeout=3"), true);
    assertEquals(argv.at(-1), "h");
  } finally {
    Deno.env.delete("POOL_SSH_CONFIG");
  }
});

Deno.test("sshFailureReason() names why ssh gave up, from its real messages", () => {
  const cases: [string, string | null][] = [
    ["ssh: connect to host 127.0.0.9 port 22: Connection refused", "refused"],
    ["Connection timed out during banner exchange", "timeout"],
    ["ssh: connect to host 10.0.0.1 port 22: Connection timed out", "timeout"],
    ["root@127.0.1.1: Permission denied (publickey).", "auth"],
    ["Host key verification failed.", "host key"],
    ["ssh: Could not resolve hostname nope: Name or service not known", "unknown host"],
    ["kex_exchange_identification: read: Connection reset by peer", "closed"],
    ["some output of the remote command", null],
  ];
  for (const [stderr, reason] of cases) assertEquals(sshFailureReason(stderr), reason, stderr);
});
