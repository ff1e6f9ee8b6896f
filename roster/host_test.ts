import { assertEquals, assertThrows } from "../tests/assert.ts";
import {
  checkName,
  checkTag,
  checkTarget,
  isExcluded,
  nameProblem,
  portInHostProblem,
  tagProblem,
  targetProblem,
} from "./host.ts";

Deno.test("checkTarget() accepts user@host, aliases and ssh:// addresses", () => {
  for (
    const t of [
      "ubu-1",
      "root@10.0.0.2",
      "ssh://me@host:2222",
      "ssh://host",
      "ssh://h1:1",
      "ssh://h1:65535",
      "me@::1",
      "ssh://me@[::1]",
      "ssh://[::1]:22",
      "a.b@c@host",
      "fe80::1%eth0",
    ]
  ) {
    checkTarget(t);
  }
});

Deno.test("checkTarget() rejects what ssh could read as an option, whitespace and control characters", () => {
  for (
    const t of [
      "-oProxyCommand=touch /tmp/x",
      "-p",
      "a b",
      "a\tb",
      "a\nb",
      "a\u0007",
      "",
      "ssh://",
      "http://x",
      "ssh://h/path",
    ]
  ) {
    assertThrows(() => checkTarget(t), Error, JSON.stringify(t));
  }
});

Deno.test("checkTarget() rejects a user or host part that starts with '-' or holds shell metacharacters", () => {
  for (
    const t of [
      "root@-oProxyCommand=touch${IFS}/tmp/x",
      "ssh://-oProxyCommand=x@h1",
      "ssh://%2DoProxyCommand=x@h1",
      "-x@host",
      "root@",
      "@host",
      "root@h$(id)",
      "h;id",
      "h`id`",
      "root@h|x",
      "a,b",
      "ssh://u:pw@h",
      "ssh://h?x",
      "ssh://h1:0",
      "ssh://me@h1:00",
      "ssh://h1:65536",
    ]
  ) {
    assertThrows(() => checkTarget(t), Error, t);
    assertEquals(typeof targetProblem(t), "string", t);
  }
});

Deno.test("checkName() rejects option-like, blank, selection-like, reserved and shell-special names", () => {
  const shell = [..."$()`;|&<>'\"\\*?[]{}!^~#/=:%"].map((c) => `a${c}b`);
  for (const n of ["-x", "a b", "a\nb", "", "all", "@gpu", "!x", "a,b", ...shell]) {
    assertThrows(() => checkName(n), Error, n);
    assertEquals(typeof nameProblem(n), "string", n);
  }
  for (const n of ["pi5-akida", "ubu_1.lan", "H100", "v1.2+gpu", "mañana", "local"]) {
    checkName(n);
    assertEquals(nameProblem(n), undefined);
  }
});

Deno.test("checkTag() rejects selection syntax and shell-special tags", () => {
  for (const t of ["a,b", "@a", "!a", "-a", "a b", "a$b", "a\nb", ""]) {
    assertThrows(() => checkTag(t), Error, t);
    assertEquals(typeof tagProblem(t), "string", t);
  }
  checkTag("web-tier");
  checkTag("all"); // a tag is always written @all, so it cannot be read as the keyword
});

Deno.test("the messages start lower case and quote the value", () => {
  assertEquals(nameProblem("a\nb"), 'host name contains a control character: "a\\nb"');
  assertEquals(
    targetProblem("root@-x"),
    `target's host must not start with '-' (ssh would read it as an option): "-x"`,
  );
});

Deno.test("checkTarget() refuses what ssh would resolve as a name it cannot, or shows as another", () => {
  // ssh resolves "[::1]" as a host name: brackets belong to ssh:// addresses.
  assertThrows(
    () => checkTarget("me@[::1]"),
    Error,
    'target "me@[::1]": ssh reads brackets only in ssh://me@[::1]; write that, or me@::1',
  );
  // Reads as h1, resolves elsewhere; and one that reorders what list shows.
  for (const t of ["h1\u200b", "h1\u202e", "root@\ufeffh1", "h1\ufe0f", "\u3164@h1"]) {
    assertThrows(() => checkTarget(t), Error, "invisible character");
  }
});

Deno.test("checkName() and checkTag() refuse a character that shows as nothing", () => {
  // A variation selector, a Hangul filler, a combining grapheme joiner: h1 and gpu to the eye.
  for (const word of ["h1\ufe0f", "h\u3164", "h\u034f1"]) {
    assertThrows(() => checkName(word), Error, "host name contains an invisible character");
    assertThrows(() => checkTag(word), Error, "tag contains an invisible character");
  }
  // Letters and marks that show stay names: é as e + U+0301, a Devanagari vowel sign.
  // And variation selectors where their script uses them: an ideograph's variant, a Mongolian form.
  for (const word of ["cafe\u0301", "\u0915\u093f", "gpu-1", "葛\u{E0100}飾", "ᠮᠣᠩ\u180Bᠭᠣᠯ"]) {
    checkName(word);
    checkTag(word);
  }
});

Deno.test("isExcluded() keeps the old tool's akida rule: lower case, in the name or the target", () => {
  assertEquals(isExcluded({ name: "pi5-akida", ssh: "h1" }), true);
  assertEquals(isExcluded({ name: "pi5", ssh: "ubuntu@akida.lan" }), true);
  // The old tool's test was `"akida" in name`: case-sensitive, so these ran with `all`.
  assertEquals(isExcluded({ name: "Akida2", ssh: "h1" }), false);
  assertEquals(isExcluded({ name: "pi5", ssh: "ubuntu@AKIDA.lan" }), false);
  // An explicit key wins either way.
  assertEquals(isExcluded({ name: "pi5-akida", ssh: "h1", exclude: false }), false);
  assertEquals(isExcluded({ name: "Akida2", ssh: "h1", exclude: true }), true);
});

Deno.test("portInHostProblem() refuses host:port, which ssh reads as a host name, and says the ssh:// form", () => {
  assertEquals(
    portInHostProblem("root@127.0.0.5:2222"),
    'target "root@127.0.0.5:2222": ssh reads 127.0.0.5:2222 as a host name, not a host and ' +
      "port; use ssh://root@127.0.0.5:2222",
  );
  assertEquals(
    portInHostProblem("web1:22"),
    'target "web1:22": ssh reads web1:22 as a host name, not a host and port; use ssh://web1:22',
  );
  // ssh:// ports, bare IPv6 addresses and plain names are what they say.
  for (const t of ["ssh://me@h:2222", "me@::1", "fe80::1:22", "root@h", "h1", "h:x"]) {
    assertEquals(portInHostProblem(t), undefined, t);
  }
  // A roster that holds one still loads: only what add is given is refused.
  assertEquals(targetProblem("root@127.0.0.5:2222"), undefined);
});
