/**
 * The program: built from the verbs, with every error mapped to one of the
 * documented exit codes. `pool.ts` loads it; only `pool.ts` exits.
 */

import { Command, CommanderError } from "commander";
import denoJson from "./deno.json" with { type: "json" };
import { EXIT, PoolError } from "./errors.ts";
import { errLine } from "./render/out.ts";
import { addCommand } from "./verbs/add.ts";
import { bgCommand } from "./verbs/bg.ts";
import { cleanCommand } from "./verbs/clean.ts";
import { completionsCommand } from "./verbs/completions.ts";
import { descCommand } from "./verbs/desc.ts";
import { excludeCommand, includeCommand } from "./verbs/exclude.ts";
import { hostsCommand } from "./verbs/hosts.ts";
import { importCommand } from "./verbs/import.ts";
import { initCommand } from "./verbs/init.ts";
import { inventoryCommand } from "./verbs/inventory.ts";
import { leasesCommand } from "./verbs/leases.ts";
import { listCommand } from "./verbs/list.ts";
import { onCommand } from "./verbs/on.ts";
import { refreshCommand } from "./verbs/refresh.ts";
import { routeCommand } from "./verbs/route.ts";
import { rmCommand } from "./verbs/rm.ts";
import { statusCommand } from "./verbs/status.ts";
import { tagCommand } from "./verbs/tag.ts";

export const VERSION = denoJson.version;

export function buildProgram(): Command {
  const program = new Command("pool")
    .description("A roster of your machines, and work run on them over ssh.")
    .version(VERSION, "-V, --version")
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      `
Roster: ~/.pool/pool.json, or $POOL_STATE. ssh config: $POOL_SSH_CONFIG (passed as -F).
Exit codes: 0 ok, 1 failed, 2 usage, 75 no host has room, 124 timed out, 130 interrupted, 255 unreachable;
one host: the remote command's own code; many hosts: the largest host code.`,
    );
  for (
    const verb of [
      addCommand,
      rmCommand,
      descCommand,
      tagCommand,
      excludeCommand,
      includeCommand,
      listCommand,
      onCommand,
      statusCommand,
      refreshCommand,
      routeCommand,
      bgCommand,
      leasesCommand,
      initCommand,
      cleanCommand,
      hostsCommand,
      importCommand,
      inventoryCommand,
      completionsCommand,
    ]
  ) program.addCommand(verb);
  program.exitOverride().configureOutput({
    writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  });
  for (const verb of program.commands) verb.exitOverride();
  return program;
}

/** Runs pool with `args` and returns the exit code; never exits itself. */
export async function main(args: string[]): Promise<number> {
  const program = buildProgram();
  Deno.exitCode = EXIT.ok;
  if (args.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version are "errors" to commander; to us they are success.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof PoolError) {
      errLine(`pool: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
  return Deno.exitCode;
}
