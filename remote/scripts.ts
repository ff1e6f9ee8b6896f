/**
 * The shell scripts remote/ sends. They are imported as text, so the bundle
 * (`deno task build`) and `deno compile` carry them inside the program. Job
 * scripts (launch, kill, follow, the local guard) and the jobs, host and pids probes get
 * remote/_proc.sh before them: one copy of `start_of`, `still_runs` and `this_machine`. Both
 * supervisors get remote/_supervise_end.sh after them: one stop, one watcher.
 * supervise.sh and launch.sh get remote/_start_grouped.sh: one way to start a
 * command as a group leader with Ctrl-C's signals at their defaults.
 */

import proc from "./_proc.sh" with { type: "text" };
import follow from "./follow.sh" with { type: "text" };
import kill from "./kill.sh" with { type: "text" };
import launch from "./launch.sh" with { type: "text" };
import superviseEnd from "./_supervise_end.sh" with { type: "text" };
import startGrouped from "./_start_grouped.sh" with { type: "text" };
import supervise from "./supervise.sh" with { type: "text" };
import superviseBash from "./supervise_bash.sh" with { type: "text" };
import replaceFromStage from "./replace_from_stage.sh" with { type: "text" };
import guard from "./guard.sh" with { type: "text" };
import { probeScript } from "../probes/mod.ts";

const SCRIPTS = {
  supervise: startGrouped + supervise + superviseEnd,
  supervise_bash: superviseBash + superviseEnd,
  launch: proc + startGrouped + launch,
  kill: proc + kill,
  follow: proc + follow,
  jobs: proc + probeScript("jobs"),
  host_probe: proc + probeScript("host"),
  pids: proc + probeScript("pids"),
  replace_from_stage: replaceFromStage,
  guard: proc + guard,
};

/**
 * The script `remote/<name>.sh` (jobs, pids: `probes/<name>.sh`; host_probe: `probes/host.sh`)
 * as it is sent (guard: run here).
 */
export function remoteScript(name: keyof typeof SCRIPTS): string {
  return SCRIPTS[name];
}

/** A script sent as a command's argument: its comments are for readers of the file, not for every `ps` on the host. */
export function withoutComments(text: string): string {
  return text.split("\n").filter((l) => l.trim() !== "" && !/^\s*#/.test(l)).join("\n") + "\n";
}
