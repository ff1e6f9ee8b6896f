import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { UsageError } from "../errors.ts";
import { commandWords, dashedBefore, optionsThenCommand } from "../command_line.ts";
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
  if (json) deps.out.outLine(jsonLine({ name, description: text || null }));
  else deps.out.outLine(text ? `${name}: ${text}` : `${name}: description cleared`);
  return 0;
}

interface DescFlags {
  json?: boolean;
}

function descFlags(command: Command): Command {
  return command.option("--json", "the result as one JSON object");
}

export const descCommand = (run: Run) =>
  descFlags(
    new Command("desc")
      .description("set a host's description (no text clears it)")
      .argument("<name>")
      .argument("[text...]"),
  )
    // The text is every word after the name, as the old tool took it (`uses --json output`):
    // only options right after the name are pool's, as with `pool on`.
    .passThroughOptions()
    .addHelpText(
      "after",
      "\nExamples:\n  pool desc ubu-2 shared CI runner\n  pool desc ubu-2\n      with no text: clears it",
    )
    .action((name: string, words: string[], opts: DescFlags, verb: Command) => {
      // After a `--` before the name (`desc -- h1 --json`), nothing is an option.
      const ended = dashedBefore(verb, [name, ...words]);
      const after = ended
        ? { flags: {} as DescFlags, command: commandWords(words) }
        : optionsThenCommand<DescFlags>(words, descFlags(new Command("desc")), descCommand);
      // `pool desc h1 --json` cleared the description: the old tool set it to the text
      // `--json`, and one who means to clear writes nothing after the name.
      if (words.length > 0 && after.command.length === 0) {
        throw new UsageError(
          `no text after the options: to clear ${name}'s description, pool desc --json ${name}`,
        );
      }
      return run((deps) =>
        desc(name, after.command, (opts.json || after.flags.json) ?? false, deps)
      );
    });
