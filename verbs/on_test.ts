import { assertEquals, assertThrows } from "../tests/assert.ts";
import { parseOnWords, trailingLegacyFlags, withExclusions } from "./on.ts";

Deno.test("parseOnWords() takes pool's options up to the first other word", () => {
  assertEquals(parseOnWords(["--jobs", "4", "-b", "uptime", "-a"]), {
    flags: { jobs: 4, collapse: true },
    command: ["uptime", "-a"],
  });
  assertEquals(parseOnWords(["-t", "vim", "x"]), { flags: { tty: true }, command: ["vim", "x"] });
  assertEquals(parseOnWords(["--timeout", "5m", "true"]).flags, { timeout: 300_000 });
  assertEquals(parseOnWords(["-x", "h2", "-x", "h3,h4", "true"]).flags, {
    exclude: ["h2", "h3,h4"],
  });
});

Deno.test("parseOnWords() refuses an unknown option before the command: a typo never runs", () => {
  assertThrows(() => parseOnWords(["--jbos", "4", "uptime"]), /unknown option '--jbos'/);
  assertThrows(() => parseOnWords(["--dry-run", "echo", "would-run"]), /unknown option/);
  assertThrows(() => parseOnWords(["--jobs", "0", "true"]), /--jobs expects a whole number/);
  assertThrows(() => parseOnWords(["--jobs"]), /argument missing/);
});

Deno.test("parseOnWords() leaves everything after -- to the command", () => {
  assertEquals(parseOnWords(["--", "grep", "--json", "x"]), {
    flags: {},
    command: ["grep", "--json", "x"],
  });
  assertEquals(parseOnWords(["ls", "-la", "--jobs", "3"]), {
    flags: {},
    command: ["ls", "-la", "--jobs", "3"],
  });
});

Deno.test("trailingLegacyFlags() takes the old tool's --jobs/--timeout after the command", () => {
  const words = ["uptime", "--timeout", "5", "--jobs=2"];
  assertEquals(trailingLegacyFlags(words, words), {
    flags: { timeout: 5000, jobs: 2 },
    command: ["uptime"],
    taken: ["--timeout", "5", "--jobs=2"],
  });
  const ended = ["--", "sleep", "--timeout", "5"];
  assertEquals(trailingLegacyFlags(ended, ended.slice(1)).taken, []);
  assertThrows(
    () => trailingLegacyFlags(["x", "--jobs", "lots"], ["x", "--jobs", "lots"]),
    /--jobs/,
  );
});

Deno.test("withExclusions() turns -x into !terms of the selection", () => {
  assertEquals(withExclusions("all", ["h2", "h3,@gpu"]), "all,!h2,!h3,!@gpu");
  assertEquals(withExclusions("@gpu", []), "@gpu");
  assertEquals(withExclusions("h[1-9]", ["web[1,3]", "gpu*"]), "h[1-9],!web[1,3],!gpu*");
});
