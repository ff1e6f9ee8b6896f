/**
 * The schema files' texts, imported as text so the bundle and `deno compile`
 * carry them. A module of their own, loaded only by `pool schema` (through
 * mod.ts's readSchema): ~100 KB that no other start should have to parse.
 */

import type { SchemaName } from "./mod.ts";
import addText from "./add.json" with { type: "text" };
import bgText from "./bg.json" with { type: "text" };
import cleanText from "./clean.json" with { type: "text" };
import descText from "./desc.json" with { type: "text" };
import errorText from "./error.json" with { type: "text" };
import excludeText from "./exclude.json" with { type: "text" };
import hostsText from "./hosts.json" with { type: "text" };
import importText from "./import.json" with { type: "text" };
import initText from "./init.json" with { type: "text" };
import inventoryText from "./inventory.json" with { type: "text" };
import jobsText from "./jobs.json" with { type: "text" };
import killText from "./kill.json" with { type: "text" };
import leasesText from "./leases.json" with { type: "text" };
import listText from "./list.json" with { type: "text" };
import logsText from "./logs.json" with { type: "text" };
import onText from "./on.json" with { type: "text" };
import pullText from "./pull.json" with { type: "text" };
import pushText from "./push.json" with { type: "text" };
import refreshText from "./refresh.json" with { type: "text" };
import rmText from "./rm.json" with { type: "text" };
import routeText from "./route.json" with { type: "text" };
import statusText from "./status.json" with { type: "text" };
import tagText from "./tag.json" with { type: "text" };
import waitText from "./wait.json" with { type: "text" };

export const TEXTS: Record<SchemaName, string> = {
  add: addText,
  bg: bgText,
  clean: cleanText,
  desc: descText,
  error: errorText,
  exclude: excludeText,
  hosts: hostsText,
  import: importText,
  init: initText,
  inventory: inventoryText,
  jobs: jobsText,
  kill: killText,
  leases: leasesText,
  list: listText,
  logs: logsText,
  on: onText,
  pull: pullText,
  push: pushText,
  refresh: refreshText,
  rm: rmText,
  route: routeText,
  status: statusText,
  tag: tagText,
  wait: waitText,
};
