import { Command } from "commander";
import { UsageError } from "../errors.ts";
import { type Deps, editRoster, type Run } from "../deps/deps.ts";
import { CONTROL } from "../roster/host.ts";

export async function desc(
  name: string,
  words: string[],
  json: boolean,
  deps: Deps,
): Promise<number> {
  const text = words.join(" ").trim();
  if (CONTROL.test(text)) {
    throw new UsageError("a description must be one line of text");
  }
  await editRoster(deps, (roster) => roster.set(name, "description", text || undefined));
  if (json) deps.out.outLine(JSON.stringify({ name, description: text || null }));
  else deps.out.outLine(text ? `${name}: ${text}` : `${name}: description cleared`);
  return 0;
}

export const descCommand = (run: Run) =>
  new Command("desc")
    .description("set a host's description (no text clears it)")
    .argument("<name>")
    .argument("[text...]")
    .option("--json", "the result as one JSON object")
    .addHelpText(
      "after",
      "\nExamples:\n  pool desc ubu-2 shared CI runner\n  pool desc ubu-2\n      with no text: clears it",
    )
    .action((name: string, text: string[], opts: { json?: boolean }) =>
      run((deps) => desc(name, text, opts.json ?? false, deps))
    );
