import { assertEquals, assertThrows } from "../tests/assert.ts";
import type { Host } from "./host.ts";
import { isExcluded } from "./host.ts";
import { picksAnyHost, selectHosts } from "./select.ts";

const ROSTER: Host[] = [
  { name: "ubu-1", ssh: "ubu-1", tags: ["gpu"] },
  { name: "ubu-2", ssh: "ubu-2", tags: ["gpu", "ci"] },
  { name: "mini", ssh: "mini", os: "macos" },
  { name: "pi5-akida", ssh: "ubuntu@192.0.2.5" },
  { name: "old", ssh: "old", exclude: true, tags: ["gpu"] },
];

const names = (spec: string) => selectHosts(spec, ROSTER).hosts.map((h) => h.name);

Deno.test("selectHosts() all skips excluded hosts and the legacy akida host", () => {
  assertEquals(names("all"), ["ubu-1", "ubu-2", "mini"]);
  assertEquals(selectHosts("all", ROSTER).skipped.map((h) => h.name), ["pi5-akida", "old"]);
});

Deno.test("selectHosts() takes names, comma lists, tags and exclusions", () => {
  assertEquals(names("mini"), ["mini"]);
  assertEquals(names("mini,ubu-1"), ["ubu-1", "mini"]);
  assertEquals(names("@gpu"), ["ubu-1", "ubu-2"]);
  assertEquals(names("@gpu,!ubu-2"), ["ubu-1"]);
  assertEquals(names("all,!@ci"), ["ubu-1", "mini"]);
  assertEquals(names("!mini"), ["ubu-1", "ubu-2"]);
});

Deno.test("selectHosts() still runs an excluded host named explicitly", () => {
  assertEquals(names("pi5-akida"), ["pi5-akida"]);
  assertEquals(names("old,mini"), ["mini", "old"]);
});

Deno.test("selectHosts() leaves out an excluded host named explicitly when a ! term covers it", () => {
  assertEquals(names("old,mini,!@gpu"), ["mini"]);
  assertEquals(names("pi5-akida,mini,!pi5*"), ["mini"]);
  assertThrows(() => selectHosts("old,ubu-1,!ubu-[1-2],!o?d", ROSTER), /matches no host/);
  assertThrows(() => selectHosts("old,!all", ROSTER), /matches no host/);
});

Deno.test("selectHosts() leaves nothing out for a ! tag or glob that matches nothing", () => {
  assertEquals(names("@gpu,!@busy"), ["ubu-1", "ubu-2"]);
  assertEquals(names("all,!gpu*"), ["ubu-1", "ubu-2", "mini"]);
  // A name is still checked: a typo there would run on the host meant to be left out.
  assertThrows(() => selectHosts("all,!ubu-3", ROSTER), /not in roster: ubu-3/);
  assertThrows(() => selectHosts("all,!ubu-[1-3]", ROSTER), /not in roster: ubu-3/);
});

Deno.test("selectHosts() knows the implicit local host only by name", () => {
  assertEquals(names("local"), ["local"]);
  assertEquals(names("all,local").at(-1), "local");
  assertEquals(selectHosts("local", ROSTER).fanOut, false);
  assertEquals(selectHosts("all", ROSTER).fanOut, true);
});

Deno.test("selectHosts() reports unknown names and tags", () => {
  assertThrows(() => selectHosts("nope", ROSTER), /not in roster: nope/);
  assertThrows(() => selectHosts("@nope", ROSTER), /no host carries tag @nope/);
  assertThrows(() => selectHosts("ubu-1,,mini", ROSTER), /empty term/);
  // `@$UNSET` names no tag: a usage error, not "no host carries tag @".
  for (const spec of ["@", "ubu-1,@", "all,!@"]) {
    const e = assertThrows(() => selectHosts(spec, ROSTER), /^empty tag in host selection "/);
    assertEquals(e.name, "UsageError", spec);
  }
  assertThrows(
    () => selectHosts("all,!ubu-1,!ubu-2,!mini", ROSTER),
    /matches only excluded hosts: old,pi5-akida/,
  );
  assertThrows(() => selectHosts("all", []), /no hosts in the roster yet/);
});

Deno.test("isExcluded() lets an explicit exclude key override the akida rule", () => {
  assertEquals(isExcluded({ name: "pi5-akida", ssh: "x" }), true);
  assertEquals(isExcluded({ name: "pi5-akida", ssh: "x", exclude: false }), false);
  assertEquals(isExcluded({ name: "box", ssh: "akida@10.0.0.1" }), true);
  assertEquals(isExcluded({ name: "box", ssh: "box" }), false);
});

const RACK: Host[] = [
  ...["h1", "h2", "h3", "h4", "h5", "edge"].map((name) => ({ name, ssh: name })),
  ...["gpu01", "gpu02", "gpu03", "gpu04"].map((name) => ({ name, ssh: name, tags: ["gpu"] })),
  ...["web1", "web3", "web5", "web6", "web7"].map((name) => ({ name, ssh: name })),
  { name: "gpu09", ssh: "gpu09", exclude: true },
];
const rack = (spec: string) => selectHosts(spec, RACK).hosts.map((h) => h.name);

Deno.test("selectHosts() expands ranges, and a comma inside brackets stays in the range", () => {
  assertEquals(rack("h[1-3]"), ["h1", "h2", "h3"]);
  assertEquals(rack("gpu[01-04]"), ["gpu01", "gpu02", "gpu03", "gpu04"]);
  assertEquals(rack("web[1,3,5-7]"), ["web1", "web3", "web5", "web6", "web7"]);
  assertEquals(rack("h[1-2],web[1,3],edge"), ["h1", "h2", "edge", "web1", "web3"]);
  assertEquals(rack("h[1-5],!h[2-4]"), ["h1", "h5"]);
  assertEquals(rack("gpu[09]"), ["gpu09"]); // a range names its hosts: excluded or not
  assertEquals(selectHosts("h[1]", RACK).fanOut, true);
});

Deno.test("selectHosts() matches globs on names, skipping excluded hosts like @tag", () => {
  assertEquals(rack("gpu*"), ["gpu01", "gpu02", "gpu03", "gpu04"]);
  assertEquals(selectHosts("gpu*", RACK).skipped.map((h) => h.name), ["gpu09"]);
  assertEquals(rack("h?,!h[4-5]"), ["h1", "h2", "h3"]);
  assertEquals(rack("@gpu,web*,!web[5-7]"), ["gpu01", "gpu02", "gpu03", "gpu04", "web1", "web3"]);
  assertEquals(rack("all,!gpu*,!web*,!h*"), ["edge"]);
  assertEquals(selectHosts("gpu0?", RACK).fanOut, true);
});

Deno.test("selectHosts() names every missing host of a range, folded", () => {
  assertThrows(() => selectHosts("h[1-8]", RACK), /not in roster: h\[6-8\]$/);
  // A runaway range is named as typed, at once: folding 90,000 names took a minute.
  assertThrows(
    () => selectHosts("r[0-299]n[0-299]", RACK),
    /not in roster: r\[0-299\]n\[0-299\] \(90000 names\)$/,
  );
  assertThrows(() => selectHosts("db*", RACK), /no host name matches db\*/);
  assertThrows(() => selectHosts("h[2-1]", RACK), /bad host range "h\[2-1\]"/);
  assertThrows(
    () => selectHosts("h1]", RACK),
    /bad host range "h1\]"/,
    "a ] alone is a range typed wrong",
  );
});

Deno.test("a selection whose every host is excluded says so, not that it matched nothing", () => {
  assertThrows(
    () => selectHosts("pi5*,o?d", ROSTER),
    /^host selection "pi5\*,o\?d" matches only excluded hosts: old,pi5-akida \(name one/,
  );
  assertThrows(() => selectHosts("nope*", ROSTER), /no host name matches nope\*/);
  assertEquals(
    ["o?d", "ubu-*", "nope*", "all", "@ci", "h[1-2]"].map((s) => picksAnyHost(s, ROSTER)),
    [true, true, false, true, true, false],
  );
});

Deno.test("a host left out (unusable) is refused by name, never missing nor this machine", () => {
  const left = [
    { name: "mac mini", problem: "name contains whitespace", fix: "pool rm 'mac mini'", entry: {} },
    { name: "local", problem: '"tags" is not an array of strings', fix: "fix it", entry: {} },
    { name: "ubu-3", problem: '"os" is 1, not a string', fix: "fix it", entry: {} },
  ];
  const leftOut = /^host "(mac mini|local|ubu-3)" is left out: /;
  // Named alone, in a list, or in a range: refused with why; `local` is not this machine then.
  for (const spec of ["mac mini", "local", "ubu-1,local", "ubu-3", "ubu-[1-3]"]) {
    assertThrows(() => selectHosts(spec, ROSTER, left), leftOut);
  }
  // Left out again, it is already out: no error, nothing else changes.
  const pick = (spec: string) => selectHosts(spec, ROSTER, left).hosts.map((h) => h.name);
  assertEquals(pick("all,!ubu-3"), ["ubu-1", "ubu-2", "mini"]);
  assertEquals(pick("ubu-[1-2],!ubu-[2-3]"), ["ubu-1"]);
  // Every entry left out: said so, not "no hosts in the roster yet".
  assertThrows(() => selectHosts("all", [], left), /every host in the roster is left out/);
});
