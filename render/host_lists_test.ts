import { assertEquals, assertMatch } from "../tests/assert.ts";
import { completionWords, hostLine, type ListFormat } from "./host_lists.ts";
import { memoryOutput } from "./out.ts";

const line = (ssh: string, format: ListFormat) => {
  const out = memoryOutput();
  return [hostLine({ name: "x", ssh }, format, out), out.stderrText()] as const;
};

Deno.test("pdsh's host list leaves out what pdsh reads as its own syntax", () => {
  // exec: runs the command on this machine; /h1 filters the others away; ::1 fails the list.
  for (const ssh of ["exec:h1", "/h1", "^hosts", "root@::1", "ssh://root@[::1]:22", "a:b@h1"]) {
    const [got, said] = line(ssh, "pdsh");
    assertEquals(got, null, ssh);
    assertMatch(said, /^pool: warning: x: pdsh would read .* as its own syntax; left out\n$/);
  }
  assertEquals(line("root@h1", "pdsh")[0], "root@h1");
  assertEquals(line("ssh://me@h1:22", "pdsh")[0], "me@h1");
});

Deno.test("pssh's host list writes an IPv6 address bare with its port, or leaves it out", () => {
  // pssh splits the port off at the last colon and keeps brackets in the name.
  assertEquals(line("ssh://root@[::1]:2222", "pssh")[0], "root@::1:2222");
  for (const ssh of ["root@::1", "h1:22", "exec:h1"]) {
    const [got, said] = line(ssh, "pssh");
    assertEquals(got, null, ssh);
    assertMatch(said, /pssh would read the part of .* after its last ":" as a port; left out/);
  }
  assertEquals(line("ssh://me@h1:2222", "pssh")[0], "me@h1:2222");
  assertEquals(line("h1", "pssh")[0], "h1");
});

Deno.test("completion words fit what the verb takes: a selection, a roster name, a host or a tag", () => {
  const hosts = [
    { name: "h1", ssh: "h1", tags: ["gpu"] },
    { name: "old", ssh: "old", exclude: true },
  ];
  assertEquals(completionWords(hosts, "complete"), ["h1", "old", "@gpu", "all", "local"]);
  // rm, tag, include… refuse @tags, all and local: never offered there.
  assertEquals(completionWords(hosts, "complete-name"), ["h1", "old"]);
  // bg takes one host, and local is this machine.
  assertEquals(completionWords(hosts, "complete-host"), ["h1", "old", "local"]);
  // tag takes tags as they are written there, without the @.
  assertEquals(completionWords(hosts, "complete-tag"), ["gpu"]);
  // A roster host named local is that word once.
  const shadow = [...hosts, { name: "local", ssh: "box" }];
  assertEquals(completionWords(shadow, "complete-host"), ["h1", "old", "local"]);
  assertEquals(completionWords(shadow, "complete-name"), ["h1", "old", "local"]);
});
