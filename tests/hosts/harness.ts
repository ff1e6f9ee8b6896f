/**
 * Real OpenSSH test hosts on loopback, for integration tests and benchmarks.
 *
 * One sshd listens on N loopback addresses (127.X.Y.1 … 127.X.Y.N, X and Y
 * random per fleet so test files running side by side never collide). It
 * runs in a private mount namespace with an empty tmpfs over /root: the
 * machine's own /root/.bashrc costs a second per remote command, and the
 * tests must not read or write the real home anyway.
 *
 * Fault hosts, each on its own address of the same fleet:
 * - refused: nothing listens there;
 * - silent: accepts TCP and never sends a banner (a host that never answers);
 * - hang: logs in, then every command is `sleep 600` (hangs after connecting);
 * - noauth / badkey (ssh_config aliases of h1): a key the server does not
 *   accept, and a host key that does not match known_hosts.
 *
 * The client side gets its own ssh_config (keys, known_hosts, User root), a
 * temp HOME and a roster path under the fleet's directory. Requires root and
 * /usr/sbin/sshd (`.ci/run` installs openssh-server).
 */

import { join } from "node:path";

export interface TestHost {
  /** Alias in the fleet's ssh_config (h1, h2, …) and default roster name. */
  name: string;
  address: string;
}

export interface Fleet {
  dir: string;
  port: number;
  hosts: TestHost[];
  refused: TestHost;
  silent: TestHost;
  hang: TestHost;
  sshConfig: string;
  /** Roster path (POOL_STATE) for pool runs against this fleet. */
  roster: string;
  /** Environment for pool: roster, ssh config, a temp HOME, no agent. */
  env: Record<string, string>;
  /** How many TCP connections the silent host accepted. */
  silentAccepted(): number;
  stop(): Promise<void>;
}

const SSHD = "/usr/sbin/sshd";

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

export interface FleetOptions {
  /**
   * CPU affinity per host name (`{ h1: "0" }`): that host's sshd runs under
   * `taskset -c`, so commands there see fewer CPUs (Cpus_allowed_list) than
   * the others, the one thing hosts sharing a kernel can really differ in.
   */
  cpus?: Record<string, string>;
  /**
   * Programs only the hosts see (`{ "nvidia-smi": "#!/bin/sh\n…" }`): written
   * to the fleet's own bin directory, first on the PATH sshd gives every
   * session (SetEnv), and on no one else's — the hosts share this machine.
   */
  bin?: Record<string, string>;
  /**
   * Each host its own home, `/root/hosts/<name>`, where its sessions start:
   * the hosts share one filesystem, so without this two hosts given the same
   * relative path would write the same files.
   */
  homes?: boolean;
  /** Hosts whose sessions get a PATH with everything of this machine's but rsync. */
  withoutRsync?: string[];
  /**
   * Three non-root logins, valid on every host of the fleet: `nopw` (sudo
   * without a password), `pw` (sudo that wants one) and `plain` (no sudo).
   * They exist only inside the hosts' private mount namespace, where copies
   * of /etc/passwd, group, shadow and sudoers are mounted over the real ones.
   */
  users?: boolean;
  /**
   * sshd_config lines of the test's own (`["MaxSessions 1"]`), ahead of the
   * harness's: sshd keeps the first value it reads for an option.
   */
  sshd?: string[];
}

/** The logins `users: true` adds, with the sudoers rule each gets. */
export const TEST_USERS = { nopw: "NOPASSWD: ALL", pw: "ALL", plain: null } as const;

export async function startFleet(count: number, options: FleetOptions = {}): Promise<Fleet> {
  const dir = await Deno.makeTempDir({ prefix: "pool-fleet-" });
  await Deno.mkdir(join(dir, "home"));
  await Deno.mkdir(join(dir, "state"), { mode: 0o700 });
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "client_key")]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "stranger_key")]);
  await Deno.copyFile(join(dir, "client_key.pub"), join(dir, "authorized_keys"));
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  for (const [name, text] of Object.entries(options.bin ?? {})) {
    await Deno.writeTextFile(join(bin, name), text, { mode: 0o755 });
  }
  const strangerKey = (await Deno.readTextFile(join(dir, "stranger_key.pub"))).trim().split(" ")
    .slice(0, 2)
    .join(" ");
  const hostKey = (await Deno.readTextFile(join(dir, "host_key.pub"))).trim().split(" ").slice(0, 2)
    .join(" ");

  for (let attempt = 0; attempt < 5; attempt++) {
    const net = `127.${randomInt(2, 250)}.${randomInt(0, 250)}`;
    const port = randomInt(20000, 60000);
    const hosts = Array.from(
      { length: count },
      (_, i) => ({ name: `h${i + 1}`, address: `${net}.${i + 1}` }),
    );
    const refused = { name: "refused", address: `${net}.251` };
    const silent = { name: "silent", address: `${net}.252` };
    const hang = { name: "hang", address: `${net}.253` };
    const sshd = await startSshds(dir, [hang, ...hosts], hang, port, options, bin);
    if (!sshd) continue;
    const silentHost = startSilent(silent.address, port);
    if (!silentHost) {
      await sshd.stop();
      continue;
    }

    const all = [...hosts, refused, silent, hang];
    const sshConfig = join(dir, "ssh_config");
    await Deno.writeTextFile(
      sshConfig,
      all.map((h) => `Host ${h.name}\n  HostName ${h.address}\n`).join("") +
        // Two ways a live host turns a client away: a key it does not know,
        // and a host key that does not match what known_hosts says.
        `Host noauth\n  HostName ${hosts[0].address}\n  IdentityFile ${dir}/stranger_key\n` +
        `Host badkey\n  HostName ${hosts[0].address}\n  HostKeyAlias badkey\n` +
        `Host * !noauth\n  IdentityFile ${dir}/client_key\n` + // IdentityFile adds up across blocks
        `Host *\n  User root\n  Port ${port}\n  IdentitiesOnly yes\n` +
        `  UserKnownHostsFile ${dir}/known_hosts\n  GlobalKnownHostsFile /dev/null\n  LogLevel ERROR\n`,
    );
    await Deno.writeTextFile(
      join(dir, "known_hosts"),
      all.map((h) => `[${h.address}]:${port} ${hostKey}\n`).join("") + `badkey ${strangerKey}\n`,
    );
    const roster = join(dir, "state", "pool.json");
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: join(dir, "home"),
      POOL_STATE: roster,
      POOL_SSH_CONFIG: sshConfig,
      NO_COLOR: "1",
    };
    return {
      dir,
      port,
      hosts,
      refused,
      silent,
      hang,
      sshConfig,
      roster,
      env,
      silentAccepted: silentHost.accepted,
      stop: async () => {
        silentHost.stop();
        await killMuxMasters(dir);
        await sshd.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  }
  const logs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".log"))
    .map((e) => Deno.readTextFileSync(join(dir, e.name))).join("").trim().split("\n").slice(-3)
    .join("; ");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error(`could not start a test sshd after 5 tries: ${logs || "no log"}`);
}

/** sshd takes at most 16 listen sockets (MAX_LISTEN_SOCKS): one daemon per 15 addresses. */
const ADDRESSES_PER_SSHD = 15;

async function startSshds(
  dir: string,
  listen: TestHost[],
  hang: TestHost,
  port: number,
  options: FleetOptions,
  bin: string,
) {
  const cpus = options.cpus ?? {};
  if (options.homes || options.withoutRsync) await writeEnter(dir, options.withoutRsync ?? []);
  if (options.users) await writeUsers(dir);
  const started: { stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started) await s.stop();
  };
  // One daemon per affinity, and per 15 addresses within it.
  const groups = new Map<string, TestHost[]>();
  for (const h of listen) {
    groups.set(cpus[h.name] ?? "", [...(groups.get(cpus[h.name] ?? "") ?? []), h]);
  }
  let index = 0;
  for (const [affinity, members] of groups) {
    for (let i = 0; i < members.length; i += ADDRESSES_PER_SSHD) {
      const slice = members.slice(i, i + ADDRESSES_PER_SSHD);
      const sshd = await startSshd(dir, index++, slice, hang, port, affinity, options, bin);
      if (!sshd) {
        await stopAll();
        return null;
      }
      started.push(sshd);
    }
  }
  return { stop: stopAll };
}

async function startSshd(
  dir: string,
  index: number,
  listen: TestHost[],
  hang: TestHost,
  port: number,
  affinity: string,
  options: FleetOptions,
  bin: string,
) {
  const config = join(dir, `sshd_config.${index}`);
  // Root's sessions on a host with a home of its own, or without rsync, start in enter.sh.
  const entered = listen.filter((h) =>
    h !== hang && (options.homes || options.withoutRsync?.includes(h.name))
  );
  await Deno.writeTextFile(
    config,
    listen.map((h) => `ListenAddress ${h.address}:${port}\n`).join("") +
      [
        ...options.sshd ?? [],
        `HostKey ${dir}/host_key`,
        `PidFile ${dir}/sshd.${index}.pid`,
        // The test users read theirs from their own homes: the fleet directory is root's alone.
        `AuthorizedKeysFile ${dir}/authorized_keys %h/.ssh/authorized_keys`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "StrictModes no",
        "MaxStartups 1024",
        "MaxSessions 1024",
        "PrintMotd no",
        "PrintLastLog no",
        "LogLevel ERROR",
        `SetEnv PATH=${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        `Match LocalAddress ${hang.address}`,
        "  ForceCommand sleep 600",
        ...entered.flatMap((h) => [
          `Match User root LocalAddress ${h.address}`,
          `  ForceCommand /bin/sh ${dir}/enter.sh ${h.name}`,
        ]),
        "",
      ].join("\n"),
  );
  const log = join(dir, `sshd.${index}.log`);
  // Empty /root for the remote side: no .bashrc, no real ~/.ssh.
  // The test users' files are mounted over the real ones in this namespace only.
  const users = options.users
    ? ["passwd", "group", "shadow", "sudoers"].map((f) =>
      `mount --bind ${dir}/users/${f} /etc/${f} && `
    ).join("") +
      Object.keys(TEST_USERS).map((u) =>
        `mkdir -p /root/users/${u}/.ssh && cp ${dir}/authorized_keys /root/users/${u}/.ssh/ && ` +
        `chown -R ${u}: /root/users/${u} && `
      ).join("")
    : "";
  const script = `mkdir -p /run/sshd && mount -t tmpfs tmpfs /root && ${users}exec ${
    affinity ? `taskset -c ${affinity} ` : ""
  }${SSHD} -D -f ${config} -E ${log}`;
  const child = new Deno.Command("unshare", {
    args: ["-m", "sh", "-c", script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  // Sessions (the hang host's `sleep`) live in their own process groups;
  // everything in sshd's private mount namespace is ours, so that is what we
  // end. Read once sshd answers: before that the child may not have left our
  // namespace yet.
  let namespace: string | null = null;
  const stop = async () => {
    if (namespace) await killNamespace(namespace);
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  };
  const exited = child.status.then(() => true);
  for (let i = 0; i < 100; i++) {
    if (await Promise.race([exited, new Promise<false>((r) => setTimeout(() => r(false), 50))])) {
      return null;
    }
    if (await accepts(listen[0].address, port) && await accepts(listen.at(-1)!.address, port)) {
      namespace = await Deno.readLink(`/proc/${child.pid}/ns/mnt`).catch(() => null);
      return { stop };
    }
  }
  await stop();
  return null;
}

/**
 * The script root's sessions start in on a host with a home of its own (or
 * without rsync): it moves into the home, trims PATH, then runs what the
 * client asked for, as sshd would have.
 */
async function writeEnter(dir: string, withoutRsync: string[]): Promise<void> {
  const bin = join(dir, "bin-without-rsync");
  await Deno.mkdir(bin, { recursive: true });
  // Every program this machine has, first on PATH wins, except rsync.
  for (
    const from of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
  ) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(from));
    } catch {
      continue; // not on this machine
    }
    for (const e of entries) {
      if (e.name === "rsync") continue;
      await Deno.symlink(join(from, e.name), join(bin, e.name)).catch(() => {});
    }
  }
  await Deno.writeTextFile(
    join(dir, "enter.sh"),
    [
      `home=/root/hosts/$1`,
      `mkdir -p "$home" && cd "$home" && HOME=$home && export HOME`,
      `case " ${withoutRsync.join(" ")} " in *" $1 "*) PATH=${bin} && export PATH ;; esac`,
      `if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec "\${SHELL:-/bin/sh}" -c "$SSH_ORIGINAL_COMMAND"; fi`,
      `exec "\${SHELL:-/bin/sh}" -l`,
      "",
    ].join("\n"),
  );
}

/** passwd, group, shadow and sudoers with the test users added, for the hosts' namespace. */
async function writeUsers(dir: string): Promise<void> {
  const users = join(dir, "users");
  await Deno.mkdir(users);
  const entries = Object.keys(TEST_USERS).map((u, i) => ({ name: u, id: 4201 + i }));
  const add = async (file: string, lines: string[]) =>
    await Deno.writeTextFile(
      join(users, file),
      (await Deno.readTextFile(`/etc/${file}`).catch(() => "")) + lines.join(""),
    );
  await add(
    "passwd",
    entries.map((u) => `${u.name}:x:${u.id}:${u.id}::/root/users/${u.name}:/bin/sh\n`),
  );
  await add("group", entries.map((u) => `${u.name}:x:${u.id}:\n`));
  // "*": no password to log in with, and not locked (sudo's account check refuses a locked one).
  await add("shadow", entries.map((u) => `${u.name}:*:19000:0:99999:7:::\n`));
  await Deno.writeTextFile(
    join(users, "sudoers"),
    // Timestamps inside the hosts' private /root, and nothing sent to this machine's syslog.
    "Defaults !lecture, !syslog, timestampdir=/root/.sudo-ts, lecture_status_dir=/root/.sudo-lectured\n" +
      "root ALL=(ALL:ALL) ALL\n" +
      Object.entries(TEST_USERS).filter(([, rule]) => rule).map(([u, rule]) =>
        `${u} ALL=(ALL:ALL) ${rule}\n`
      ).join(""),
  );
  await Deno.chmod(join(users, "sudoers"), 0o440);
}

/**
 * The ControlPersist masters whose sockets live under `dir` (pool's, or a
 * peer's in the benches): they rename themselves `ssh: <socket> [mux]`.
 */
export async function killMuxMasters(dir: string): Promise<void> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.startsWith("ssh: ") && cmdline.includes(dir) && cmdline.includes("[mux]")) {
      try {
        Deno.kill(Number(entry.name), "SIGTERM");
      } catch { /* gone meanwhile */ }
    }
  }
}

async function killNamespace(namespace: string): Promise<void> {
  // Never our own namespace: that would be every process on the machine.
  if (namespace === await Deno.readLink("/proc/self/ns/mnt")) return;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const ns = await Deno.readLink(`/proc/${entry.name}/ns/mnt`).catch(() => null);
    if (ns !== namespace) continue;
    try {
      Deno.kill(Number(entry.name), "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
}

async function accepts(hostname: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** A TCP listener that accepts and then says nothing, ever. */
function startSilent(hostname: string, port: number) {
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname, port });
  } catch {
    return null;
  }
  const held: Deno.Conn[] = [];
  let accepted = 0;
  (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        held.push(conn);
      }
    } catch { /* listener closed */ }
  })();
  return {
    accepted: () => accepted,
    stop: () => {
      listener.close();
      for (const c of held) {
        try {
          c.close();
        } catch { /* closed by peer */ }
      }
    },
  };
}
