import { join } from "node:path";
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { assertGone, markerBase } from "../tests/procs.ts";
import {
  configError,
  configOverrides,
  connectTarget,
  hostKeyOptions,
  jumpChain,
  jumpCommand,
  parseJump,
  passwdHome,
  probeConfig,
  RESOLVE_STALLED,
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

Deno.test("parseJump() reads a ProxyJump as ssh does: hops in order, user@, :port, [address], ssh://", () => {
  const hop = (user: string | null, host: string, port: number | null) => ({ user, host, port });
  assertEquals(parseJump("bastion"), [hop(null, "bastion", null)]);
  // ssh fills these in from the target when it connects: such a jump is left to it.
  assertEquals(parseJump("%r@bastion"), null);
  assertEquals(parseJump("a,jump-%h:22"), null);
  assertEquals(parseJump("a,me@b:2222"), [hop(null, "a", null), hop("me", "b", 2222)]);
  // The user up to the last @; an address with colons in brackets; an empty port is none.
  assertEquals(parseJump("a@b@c:22"), [hop("a@b", "c", 22)]);
  assertEquals(parseJump("[::1]:22,[127.0.0.1]"), [
    hop(null, "::1", 22),
    hop(null, "127.0.0.1", null),
  ]);
  assertEquals(parseJump("h:"), [hop(null, "h", null)]);
  assertEquals(parseJump("ssh://ab;x=y@h:7/path"), [hop("ab", "h", 7)]);
  // A %-encoded user too: whether ssh fills in tokens before decoding is its business.
  assertEquals(parseJump("ssh://a%40b@h:7"), null);
  assertEquals(parseJump("ssh://[fe80::1]"), [hop(null, "fe80::1", null)]);
  for (
    const bad of [
      "",
      "a,",
      "@h",
      "h:x",
      "h:0",
      "h:70000",
      "h/x",
      "[::1]x",
      "ssh://@h",
      "ssh://%zz@h",
    ]
  ) {
    assertEquals(parseJump(bad), null, bad);
  }
});

/**
 * What a ProxyCommand becomes where ssh runs it: `%` tokens expanded (`%h`, `%p`, `%%`; any other
 * is an error, as in ssh), then `exec` by a real /bin/sh, with a function standing in for ssh
 * that prints the words it got.
 */
async function runProxyCommand(command: string, host: string, port: string): Promise<string[]> {
  const expanded = command.replace(/%(.)/g, (_, c: string) => {
    if (c === "%") return "%";
    if (c === "h") return host;
    if (c === "p") return port;
    throw new Error(`unknown %${c} in ${command}`);
  });
  const out = await new Deno.Command("sh", {
    args: ["-c", `ssh() { printf '%s\\0' "$@"; }; ${expanded}`],
    stdout: "piped",
  }).output();
  assertEquals(out.code, 0);
  return new TextDecoder().decode(out.stdout).split("\0").slice(0, -1);
}

Deno.test("jumpCommand() gives every hop pool's options, and carries hostile names as data", async () => {
  const evil = `it's $(touch /nope)%h;\`x\` "%p" -o`;
  const hops = [
    { user: `u${evil}`, host: `-a${evil}`, port: 2201 },
    { user: null, host: "b", port: null },
    { user: "me", host: `c%%`, port: 2203 },
  ];
  const config = ["-F", `/tmp/cfg ${evil}`];
  const outer = sshArgv("target", "true", {
    connectTimeout: 7,
    extra: ["-o", `ProxyCommand=${jumpCommand(hops, config)}`],
  });
  const safety = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=7"];
  // The ssh of each hop, last first: the ProxyCommand it got, then its words without it.
  let command = outer[outer.indexOf("-o") + 1].replace(/^ProxyCommand=/, "");
  let next = ["10.0.0.9", "22"];
  const seen = [];
  for (const hop of [...hops].reverse()) {
    const words = await runProxyCommand(command, next[0], next[1]);
    const at = words.findIndex((w) => w.startsWith("ProxyCommand="));
    seen.push(at === -1 ? words : [...words.slice(0, at - 1), ...words.slice(at + 1)]);
    if (at !== -1) command = words[at].slice("ProxyCommand=".length);
    next = [hop.host, String(hop.port ?? 22)];
  }
  assertEquals(seen, [
    ["-l", "me", "-p", "2203", ...config, ...safety, "-W", "[10.0.0.9]:22", "--", "c%%"],
    [...config, ...safety, "-W", "[c%%]:2203", "--", "b"],
    ["-l", `u${evil}`, "-p", "2201", ...config, ...safety, "-W", "[b]:22", "--", `-a${evil}`],
  ]);
  // No deadline: BatchMode alone, as for the ssh pool starts.
  const open = sshArgv("t", null, {
    connectTimeout: Infinity,
    extra: ["-o", jumpCommand(hops, [])],
  });
  assertEquals(open.some((w) => w.includes("ConnectTimeout") || w.includes("\0")), false);
  assertEquals(open.some((w) => w.includes("BatchMode=yes -W")), true);
});

Deno.test("jumpChain() follows the first hop's own ProxyJump back, and leaves a loop to ssh", async () => {
  const configs: Record<string, string> = {
    b: "proxyjump a\n",
    a: "proxyjump root@z:2\n",
    z: "proxycommand nc %h %p\n",
    loop: "proxyjump loop\n",
  };
  const show = (hop: { host: string }) => Promise.resolve(configs[hop.host] ?? null);
  assertEquals((await jumpChain(parseJump("b,c")!, show))?.map((h) => h.host), [
    "z",
    "a",
    "b",
    "c",
  ]);
  assertEquals(await jumpChain(parseJump("loop")!, show), null);
  assertEquals(await jumpChain(parseJump("unknown")!, show), null);
});

Deno.test("resolveTarget() gives a jump's hops, and the hops name the control socket", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "ssh_config");
    await Deno.writeTextFile(
      config,
      "Host one\n  ProxyJump b\nHost two\n  ProxyJump a,b\nHost spec\n  ProxyJump me@[10.0.0.2]:2222\n" +
        "Host own\n  ProxyCommand nc %h %p\nHost deep\n  ProxyJump c\nHost c\n  ProxyJump a\n" +
        "Host *\n  HostName 10.0.0.7\n",
    );
    const resolved = async (alias: string) => (await resolveTarget(alias, config))!;
    const hosts = async (alias: string) => (await resolved(alias)).jumps?.map((h) => h.host);
    assertEquals(await hosts("one"), ["b"]);
    assertEquals(await hosts("two"), ["a", "b"]);
    assertEquals(await hosts("deep"), ["a", "c"]);
    assertEquals((await resolved("spec")).jumps, [{ user: "me", host: "10.0.0.2", port: 2222 }]);
    // The user's own ProxyCommand stands.
    assertEquals([(await resolved("own")).jumps, await hosts("plain")], [null, undefined]);
    assertEquals(configOverrides(await resolved("plain")), []);
    const settings = await Promise.all(["one", "two", "spec", "deep", "plain"].map(resolved));
    assertEquals(new Set(settings.map((s) => s.settings)).size, 5);
    const [, proxy] = configOverrides(await resolved("two"));
    assertEquals(proxy.startsWith("ProxyCommand=ssh -o 'ProxyCommand=ssh "), true, proxy);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a Match exec that never answers: ssh -G is bounded, stoppable, and run in parallel", async () => {
  const dir = await Deno.makeTempDir();
  const marker = `sleep ${markerBase()}`;
  try {
    const config = join(dir, "ssh_config");
    await Deno.writeTextFile(
      config,
      `Match host stuck* exec "${marker}"\n  User me\nHost *\n  HostName 10.0.0.7\n`,
    );
    const always = join(dir, "always_config");
    await Deno.writeTextFile(always, `Match exec "${marker}"\n  User me\n`);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 500);
    const started = performance.now();
    const stuck = Array.from({ length: 8 }, (_, i) => `stuck${i}`);
    const [answers, stopped, fine, complaint] = await Promise.all([
      Promise.all(stuck.map((alias) => resolveTarget(alias, config))),
      resolveTarget("stuck-stopped", config, undefined, stop.signal).then((answer) => ({
        answer,
        ms: performance.now() - started,
      })),
      resolveTarget("fine", config),
      configError(always),
    ]);
    // 10 s each, side by side: one after the other would be 80 s. A bound, not a speed.
    const took = performance.now() - started;
    assertEquals(took < 45_000, true, `${took} ms`);
    assertEquals(answers, stuck.map(() => null));
    assertEquals([stopped.answer, fine?.hostname, complaint], [null, "10.0.0.7", RESOLVE_STALLED]);
    assertEquals(stopped.ms < 8_000, true, `stopped after ${stopped.ms} ms, not with pool`);
    // The answer for the run: said, without another 10 s; a stop is no answer.
    const again = performance.now();
    const error = await assertRejects(() => connectTarget("stuck0", config));
    assertEquals([error.message, performance.now() - again < 5_000], [RESOLVE_STALLED, true]);
    assertEquals(
      await connectTarget("stuck-stopped", config, undefined, AbortSignal.abort()),
      null,
    );
    await assertGone(marker, "ssh -G's Match exec");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
