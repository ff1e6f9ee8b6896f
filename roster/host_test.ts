import { assertThrows } from "../tests/assert.ts";
import { checkName, checkTag, checkTarget } from "./host.ts";

Deno.test("checkTarget() accepts user@host, aliases and ssh:// addresses", () => {
  for (const t of ["ubu-1", "root@10.0.0.2", "ssh://me@host:2222", "ssh://host", "me@[::1]"]) {
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

Deno.test("checkName() rejects option-like, blank, selection-like and reserved names", () => {
  for (const n of ["-x", "a b", "a\nb", "", "all", "@gpu", "!x", "a,b"]) {
    assertThrows(() => checkName(n), Error, n);
  }
  checkName("pi5-akida");
  checkName("ubu_1.lan");
});

Deno.test("checkTag() rejects selection syntax", () => {
  for (const t of ["a,b", "@a", "!a", "-a", "a b"]) assertThrows(() => checkTag(t), Error, t);
});
