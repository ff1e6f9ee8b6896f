import { assert, assertEquals, assertMatch, assertThrows } from "../tests/assert.ts";
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
      '{"hosts": [{"name": "a"}]}',
      '{"hosts": [{"name": "", "ssh": "x"}]}',
      '{"hosts": [{"name": "a", "ssh": "x"}, {"name": "a", "ssh": "y"}]}',
      '{"hosts": [{"name": "a", "ssh": "x", "tags": "gpu"}]}',
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

Deno.test("parseRoster() rejects hand-edited values add would refuse, naming the line", () => {
  const cases: [string, RegExp, number][] = [
    ['{"hosts": [\n {"name": "a\\nb", "ssh": "x"}]}', /host name contains a control/, 2],
    ['{"hosts": [\n {"name": "-a", "ssh": "x"}]}', /host name must not start with '-'/, 2],
    ['{"hosts": [\n {"name": "a$(id)", "ssh": "x"}]}', /host name may hold only/, 2],
    [
      '{"hosts": [\n {"name": "a",\n  "ssh": "-oProxyCommand=x"}]}',
      /target must not start with '-'/,
      3,
    ],
    ['{"hosts": [\n {"name": "a",\n  "ssh": "root@-oProxyCommand=x"}]}', /target's host/, 3],
    ['{"hosts": [\n {"name": "a", "ssh": "x",\n  "tags": ["ok", "a,b"]}]}', /tag may hold only/, 3],
    [
      '{"hosts": [\n {"name": "a", "ssh": "x",\n  "exclude": "true"}]}',
      /"exclude" must be a boolean/,
      3,
    ],
    ['{"hosts": [\n {"name": "a", "ssh": "x",\n  "sudo": "no"}]}', /"sudo" must be a boolean/, 3],
    ['{"hosts": [\n {"name": "a", "ssh": "x",\n  "os": null}]}', /"os" must be a string/, 3],
    [
      '{"hosts": [\n {"name": "a", "ssh": "x", "description": 5}]}',
      /"description" must be a string/,
      2,
    ],
  ];
  for (const [text, message, line] of cases) {
    const err = assertThrows(() => parseRoster(text), RosterShapeError) as RosterShapeError;
    assertMatch(err.message, message);
    assertEquals(err.line, line, text);
  }
});

Deno.test("parseRoster() still reads targets add now refuses as misleading: no roster is locked out", () => {
  // Written by an older pool: ssh cannot use the first, the second reads as h1. add refuses
  // both now; a roster holding them must still load, so that rm can take them out.
  const text = JSON.stringify({
    hosts: [{ name: "v6", ssh: "root@[::1]" }, { name: "zw", ssh: "h1\u200b" }],
  });
  assertEquals(parseRoster(text).hosts.map((h) => h.name), ["v6", "zw"]);
});
