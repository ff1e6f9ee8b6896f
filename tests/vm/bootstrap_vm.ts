/**
 * pool init and pool clean, over real ssh, on a throwaway Debian VM (never on
 * the machine running the tests). Run by `deno task test:vm`, which builds the
 * image first (tests/vm/build-image.sh); not named *_test.ts, so the plain
 * `deno task test` does not start a VM beside the other tests.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { pool } from "../helpers.ts";
import { bootVm } from "./vm.ts";

/** Everything init may touch, in one string: equal before and after means nothing changed. */
const FINGERPRINT = [
  "sysctl -n kernel.panic vm.panic_on_oom vm.swappiness",
  "swapon --show=NAME --noheadings",
  "systemctl is-active earlyoom || true",
  "systemctl is-enabled earlyoom 2>/dev/null || true",
  "ls -la --time-style=full-iso /etc/cron.daily /etc/sysctl.d /etc/systemd/system.conf.d /etc/modules-load.d /usr/local/sbin 2>&1",
  "ls -d /var/log/journal 2>&1",
  "test -d /sys/module/softdog && echo softdog || echo no-softdog",
  "cat /etc/fstab",
  "ls -la /swapfile-pool 2>&1",
  "dpkg -l earlyoom 2>&1 | tail -n 1",
].join("; ");

const FEATURES_OK = [
  "disk-cleanup",
  "persistent-journal",
  "panic-recovery",
  "earlyoom",
  "swapfile",
  "watchdog",
];

Deno.test({
  name: "pool init and pool clean on a real booted Debian VM",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const vm = await bootVm();
    const state = await Deno.makeTempDir({ prefix: "pool-vm-state-" });
    const env = {
      HOME: join(state, "home"),
      POOL_STATE: join(state, "pool.json"),
      POOL_SSH_CONFIG: vm.sshConfig,
    };
    const p = (args: string[]) => pool({ env }, args);
    try {
      await Deno.writeTextFile(
        env.POOL_STATE,
        JSON.stringify({
          hosts: [
            { name: "vm", ssh: "vm", os: "linux" },
            { name: "vm-deploy", ssh: "vm-deploy", os: "linux", sudo: true },
            { name: "vm-nosudo", ssh: "vm-deploy", os: "linux" },
            { name: "vm-guest", ssh: "vm-guest", os: "linux", sudo: true },
          ],
        }),
      );

      // Hosts as pool finds them in the wild, each a trap for a payload that says "already" or
      // "ok" too soon. The journal: volatile by configuration though /var/log/journal exists
      // (Debian 12 makes the directory; the setting wins).
      await vm.sh(
        "mkdir -p /etc/systemd/journald.conf.d /var/log/journal && printf '[Journal]\\nStorage=volatile\\n' " +
          "> /etc/systemd/journald.conf.d/test-volatile.conf && systemctl restart systemd-journald && " +
          "journalctl --header | grep -q 'File path: /run/log/journal/'",
      );
      // A swapfile of the wrong size, active but not in an fstab whose last line has no newline
      // (ours must not be glued onto it); and a filesystem whose fallocate fails.
      await vm.sh(
        "dd if=/dev/zero of=/swapfile-pool bs=1M count=64 2>/dev/null && chmod 600 /swapfile-pool && " +
          "mkswap /swapfile-pool >/dev/null && swapon /swapfile-pool && " +
          "echo '# the last line, with no newline' >> /etc/fstab && " +
          'printf %s "$(cat /etc/fstab)" > /tmp/fstab && cat /tmp/fstab > /etc/fstab && ' +
          "printf '#!/bin/sh\\necho \"fallocate: fallocate failed: Operation not supported\" >&2\\nexit 1\\n' " +
          "> /usr/local/sbin/fallocate && chmod 755 /usr/local/sbin/fallocate",
      );
      // No package lists: earlyoom's install must fetch them first.
      await vm.sh("rm -rf /var/lib/apt/lists/* && ! apt-cache show earlyoom >/dev/null 2>&1");

      await t.step(
        "--dry-run on the fresh VM says what it would do and changes nothing",
        async () => {
          const before = await vm.sh(FINGERPRINT);
          const r = await p(["init", "vm", "--dry-run", "--swap-size", "256M"]);
          assertEquals(r.code, 0, r.stdout + r.stderr);
          for (const f of FEATURES_OK) {
            assertMatch(r.stdout, new RegExp(`^\\[vm\\] ${f}: ok {2}would `, "m"));
          }
          assertMatch(r.stdout, /^\[vm\] no-sleep: skipped {2}not for linux$/m);
          assertMatch(r.stderr, /dry run: nothing was changed/);
          assertEquals(await vm.sh(FINGERPRINT), before);
        },
      );

      await t.step(
        "init applies every Linux feature; tailscale fails cleanly offline",
        async () => {
          const r = await p(["init", "vm", "--swap-size", "256M"]);
          assertEquals(r.code, 1, "tailscale cannot be installed offline");
          assertMatch(
            r.stdout,
            /^\[vm\] tailscale: failed {2}curl: \(6\) Could not resolve host: tailscale\.com$/m,
          );
          for (const f of FEATURES_OK) {
            assertMatch(r.stdout, new RegExp(`^\\[vm\\] ${f}: ok`, "m"));
          }
          assertMatch(r.stderr, /vm +failed +ok +skipped +ok +ok +ok +ok +ok/);
          assertMatch(
            r.stdout,
            /^\[vm\] persistent-journal: ok {2}Storage=persistent \(was volatile\); journal now kept/m,
          );
          assertMatch(
            r.stdout,
            /^\[vm\] swapfile: ok {2}256 MiB \/swapfile-pool active, made with dd \(fallocate failed\), replacing a 64 MiB one, vm\.swappiness = 10$/m,
          );

          assertEquals((await vm.sh("sysctl -n kernel.panic")).trim(), "10");
          // The right size, in use (/proc/swaps counts KiB, less mkswap's one-page header).
          assertEquals(
            (await vm.sh(
              "stat -c %s /swapfile-pool; awk '$1 == \"/swapfile-pool\" { print $3 }' /proc/swaps",
            ))
              .trim(),
            "268435456\n262140",
          );
          assertEquals(
            (await vm.sh(
              "grep -cx '/swapfile-pool none swap sw 0 0' /etc/fstab; " +
                "grep -cx '# the last line, with no newline' /etc/fstab",
            )).trim(),
            "1\n1",
          );
          assertEquals((await vm.sh("systemctl is-active earlyoom")).trim(), "active");
          assertEquals(
            (await vm.sh("test -x /etc/cron.daily/disk-cleanup && echo yes")).trim(),
            "yes",
          );
          assertEquals((await vm.sh("test -d /var/log/journal && echo yes")).trim(), "yes");
          assertMatch(
            await vm.sh("systemd-analyze cat-config systemd/journald.conf | grep '^Storage='"),
            /Storage=persistent\s*$/,
          );
          // …and journald writes there now, not only under /run.
          assertMatch(
            await vm.sh("sleep 1; journalctl --header 2>/dev/null | grep 'File path'"),
            /\/var\/log\/journal\//,
          );
          assertEquals((await vm.sh("test -d /sys/module/softdog && echo yes")).trim(), "yes");
          assertMatch(
            await vm.sh("cat /etc/systemd/system.conf.d/60-pool-watchdog.conf"),
            /RuntimeWatchdogSec=30s/,
          );
          // The cron job runs: run-parts finds it and the clean script logs.
          await vm.sh("run-parts --test /etc/cron.daily | grep -q disk-cleanup");
        },
      );

      await t.step("a second init reports already for everything and changes nothing", async () => {
        const before = await vm.sh(FINGERPRINT);
        const r = await p(["init", "vm", "--swap-size", "256M", "--skip", "tailscale"]);
        assertEquals(r.code, 0, r.stdout + r.stderr);
        for (const f of FEATURES_OK) {
          assertMatch(r.stdout, new RegExp(`^\\[vm\\] ${f}: already`, "m"));
        }
        assertEquals(await vm.sh(FINGERPRINT), before);
      });

      await t.step(
        "a journal left at Storage=auto, /var/log/journal missing (Debian 11): made, then already",
        async () => {
          // journald at Storage=auto first: a journald still set to persistent would make the
          // folder again between its removal and a restart.
          await vm.sh(
            "rm -f /etc/systemd/journald.conf.d/*.conf && systemctl restart systemd-journald && " +
              "rm -rf /var/log/journal && systemctl restart systemd-journald && " +
              "test ! -d /var/log/journal && " +
              "! journalctl --header | grep -q 'File path: /var/log/journal/'",
          );
          const r = await p(["init", "vm", "--only", "persistent-journal"]);
          assertEquals(r.code, 0, r.stdout + r.stderr);
          assertMatch(
            r.stdout,
            /persistent-journal: ok {2}journal now kept in \/var\/log\/journal$/m,
          );
          const again = await p(["init", "vm", "--only", "persistent-journal"]);
          assertMatch(again.stdout, /persistent-journal: already {2}.*\(Storage=auto\)$/m);
        },
      );

      await t.step(
        "sudo: -n with NOPASSWD works, a password prompt is a failure, no sudo is refused",
        async () => {
          const viaSudo = await p(["init", "vm-deploy", "--only", "panic-recovery"]);
          assertMatch(viaSudo.stdout, /panic-recovery: already/);
          const guest = await p(["init", "vm-guest", "--only", "panic-recovery"]);
          assertEquals(guest.code, 1);
          assertMatch(guest.stdout, /panic-recovery: failed {2}.*password is required/);
          const none = await p(["init", "vm-nosudo", "--only", "panic-recovery"]);
          assertMatch(
            none.stdout,
            /panic-recovery: failed {2}not root, and the roster does not allow sudo/,
          );
        },
      );

      await t.step("clean deletes old files in each listed place and keeps the rest", async () => {
        const places = [
          "/tmp",
          "/var/tmp",
          "/var/crash",
          "/root/.cache/pip",
          "/home/deploy/.cache/uv",
          "/var/log/old-app",
        ];
        const plant = places.map((d) =>
          `mkdir -p ${d} && head -c 100000 /dev/urandom > ${d}/old.bin && touch -d '5 days ago' ${d}/old.bin && ` +
          `head -c 1000 /dev/urandom > ${d}/new.bin && touch -d '1 day ago' ${d}/new.bin`
        ).join(" && ");
        await vm.sh(plant);
        // Empty directories: an old one goes, a young one (someone's work in progress) and an old
        // sticky one (X11 makes /tmp/.X11-unix and expects it) stay. A sparse file frees what it
        // holds, not its apparent 1 GiB.
        await vm.sh(
          "mkdir -p /tmp/old-empty /tmp/young-empty /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix && " +
            "truncate -s 1G /tmp/sparse.bin && " +
            "touch -d '5 days ago' /tmp/old-empty /tmp/.X11-unix /tmp/sparse.bin",
        );
        await vm.sh(
          "mkdir -p /srv/keep /root/.cache/other /root/.cache/huggingface && " +
            "for f in /srv/keep/old.bin /root/.cache/other/old.bin /root/.cache/huggingface/old.bin; do " +
            "head -c 200000 /dev/urandom > $f && touch -d '9 days ago' $f; done",
        );
        // A user's cache that is a symlink out of the home, and old login records: never swept.
        await vm.sh(
          "mkdir -p /home/deploy/.cache && ln -sfn /srv/keep /home/deploy/.cache/pip && " +
            "touch -d '9 days ago' /var/log/wtmp /var/log/btmp",
        );

        const dry = await p(["clean", "vm", "--deep", "--dry-run"]);
        assertEquals(dry.code, 0, dry.stderr);
        // Allocated blocks: 200000 bytes take 49 blocks of 4 KiB.
        assertMatch(dry.stdout, /would remove 1 files, 200704 bytes: \/root\/.cache\/huggingface/);
        // old.bin (100000 bytes, 25 blocks) and the sparse file (no blocks), one empty directory.
        assertMatch(dry.stdout, /would remove 2 files, 102400 bytes, 1 empty directories: \/tmp$/m);
        assertMatch(dry.stdout, /\[vm\] \d+% → \d+%, would free .*deep tier/);
        assertEquals(
          (await vm.sh("ls /root/.cache/huggingface")).trim(),
          "old.bin",
          "dry run deleted nothing",
        );

        const r = await p(["clean", "vm"]);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(
          r.stdout,
          /skipped \/home\/deploy\/.cache\/pip: a symlink leads out of the home/,
        );
        assertEquals(
          (await vm.sh("ls /var/log/wtmp /var/log/btmp")).trim(),
          "/var/log/btmp\n/var/log/wtmp",
        );
        const freed = Number(/freed \S+ \((\d+) bytes\)/.exec(r.stdout)![1]);
        assert(freed >= places.length * 100000, `freed ${freed}`);
        for (const d of places) {
          assertEquals((await vm.sh(`ls ${d}/old.bin 2>/dev/null || echo gone`)).trim(), "gone", d);
          assertEquals((await vm.sh(`ls ${d}/new.bin`)).trim(), `${d}/new.bin`, d);
        }
        assertEquals(
          (await vm.sh("ls -d /tmp/old-empty /tmp/sparse.bin 2>/dev/null || echo gone")).trim(),
          "gone",
        );
        assertEquals(
          (await vm.sh("ls -d /tmp/young-empty /tmp/.X11-unix")).trim(),
          "/tmp/.X11-unix\n/tmp/young-empty",
        );
        for (
          const f of [
            "/srv/keep/old.bin",
            "/root/.cache/other/old.bin",
            "/root/.cache/huggingface/old.bin",
          ]
        ) {
          assertEquals((await vm.sh(`ls ${f}`)).trim(), f, "safe tier leaves it");
        }
        const deep = await p(["clean", "vm", "--deep"]);
        assertEquals(deep.code, 0);
        assertEquals(
          (await vm.sh("ls /root/.cache/huggingface/old.bin 2>/dev/null || echo gone")).trim(),
          "gone",
        );
        assertEquals((await vm.sh("ls /srv/keep/old.bin")).trim(), "/srv/keep/old.bin");
      });

      await t.step("clean counts and deletes the same with BusyBox find and stat", async () => {
        await vm.sh(
          "mkdir -p /var/tmp/bb/old-empty && head -c 100000 /dev/urandom > /var/tmp/bb/old.bin && " +
            "touch -d '5 days ago' /var/tmp/bb/old.bin /var/tmp/bb/old-empty && " +
            'ln -s "$(command -v busybox)" /usr/local/sbin/find && ' +
            'ln -s "$(command -v busybox)" /usr/local/sbin/stat && ' +
            "PATH=/usr/local/sbin:$PATH find --help 2>&1 | grep -q BusyBox",
        );
        try {
          const dry = await p(["clean", "vm", "--dry-run"]);
          assertEquals(dry.code, 0, dry.stderr);
          assertMatch(
            dry.stdout,
            /would remove 1 files, 102400 bytes, 1 empty directories: \/var\/tmp$/m,
          );
          const r = await p(["clean", "vm"]);
          assertEquals(r.code, 0, r.stderr);
          assertMatch(r.stdout, /removed 1 files, 102400 bytes, 1 empty directories: \/var\/tmp$/m);
          assertEquals((await vm.sh("ls -A /var/tmp/bb")).trim(), "");
        } finally {
          await vm.sh("rm -f /usr/local/sbin/find /usr/local/sbin/stat");
        }
      });
    } finally {
      await vm.stop();
      await Deno.remove(state, { recursive: true }).catch(() => {});
    }
  },
});
