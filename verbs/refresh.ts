/** `pool refresh`: ask every host again what OS it runs (excluded ones too, as status). */

import { Command } from "commander";
import { jsonLine } from "../render/json_line.ts";
import { isExcluded } from "../roster/host.ts";
import { poolMap } from "../remote/pool_map.ts";
import { probeOs } from "../remote/probe.ts";
import { type Deps, editRoster, loadRoster, type Run, sayNoHosts } from "../deps/deps.ts";

/** Re-asks every host for its OS. A host that does not answer keeps what it had. */
export async function refresh(options: { json?: boolean }, deps: Deps): Promise<number> {
  const roster = await loadRoster(deps);
  if (roster.hosts.length === 0) return sayNoHosts(deps, roster, options.json);
  const hosts = roster.hosts;
  const answers = await poolMap(hosts, 8, (host) => probeOs(deps.runner, host, deps.signal));
  // Stopped: change nothing; the exit code is the signal's.
  if (deps.signal.aborted) return 0;
  // Only the os fields change, under the lock, so an `add` racing with us is kept; and only
  // where the entry is still the one asked: one removed and added again meanwhile (another
  // target, or an os of its own) keeps what its own add found.
  const moved = await editRoster(deps, (editor) =>
    new Set(hosts.filter((asked, i) => {
      const now = editor.find(asked.name);
      if (!now || now.ssh !== asked.ssh || now.os !== asked.os) return true;
      if (!answers[i].failure && asked.os !== answers[i].os) {
        editor.set(asked.name, "os", answers[i].os);
      }
      return false;
    })));
  // An excluded host that did not answer is said, but fails nothing (as status).
  const code = answers.some((a, i) => a.failure && !isExcluded(hosts[i])) ? 1 : 0;
  const asked = (i: number) => moved.has(hosts[i]) ? "  (not written: changed meanwhile)" : "";
  if (options.json) {
    const probed = answers.map((a, i) => ({
      name: hosts[i].name,
      old_os: hosts[i].os ?? null,
      os: a.failure ? hosts[i].os ?? null : a.os,
      status: a.failure ? a.result.outcome : "ok",
      ...(a.failure ? { reason: a.failure } : {}),
      ...(moved.has(hosts[i]) ? { changed_meanwhile: true } : {}),
      ...(isExcluded(hosts[i]) ? { excluded: true } : {}),
    }));
    deps.out.outLine(jsonLine({ hosts: probed }));
    return code;
  }
  answers.forEach((a, i) => {
    const old = hosts[i].os ?? "—";
    deps.out.outLine(
      a.failure
        ? `${hosts[i].name}: ${old} → ${old}  (did not answer: ${a.failure})${asked(i)}`
        : `${hosts[i].name}: ${old} → ${a.os}${asked(i)}`,
    );
  });
  return code;
}

export const refreshCommand = (run: Run) =>
  new Command("refresh")
    .description("re-probe the OS of every host")
    .option("--json", "every host's old and new OS, with status and reason")
    .addHelpText("after", "\nExample:\n  pool refresh")
    .action((opts: { json?: boolean }) => run((deps) => refresh(opts, deps)));
