import { Command } from "commander";
import { out, outLine } from "../render/out.ts";
import { selectHosts } from "../roster/select.ts";
import { poolMap } from "../remote/pool_map.ts";
import { editRoster, exitWith, loadRoster, withInterrupt } from "./_common.ts";
import { probeOs } from "./_probe.ts";

/** Re-asks every host (not excluded) for its OS. A host that does not answer keeps what it had. */
export async function refresh(): Promise<number> {
  const roster = await loadRoster();
  if (roster.hosts.length === 0) {
    out("no hosts yet; add one with: pool add <name> <user@host>\n");
    return 0;
  }
  const { hosts } = selectHosts("all", roster.hosts);
  const answers = await withInterrupt((signal) =>
    poolMap(hosts, 8, (host) => probeOs(host, signal))
  );
  // Only the os fields change, under the lock, so an `add` racing with us is kept.
  await editRoster((editor) => {
    answers.forEach((a, i) => {
      if (!a.failure && editor.find(hosts[i].name) && hosts[i].os !== a.os) {
        editor.set(hosts[i].name, "os", a.os);
      }
    });
  });
  answers.forEach((a, i) => {
    const old = hosts[i].os ?? "—";
    outLine(
      a.failure
        ? `${hosts[i].name}: ${old} → ${old}  (did not answer: ${a.failure})`
        : `${hosts[i].name}: ${old} → ${a.os}`,
    );
  });
  return answers.some((a) => a.failure) ? 1 : 0;
}

export const refreshCommand = new Command("refresh")
  .description("re-probe the OS of every host")
  .addHelpText("after", "\nExample:\n  pool refresh")
  .action(async () => exitWith(await refresh()));
