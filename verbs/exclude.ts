import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { isExcluded } from "../roster/host.ts";
import { type Deps, editRoster, type Run } from "../deps/deps.ts";

/** Sets `exclude` explicitly, which also overrides the legacy "akida" rule. */
export async function setExcluded(
  name: string,
  exclude: boolean,
  json: boolean,
  deps: Deps,
): Promise<number> {
  await editRoster(deps, (roster) => {
    // A host already as asked is left as it is: `include` of one that never said `exclude`
    // (nor matches the "akida" rule) would write `"exclude": false` for nothing.
    if (isExcluded(roster.get(name)) !== exclude) roster.set(name, "exclude", exclude);
  });
  deps.out.outLine(
    json ? jsonLine({ name, exclude }) : `${name}: ${exclude ? "excluded" : "included"}`,
  );
  return 0;
}

export const excludeCommand = (run: Run) =>
  new Command("exclude")
    .description(
      "keep a host out of all, @tag, route, init and clean-all (explicit use still works)",
    )
    .argument("<name>")
    .addHelpText("after", "\nExample:\n  pool exclude pi5-akida")
    .option("--json", "the result as JSON")
    .action((name: string, opts: { json?: boolean }) =>
      run((deps) => setExcluded(name, true, opts.json ?? false, deps))
    );

export const includeCommand = (run: Run) =>
  new Command("include")
    .description("undo exclude: the host takes part in all again")
    .argument("<name>")
    .addHelpText("after", "\nExample:\n  pool include pi5-akida")
    .option("--json", "the result as JSON")
    .action((name: string, opts: { json?: boolean }) =>
      run((deps) => setExcluded(name, false, opts.json ?? false, deps))
    );
