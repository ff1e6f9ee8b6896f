#!/usr/bin/env -S deno run --allow-all
/**
 * pool: a roster of your machines, and work run on them over ssh.
 *
 * The entry. `--version` answers before anything else is loaded (scripts ask
 * it often, and the argument parser alone costs more than Deno's start-up);
 * everything else goes to the program in cli.ts. The only `Deno.exit`.
 */

import { VERSION } from "./version.ts";

if (import.meta.main) {
  const args = Deno.args;
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    console.log(VERSION);
    Deno.exit(0);
  }
  const { main } = await import("./cli.ts");
  Deno.exit(await main(args));
}
