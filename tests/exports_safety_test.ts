/**
 * Issue 12, "exports never betray the user": what pool hands to other tools
 * (pdsh and pssh host lists, completion words, the Ansible inventory) is run
 * through the real tools with a hand-edited roster whose hosts would run code
 * on this machine, and each attack must leave its marker file uncreated.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { childEnv, fleetTest, pool, POOL_TS, writeRoster } from "./helpers.ts";
import type { Fleet } from "./hosts/harness.ts";

/** A directory with a `pool` on it, as an installed pool would be. */
async function poolOnPath(fleet: Fleet): Promise<string> {
  const dir = join(fleet.dir, "bin");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "pool"),
    `#!/bin/sh\nexec '${Deno.execPath()}' run --allow-all --quiet '${POOL_TS}' "$@"\n`,
    { mode: 0o755 },
  );
  return dir;
}

/** Runs a real program with pool on PATH and the fleet's environment. */
async function run(
  fleet: Fleet,
  program: string,
  args: string[],
  extraEnv: Record<string, string> = {},
) {
  const bin = await poolOnPath(fleet);
  const out = await new Deno.Command(program, {
    args,
    env: childEnv({ ...fleet.env, PATH: `${bin}:/usr/bin:/bin`, ...extraEnv }),
    clearEnv: true,
    stdin: "null",
    cwd: fleet.dir,
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

fleetTest("host lists for pdsh and pssh leave out hosts that fail validation", 2, async (
  t,
  fleet,
) => {
  const marker = (what: string) => join(fleet.dir, `marker-${what}`);
  // A shell reads ${IFS} as a space: the way to smuggle one past a no-whitespace rule.
  const touch = (what: string) => `touch\${IFS}${marker(what)}`;
  /** Hand-written, as `add` would refuse it; each tool gets markers of its own. */
  const hostileRoster = (tool: string) =>
    writeRoster(fleet, [
      { name: "h1" },
      { name: "evil-user", ssh: `root@-oProxyCommand=${touch(`${tool}-user`)}` },
      {
        name: "evil-url",
        ssh: `ssh://-oProxyCommand=${encodeURIComponent(touch(`${tool}-url`))}@h2`,
      },
    ]);
  const untouched = async (tool: string) => {
    for (const what of ["user", "url"]) {
      assert(!await exists(marker(`${tool}-${what}`)), `${tool} ran the ${what} ProxyCommand`);
    }
  };
  // pdsh and pssh read the fleet's ssh_config, never this machine's ~/.ssh.
  const sshConfig = `-F ${fleet.sshConfig}`;

  await t.step("pool hosts warns about each and prints only the valid host", async () => {
    await hostileRoster("hosts");
    for (const format of ["names", "targets", "pdsh", "pssh"]) {
      const r = await pool(fleet, ["hosts", "--format", format]);
      assertEquals([r.code, r.stdout], [0, "h1\n"], format);
      assertMatch(r.stderr, /^pool: warning: evil-user: .*left out/m);
      assertMatch(r.stderr, /^pool: warning: evil-url: .*left out/m);
    }
  });

  // The remote command is one word on purpose: ssh reads the word after an injected
  // option as the host name, and refuses one with spaces or `$` before running anything.
  await t.step("README's pdsh recipe with the real pdsh -R ssh", async () => {
    await hostileRoster("pdsh");
    for (
      const list of ["$(pool hosts --format pdsh | paste -sd,)", "$(pool hosts --format pdsh)"]
    ) {
      const r = await run(fleet, "bash", ["-c", `pdsh -R ssh -w "${list}" whoami`], {
        PDSH_SSH_ARGS: `${sshConfig} -x -l%u %h`,
      });
      assertMatch(r.stdout, /^h1: root$/m, r.stderr);
    }
    await untouched("pdsh");
  });

  await t.step("README's pssh recipe with the real parallel-ssh", async () => {
    await hostileRoster("pssh");
    const r = await run(fleet, "bash", [
      "-c",
      `parallel-ssh -h <(pool hosts --format pssh) -x '${sshConfig}' -i whoami`,
    ]);
    assertMatch(r.stdout, /\[SUCCESS\] h1\nroot\n/);
    await untouched("pssh");
  });
});
