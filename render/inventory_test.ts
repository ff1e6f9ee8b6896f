import { assertEquals } from "../tests/assert.ts";
import { groupNames, hostvars, inventoryList } from "./inventory.ts";

const tagGroups = (tags: string[], os: string[] = ["linux"]) =>
  Object.fromEntries(groupNames(os, tags).tags);

Deno.test("groupNames() makes tags identifiers and keeps a lone tag's name", () => {
  assertEquals(tagGroups(["gpu", "web-tier", "a.b"]), {
    "a.b": "a_b",
    gpu: "gpu",
    "web-tier": "web_tier",
  });
});

Deno.test("groupNames() never gives a tag one of Ansible's names or an OS group's", () => {
  assertEquals(tagGroups(["all", "ungrouped", "_meta", "linux", "macos", "5g"]), {
    _meta: "tag__meta",
    "5g": "tag_5g",
    all: "tag_all",
    linux: "tag_linux",
    macos: "tag_macos",
    ungrouped: "tag_ungrouped",
  });
  assertEquals(Object.fromEntries(groupNames(["all", "linux"], []).os), {
    all: "os_all",
    linux: "linux",
  });
});

Deno.test("groupNames() splits tags that would merge, the same way whatever the order", () => {
  const names = tagGroups(["web-tier", "web_tier", "web.tier"]);
  assertEquals(names.web_tier, "web_tier", "the tag spelled as the identifier keeps it");
  assertEquals(new Set(Object.values(names)).size, 3);
  for (const tag of ["web-tier", "web.tier"]) {
    assertEquals(names[tag].startsWith("web_tier_") && names[tag].length, 15, names[tag]);
  }
  assertEquals(tagGroups(["web.tier", "web_tier", "web-tier"]), names);
  // A prefixed name meets a tag spelled that way: the literal tag keeps it.
  const prefixed = tagGroups(["all", "tag_all"]);
  assertEquals(prefixed.tag_all, "tag_all");
  assertEquals(prefixed.all.startsWith("tag_all_"), true);
});

Deno.test("inventoryList() keeps Ansible's all and _meta whatever the tags", () => {
  const hosts = [
    { name: "h1", ssh: "h1", os: "linux", tags: ["all", "_meta"] },
    { name: "h2", ssh: "h2", os: "macos", tags: ["web-tier", "web_tier"] },
  ];
  const doc = inventoryList(hosts, [{ a: 1 }, { b: 2 }]) as Record<string, { hosts: string[] }>;
  assertEquals(doc.all.hosts, ["h1", "h2"]);
  assertEquals(doc._meta, { hostvars: { h1: { a: 1 }, h2: { b: 2 } } } as unknown);
  assertEquals(doc.tag_all.hosts, ["h1"]);
  assertEquals(doc.tag__meta.hosts, ["h1"]);
  assertEquals(doc.web_tier.hosts, ["h2"]);
  assertEquals(doc.linux.hosts, ["h1"]);
});

Deno.test("hostvars() asks Ansible to become root where pool would use sudo", () => {
  const at = (user: string) => ({
    user,
    hostname: "10.0.0.7",
    port: 22,
    settings: "",
    hostKeyChecking: null,
  });
  const sudo = { name: "h", ssh: "h", sudo: true };
  assertEquals(hostvars(sudo, at("ubuntu"), undefined).ansible_become, true);
  assertEquals(hostvars(sudo, null, undefined).ansible_become, true);
  assertEquals(hostvars(sudo, at("root"), undefined).ansible_become, undefined, "root: directly");
  assertEquals(
    hostvars({ ...sudo, sudo: false }, at("ubuntu"), undefined).ansible_become,
    undefined,
  );
});

Deno.test("hostvars() quotes the ssh config path as Ansible splits it: like a shell", () => {
  const args = (path: string) =>
    hostvars({ name: "h", ssh: "h" }, null, path).ansible_ssh_common_args;
  assertEquals(args("/home/me/my cfg/ssh_config"), {
    __ansible_unsafe: "-F '/home/me/my cfg/ssh_config'",
  });
  assertEquals(args("/etc/ssh/pool_config"), { __ansible_unsafe: "-F /etc/ssh/pool_config" });
});

Deno.test("hostvars() marks every string unsafe: Ansible never templates roster text", () => {
  const trap = "{{ lookup('pipe', 'touch /tmp/pwned') }}";
  const vars = hostvars(
    { name: "h", ssh: "me@gpu-1", description: trap, tags: [trap], os: "linux" },
    { user: trap, hostname: "10.0.0.7", port: 2222, settings: "", hostKeyChecking: null },
    undefined,
  );
  assertEquals(vars, {
    // The alias as typed, so its ssh_config Host block applies to Ansible's ssh as to pool's.
    ansible_host: { __ansible_unsafe: "gpu-1" },
    ansible_user: { __ansible_unsafe: trap },
    ansible_port: 2222,
    pool_name: { __ansible_unsafe: "h" },
    pool_target: { __ansible_unsafe: "me@gpu-1" },
    pool_os: { __ansible_unsafe: "linux" },
    pool_sudo: false,
    pool_tags: [{ __ansible_unsafe: trap }],
    pool_description: { __ansible_unsafe: trap },
  });
});

Deno.test("inventoryList() never names a group as a host: Ansible would take one for the other", () => {
  const hosts = [
    { name: "linux", ssh: "h2", os: "linux" },
    { name: "web", ssh: "h3", os: "linux" },
    { name: "h1", ssh: "h1", os: "linux", tags: ["web", "h1"] },
  ];
  const doc = inventoryList(hosts, [{}, {}, {}]) as Record<string, { hosts: string[] }>;
  assertEquals(doc.os_linux.hosts, ["linux", "web", "h1"]);
  assertEquals(doc.tag_web.hosts, ["h1"]);
  assertEquals(doc.tag_h1.hosts, ["h1"]);
  assertEquals([doc.linux, doc.web, doc.h1], [undefined, undefined, undefined]);
});
