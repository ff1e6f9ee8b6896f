import { assert, assertEquals } from "../tests/assert.ts";
import { machineKey, shownTarget } from "./same_host.ts";
import type { ResolvedTarget } from "./ssh.ts";

const assertNotEquals = (a: string, b: string) => assert(a !== b, `both ${a}`);

const at = (over: Partial<ResolvedTarget> = {}): ResolvedTarget => ({
  user: "root",
  hostname: "10.0.0.5",
  port: 22,
  settings: "x",
  hostKeyChecking: null,
  via: null,
  ...over,
});

Deno.test("machineKey() is one for two names of an account, address and port", () => {
  // Another identity, host key alias or settings digest is still the same sshd.
  assertEquals(machineKey(at(), "web1"), machineKey(at({ settings: "y" }), "web1.lan"));
  assertEquals(
    machineKey(at({ hostname: "Web1" }), "a"),
    machineKey(at({ hostname: "web1" }), "b"),
  );
  assertNotEquals(machineKey(at(), "a"), machineKey(at({ user: "me" }), "a"));
  assertNotEquals(machineKey(at(), "a"), machineKey(at({ port: 2222 }), "a"));
});

Deno.test("machineKey() tells one address behind two proxies or jumps apart", () => {
  const a = at({ hostname: "localhost", via: "command ssh hv1 nc %h %p" });
  const b = at({ hostname: "localhost", via: "command ssh hv2 nc %h %p" });
  assertNotEquals(machineKey(a, "vm1"), machineKey(b, "vm2"));
  assertEquals(machineKey(a, "vm1"), machineKey({ ...a }, "vm1.lan"));
  assertNotEquals(
    machineKey(at({ via: "jump bastion1" }), "a"),
    machineKey(at({ via: "jump b2" }), "a"),
  );
  assertNotEquals(machineKey(at(), "a"), machineKey(at({ via: "jump bastion1" }), "a"));
  // A proxy handed the name itself (%n, %k) may go anywhere by name.
  const byName = at({ via: "command connect %n" });
  assertNotEquals(machineKey(byName, "vm1"), machineKey(byName, "vm2"));
});

Deno.test("shownTarget() writes the ssh:// form add takes", () => {
  assertEquals(shownTarget(at({ port: 2222 })), "ssh://root@10.0.0.5:2222");
  assertEquals(shownTarget(at({ hostname: "::1" })), "ssh://root@[::1]:22");
});

Deno.test("shownTarget() says a jump host or a ProxyCommand is on the way", () => {
  // Alone, ssh://root@localhost:22 copied into pool add reaches this machine, not the VM.
  assertEquals(
    shownTarget(at({ hostname: "localhost", via: "jump hv1" })),
    "ssh://root@localhost:22 via ProxyJump hv1",
  );
  assertEquals(
    shownTarget(at({ via: "command ssh hv1 nc %h %p" })),
    "ssh://root@10.0.0.5:22 via its ProxyCommand",
  );
});
