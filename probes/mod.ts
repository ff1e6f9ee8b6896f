/**
 * The probes pool runs on hosts: each a shell payload beside a pure parser.
 *
 * Payloads are real `.sh` files (shellcheck runs on them in the tests); they
 * are read from beside this module at run time, which also works inside a
 * `deno compile` binary because the compile task `--include`s this folder.
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

export type ProbeName = "os" | "host" | "jobs";

const cache = new Map<ProbeName, string>();

export async function probeScript(name: ProbeName): Promise<string> {
  let script = cache.get(name);
  if (script === undefined) {
    script = await Deno.readTextFile(new URL(`./${name}.sh`, import.meta.url));
    cache.set(name, script);
  }
  return script;
}
