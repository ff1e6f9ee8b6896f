import { Command } from "commander";
import { editRoster, exitWith } from "./_common.ts";
import { outLine } from "../render/out.ts";
import { checkTag } from "../roster/host.ts";

export async function tag(name: string, tags: string[], remove = false): Promise<number> {
  tags.forEach(checkTag);
  const result = await editRoster((roster) => {
    const current = roster.get(name).tags ?? [];
    const next = remove
      ? current.filter((t) => !tags.includes(t))
      : [...new Set([...current, ...tags])];
    roster.set(name, "tags", next.length > 0 ? next : undefined);
    return next;
  });
  outLine(`${name}: ${result.map((t) => "@" + t).join(" ") || "no tags"}`);
  return 0;
}

export const tagCommand = new Command("tag")
  .description("add tags to a host (select them with @tag), or remove them with --rm")
  .argument("<name>")
  .argument("<tags...>")
  .option("--rm", "remove these tags instead")
  .addHelpText("after", "\nExample:\n  pool tag gpu1 gpu cuda\n  pool on @gpu nvidia-smi -L")
  .action(async (name: string, tags: string[], opts: { rm?: boolean }) =>
    exitWith(await tag(name, tags, opts.rm))
  );
