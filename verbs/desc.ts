import { Command } from "commander";
import { editRoster, exitWith } from "./_common.ts";
import { UsageError } from "../errors.ts";
import { outLine } from "../render/out.ts";

export async function desc(name: string, words: string[]): Promise<number> {
  const text = words.join(" ").trim();
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new UsageError("Description must be one line of text");
  }
  await editRoster((roster) => roster.set(name, "description", text || undefined));
  outLine(text ? `${name}: ${text}` : `${name}: description cleared`);
  return 0;
}

export const descCommand = new Command("desc")
  .description("set a host's description (no text clears it)")
  .argument("<name>")
  .argument("[text...]")
  .addHelpText(
    "after",
    "\nExample:\n  pool desc ubu-2 shared CI runner\n  pool desc ubu-2          # clears it",
  )
  .action(async (name: string, text: string[]) => exitWith(await desc(name, text)));
