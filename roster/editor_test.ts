import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { RosterEditor } from "./editor.ts";
import { parseRoster } from "./parse.ts";

const COMMENTED = `{
  // my machines; keep this comment
  "hosts": [
    {"name": "a", "ssh": "a", "os": "linux", "rack": 4} // the old one
  ],
  "owner": "me"
}
`;

Deno.test("RosterEditor keeps comments and unknown keys through add, set and remove", () => {
  const editor = new RosterEditor(COMMENTED);
  editor.add({ name: "b", ssh: "root@b", sudo: true, os: "linux" });
  editor.set("a", "description", "first box");
  editor.remove("b");
  editor.add({ name: "c", ssh: "c" });
  const text = editor.text;
  assert(text.includes("// my machines; keep this comment"));
  assert(text.includes("// the old one"));
  const { doc, hosts } = parseRoster(text);
  assertEquals(hosts.map((h) => h.name), ["a", "c"]);
  assertEquals(hosts[0].rack, 4);
  assertEquals(hosts[0].description, "first box");
  assertEquals(doc.owner, "me");
});

Deno.test("RosterEditor starts an empty or missing file as {hosts: []}", () => {
  const editor = new RosterEditor("");
  editor.add({ name: "a", ssh: "a" });
  assertEquals(parseRoster(editor.text).hosts.length, 1);
  const noHosts = new RosterEditor('{"owner": "me"}');
  noHosts.add({ name: "a", ssh: "a" });
  assertEquals(parseRoster(noHosts.text).doc.owner, "me");
});

Deno.test("RosterEditor refuses duplicates and unknown names with the old messages", () => {
  const editor = new RosterEditor(COMMENTED);
  assertThrows(() => editor.add({ name: "a", ssh: "x" }), /already in roster: a/);
  assertThrows(() => editor.remove("zz"), /not in roster: zz/);
  assertThrows(() => editor.set("zz", "os", "linux"), /not in roster: zz/);
});

Deno.test("RosterEditor.set() with undefined removes the key", () => {
  const editor = new RosterEditor(COMMENTED);
  editor.set("a", "rack", undefined);
  assertEquals(parseRoster(editor.text).hosts[0].rack, undefined);
});

Deno.test("RosterEditor.set() of a value the entry holds changes nothing, not even its layout", () => {
  const text = `{"hosts": [
    {"name": "a", "ssh": "a", "tags": ["gpu"], "description": "box", "exclude": false} // keep
  ]}
`;
  const editor = new RosterEditor(text);
  editor.set("a", "tags", ["gpu"]);
  editor.set("a", "description", "box");
  editor.set("a", "exclude", false);
  editor.set("a", "rack", undefined);
  assertEquals([editor.changed, editor.text], [false, text]);
  editor.set("a", "exclude", undefined);
  editor.set("a", "tags", ["gpu", "ci"]);
  assertEquals(editor.changed, true);
  assertEquals(parseRoster(editor.text).hosts[0].tags, ["gpu", "ci"]);
  assertEquals(parseRoster(editor.text).hosts[0].exclude, undefined);
});

Deno.test("RosterEditor.remove() keeps the comments of the hosts that stay", () => {
  const text = `{"hosts": [
    {"name": "a", "ssh": "a"}, // keep a
    // about b
    {"name": "b", "ssh": "b"}, // drop b
    {"name": "c", "ssh": "c"} // keep c
  ]}`;
  // Only the removed host's own lines go: a comment on a line of its own stays (it may be about
  // anything), and with the last host goes the comma before it.
  const expected = {
    a: `{"hosts": [
    // about b
    {"name": "b", "ssh": "b"}, // drop b
    {"name": "c", "ssh": "c"} // keep c
  ]}`,
    b: `{"hosts": [
    {"name": "a", "ssh": "a"}, // keep a
    // about b
    {"name": "c", "ssh": "c"} // keep c
  ]}`,
    c: `{"hosts": [
    {"name": "a", "ssh": "a"}, // keep a
    // about b
    {"name": "b", "ssh": "b"} // drop b
  ]}`,
  };
  for (const name of ["a", "b", "c"] as const) {
    const editor = new RosterEditor(text);
    editor.remove(name);
    assertEquals(editor.text, expected[name], `removing ${name}`);
  }
});

Deno.test("RosterEditor keeps a CRLF roster CRLF, with its comments where they were", () => {
  const crlf = COMMENTED.replaceAll("\n", "\r\n");
  const editor = new RosterEditor(crlf);
  editor.add({ name: "b", ssh: "b" });
  assertEquals(
    editor.text,
    crlf.replace("// the old one\r\n", '// the old one\r\n    {"name": "b", "ssh": "b"}\r\n')
      .replace('"rack": 4}', '"rack": 4},'),
  );
  editor.set("a", "tags", ["gpu"]);
  assertEquals(editor.text.replaceAll("\r\n", "").includes("\n"), false, editor.text);
  editor.remove("b");
  assertEquals(editor.text.replaceAll("\r\n", "").includes("\n"), false);
  assertEquals(parseRoster(editor.text).hosts.map((h) => h.name), ["a"]);
  assert(editor.text.includes("// the old one\r\n"), JSON.stringify(editor.text));
});

Deno.test("RosterEditor.add() after a last host with no line end at all", () => {
  const editor = new RosterEditor('{"hosts": [{"name": "a", "ssh": "a"}]}');
  editor.add({ name: "b", ssh: "b" });
  assertEquals(parseRoster(editor.text).hosts.map((h) => h.name), ["a", "b"]);
});

Deno.test("RosterEditor edits layouts it did not foresee, never into a file that does not parse", () => {
  const leadingCommas =
    '{"hosts": [\n    {"name": "a", "ssh": "a"}\n  , {"name": "b", "ssh": "b"}\n]}';
  const oneLineComments = '{"hosts": [{"name": "a", "ssh": "a"} /* c */]} /* x */';
  for (const text of [leadingCommas, oneLineComments]) {
    const editor = new RosterEditor(text);
    editor.add({ name: "z", ssh: "z" });
    assertEquals(
      parseRoster(editor.text).hosts.map((h) => h.name),
      editor.hosts.map((h) => h.name),
    );
    editor.remove("a");
    const names = parseRoster(editor.text).hosts.map((h) => h.name);
    assertEquals(names, editor.hosts.map((h) => h.name), text);
    assertEquals(names.includes("a") || !names.includes("z"), false, text);
  }
});

Deno.test("RosterEditor.remove() keeps every other host's comment, whatever the layout", () => {
  const layouts = [
    // Each host on its own line, trailing comments of both kinds.
    `{"hosts": [\n  {"name": "a", "ssh": "a"}, // A, do not reboot\n  {"name": "b", "ssh": "b"} /* B */\n]}\n`,
    // All on one line.
    `{"hosts": [{"name": "a", "ssh": "a"} /* A */, {"name": "b", "ssh": "b"} /* B */]}`,
    // A comment with a comma before the separator.
    `{"hosts": [\n  {"name": "a", "ssh": "a"} /* A, x */ ,\n  {"name": "b", "ssh": "b"} // B\n]}`,
    // The bracket right after the last entry, a line comment before it.
    `{"hosts": [\n  {"name": "a", "ssh": "a"}, // A: build box\n  {"name": "b", "ssh": "b"}]\n} // B`,
    // Leading commas.
    `{"hosts": [\n  {"name": "a", "ssh": "a"} // A\n  // B\n  , {"name": "b", "ssh": "b"}\n]}`,
  ];
  for (const text of layouts) {
    for (const [gone, kept] of [["a", "b"], ["b", "a"]]) {
      const editor = new RosterEditor(text);
      editor.remove(gone);
      assertEquals(parseRoster(editor.text).hosts.map((h) => h.name), [kept], editor.text);
      const comment = kept.toUpperCase();
      assert(editor.text.includes(comment), `${gone} removed from ${text}: ${editor.text}`);
      assert(!editor.text.includes(`"${gone}"`), editor.text);
    }
  }
  // Leading commas, three hosts: each comment line stays where it was, each host's comma goes.
  const leading =
    `{"hosts": [\n  {"name": "a", "ssh": "a"}\n  // about b\n  , {"name": "b", "ssh": "b"}\n  // about c\n  , {"name": "c", "ssh": "c"}\n]}`;
  for (const gone of ["a", "b", "c"]) {
    const editor = new RosterEditor(leading);
    editor.remove(gone);
    const left = ["a", "b", "c"].filter((n) => n !== gone);
    assertEquals(parseRoster(editor.text).hosts.map((h) => h.name), left, editor.text);
    assert(
      editor.text.includes("// about b\n") && editor.text.includes("// about c\n"),
      editor.text,
    );
    assert(!editor.text.includes(`"${gone}"`), editor.text);
  }
  // Three on one line: the middle one goes with its own comma.
  const three = new RosterEditor(
    `{"hosts": [{"name": "a", "ssh": "a"} /* A */, {"name": "b", "ssh": "b"}, {"name": "c", "ssh": "c"} /* C */]}`,
  );
  three.remove("b");
  assertEquals(
    three.text,
    `{"hosts": [{"name": "a", "ssh": "a"} /* A */, {"name": "c", "ssh": "c"} /* C */]}`,
  );
});

Deno.test("RosterEditor: no name at all is a usage error, not 'not in roster: '", () => {
  const editor = new RosterEditor(COMMENTED);
  for (
    const edit of [() => editor.get(""), () => editor.remove(""), () => editor.set("", "x", 1)]
  ) {
    const e = assertThrows(edit, /^empty host name$/);
    assertEquals(e.name, "UsageError");
  }
  assertEquals(editor.changed, false);
});

Deno.test("RosterEditor edits around an unusable host, keeps its bytes, and removes it by its exact name", () => {
  const bad = `{"name": "mac mini", "ssh": "-oProxyCommand=x", "sudo": "yes", "rack": 4}`;
  const text =
    `{"hosts": [\n  {"name": "a", "ssh": "a"},\n  ${bad},\n  {"name": "b", "ssh": "b"}\n]}\n`;
  const editor = new RosterEditor(text);
  assertEquals(editor.hosts.map((h) => h.name), ["a", "b"]);
  assertEquals(editor.names, ["a", "mac mini", "b"]);
  // Each edit finds its host by its place among all entries: the one after the unusable one too.
  editor.set("b", "description", "after it");
  editor.set("a", "os", "linux");
  editor.add({ name: "c", ssh: "c" });
  editor.remove("a");
  assert(editor.text.includes(`  ${bad},\n`), editor.text);
  const { hosts, names } = parseRoster(editor.text);
  assertEquals(names, ["mac mini", "b", "c"]);
  assertEquals(hosts.map((h) => [h.name, h.description]), [["b", "after it"], ["c", undefined]]);
  // Not to be used or changed, nor its name taken; only removed.
  assertThrows(
    () => editor.set("mac mini", "description", "x"),
    /^host "mac mini" is left out: name contains whitespace \(pool rm 'mac mini', then add it under a plain name\)$/,
  );
  assertThrows(() => editor.add({ name: "mac mini", ssh: "m" }), /already in roster: mac mini/);
  editor.remove("mac mini");
  assertEquals(parseRoster(editor.text).names, ["b", "c"]);
  assertEquals(editor.warnings, []);
});
