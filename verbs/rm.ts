import { Command } from "commander";
import { exitWith } from "./_common.ts";
import { outLine, warn } from "../render/out.ts";
import { updateRoster } from "../roster/store.ts";

export async function rm(name: string): Promise<number> {
  // The one verb allowed to leave the roster empty.
  const { warnings } = await updateRoster((roster) => roster.remove(name), { allowEmpty: true });
  warnings.forEach(warn);
  outLine(`- ${name}`);
  return 0;
}

export const rmCommand = new Command("rm")
  .description("remove a host from the roster")
  .argument("<name>")
  .addHelpText("after", "\nExample:\n  pool rm gpu1")
  .action(async (name: string) => exitWith(await rm(name)));
