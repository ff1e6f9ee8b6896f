import { assertEquals, assertThrows } from "../tests/assert.ts";
import { expandRange, foldNames } from "./nodeset.ts";
import { FOLDS } from "../tests/fixtures/folds.ts";

Deno.test("foldNames() folds as ClusterShell's nodeset -f does", () => {
  for (const [names, folded] of FOLDS) assertEquals(foldNames(names.split(",")), folded, names);
});

Deno.test("expandRange() expands what foldNames() writes", () => {
  for (const [names, folded] of FOLDS) {
    const expanded = folded.split(/,(?![^[]*\])/).flatMap(expandRange);
    assertEquals(expanded.sort(), names.split(",").sort(), folded);
  }
});

Deno.test("expandRange() reads ranges, padding, lists and several ranges", () => {
  assertEquals(expandRange("h[1-3]"), ["h1", "h2", "h3"]);
  assertEquals(expandRange("gpu[01-04]"), ["gpu01", "gpu02", "gpu03", "gpu04"]);
  assertEquals(expandRange("h[08-10]"), ["h08", "h09", "h10"]);
  assertEquals(expandRange("web[1,3,5-7]"), ["web1", "web3", "web5", "web6", "web7"]);
  assertEquals(expandRange("r[1-2]n[1,3]"), ["r1n1", "r1n3", "r2n1", "r2n3"]);
  assertEquals(expandRange("[1-2].lan"), ["1.lan", "2.lan"]);
  assertEquals(expandRange("plain"), ["plain"]);
});

Deno.test("expandRange() refuses malformed and runaway ranges", () => {
  for (const bad of ["h[1-", "h[]", "h[3-1]", "h[a-b]", "h1]", "h[1-2/2]", "h[[1]]"]) {
    assertThrows(() => expandRange(bad), /bad host range/, bad);
  }
  assertThrows(() => expandRange("h[1-99999999]"), /more than 100000 hosts/);
  assertThrows(() => expandRange("a[1-1000]b[1-1000]"), /more than 100000 hosts/);
  // Refused before any name is made: one slot's items are counted as they are read.
  assertThrows(() => expandRange(`h[${Array(400).fill("0-99998").join(",")}]`), /more than 100000/);
  // Numbers no double holds exactly would never count up to their end.
  for (const huge of ["h[12345678901234567890]", "h[9007199254740992-9007199254740993]"]) {
    assertThrows(() => expandRange(huge), /at most 15 digits/, huge);
  }
});
