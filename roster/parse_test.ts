import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { parseRoster, RosterShapeError, RosterSyntaxError } from "./parse.ts";

Deno.test("parseRoster() reads the old tool's file unchanged, unknown keys included", () => {
  const text =
    `{"hosts":[{"name":"ubu-1","ssh":"ubu-1","sudo":true,"os":"linux","gpu_count":2}],"version":3}`;
  const { doc, hosts } = parseRoster(text);
  assertEquals(hosts[0].name, "ubu-1");
  assertEquals(hosts[0].gpu_count, 2);
  assertEquals(doc.version, 3);
});

Deno.test("parseRoster() accepts comments and trailing commas", () => {
  const { hosts } = parseRoster(`{\n  // my fleet\n  "hosts": [ {"name": "a", "ssh": "a"}, ],\n}`);
  assertEquals(hosts.length, 1);
});

Deno.test("parseRoster() reports the line and column of a syntax error", () => {
  const err = assertThrows(() =>
    parseRoster(`{\n  "hosts": [\n    {"name": "a" "ssh": "b"}\n  ]\n}`)
  ) as unknown;
  assert(err instanceof RosterSyntaxError);
  assertEquals([err.line, err.column, err.truncated], [3, 18, false]);
});

Deno.test("parseRoster() marks a file cut short as truncated", () => {
  const err = assertThrows(() => parseRoster(`{"hosts": [{"name": "a", "ssh"`)) as unknown;
  assert(err instanceof RosterSyntaxError && err.truncated);
});

Deno.test("parseRoster() rejects valid JSON of the wrong shape", () => {
  for (
    const text of [
      "[]",
      "null",
      '"hosts"',
      '{"hosts": {}}',
      '{"hosts": [1]}',
      '{"hosts": [{"ssh": "x"}]}',
      '{"hosts": [{"name": "", "ssh": "x"}]}',
      '{"hosts": [{"name": null, "ssh": "x"}]}',
      '{"hosts": [{"name": "a", "ssh": "x"}, {"name": "a", "ssh": "y"}]}',
      // A name twice is the file's fault even when one of them is unusable.
      '{"hosts": [{"name": "a b", "ssh": "x"}, {"name": "a b", "ssh": "y"}]}',
    ]
  ) {
    assertThrows(() => parseRoster(text), RosterShapeError, text);
  }
});

Deno.test("parseRoster() treats a missing hosts key as an empty roster", () => {
  assertEquals(parseRoster("{}").hosts, []);
});

Deno.test("parseRoster() rejects a duplicate key, naming where the second one stands", () => {
  const twoLists =
    `{\n  "hosts": [{"name": "a", "ssh": "a"}],\n  "hosts": [{"name": "b", "ssh": "b"}]\n}`;
  const err = assertThrows(() => parseRoster(twoLists), RosterShapeError) as RosterShapeError;
  assertEquals([err.message, err.line, err.column], ['duplicate key "hosts"', 3, 3]);
  const inHost = `{"hosts": [\n  {"name": "a", "ssh": "a", "name": "b"}\n]}`;
  const again = assertThrows(() => parseRoster(inHost), RosterShapeError) as RosterShapeError;
  assertEquals([again.message, again.line, again.column], ['duplicate key "name"', 2, 29]);
});

/** jsonc-parser's objects have no prototype: as plain objects, to compare. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

Deno.test("parseRoster() leaves out a host add would refuse, keeping the others", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [
      { name: "mac mini" },
      "name contains whitespace",
      "pool rm 'mac mini', then add it under a plain name",
    ],
    [
      { name: "a\nb" },
      "name contains a control character",
      "pool rm 'a\nb', then add it under a plain name",
    ],
    [
      { name: "-a" },
      "name must not start with '-' (ssh would read it as an option)",
      "pool rm -- '-a', then add it under a plain name",
    ],
    [
      { name: "me@mac" },
      "name may hold only letters, digits and . _ + -",
      "pool rm me@mac, then add it under a plain name",
    ],
    [{ name: "all" }, 'name "all" is reserved', "pool rm all, then add it under a plain name"],
    [
      { ssh: "-oProxyCommand=x" },
      `target must not start with '-' (ssh would read it as an option): "-oProxyCommand=x"`,
      "fix it by hand, or pool rm bad",
    ],
    [
      { ssh: "root@-oProxyCommand=x" },
      `target's host must not start with '-' (ssh would read it as an option): "-oProxyCommand=x"`,
      "fix it by hand, or pool rm bad",
    ],
    [{ ssh: "" }, '"ssh" must be a non-empty string', "fix it by hand, or pool rm bad"],
    [{ ssh: 5 }, '"ssh" must be a non-empty string', "fix it by hand, or pool rm bad"],
    [
      { tags: ["ok", "a,b"] },
      'tag may hold only letters, digits and . _ + -: "a,b"',
      "fix it by hand, or pool rm bad",
    ],
    [{ tags: "gpu" }, '"tags" is not an array of strings', "fix it by hand, or pool rm bad"],
    [
      { exclude: "true" },
      '"exclude" is a string, not true or false',
      "fix it by hand, or pool rm bad",
    ],
    [{ os: 5 }, '"os" is a number, not a string', "fix it by hand, or pool rm bad"],
    [
      { description: [] },
      '"description" is an array, not a string',
      "fix it by hand, or pool rm bad",
    ],
  ];
  for (const [bad, problem, fix] of cases) {
    const entry = { name: "bad", ssh: "h1", ...bad };
    const text = JSON.stringify({ hosts: [{ name: "ok", ssh: "h2" }, entry] });
    const parsed = parseRoster(text);
    assertEquals(parsed.hosts.map((h) => h.name), ["ok"], text);
    assertEquals(parsed.names, ["ok", entry.name], text);
    assertEquals(plain(parsed.unusable), [{ name: entry.name, problem, fix, entry }], text);
    assertEquals(
      parsed.warnings,
      [`host ${JSON.stringify(entry.name)}: ${problem}; left out (${fix})`],
      text,
    );
  }
});

Deno.test("parseRoster() reads null as absent and sudo as the old tool did, never true on a guess", () => {
  const hosts = [
    { name: "a", ssh: "h1", os: null, description: null, sudo: null, exclude: null, tags: null },
    { name: "b", ssh: "h2", sudo: "yes" },
    { name: "c", ssh: "h3", sudo: 1 },
    { name: "d", ssh: "h4", sudo: "no" },
    { name: "e", ssh: "h5", sudo: 0 },
    { name: "f", ssh: "h6", sudo: "" },
    { name: "g", ssh: "h7", sudo: true },
  ];
  const parsed = parseRoster(JSON.stringify({ hosts }));
  assertEquals(parsed.unusable, []);
  assertEquals(parsed.hosts[0], { name: "a", ssh: "h1" });
  assertEquals(parsed.hosts.map((h) => h.sudo), [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    true,
  ]);
  // Said only where the old tool would have used sudo: 0 and "" were false there too.
  const said = (name: string, value: string) =>
    `host "${name}": "sudo" is ${value}, not true or false; read as false ` +
    `(write "sudo": true or false in the roster)`;
  assertEquals(parsed.warnings, [said("b", '"yes"'), said("c", "1"), said("d", '"no"')]);
  // The document is as written: list --json prints it so.
  assertEquals(plain(parsed.doc), { hosts });
});

Deno.test("parseRoster() still reads targets add now refuses as misleading: no roster is locked out", () => {
  // Written by an older pool: ssh cannot use the first, the second reads as h1. add refuses
  // both now; a roster holding them must still load, so that rm can take them out.
  const text = JSON.stringify({
    hosts: [{ name: "v6", ssh: "root@[::1]" }, { name: "zw", ssh: "h1\u200b" }],
  });
  assertEquals(parseRoster(text).hosts.map((h) => h.name), ["v6", "zw"]);
});
