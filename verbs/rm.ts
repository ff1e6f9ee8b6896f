import { Command } from "commander";
import { type Deps, editRoster, type Run } from "../deps/deps.ts";

export async function rm(name: string, json: boolean, deps: Deps): Promise<number> {
  // The one verb allowed to leave the roster empty.
  await editRoster(deps, (roster) => roster.remove(name), { allowEmpty: true });
  deps.out.outLine(json ? JSON.stringify({ name, removed: true }) : `- ${name}`);
  return 0;
}

export const rmCommand = (run: Run) =>
  new Command("rm")
    .description("remove a host from the roster")
    .argument("<name>")
    .option("--json", "the result as one JSON object")
    .addHelpText("after", "\nExample:\n  pool rm gpu1")
    .action((name: string, opts: { json?: boolean }) =>
      run((deps) => rm(name, opts.json ?? false, deps))
    );
