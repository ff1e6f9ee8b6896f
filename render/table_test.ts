import { assertEquals } from "../tests/assert.ts";
import { renderTable } from "./table.ts";

Deno.test("renderTable() aligns by display width: ASCII, and wide characters beyond it", async () => {
  assertEquals(
    await renderTable([["name", "desc"], ["h1", "gpu box"], ["pi", ""]]),
    [
      "name  desc",
      "h1    gpu box",
      "pi",
      "",
    ].join("\n"),
  );
  // A CJK character is two columns wide: the next column starts after its two.
  assertEquals(
    await renderTable([["東京", "x"], ["ab", "y"], ["é", "z"]]),
    [
      "東京  x",
      "ab    y",
      "é     z",
      "",
    ].join("\n"),
  );
});
