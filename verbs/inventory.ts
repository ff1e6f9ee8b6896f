/**
 * `pool inventory --list | --host <name>`: Ansible's dynamic inventory
 * protocol, so `ansible -i <script that runs this>` reaches the roster.
 *
 * Groups: the OS (`linux`, `macos`) and every tag. Excluded hosts are left out
 * entirely: Ansible's `all` would otherwise include them.
 */

import { Command } from "commander";
import { PoolError, UsageError } from "../errors.ts";
import { type Host, isExcluded } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { type Deps, loadRoster, type Run } from "../deps/deps.ts";

/** Ansible group names are identifiers. */
function groupName(word: string): string {
  return word.replace(/[^A-Za-z0-9_]/g, "_");
}

async function hostvars(host: Host, deps: Deps): Promise<Record<string, unknown>> {
  const resolved = await deps.runner.resolve(host.ssh);
  const config = deps.env("POOL_SSH_CONFIG");
  return {
    ...(resolved
      ? {
        ansible_host: resolved.hostname,
        ansible_user: resolved.user,
        ansible_port: resolved.port,
      }
      : { ansible_host: host.ssh }),
    // The same ssh config pool uses, so keys and known_hosts agree.
    ...(config ? { ansible_ssh_common_args: `-F ${config}` } : {}),
    pool_name: host.name,
    pool_target: host.ssh,
    pool_os: host.os ?? "unknown",
    pool_sudo: host.sudo ?? false,
    pool_tags: host.tags ?? [],
    ...(host.description ? { pool_description: host.description } : {}),
  };
}

export async function inventory(
  options: { list?: boolean; host?: string },
  deps: Deps,
): Promise<number> {
  if (!options.list === !options.host) {
    throw new UsageError("give exactly one of --list or --host <name>");
  }
  const roster = await loadRoster(deps);
  const hosts = roster.hosts.filter((h) => !isExcluded(h));
  if (options.host) {
    const host = hosts.find((h) => h.name === options.host);
    if (!host) throw new PoolError(`not in roster: ${options.host}`);
    deps.out.outLine(JSON.stringify(await hostvars(host, deps), null, 2));
    return 0;
  }
  const groups = new Map<string, string[]>();
  const join = (group: string, name: string) =>
    groups.set(group, [...(groups.get(group) ?? []), name]);
  for (const h of hosts) {
    join(groupName(h.os ?? "unknown"), h.name);
    for (const tag of h.tags ?? []) join(groupName(tag), h.name);
  }
  const vars = await poolMap(hosts, 16, (h) => hostvars(h, deps));
  const doc: Record<string, unknown> = {
    all: { hosts: hosts.map((h) => h.name), children: [...groups.keys()] },
    ...Object.fromEntries([...groups].map(([g, members]) => [g, { hosts: members }])),
    _meta: { hostvars: Object.fromEntries(hosts.map((h, i) => [h.name, vars[i]])) },
  };
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
