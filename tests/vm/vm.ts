/**
 * A throwaway Debian VM for the bootstrap tests: qemu under software
 * emulation, booted from a fresh overlay on the image tests/vm/build-image.sh
 * made, reached only through a loopback port forward. The guest can send
 * nothing out (`restrict=on`) except to the Debian mirror through qemu's
 * guestfwd, so `apt-get install` works and everything else (tailscale's
 * installer) fails at once.
 */

import { join } from "node:path";

export interface Vm {
  dir: string;
  port: number;
  /** An ssh_config with `vm` (root), `vm-deploy` (NOPASSWD sudo) and `vm-guest` (sudo needs a password). */
  sshConfig: string;
  /** Runs a command in the guest as root; throws on failure. */
  sh(command: string): Promise<string>;
  stop(): Promise<void>;
}

export const VM_DIR = Deno.env.get("POOL_VM_DIR") ?? "/var/tmp/pool-vm";
const BOOT_CEILING_MS = 10 * 60_000;

function mirrorHost(): string {
  const url = Deno.env.get("POOL_VM_MIRROR") ?? "http://deb.debian.org/debian";
  return new URL(url).hostname;
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  return { code: o.code, out: text };
}

export async function bootVm(): Promise<Vm> {
  const dir = await Deno.makeTempDir({ prefix: "pool-vm-" });
  const overlay = join(dir, "overlay.qcow2");
  const made = await run("qemu-img", [
    "create",
    "-q",
    "-f",
    "qcow2",
    "-F",
    "raw",
    "-b",
    join(VM_DIR, "base.img"),
    overlay,
  ]);
  if (made.code !== 0) throw new Error(`qemu-img: ${made.out}`);
  const port = 20000 + Math.floor(Math.random() * 40000);
  const pidfile = join(dir, "qemu.pid");
  const started = await run("qemu-system-x86_64", [
    "-accel",
    "tcg",
    "-cpu",
    "max",
    "-m",
    "2048",
    "-smp",
    "2",
    "-kernel",
    join(VM_DIR, "vmlinuz"),
    "-initrd",
    join(VM_DIR, "initrd.img"),
    "-append",
    "root=/dev/vda rw console=ttyS0",
    "-drive",
    `file=${overlay},format=qcow2,if=virtio,cache=unsafe`,
    "-netdev",
    `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22,guestfwd=tcp:10.0.2.100:80-cmd:nc ${mirrorHost()} 80`,
    "-device",
    "virtio-net-pci,netdev=n0",
    "-device",
    "virtio-rng-pci",
    "-display",
    "none",
    "-serial",
    `file:${join(dir, "console.log")}`,
    "-daemonize",
    "-pidfile",
    pidfile,
  ]);
  if (started.code !== 0) throw new Error(`qemu: ${started.out}`);
  const pid = Number((await Deno.readTextFile(pidfile)).trim());

  const sshConfig = join(dir, "ssh_config");
  const common =
    `  HostName 127.0.0.1\n  Port ${port}\n  IdentityFile ${VM_DIR}/id_ed25519\n  IdentitiesOnly yes\n` +
    `  UserKnownHostsFile ${dir}/known_hosts\n  StrictHostKeyChecking accept-new\n  LogLevel ERROR\n`;
  await Deno.writeTextFile(
    sshConfig,
    `Host vm\n  User root\n${common}Host vm-deploy\n  User deploy\n${common}Host vm-guest\n  User guest\n${common}`,
  );
  const stop = async () => {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const sh = async (command: string) => {
    const r = await run("ssh", [
      "-F",
      sshConfig,
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "vm",
      command,
    ]);
    if (r.code !== 0) throw new Error(`in the VM, "${command}" failed (${r.code}): ${r.out}`);
    return r.out;
  };
  const deadline = performance.now() + BOOT_CEILING_MS;
  while (performance.now() < deadline) {
    const r = await run("ssh", [
      "-F",
      sshConfig,
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      "vm",
      "true",
    ]);
    if (r.code === 0) return { dir, port, sshConfig, sh, stop };
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const console = await Deno.readTextFile(join(dir, "console.log")).catch(() => "");
  await stop();
  throw new Error(
    `the VM did not answer ssh within 10 minutes; console tail:\n${console.slice(-2000)}`,
  );
}
