/**
 * The probes pool runs on hosts: each a shell payload beside a pure parser.
 *
 * Payloads are real `.sh` files (shellcheck runs on them in the tests),
 * imported as text: the bundle (`deno task build`) and `deno compile` carry
 * them inside the program.
 */

export { type Os, parseOs } from "./os.ts";
export { type Gpu, type HostFacts, parseHostProbe } from "./host.ts";
export {
  type JobRecord,
  type JobsAnswer,
  type JobState,
  jobState,
  parseJobs,
  parseKill,
  runs,
} from "./jobs.ts";

import os from "./os.sh" with { type: "text" };
import host from "./host.sh" with { type: "text" };
import jobs from "./jobs.sh" with { type: "text" };

const SCRIPTS = { os, host, jobs };

export type ProbeName = keyof typeof SCRIPTS;

export function probeScript(name: ProbeName): string {
  return SCRIPTS[name];
}
