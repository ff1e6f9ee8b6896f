import { Command } from "commander";
import { checkTag } from "../roster/host.ts";
import { type Deps, editRoster, type Run } from "../deps/deps.ts";

export async function tag(
  name: string,
  tags: string[],
  opts: { remove?: boolean; json?: boolean },
  deps: Deps,
): Promise<number> {
  const remove = opts.remove ?? false;
  // Only a tag added is checked: one an older roster holds, whatever it is, can still go.
  if (!remove) tags.forEach(checkTag);
  const result = await editRoster(deps, (roster) => {
    const current = roster.get(name).tags ?? [];
    const next = remove
      ? current.filter((t) => !tags.includes(t))
      : [...new Set([...current, ...tags])];
    roster.set(name, "tags", next.length > 0 ? next : undefined);
    return next;
  });
  deps.out.outLine(
    opts.json
      ? JSON.stringify({ name, tags: result })
      : `${name}: ${result.map((t) => "@" + t).join(" ") || "no tags"}`,
  );
  return 0;
}

export const tagCommand = (run: Run) =>
  new Command("tag")
    .description("add tags to a host (select them with @tag), or remove them with --rm")
    .argument("<name>")
    .argument("<tags...>")
    .option("--rm", "remove these tags instead")
    .option("--json", "the host's tags afterwards, as JSON")
    .addHelpText("after", "\nExample:\n  pool tag gpu1 gpu cuda\n  pool on @gpu nvidia-smi -L")
    .action((name: string, tags: string[], opts: { rm?: boolean; json?: boolean }) =>
      run((deps) => tag(name, tags, { remove: opts.rm, json: opts.json }, deps))
    );
