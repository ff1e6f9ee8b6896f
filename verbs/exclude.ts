import { Command } from "commander";
import { exitWith } from "./_common.ts";
import { outLine, warn } from "../render/out.ts";
import { updateRoster } from "../roster/store.ts";

/** Sets `exclude` explicitly, which also overrides the legacy "akida" rule. */
export async function setExcluded(name: string, exclude: boolean): Promise<number> {
  const { warnings } = await updateRoster((roster) => roster.set(name, "exclude", exclude));
  warnings.forEach(warn);
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
