import { Command } from "commander";
import { type Deps, editRoster, type Run } from "../deps/deps.ts";

/** Sets `exclude` explicitly, which also overrides the legacy "akida" rule. */
export async function setExcluded(name: string, exclude: boolean, deps: Deps): Promise<number> {
  await editRoster(deps, (roster) => roster.set(name, "exclude", exclude));
  deps.out.outLine(`${name}: ${exclude ? "excluded" : "included"}`);
  return 0;
}

export const excludeCommand = (run: Run) =>
  new Command("exclude")
    .description(
      "keep a host out of all, @tag, route, init and clean-all (explicit use still works)",
    )
    .argument("<name>")
    .addHelpText("after", "\nExample:\n  pool exclude pi5-akida")
    .action((name: string) => run((deps) => setExcluded(name, true, deps)));

export const includeCommand = (run: Run) =>
  new Command("include")
    .description("undo exclude: the host takes part in all again")
    .argument("<name>")
    .addHelpText("after", "\nExample:\n  pool include pi5-akida")
    .action((name: string) => run((deps) => setExcluded(name, false, deps)));
