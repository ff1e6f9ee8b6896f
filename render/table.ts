/**
 * Borderless aligned tables, the old tool's look: two-space gaps, each row
 * right-trimmed.
 *
 * The table libraries are loaded on first use: `pool on`, the verb scripts
 * call most, never draws a table and should not pay for loading them. And
 * string-width only for a table with text beyond printable ASCII, where a
 * character's width is not 1: loading it (its emoji pattern) costs ~15 ms.
 */

import { visible } from "./visible.ts";

type TextTable = (
  rows: string[][],
  options: { hsep: string; stringLength: (s: string) => number },
) => string;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Cells are text from hosts and the roster too: each is shown `visible`, one line that acts on nothing. */
export async function renderTable(cells: string[][]): Promise<string> {
  if (cells.length === 0) return "";
  const rows = cells.map((row) => row.map(visible));
  const textTable = (await import("text-table")).default as TextTable;
  const stringLength = await widthFor(rows.flat());
  return textTable(rows, { hsep: "  ", stringLength }).split("\n").map((r) => r.trimEnd())
    .join("\n") + "\n";
}

/** How many columns a text takes on a terminal, for `texts`: string-width only where one needs it. */
async function widthFor(texts: string[]): Promise<(text: string) => number> {
  return texts.every((t) => PRINTABLE_ASCII.test(t))
    ? (t: string) => t.length
    : (await import("string-width")).default;
}

/** Each of `names` padded to the widest of them, in terminal columns (ｗｉｄｅ takes 8, héx 3). */
export async function padder(names: readonly string[]): Promise<(name: string) => string> {
  const width = await widthFor([...names]);
  const widest = Math.max(0, ...names.map(width));
  return (name) => name + " ".repeat(Math.max(0, widest - width(name)));
}

/** At most `max` characters, the last three `...` when cut; never half of one (an emoji's surrogates). */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max - 3).join("") + "..." : text;
}
