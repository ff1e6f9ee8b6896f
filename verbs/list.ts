import { Command } from "commander";
import { errLine, out, outLine } from "../render/out.ts";
import { renderTable } from "../render/table.ts";
import { type Host, isExcluded, localHost } from "../roster/host.ts";
import { exitWith, loadRoster } from "./_common.ts";

export interface ListOptions {
  fast?: boolean;
  json?: boolean;
}

/** The roster columns: name, target, os, sudo, description (+ what pool adds: excluded, tags). */
function row(host: Host): string[] {
  const notes = [
    host.description ?? "",
    isExcluded(host) ? "(excluded)" : "",
    ...(host.tags ?? []).map((t) => "@" + t),
  ].filter(Boolean);
  return [host.name, host.ssh, host.os ?? "unknown", host.sudo ? "sudo" : "", notes.join("  ")];
}

export async function list(options: ListOptions): Promise<number> {
  const roster = await loadRoster();
  const local = localHost();
  if (options.json) {
    // The roster document as it is (unknown keys too); `local` beside `hosts`, never inside it.
    const doc = {
      hosts: [],
      ...roster.doc,
      local: { name: local.name, os: local.os, local: true },
    };
    outLine(JSON.stringify(doc, null, 2));
    return 0;
  }
  // Live columns (load, ram, gpu, disk) come with the probe; until then list is the fast view.
  const rows = roster.hosts.map(row);
  rows.push([local.name, "(local)", local.os ?? "unknown", "", "this machine, no ssh"]);
  out(renderTable(rows));
  if (roster.hosts.length === 0) {
    errLine("pool: no hosts yet; add one with: pool add <name> <user@host> [--sudo]");
  }
  return 0;
}

export const listCommand = new Command("list")
  .description("show the roster")
  .option("--fast", "roster only, no probing")
  .option("--json", "the roster document as JSON")
  .addHelpText(
    "after",
    "\nExample:\n  pool list --fast\n  pool list --json | jq -r '.hosts[].name'",
  )
  .action(async (opts: ListOptions) => exitWith(await list(opts)));
