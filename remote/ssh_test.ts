import { join } from "node:path";
import { assertEquals } from "../tests/assert.ts";
import {
  configOverrides,
  hostKeyOptions,
  passwdHome,
  probeConfig,
  resolveTarget,
  sshArgv,
  sshFailureReason,
  userSshConfig,
} from "./ssh.ts";

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
    [
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n" +
      "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n" +
      "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n" +
      "Host key for 127.0.0.5 has changed and you have requested strict checking.\n" +
      "Host key verification failed.",
      "host key changed",
    ],
    [
      "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\n" +
      "Password authentication is disabled to avoid man-in-the-middle attacks.\n" +
      "root@127.0.0.5: Permission denied (publickey).",
      "host key changed",
    ],
    ["ssh: Could not resolve hostname nope: Name or service not known", "unknown host"],
    ["kex_exchange_identification: read: Connection reset by peer", "closed"],
    [
      "/home/me/.ssh/config: line 2: Bad configuration option: bogus\n" +
      "/home/me/.ssh/config: terminating, 1 bad configuration options",
      "ssh config",
    ],
    ["Can't open user config file /nope: No such file or directory", "ssh config"],
    ["some output of the remote command", null],
  ];
  for (const [stderr, reason] of cases) assertEquals(sshFailureReason(stderr), reason, stderr);
});

Deno.test("resolveTarget() never guesses a host-key policy from a config path ssh would glob", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["cfg[1]", "cfg*", "cfg?", "cfg\\x"]) {
      const config = join(dir, name);
      await Deno.writeTextFile(config, "Host h1\n  StrictHostKeyChecking yes\n");
      // The probe's Include would match nothing, and pool's accept-new would show through.
      const target = await resolveTarget("h1", config);
      assertEquals([target, hostKeyOptions(target)], [null, []], name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveTarget() tells a user's own StrictHostKeyChecking from ssh's default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "ssh_config");
    await Deno.writeTextFile(
      config,
      "Host strict\n  StrictHostKeyChecking yes\nHost asking\n  StrictHostKeyChecking ask\n" +
        "Host lax\n  StrictHostKeyChecking no\nHost mine\n  StrictHostKeyChecking accept-new\n" +
        "Host jumped\n  ProxyJump bastion\n" +
        "Host *\n  User me\n  HostName 10.0.0.7\n  Port 2222\n",
    );
    const checking = async (alias: string) => (await resolveTarget(alias, config))?.hostKeyChecking;
    assertEquals(await checking("strict"), "true");
    assertEquals(await checking("asking"), "ask");
    assertEquals(await checking("lax"), "false");
    assertEquals(await checking("mine"), null, "the same as pool's own default");
    assertEquals(await checking("other"), null);
    const other = (await resolveTarget("other", config))!;
    assertEquals([other.user, other.hostname, other.port], ["me", "10.0.0.7", 2222]);
    // Same address, same way: one master; a jump host or another host-key policy: another.
    assertEquals((await resolveTarget("another", config))!.settings, other.settings);
    for (const alias of ["jumped", "strict"]) {
      assertEquals((await resolveTarget(alias, config))!.settings === other.settings, false, alias);
    }
    assertEquals(hostKeyOptions(other), ["-o", "StrictHostKeyChecking=accept-new"]);
    assertEquals(hostKeyOptions((await resolveTarget("strict", config))!), []);
    assertEquals(hostKeyOptions(null), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveTarget() says where the user's config sets a RemoteCommand, and pool overrides it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "config");
    await Deno.writeTextFile(
      config,
      "Host own\n  RemoteCommand tmux new -A\nHost *\n  HostName 127.0.0.1\n",
    );
    const own = await resolveTarget("own", config);
    const plain = await resolveTarget("plain", config);
    assertEquals([own?.remoteCommand, plain?.remoteCommand], [true, false]);
    assertEquals(configOverrides(own), ["-o", "RemoteCommand=none"]);
    assertEquals(configOverrides(plain), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configOverrides() raises a log level quieter than ERROR to ERROR, and no other", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "config");
    const levels = ["QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG3"];
    await Deno.writeTextFile(
      config,
      levels.map((l) => `Host ${l}\n  LogLevel ${l}\n`).join("") + "Host *\n  HostName 127.0.0.1\n",
    );
    const raised = [];
    for (const level of levels) {
      if (configOverrides(await resolveTarget(level, config)).includes("LogLevel=ERROR")) {
        raised.push(level);
      }
    }
    assertEquals(raised, ["QUIET", "FATAL"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the probe reads the user config ssh reads: the passwd home's, not $HOME's", () => {
  const uid = Deno.uid();
  const passwd = () =>
    `root:x:0:0:root:/root:/bin/bash\nme:x:${uid}:${uid}::/home/me:/bin/sh\nbroken line\n`;
  assertEquals(passwdHome(passwd(), uid), uid === 0 ? "/root" : "/home/me");
  assertEquals(passwdHome(passwd(), 4242), null);
  assertEquals(passwdHome(passwd(), null), null);
  const home = uid === 0 ? "/root" : "/home/me";
  assertEquals(probeConfig(undefined, passwd)?.split("\n")[0], `Include "${home}/.ssh/config"`);
  assertEquals(userSshConfig("/tmp/elsewhere", passwd), `${home}/.ssh/config`);
  // No line for this account (a directory service's): $HOME's, as ssh's ~ would be.
  assertEquals(probeConfig(undefined, () => "")?.split("\n")[0], "Include ~/.ssh/config");
  assertEquals(userSshConfig("/tmp/elsewhere/", () => ""), "/tmp/elsewhere/.ssh/config");
});
