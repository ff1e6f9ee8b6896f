import { assertEquals, assertThrows } from "../tests/assert.ts";
import { splitOnWords } from "./on.ts";

Deno.test("splitOnWords() takes pool's flags before the command words", () => {
  assertEquals(splitOnWords(["--jobs", "4", "-b", "uptime", "-a"]), {
    flags: { jobs: "4", collapse: true },
    command: ["uptime", "-a"],
  });
  assertEquals(splitOnWords(["-t", "vim", "x"]), { flags: { tty: true }, command: ["vim", "x"] });
});

Deno.test("splitOnWords() takes the old tool's --jobs/--timeout after the command", () => {
  assertEquals(splitOnWords(["uptime", "--timeout", "5", "--jobs=2"]), {
    flags: { timeout: "5", jobs: "2" },
    command: ["uptime"],
  });
});

Deno.test("splitOnWords() leaves everything after -- to the command", () => {
  assertEquals(splitOnWords(["--", "grep", "--json", "x", "--timeout", "5"]), {
    flags: {},
    command: ["grep", "--json", "x", "--timeout", "5"],
  });
  assertEquals(splitOnWords(["ls", "-la"]), { flags: {}, command: ["ls", "-la"] });
});

Deno.test("splitOnWords() wants a value for valued flags", () => {
  assertThrows(() => splitOnWords(["--jobs"]), /--jobs needs a value/);
});

Deno.test("splitOnWords() leaves trailing words alone for a single host", () => {
  assertEquals(splitOnWords(["sleep", "--timeout", "5"], false), {
    flags: {},
    command: ["sleep", "--timeout", "5"],
  });
});
