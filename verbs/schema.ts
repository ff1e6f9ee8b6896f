/** `pool schema [VERB]`: the JSON Schema of what `VERB --json` prints (all of them without VERB). */

import { Command } from "commander";
import { readSchema, type SchemaName, SCHEMAS } from "../schemas/mod.ts";
import type { Deps, Run } from "../deps/deps.ts";
import { parseChoice } from "../flags.ts";

/** `include` prints what `exclude` prints. */
const ALIASES: Record<string, SchemaName> = { include: "exclude" };

export async function schema(verb: string | undefined, deps: Deps): Promise<number> {
  if (verb !== undefined) {
    const name = ALIASES[verb] ?? parseChoice(SCHEMAS, "schema")(verb);
    deps.out.outLine(JSON.stringify(await readSchema(name), null, 2));
    return 0;
  }
  const all: Record<string, unknown> = {};
  for (const name of SCHEMAS) all[name] = await readSchema(name);
  deps.out.outLine(JSON.stringify(all, null, 2));
  return 0;
}

export const schemaCommand = (run: Run) =>
  new Command("schema")
    .description(
      "print the JSON Schema of a verb's --json output (error: the shape of any failure)",
    )
    .argument("[verb]", `one of ${SCHEMAS.join(", ")}`)
    .addHelpText("after", "\nExamples:\n  pool schema on\n  pool schema | jq 'keys'")
    .action((verb: string | undefined) => run((deps) => schema(verb, deps)));
