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
  const stringLength = rows.every((row) => row.every((cell) => PRINTABLE_ASCII.test(cell)))
    ? (s: string) => s.length
    : (await import("string-width")).default;
  return textTable(rows, { hsep: "  ", stringLength }).split("\n").map((r) => r.trimEnd())
    .join("\n") + "\n";
}
