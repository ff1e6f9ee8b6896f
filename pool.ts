#!/usr/bin/env -S deno run --allow-all
/**
 * pool: a roster of your machines, and work run on them over ssh.
 *
 * The entry. `--version` answers before anything else is loaded (scripts ask
 * it often, and the argument parser alone costs more than Deno's start-up);
 * everything else goes to the program in cli.ts. The only `Deno.exit`.
 */

import { VERSION } from "./version.ts";
import { EXIT } from "./exit.ts";

if (import.meta.main) {
  const args = Deno.args;
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    try {
      Deno.stdout.writeSync(new TextEncoder().encode(VERSION + "\n"));
    } catch (e) {
      // As for any output (render/out.ts): a closed reader quietly, else one line.
      if (!(e instanceof Deno.errors.BrokenPipe)) {
        console.error(`pool: cannot write to stdout: ${(e as Error).message}`);
      }
      Deno.exit(e instanceof Deno.errors.BrokenPipe ? EXIT.brokenPipe : EXIT.failure);
    }
    Deno.exit(0);
  }
  const { main } = await import("./cli.ts");
  Deno.exit(await main(args));
}
