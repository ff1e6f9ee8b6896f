import { Command } from "commander";
import { editRoster, exitWith } from "./_common.ts";
import { outLine } from "../render/out.ts";

export async function rm(name: string): Promise<number> {
  // The one verb allowed to leave the roster empty.
  await editRoster((roster) => roster.remove(name), { allowEmpty: true });
  outLine(`- ${name}`);
  return 0;
}

export const rmCommand = new Command("rm")
  .description("remove a host from the roster")
  .argument("<name>")
  .addHelpText("after", "\nExample:\n  pool rm gpu1")
  .action(async (name: string) => exitWith(await rm(name)));
