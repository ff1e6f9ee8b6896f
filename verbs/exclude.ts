import { Command } from "commander";
import { editRoster, exitWith } from "./_common.ts";
import { outLine } from "../render/out.ts";

/** Sets `exclude` explicitly, which also overrides the legacy "akida" rule. */
export async function setExcluded(name: string, exclude: boolean): Promise<number> {
  await editRoster((roster) => roster.set(name, "exclude", exclude));
  outLine(`${name}: ${exclude ? "excluded" : "included"}`);
  return 0;
}

export const excludeCommand = new Command("exclude")
  .description("keep a host out of all, @tag, route, init and clean-all (explicit use still works)")
  .argument("<name>")
  .addHelpText("after", "\nExample:\n  pool exclude pi5-akida")
  .action(async (name: string) => exitWith(await setExcluded(name, true)));

export const includeCommand = new Command("include")
  .description("undo exclude: the host takes part in all again")
  .argument("<name>")
  .addHelpText("after", "\nExample:\n  pool include pi5-akida")
  .action(async (name: string) => exitWith(await setExcluded(name, false)));
