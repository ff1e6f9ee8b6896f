/** `pool refresh`: ask every host (not excluded) again what OS it runs. */

import { Command } from "commander";
import { EMPTY_ROSTER, selectHosts } from "../roster/select.ts";
import { poolMap } from "../remote/pool_map.ts";
import { probeOs } from "../remote/probe.ts";
import { type Deps, editRoster, loadRoster, type Run } from "../deps/deps.ts";

/** Re-asks every host (not excluded) for its OS. A host that does not answer keeps what it had. */
export async function refresh(options: { json?: boolean }, deps: Deps): Promise<number> {
  const roster = await loadRoster(deps);
  if (roster.hosts.length === 0) {
    deps.out.errLine(`pool: ${EMPTY_ROSTER}`);
    if (options.json) deps.out.outLine(JSON.stringify({ hosts: [] }));
    return 0;
  }
  const { hosts } = selectHosts("all", roster.hosts);
  const answers = await poolMap(hosts, 8, (host) => probeOs(deps.runner, host, deps.signal));
  // Stopped: change nothing; the exit code is the signal's.
  if (deps.signal.aborted) return 0;
  // Only the os fields change, under the lock, so an `add` racing with us is kept.
  await editRoster(deps, (editor) => {
    answers.forEach((a, i) => {
      if (!a.failure && editor.find(hosts[i].name) && hosts[i].os !== a.os) {
        editor.set(hosts[i].name, "os", a.os);
      }
    });
  });
  if (options.json) {
    deps.out.outLine(JSON.stringify({
      hosts: answers.map((a, i) => ({
        name: hosts[i].name,
        old_os: hosts[i].os ?? null,
        os: a.failure ? hosts[i].os ?? null : a.os,
        status: a.failure ? a.result.outcome : "ok",
        ...(a.failure ? { reason: a.failure } : {}),
      })),
    }));
    return answers.some((a) => a.failure) ? 1 : 0;
  }
  answers.forEach((a, i) => {
    const old = hosts[i].os ?? "—";
    deps.out.outLine(
      a.failure
        ? `${hosts[i].name}: ${old} → ${old}  (did not answer: ${a.failure})`
        : `${hosts[i].name}: ${old} → ${a.os}`,
    );
  });
  return answers.some((a) => a.failure) ? 1 : 0;
}

export const refreshCommand = (run: Run) =>
  new Command("refresh")
    .description("re-probe the OS of every host")
    .option("--json", "every host's old and new OS, with status and reason")
    .addHelpText("after", "\nExample:\n  pool refresh")
    .action((opts: { json?: boolean }) => run((deps) => refresh(opts, deps)));
