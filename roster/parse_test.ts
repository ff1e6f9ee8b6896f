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
