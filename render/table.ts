/**
 * Borderless aligned tables, the old tool's look: two-space gaps, each row
 * right-trimmed.
 */

import textTable from "text-table";
import stringWidth from "string-width";

export function renderTable(rows: string[][]): string {
  if (rows.length === 0) return "";
  return textTable(rows, { hsep: "  ", stringLength: stringWidth }).split("\n").map((r: string) =>
    r.trimEnd()
  )
    .join("\n") + "\n";
}
