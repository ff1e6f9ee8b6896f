/**
 * Borderless aligned tables, the old tool's look: two-space gaps, each row
 * right-trimmed.
 *
 * The table libraries are loaded on first use: `pool on`, the verb scripts
 * call most, never draws a table and should not pay for loading them.
 */

type TextTable = (
  rows: string[][],
  options: { hsep: string; stringLength: (s: string) => number },
) => string;

let libraries: Promise<{ textTable: TextTable; stringWidth: (s: string) => number }> | undefined;

function load() {
  libraries ??= Promise.all([import("text-table"), import("string-width")]).then(([t, w]) => ({
    textTable: t.default as TextTable,
    stringWidth: w.default,
  }));
  return libraries;
}

export async function renderTable(rows: string[][]): Promise<string> {
  if (rows.length === 0) return "";
  const { textTable, stringWidth } = await load();
  return textTable(rows, { hsep: "  ", stringLength: stringWidth }).split("\n").map((r) =>
    r.trimEnd()
  )
    .join("\n") + "\n";
}
