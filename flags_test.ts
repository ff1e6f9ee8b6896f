import { assertEquals, assertThrows } from "./tests/assert.ts";
import { Command } from "commander";
import { UsageError } from "./errors.ts";
import {
  ALL_AT_ONCE,
  durationOption,
  listOption,
  MAX_TIMER_MS,
  NO_LIMIT,
  parseCount,
  parseDuration,
  parseGrace,
  parseJobs,
  parsePercent,
  parseSize,
} from "./flags.ts";
import { checkCommand, notUtf8Argument, usageStyle } from "./command_line.ts";

Deno.test("parseDuration() reads one syntax for every time flag", () => {
  assertEquals(parseDuration("30", "--timeout"), 30_000);
  assertEquals(parseDuration("30s", "--timeout"), 30_000);
  assertEquals(parseDuration("1.5", "--timeout"), 1500);
  assertEquals(parseDuration("5m", "--wait"), 300_000);
  assertEquals(parseDuration("1h", "--ttl"), 3_600_000);
  assertEquals(parseDuration("2d", "--ttl"), 172_800_000);
  assertEquals(parseDuration(" 10S ", "--ttl"), 10_000);
});

Deno.test("parseDuration() makes 0 and anything a timer cannot hold mean no limit, never an instant kill", () => {
  assertEquals(parseDuration("0", "--timeout"), NO_LIMIT);
  assertEquals(parseDuration("0s", "--timeout"), NO_LIMIT);
  assertEquals(parseDuration("1000000000", "--timeout"), NO_LIMIT);
  assertEquals(parseDuration("9".repeat(400), "--timeout"), NO_LIMIT);
  assertEquals(parseDuration("3000000", "--timeout"), NO_LIMIT);
  assertEquals(parseDuration("99999h", "--wait"), NO_LIMIT);
  assertEquals(parseDuration(String(MAX_TIMER_MS / 1000), "--timeout"), MAX_TIMER_MS);
});

Deno.test("parseDuration() names the flag and the value it refuses", () => {
  for (
    const bad of ["", "-5", "5x", "m", "1h30m", "abc", "Infinity", "NaN", "1e3", "1E3s", "0x10"]
  ) {
    assertThrows(
      () => parseDuration(bad, "--wait"),
      /^--wait expects a duration like 30, 30s, 5m or 1h \(0 = no limit\), got "/,
      bad,
    );
  }
});

Deno.test("parseCount() and parsePercent() refuse what they cannot use", () => {
  assertEquals(parseCount("8", "--jobs"), 8);
  for (const bad of ["0", "-1", "2.5", "", "x", "99999999999999999999", "1e21"]) {
    assertThrows(() => parseCount(bad, "--jobs"), /--jobs/);
  }
  assertEquals(parsePercent("10%", "--headroom"), 0.1);
  assertThrows(() => parsePercent("100%", "--headroom"), /percentage/);
  assertThrows(() => parsePercent("10", "--headroom"), /percentage/);
});

Deno.test("parseJobs() reads a count of hosts, 0 as all of them (the old tool's --jobs 0)", () => {
  assertEquals(parseJobs("8", "--jobs"), 8);
  assertEquals(parseJobs("0", "--jobs"), ALL_AT_ONCE);
  assertEquals(parseJobs("00", "--jobs"), ALL_AT_ONCE);
  for (const bad of ["-1", "2.5", "", "x", "0x10", "1e3", "99999999999999999999"]) {
    assertThrows(
      () => parseJobs(bad, "--jobs"),
      /^--jobs expects a whole number \(0 = all at once\), got "/,
      bad,
    );
  }
});

Deno.test("parseSize() reads binary sizes", () => {
  assertEquals(parseSize("17G", "--mem"), 17 * 1024 ** 3);
  assertEquals(parseSize("512M", "--mem"), 512 * 1024 ** 2);
  assertEquals(parseSize("1.5T", "--mem"), 1.5 * 1024 ** 4);
  assertEquals(parseSize("17GiB", "--mem"), 17 * 1024 ** 3);
  assertEquals(parseSize("4096B", "--mem"), 4096);
  assertEquals(parseSize("0", "--mem"), 0);
  // A bare 17 meant as 17G would be 17 bytes, said nowhere: a unit is needed.
  assertThrows(() => parseSize("17", "--mem"), /--mem expects a size with its unit/);
  assertThrows(() => parseSize("lots", "--mem"), /--mem expects a size/);
  assertThrows(() => parseSize("-1G", "--mem"), /--mem expects a size/);
});

Deno.test("usageStyle(): an option never takes one of its command's own options as its value", () => {
  const command = () =>
    usageStyle(
      new Command("on")
        .option("--out-dir <dir>", "")
        .option("-x, --exclude <hosts>", "", (v: string, p: string[] = []) => [...p, v])
        .addOption(durationOption("--timeout <duration>", ""))
        .option("--dry-run", "")
        .option("-b, --collapse", "")
        .option("-n, --no-stdin", ""),
    );
  const parse = (args: string[]) => command().parse(args, { from: "user" }).opts();
  for (
    const args of [
      ["--out-dir", "--dry-run"],
      ["--out-dir", "-h"],
      ["-x", "--timeout=5"],
      // Short flags run together read as options too: -b -n, and -b with -x taking "5".
      ["--out-dir", "-bn"],
      ["--out-dir", "-bx5"],
      ["-x", "-nh"],
    ]
  ) {
    assertThrows(() => parse(args), UsageError, `expects a value, got the option ${args[1]}`);
  }
  // Anything else that starts with '-' is a value as before, and parsers still run.
  assertEquals(parse(["--out-dir", "-out", "-x", "a", "-x", "-bq", "--timeout", "2"]), {
    outDir: "-out",
    exclude: ["a", "-bq"],
    timeout: 2000,
    stdin: true,
  });
});

Deno.test("parseGrace() reads the duration syntax, and 0 as no grace at all", () => {
  assertEquals(["0", "0s", "0.0m", "00"].map((t) => parseGrace(t, "--grace")), [0, 0, 0, 0]);
  assertEquals(parseGrace("1m", "--grace"), 60_000);
  for (const bad of ["", "-1", "soon", "0x"]) {
    assertThrows(() => parseGrace(bad, "--grace"), UsageError, "--grace expects a duration");
  }
});

Deno.test("a list option given twice keeps both: --skip a --skip b skips both", () => {
  const program = usageStyle(new Command("t").addOption(listOption("--skip <list>", "x")));
  program.parse(["--skip", "a,b", "--skip", "c"], { from: "user" });
  assertEquals(program.opts().skip, ["a", "b", "c"]);
});

Deno.test("checkCommand() refuses what no command line can carry, before any host is chosen", () => {
  checkCommand("echo hi", "pool on <hosts> <cmd...>");
  assertThrows(() => checkCommand("  ", "pool on <hosts> <cmd...>"), UsageError, "missing command");
  assertThrows(() => checkCommand("echo a\0b", "x"), UsageError, "NUL byte");
  assertThrows(() => checkCommand("x".repeat(200_000), "x"), UsageError, "200000 bytes, over");
});

Deno.test("notUtf8Argument() finds an argument Deno decoded lossily, by its bytes or else by U+FFFD", () => {
  const bytes = (...b: number[]) => new Uint8Array(b);
  const ok = new TextEncoder().encode("ok");
  // The bytes as typed: a bad byte there, a U+FFFD typed as such is no fault.
  assertEquals(notUtf8Argument(["ok", "\uFFFD"], [ok, bytes(0xff)]), 2);
  assertEquals(notUtf8Argument(["\uFFFD", "ok"], [bytes(0xef, 0xbf, 0xbd), ok]), undefined);
  assertEquals(notUtf8Argument([], []), undefined);
  // No bytes to compare (not Linux), or bytes that are not these arguments: U+FFFD decides.
  assertEquals(notUtf8Argument(["ok", "a\uFFFD"], undefined), 2);
  assertEquals(notUtf8Argument(["ok", "a\uFFFD"], [ok, new TextEncoder().encode("b")]), 2);
  assertEquals(notUtf8Argument(["ok"], undefined), undefined);
});
