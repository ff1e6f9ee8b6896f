/**
 * Bootstrap payloads run as root against fake userlands (features/_fake_userland.ts):
 * a Mac whose brew refuses root and whose preferences are per user, and a
 * Debian whose dpkg lock is busy. The fakes record every call and the user
 * who made it; nothing real is touched.
 */

import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import {
  DEBIAN,
  EMPTY_READINGS,
  fakeUserland,
  MACOS,
  OTHER_LINUX,
  type Userland,
  without,
} from "./_fake_userland.ts";
import { FEATURES, parseResult } from "./mod.ts";

const SLEEPY = "displaysleep 10\nsleep 1\ndisksleep 10\n";

async function mac(console: string, fn: (mac: Userland) => Promise<void>) {
  const m = await fakeUserland(MACOS);
  try {
    await m.write("console", console + "\n");
    await m.write("pmset", SLEEPY);
    await fn(m);
  } finally {
    await m.remove();
  }
}

const resultOf = (stdout: string) => parseResult(stdout) ?? { status: "none", message: stdout };

Deno.test("tailscale on a Mac: brew installs as the console user, the daemon starts as root", async () => {
  await mac("alice", async (m) => {
    const first = await m.run("tailscale");
    assertEquals(resultOf(first.stdout).status, "ok", first.stdout + first.stderr);
    const calls = await m.calls();
    assert(calls.includes("alice: brew install tailscale"), calls.join("\n"));
    assert(calls.includes("root: brew services start tailscale"), calls.join("\n"));
    assert(!calls.some((c) => /^root: brew install/.test(c)), "never brew install as root");
    assert(!calls.some((c) => /^alice: brew services start/.test(c)), "the daemon is root's");

    const again = await m.run("tailscale");
    assertEquals(resultOf(again.stdout).status, "already", again.stdout);
    assert(!(await m.calls()).some((c) => / brew (install|services start)/.test(c)));
  });
});

Deno.test("tailscale on a Mac at its login window: Homebrew runs as the user pool logged in as", async () => {
  await mac("root", async (m) => {
    const r = await m.run("tailscale", "apply", { SUDO_USER: "bob" });
    assertEquals(resultOf(r.stdout).status, "ok", r.stdout + r.stderr);
    const calls = await m.calls();
    assert(calls.includes("bob: brew install tailscale"), calls.join("\n"));
    assert(calls.includes("root: brew services start tailscale"), calls.join("\n"));
  });
});

Deno.test("tailscale on a Mac with nobody at the console and a root login fails before brew runs", async () => {
  await mac("root", async (m) => {
    const r = await m.run("tailscale");
    const result = resultOf(r.stdout);
    assertEquals(result.status, "failed");
    assertMatch(result.message, /Homebrew refuses root, and nobody is logged in at the console/);
    assert(!(await m.calls()).some((c) => / brew (install|services start)/.test(c)));
  });
});

Deno.test("tailscale --dry-run on a Mac says as whom, and changes nothing", async () => {
  await mac("alice", async (m) => {
    const r = await m.run("tailscale", "dry-run");
    assertEquals(
      resultOf(r.stdout).message,
      "would brew install tailscale as alice and start its daemon (brew services, as root)",
    );
    assert(!(await m.calls()).some((c) => / brew (install|services start)/.test(c)));
    assertEquals(await m.read("installed"), null);
  });
});

Deno.test("no-sleep on a Mac: pmset as root, the screensaver in the console user's own preferences", async () => {
  await mac("alice", async (m) => {
    // root's preferences already say 0: the old payload read (and wrote) those and said already.
    await m.write("defaults.root.currentHost", "com.apple.screensaver idleTime 0\n");
    await m.write("defaults.alice.currentHost", "com.apple.screensaver idleTime 300\n");
    const r = await m.run("no-sleep");
    assertEquals(resultOf(r.stdout), {
      status: "ok",
      message: "sleep off; alice's screensaver idle 0",
    });
    const calls = await m.calls();
    assert(calls.includes("root: pmset -a displaysleep 0 sleep 0 disksleep 0"), calls.join("\n"));
    assert(
      calls.includes("alice: defaults -currentHost write com.apple.screensaver idleTime -int 0"),
      calls.join("\n"),
    );
    assert(!calls.some((c) => /^root: defaults/.test(c)), "root's preferences are not the user's");
    assertEquals(await m.read("pmset"), "displaysleep 0\nsleep 0\ndisksleep 0\n");
    assertEquals(await m.read("defaults.root.currentHost"), "com.apple.screensaver idleTime 0\n");

    const again = await m.run("no-sleep");
    assertEquals(resultOf(again.stdout).status, "already", again.stdout);
    assert(!(await m.calls()).some((c) => / (pmset -a|defaults -currentHost write)/.test(c)));
  });
});

Deno.test("no-sleep on a Mac nobody is logged in at turns sleep off and says the screensaver was not set", async () => {
  await mac("root", async (m) => {
    const r = await m.run("no-sleep");
    const result = resultOf(r.stdout);
    assertEquals(result.status, "failed");
    assertMatch(result.message, /^sleep off, but the screensaver is a user's setting/);
    assertEquals(await m.read("pmset"), "displaysleep 0\nsleep 0\ndisksleep 0\n");
    assert(!(await m.calls()).some((c) => / defaults .*write/.test(c)));
  });
});

Deno.test("every Linux-only payload on a Mac says skipped, and touches nothing", async () => {
  await mac("alice", async (m) => {
    for (const f of FEATURES.filter((f) => !f.os.includes("macos"))) {
      for (const mode of ["apply", "dry-run"]) {
        const r = await m.run(f.name, mode);
        assertEquals(resultOf(r.stdout).status, "skipped", `${f.name}: ${r.stdout}${r.stderr}`);
      }
    }
    assertEquals(await m.calls(), []);
  });
});

Deno.test("earlyoom updates missing package lists and waits out a busy dpkg lock", async () => {
  const d = await fakeUserland(DEBIAN);
  try {
    await d.write("lock_busy", "2\n");
    const r = await d.run("earlyoom");
    assertEquals(
      resultOf(r.stdout),
      { status: "ok", message: "earlyoom enabled and active" },
      r.stderr,
    );
    const calls = (await d.calls()).map((c) => c.replace(/^root: /, ""));
    const update = calls.findIndex((c) => /^apt-get .*update/.test(c));
    const install = calls.findLastIndex((c) => /^apt-get .*install/.test(c));
    assert(update >= 0 && install > update, calls.join("\n"));
    assertEquals(calls.filter((c) => c === "sleep 5").length, 2, calls.join("\n"));
    assert(calls.every((c) => !/^apt-get/.test(c) || c.includes("DPkg::Lock::Timeout=")));
    assert(calls.includes("systemctl enable --now earlyoom"));

    const again = await d.run("earlyoom");
    assertEquals(resultOf(again.stdout).status, "already");
  } finally {
    await d.remove();
  }
});

Deno.test("swapfile --dry-run ends with a result line when swap and free space read empty or garbled", async () => {
  const l = await fakeUserland(EMPTY_READINGS);
  try {
    const blind = await l.run("swapfile", "dry-run");
    assertEquals(resultOf(blind.stdout), {
      status: "failed",
      message: "cannot read the free space of / (df -Pk /)",
    }, blind.stderr);
    await l.write(
      "df",
      "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100000000 1 99999999 1% /\n",
    );
    const r = await l.run("swapfile", "dry-run");
    assertEquals(resultOf(r.stdout).status, "ok", r.stdout + r.stderr);
    assertMatch(resultOf(r.stdout).message, /^would create a 32768 MiB \/swapfile-pool/);
    // A garbled reading ("12 kB" is an illegal number to sh's arithmetic) counts as none.
    await l.write("swap", "12 kB\n");
    const garbled = await l.run("swapfile", "dry-run");
    assertMatch(resultOf(garbled.stdout).message, /^would create a 32768 MiB/, garbled.stderr);
  } finally {
    await l.remove();
  }
});

Deno.test("swapfile refuses a root filesystem that takes no swap file, before writing any", async () => {
  const l = await fakeUserland({
    ...EMPTY_READINGS,
    stat: `[ "$1" = -f ] && { echo btrfs; exit 0; }; exit 1`,
    fallocate: `log "fallocate $*"`,
    dd: `log "dd $*"`,
  });
  try {
    await l.write(
      "df",
      "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100000000 1 99999999 1% /\n",
    );
    for (const mode of ["dry-run", "apply"]) {
      const r = await l.run("swapfile", mode);
      assertEquals(resultOf(r.stdout), {
        status: "failed",
        message: "refused: / is btrfs, which takes no swap file made this way",
      }, r.stderr);
    }
    assertEquals(await l.calls(), []);
  } finally {
    await l.remove();
  }
});

/** Runs `fn` on a fake userland made of `fakes`, removed afterwards. */
async function on(fakes: Record<string, string>, fn: (l: Userland) => Promise<void>) {
  const l = await fakeUserland(fakes);
  try {
    await fn(l);
  } finally {
    await l.remove();
  }
}

Deno.test("earlyoom is installed with dnf and enabled with systemd, then already", async () => {
  await on(without(OTHER_LINUX, "apk"), async (l) => {
    const dry = await l.run("earlyoom", "dry-run");
    assertEquals(resultOf(dry.stdout), {
      status: "ok",
      message: "would dnf install earlyoom and enable it",
    }, dry.stderr);
    assertEquals(await l.calls(), []);
    const r = await l.run("earlyoom");
    assertEquals(resultOf(r.stdout), { status: "ok", message: "earlyoom enabled and active" });
    assertEquals(await l.calls(), [
      "root: dnf install -y earlyoom",
      "root: systemctl enable --now earlyoom",
    ]);
    assertEquals(resultOf((await l.run("earlyoom")).stdout).status, "already");
  });
});

Deno.test("earlyoom on Alpine: apk, then an OpenRC service, then already", async () => {
  await on(without(OTHER_LINUX, "dnf", "systemctl"), async (l) => {
    const r = await l.run("earlyoom");
    assertEquals(resultOf(r.stdout), { status: "ok", message: "earlyoom enabled and active" });
    const calls = await l.calls();
    assertEquals(calls.filter((c) => !c.includes(" status")), [
      "root: apk add earlyoom",
      "root: rc-update add earlyoom default",
      "root: rc-service earlyoom start",
    ]);
    assertEquals(resultOf((await l.run("earlyoom")).stdout).status, "already");
  });
});

Deno.test("earlyoom without a package manager pool knows fails, naming the ones it does", async () => {
  await on(without(OTHER_LINUX, "dnf", "apk"), async (l) => {
    for (const mode of ["dry-run", "apply"]) {
      const r = await l.run("earlyoom", mode);
      assertEquals(resultOf(r.stdout).status, "failed");
      assertMatch(resultOf(r.stdout).message, /^no package manager pool knows \(apt-get, dnf/);
    }
  });
});

Deno.test("watchdog on a host without systemd is skipped before softdog is loaded", async () => {
  await on(
    { ...without(OTHER_LINUX, "systemctl"), modprobe: `log "modprobe $*"` },
    async (l) => {
      const r = await l.run("watchdog", "dry-run");
      assertEquals(resultOf(r.stdout), {
        status: "skipped",
        message: "systemd is not running here (its runtime watchdog is what pool sets)",
      }, r.stderr);
      assertEquals(await l.calls(), []);
    },
  );
  // A systemctl installed, but another init (a container's): the same.
  await on({ ...OTHER_LINUX, modprobe: `log "modprobe $*"` }, async (l) => {
    const r = await l.run("watchdog", "dry-run", { POOL_SYSTEMD_RUN: "/nonexistent" });
    assertEquals(resultOf(r.stdout).status, "skipped", r.stderr);
    assertEquals(await l.calls(), []);
  });
});

Deno.test("disk-cleanup is refused, writing nothing, where no cron daemon would run it", async () => {
  // No cron at all.
  await on(without(OTHER_LINUX, "systemctl"), async (l) => {
    const r = await l.run("disk-cleanup", "dry-run");
    assertEquals(resultOf(r.stdout), {
      status: "failed",
      message: "no cron daemon to run it: install one (cron, cronie), then run init again",
    }, r.stderr);
  });
  // Installed but not running (Arch's cronie until enabled).
  await on({ ...OTHER_LINUX, crond: "exit 0" }, async (l) => {
    const r = await l.run("disk-cleanup", "dry-run");
    assertEquals(resultOf(r.stdout).status, "failed", r.stderr);
    assertMatch(resultOf(r.stdout).message, /^no cron service is running to run it/);
    await l.write("cronie.active", "");
    assertEquals(resultOf((await l.run("disk-cleanup", "dry-run")).stdout).status, "ok");
  });
});

Deno.test("tailscale installed on Linux with tailscaled off: enabled, then already", async () => {
  await on({ ...OTHER_LINUX, tailscale: `echo 1.76.1` }, async (l) => {
    const dry = await l.run("tailscale", "dry-run");
    assertEquals(resultOf(dry.stdout), {
      status: "ok",
      message: "would enable and start tailscaled (tailscale 1.76.1 is installed)",
    }, dry.stderr);
    const r = await l.run("tailscale");
    assertEquals(resultOf(r.stdout).status, "ok", r.stderr);
    assert((await l.calls()).includes("root: systemctl enable --now tailscaled"));
    assertEquals(resultOf((await l.run("tailscale")).stdout), {
      status: "already",
      message: "tailscale 1.76.1",
    });
  });
});

Deno.test({
  name: "swapfile is refused before any byte is written where /etc/fstab cannot be edited",
  // A mount namespace of its own, with a read-only /etc (NixOS links /etc/fstab into its store).
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await on(EMPTY_READINGS, async (l) => {
      await l.write(
        "df",
        "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100000000 1 99999999 1% /\n",
      );
      const readOnlyEtc = [
        "/usr/bin/unshare",
        "-m",
        "/bin/sh",
        "-c",
        '/bin/mount -t tmpfs -o ro tmpfs /etc && exec "$@"',
        "ns",
      ];
      for (const mode of ["dry-run", "apply"]) {
        const r = await l.run("swapfile", mode, {}, readOnlyEtc);
        assertEquals(resultOf(r.stdout), {
          status: "failed",
          message:
            "refused: cannot edit /etc/fstab, where the swapfile must be to outlive a reboot",
        }, r.stderr);
      }
      assertEquals(await l.calls(), []);
    });
  },
});
