import { assert, assertEquals } from "../tests/assert.ts";
import { clip, padder, renderTable } from "./table.ts";

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

Deno.test("padder() pads names to the widest in terminal columns, not UTF-16 units", async () => {
  const names = ["h1", "ｗｉｄｅ", "he\u0301x"];
  const pad = await padder(names);
  assertEquals(names.map(pad), ["h1      ", "ｗｉｄｅ", "he\u0301x     "]);
  assertEquals((await padder(["a", "bcd"]))("a"), "a  ");
});

Deno.test("clip() cuts between characters, never inside an emoji", () => {
  const long = "a".repeat(51) + "😀".repeat(6);
  const cut = clip(long, 55);
  assertEquals(cut, "a".repeat(51) + "😀" + "...");
  assert(
    !cut.includes("\ufffd") && new TextDecoder().decode(new TextEncoder().encode(cut)) === cut,
  );
  assertEquals(clip("short", 60), "short");
});
