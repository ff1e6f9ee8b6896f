/**
 * Hosts behind a jump host (ssh_config `ProxyJump`): OpenSSH starts the jump
 * hop's ssh itself, from the config alone, so pool gives it a ProxyCommand of
 * its own with BatchMode and ConnectTimeout on every hop (remote/ssh.ts).
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, POOL_SH, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";
import { shQuote } from "../remote/quote.ts";

/** The fleet's /24 with its last number `n`: an address no host of the fleet listens on. */
const spare = (fleet: Fleet, n: number) => fleet.hosts[0].address.replace(/\d+$/, String(n));

/**
 * An sshd that takes passwords only, on `address` and the fleet's port: a
 * client that may prompt asks for one. It never lets anyone in (no password
 * is right), and sits in a mount namespace of its own, as the fleet's do.
 */
async function passwordOnlySshd(fleet: Fleet, address: string) {
  const config = join(fleet.dir, "sshd_config.password");
  const pidFile = join(fleet.dir, "sshd.password.pid");
  await Deno.writeTextFile(
    config,
    [
      `ListenAddress ${address}:${fleet.port}`,
      `HostKey ${fleet.dir}/host_key`,
      `PidFile ${pidFile}`,
      "AuthenticationMethods password",
      "PasswordAuthentication yes",
      "PubkeyAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin yes",
      "UsePAM no",
      "UseDNS no",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  const child = new Deno.Command("unshare", {
    args: ["-m", "sh", "-c", `mkdir -p /run/sshd && exec /usr/sbin/sshd -D -f ${config}`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: address, port: fleet.port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const hostKey = (await Deno.readTextFile(join(fleet.dir, "host_key.pub"))).split(" ")
    .slice(0, 2).join(" ");
  await Deno.writeTextFile(
    join(fleet.dir, "known_hosts"),
    `[${address}]:${fleet.port} ${hostKey}\n`,
    {
      append: true,
    },
  );
  return {
    async stop() {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/** Host blocks before the fleet's own (ssh takes the first value it reads). */
async function prependConfig(fleet: Fleet, text: string) {
  const rest = await Deno.readTextFile(fleet.sshConfig);
  await Deno.writeTextFile(fleet.sshConfig, text + rest);
}

/**
 * `pool on <args>` on a terminal of its own (script(1)), as a user at
 * a shell runs it: the jump hop's ssh can find /dev/tty there and prompt. Stopped
 * at `boundMs`, whatever it waits for.
 */
async function onAtTerminal(fleet: Fleet, args: string[], boundMs: number) {
  const line = `${POOL_SH} on ${args.map(shQuote).join(" ")}; echo "exit=$?"`;
  const child = new Deno.Command("script", {
    args: ["-qfec", line, "/dev/null"],
    env: childEnv(fleet.env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started = performance.now();
  const bound = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* done */ }
  }, boundMs);
  // Nothing typed: a prompt waits for input that never comes. stdin stays open.
  const out = await child.output();
  clearTimeout(bound);
  // deno-lint-ignore no-control-regex -- the terminal's escapes
  const shown = new TextDecoder().decode(out.stdout).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replaceAll("\r", "");
  return { shown, ms: performance.now() - started, killed: out.signal === "SIGKILL" };
}

fleetTest(
  "a jump host that wants a password fails fast at a terminal, naming the host: no prompt, no guess",
  1,
  async (t, fleet) => {
    const jump = spare(fleet, 240);
    const sshd = await passwordOnlySshd(fleet, jump);
    try {
      await prependConfig(
        fleet,
        `Host pwjump\n  HostName ${jump}\n` +
          `Host behind\n  HostName ${fleet.hosts[0].address}\n  ProxyJump pwjump\n`,
      );
      await writeRoster(fleet, [{ name: "behind" }]);
      // -t keeps ssh on the terminal: the jump hop's ssh prompted there, and waited until the
      // outer ssh's ConnectTimeout, then said `timeout`. Without -t it has no terminal to ask
      // on, and sent empty passwords, three times.
      for (const args of [["-t"], []]) {
        await t.step(`pool on ${[...args, "behind"].join(" ")}`, async () => {
          const r = await onAtTerminal(fleet, [...args, "behind", "true"], 60_000);
          assert(!r.killed, `still waiting after 60 s:\n${r.shown}`);
          assert(!/password:/i.test(r.shown), `the jump hop prompted:\n${r.shown}`);
          assert(!/try again/i.test(r.shown), `the jump hop tried passwords:\n${r.shown}`);
          assert(r.ms < 8_000, `took ${Math.round(r.ms)} ms:\n${r.shown}`);
          // `closed` where the connection would be shared: ssh sends a ProxyCommand's stderr (the
          // hop's "Permission denied") to /dev/null when ControlPersist is on.
          assertMatch(r.shown, /^pool: behind \(behind\) unreachable: (auth|closed)\nexit=255\n$/m);
        });
      }
    } finally {
      await sshd.stop();
    }
  },
);

fleetTest(
  "hosts behind jump hosts: one hop, a chain of two, and user@address:port",
  3,
  async (_t, fleet) => {
    const [h1, , h3] = fleet.hosts;
    await prependConfig(
      fleet,
      `Host via-one\n  HostName ${h1.address}\n  ProxyJump h2\n` +
        `Host via-chain\n  HostName ${h1.address}\n  ProxyJump h2,h3\n` +
        `Host via-spec\n  HostName ${h1.address}\n  ProxyJump root@${h3.address}:${fleet.port}\n` +
        // The hops are really taken: a chain through a host that refuses goes nowhere.
        `Host via-dead\n  HostName ${h1.address}\n  ProxyJump refused,h2\n`,
    );
    const names = ["via-one", "via-chain", "via-spec"];
    await writeRoster(fleet, [...names, "via-dead"].map((name) => ({ name })));
    for (const name of names) {
      const r = await pool(fleet, ["on", name, "echo ok"]);
      assertEquals([r.code, r.stdout], [0, "ok\n"], `${name}: ${r.stderr}`);
    }
    const all = await pool(fleet, ["on", "all", "echo ok"]);
    assertEquals(all.code, 255, all.stderr);
    const said = all.stdout.split("\n").filter(Boolean).map((l) => l.replace(/ +\]/, "]"));
    for (const name of names) assert(said.includes(`[${name}] ok`), `${name}: ${all.stdout}`);
    assert(!said.includes("[via-dead] ok"), all.stdout);
    // Copies ride the same command line.
    const file = join(fleet.dir, "carried.txt");
    await Deno.writeTextFile(file, "carried\n");
    const push = await pool(fleet, ["push", "--json", "via-chain", file, "jump-test"]);
    assertEquals(push.code, 0, push.stderr);
    // By rsync: the ProxyCommand's quotes reach it as rsync's -e reads them (rsyncWords).
    assertEquals(JSON.parse(push.stdout).method, "rsync", push.stdout);
    const back = await pool(fleet, ["on", "via-chain", "cat jump-test/carried.txt"]);
    assertEquals(back.stdout, "carried\n", back.stderr);
  },
);
