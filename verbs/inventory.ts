/**
 * `pool inventory --list | --host <name>`: Ansible's dynamic inventory
 * protocol, so `ansible -i <script that runs this>` reaches the roster.
 *
 * Groups: the OS (`linux`, `macos`) and every tag (named as render/inventory.ts
 * says). Excluded hosts are left out entirely: Ansible's `all` would otherwise
 * include them; so are hosts that fail the export check, with a warning.
 */

import { Command } from "commander";
import { PoolError, UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";
import { exportable } from "../render/host_lists.ts";
import { hostvars, inventoryList } from "../render/inventory.ts";
import { type Host, isExcluded } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

export async function inventory(
  options: { list?: boolean; host?: string },
  deps: Deps,
): Promise<number> {
  if (!options.list === !options.host) {
    throw new UsageError("give exactly one of --list or --host <name>");
  }
  const roster = await loadRoster(deps);
  const hosts = exportable(roster.hosts.filter((h) => !isExcluded(h)), deps.out);
  const vars = async (host: Host) =>
    hostvars(
      host,
      await deps.runner.resolve(host.ssh, undefined, deps.signal),
      deps.env("POOL_SSH_CONFIG"),
    );
  if (options.host) {
    const host = hosts.find((h) => h.name === options.host);
    if (!host) throw new PoolError(`not in roster: ${options.host}`, EXIT.failure, "not_in_roster");
    const hostVars = await vars(host);
    if (deps.signal.aborted) return 0; // stopped: no answer made of cut-short lookups
    deps.out.outLine(JSON.stringify(hostVars, null, 2));
    return 0;
  }
  const all = await poolMap(hosts, 16, vars);
  if (deps.signal.aborted) return 0;
  const doc = inventoryList(hosts, all);
  deps.out.outLine(JSON.stringify(doc, null, 2));
  return 0;
}

export const inventoryCommand = (run: Run) =>
  new Command("inventory")
    .description("speak Ansible's dynamic inventory protocol (groups from OS and tags)")
    .option("--list", "every host, its groups and _meta.hostvars")
    .option("--host <name>", "one host's variables")
    .addHelpText(
      "after",
      `
Examples:
  pool inventory --list | jq .all
  printf '#!/bin/sh\\nexec pool inventory "$@"\\n' > pool-inventory && chmod +x pool-inventory
  ansible all -i ./pool-inventory -m ping`,
    )
    .action((opts: { list?: boolean; host?: string }) => run((deps) => inventory(opts, deps)));
