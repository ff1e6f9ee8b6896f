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

      // Debian 12 keeps its journal by default (journald makes /var/log/journal itself). Make this
      // one volatile like many hosts (Storage=auto, no directory), so persistent-journal has work.
      await vm.sh(
        "mkdir -p /etc/systemd/journald.conf.d && printf '[Journal]\\nStorage=auto\\n' " +
          "> /etc/systemd/journald.conf.d/test-volatile.conf && rm -rf /var/log/journal && " +
          "systemctl restart systemd-journald && test ! -d /var/log/journal",
      );

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

          assertEquals((await vm.sh("sysctl -n kernel.panic")).trim(), "10");
          assertMatch(await vm.sh("swapon --show=NAME --noheadings"), /\/swapfile-pool/);
          assertEquals((await vm.sh("systemctl is-active earlyoom")).trim(), "active");
          assertEquals(
            (await vm.sh("test -x /etc/cron.daily/disk-cleanup && echo yes")).trim(),
            "yes",
          );
          assertEquals((await vm.sh("test -d /var/log/journal && echo yes")).trim(), "yes");
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
        await vm.sh(
          "mkdir -p /srv/keep /root/.cache/other /root/.cache/huggingface && " +
            "for f in /srv/keep/old.bin /root/.cache/other/old.bin /root/.cache/huggingface/old.bin; do " +
            "head -c 200000 /dev/urandom > $f && touch -d '9 days ago' $f; done",
        );

        const dry = await p(["clean", "vm", "--deep", "--dry-run"]);
        assertEquals(dry.code, 0, dry.stderr);
        assertMatch(dry.stdout, /would remove 1 files, 200000 bytes: \/root\/.cache\/huggingface/);
        assertMatch(dry.stdout, /\[vm\] \d+% → \d+%, would free .*deep tier/);
        assertEquals(
          (await vm.sh("ls /root/.cache/huggingface")).trim(),
          "old.bin",
          "dry run deleted nothing",
        );

        const r = await p(["clean", "vm"]);
        assertEquals(r.code, 0, r.stderr);
        const freed = Number(/freed \S+ \((\d+) bytes\)/.exec(r.stdout)![1]);
        assert(freed >= places.length * 100000, `freed ${freed}`);
        for (const d of places) {
          assertEquals((await vm.sh(`ls ${d}/old.bin 2>/dev/null || echo gone`)).trim(), "gone", d);
          assertEquals((await vm.sh(`ls ${d}/new.bin`)).trim(), `${d}/new.bin`, d);
        }
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
    } finally {
      await vm.stop();
      await Deno.remove(state, { recursive: true }).catch(() => {});
    }
  },
});
