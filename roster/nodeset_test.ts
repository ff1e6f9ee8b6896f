import { assertEquals, assertThrows } from "../tests/assert.ts";
import { expandRange, foldNames } from "./nodeset.ts";

/**
 * Names and what ClusterShell 1.9.1's `nodeset -f` printed for them
 * (tests/interop_test.ts asks the real nodeset again where it is installed).
 */
export const FOLDS: [string, string][] = [
  ["h1,h2,h3,h4,h5,edge", "edge,h[1-5]"],
  ["gpu01,gpu02,gpu03,gpu10", "gpu[01-03,10]"],
  ["h1,h3,h10,h2", "h[1-3,10]"],
  ["h08,h09,h10", "h[08-10]"],
  ["h9,h10,h11", "h[9-11]"],
  ["h01,h1,h2", "h[1-2,01]"],
  ["web1,web3,web5,web6,web7", "web[1,3,5-7]"],
  ["ubu-1,ubu-2,mini", "mini,ubu-[1-2]"],
  ["a1b2,a1b3,a2b2,a2b3", "a[1-2]b[2-3]"],
  ["a1b2,a2b2", "a[1-2]b2"],
  ["a1b1,a1b2,a2b1", "a1b[1-2],a2b1"],
  ["r1n1,r1n2,r2n1,r2n2,r2n3", "r2n[1-3],r1n[1-2]"],
  ["rack1-node01,rack1-node02,rack2-node01", "rack1-node[01-02],rack2-node01"],
  ["x1y1z1,x1y1z2,x2y1z1,x2y1z2", "x[1-2]y1z[1-2]"],
  ["h1,local,edge,h2", "edge,h[1-2],local"],
  ["single", "single"],
  ["h007,h008,h9", "h[9,007-008]"],
  ["n1.lan,n2.lan,n3.lan", "n[1-3].lan"],
  ["a,b,c", "a,b,c"],
  ["h0,h1,h00", "h[0-1,00]"],
  ["r1n1,r2n2,r3n3", "r1n1,r2n2,r3n3"],
  ["r1n1,r1n2,r2n1,r2n2,r3n1", "r[1-2]n[1-2],r3n1"],
];

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
});
