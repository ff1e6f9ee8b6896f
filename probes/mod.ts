/**
 * The probes pool runs on hosts: each a shell payload beside a pure parser.
 *
 * Payloads are real `.sh` files (shellcheck runs on them in the tests),
 * imported as text: the bundle (`deno task build`) and `deno compile` carry
 * them inside the program.
 */

export { type Os, parseOs } from "./os.ts";
export {
  type Gpu,
  type Holders,
  type HostFacts,
  type JobAnswer,
  parseHolders,
  parseHostProbe,
} from "./host.ts";
export {
  type JobRecord,
  type JobsAnswer,
  type JobState,
  jobState,
  leftRunning,
  parseJobs,
  parseKill,
  parsePartialJobs,
  runs,
  sameStart,
} from "./jobs.ts";

import os from "./os.sh" with { type: "text" };
import host from "./host.sh" with { type: "text" };
import jobs from "./jobs.sh" with { type: "text" };
import pids from "./pids.sh" with { type: "text" };

/** host.sh's answer ends with pids.sh's: the jobs asked about, then `@@ end`. */
const SCRIPTS = { os, host: host + pids, pids, jobs };

export type ProbeName = keyof typeof SCRIPTS;

export function probeScript(name: ProbeName): string {
  return SCRIPTS[name];
}
