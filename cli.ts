/**
 * The program: builds the commander tree from the verbs, wires the real
 * dependencies into them (deps/real.ts), and turns whatever happens — a
 * verb's result, an error, a signal, a closed stdout — into one exit code by
 * the policy of exit.ts. `pool.ts` loads it; only `pool.ts` exits.
 */

import { Command, CommanderError } from "commander";
import { jsonLine } from "./render/json_line.ts";
import { VERSION } from "./version.ts";
import {
  abortCode,
  EXIT,
  EXIT_MEANINGS,
  OutputClosed,
  OutputFailed,
  STOP_SIGNALS,
  Stopped,
} from "./exit.ts";
import { PoolError } from "./errors.ts";
import { checkArguments, commanderMessage, usageStyle, wantsJson } from "./command_line.ts";
import { after } from "./timers.ts";
import { writesSettled } from "./state/cache_file.ts";
import { consoleOutput } from "./render/out.ts";
import { visible } from "./render/visible.ts";
import {
  isOutOfDescriptors,
  killEveryChild,
  resumeChildren,
  suspendChildren,
} from "./remote/process.ts";
import type { Run } from "./deps/deps.ts";
import { realDeps } from "./deps/real.ts";
import { ignoredAtStart } from "./ignored_signals.ts";

/** A verb's command line, whose action hands its work to `run`. */
type Verb = (run: Run) => Command;

/**
 * Each verb by the name it is typed as, in the order `--help` lists them, loaded only when it
 * is run (or listed): the bundle makes each a chunk of its own, so a start reads one verb's code,
 * not all of it. Measured here against one chunk holding every verb: `pool hosts` 121 → 111 ms,
 * `pool status --help` 123 → 107, `pool on h1 true` 192 → 185 (medians of 21).
 */
export const VERBS: Record<string, () => Promise<Verb>> = {
  add: () => import("./verbs/add.ts").then((m) => m.addCommand),
  rm: () => import("./verbs/rm.ts").then((m) => m.rmCommand),
  desc: () => import("./verbs/desc.ts").then((m) => m.descCommand),
  tag: () => import("./verbs/tag.ts").then((m) => m.tagCommand),
  exclude: () => import("./verbs/exclude.ts").then((m) => m.excludeCommand),
  include: () => import("./verbs/exclude.ts").then((m) => m.includeCommand),
  list: () => import("./verbs/list.ts").then((m) => m.listCommand),
  on: () => import("./verbs/on.ts").then((m) => m.onCommand),
  push: () => import("./verbs/copy.ts").then((m) => m.pushCommand),
  pull: () => import("./verbs/copy.ts").then((m) => m.pullCommand),
  status: () => import("./verbs/status.ts").then((m) => m.statusCommand),
  refresh: () => import("./verbs/refresh.ts").then((m) => m.refreshCommand),
  route: () => import("./verbs/route.ts").then((m) => m.routeCommand),
  bg: () => import("./verbs/bg.ts").then((m) => m.bgCommand),
  jobs: () => import("./verbs/jobs.ts").then((m) => m.jobsCommand),
  logs: () => import("./verbs/logs.ts").then((m) => m.logsCommand),
  wait: () => import("./verbs/wait.ts").then((m) => m.waitCommand),
  kill: () => import("./verbs/kill.ts").then((m) => m.killCommand),
  leases: () => import("./verbs/leases.ts").then((m) => m.leasesCommand),
  init: () => import("./verbs/init.ts").then((m) => m.initCommand),
  clean: () => import("./verbs/clean.ts").then((m) => m.cleanCommand),
  hosts: () => import("./verbs/hosts.ts").then((m) => m.hostsCommand),
  "import": () => import("./verbs/import.ts").then((m) => m.importCommand),
  inventory: () => import("./verbs/inventory.ts").then((m) => m.inventoryCommand),
  completions: () => import("./verbs/completions.ts").then((m) => m.completionsCommand),
  schema: () => import("./verbs/schema.ts").then((m) => m.schemaCommand),
  mcp: () => import("./mcp/command.ts").then((m) => m.mcpCommand),
};

/** The exit codes, one line each, for `--help`; the README's table is tested against the same list. */
export function exitCodesHelp(): string {
  return EXIT_MEANINGS.map(([code, meaning]) => `  ${code.padEnd(6)}${meaning}`).join("\n");
}

/**
 * The command line; each verb's action hands its work to `run`. Given the
 * verb being run (`only`), the tree holds just that one: loading and building
 * all of them is milliseconds of every start.
 */
async function buildProgram(run: Run, only?: string): Promise<Command> {
  const program = usageStyle(
    new Command("pool")
      .description("A roster of your machines, and work run on them over ssh.")
      .version(VERSION, "-V, --version")
      .enablePositionalOptions()
      .showSuggestionAfterError()
      .addHelpText(
        "after",
        `
Roster: ~/.pool/pool.json, or $POOL_STATE. ssh config: $POOL_SSH_CONFIG (passed as -F).
Exit codes (one host: the remote command's own code; many hosts: the largest host code):
${exitCodesHelp()}`,
      ),
  );
  const names = only === undefined ? Object.keys(VERBS) : [only];
  const verbs = await Promise.all(names.map((name) => VERBS[name]()));
  for (const verb of verbs) program.addCommand(usageStyle(verb(run)));
  return program;
}

/**
 * buildProgram, whose verbs are read from disk as they load: short of a descriptor for that
 * (`ulimit -n`), pool says so in its own words, as it does for one to start ssh with.
 */
async function loadProgram(run: Run, only?: string): Promise<Command> {
  try {
    return await buildProgram(run, only);
  } catch (e) {
    if (!isOutOfDescriptors(e)) throw e;
    throw new PoolError(
      "out of file descriptors here: cannot read pool's own code (raise ulimit -n)",
    );
  }
}

/**
 * The verb `args` run, when it needs no other verb in the tree: help, an
 * unknown verb (commander suggests a near one) and completions (which lists
 * them all) get the whole tree.
 */
export function verbAlone(args: string[]): string | undefined {
  const first = args[0];
  return first !== undefined && first !== "completions" && Object.hasOwn(VERBS, first)
    ? first
    : undefined;
}

/**
 * After a stop, how long the verb gets to kill its work and give back what it holds.
 * POOL_TEST_STOP_GRACE_MS is for tests alone: with a grace longer than their own bound, a verb
 * that needed the hard stop shows as a hang, not as a fast enough clock.
 */
const STOP_GRACE_MS = testStopGrace() ?? 10_000;

/** After a signal, how long a write may make no progress before it is given up. */
const STALL_MS = 1000;

function testStopGrace(): number | undefined {
  try {
    const raw = Deno.env.get("POOL_TEST_STOP_GRACE_MS") ?? "";
    return /^[1-9]\d*$/.test(raw) ? Number(raw) : undefined;
  } catch {
    return undefined; // not UTF-8: not a test's
  }
}

/** Runs pool with `args` and returns the exit code; never exits itself. */
export async function main(args: string[]): Promise<number> {
  const out = consoleOutput();
  const stop = new AbortController();
  out.onStdoutFailed = (f) =>
    stop.abort(f.closed ? new OutputClosed() : new OutputFailed(f.message));
  // The first signal stops the work (children killed, leases released, summaries
  // printed); a second one, or a verb that overstays its grace, ends pool at once.
  let hardStop: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) =>
    hardStop = (code) => {
      killEveryChild();
      resolve(code);
    }
  );
  let cancelGrace = () => {};
  // A signal pool was started ignoring is caught and dropped: not left alone, as Deno's first
  // listener (of any signal) sets SIGHUP and SIGINT to be caught, and then they would end pool.
  const ignored = ignoredAtStart();
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = () => {
      if (ignored.has(name)) return;
      if (stop.signal.aborted) return hardStop(abortCode(stop.signal));
      stop.abort(new Stopped(name));
    };
    Deno.addSignalListener(name, listener);
    return [name, listener] as const;
  });
  // Ctrl-Z stops pool's children too (they run in groups of their own), then pool itself, as
  // the terminal would have; `fg` (SIGCONT) goes on with them.
  const suspend = () => {
    suspendChildren();
    Deno.kill(Deno.pid, "SIGSTOP");
  };
  if (!ignored.has("SIGTSTP")) Deno.addSignalListener("SIGTSTP", suspend);
  Deno.addSignalListener("SIGCONT", resumeChildren);
  stop.signal.addEventListener("abort", () => {
    cancelGrace = after(STOP_GRACE_MS, () => hardStop(abortCode(stop.signal)));
    // A signal's stop waits for no stalled reader (render/out.ts says why).
    if (stop.signal.reason instanceof Stopped) out.stopWaitingForStalled(STALL_MS);
  });

  let code: number = EXIT.ok;
  const run: Run = async (work) => {
    code = await work(realDeps(out, stop.signal));
  };
  // Once the verb has its options, they alone say whether JSON was asked for: a
  // `--json` among a command's words (`pool on h jq --json .`) is the command's.
  let verbRan: Command | undefined;
  try {
    const ended = parse(args).then(async (result) => {
      // All that was printed is out before pool exits: a slow reader is waited for (a
      // stop still ends pool at once, through `stopped`), and a write that failed
      // meanwhile decides the code.
      await out.flushed();
      if (stop.signal.aborted) {
        const reason = stop.signal.reason;
        if (reason instanceof OutputFailed) {
          out.errLine(`pool: ${reason.message}`);
          await out.flushed();
        }
        // A verb stopped before it printed its answer: with --json, the stop is the answer.
        if (reason instanceof Stopped && !out.wroteStdout) {
          errorAsData("stopped", reason.message, abortCode(stop.signal));
          await out.flushed();
        }
        return abortCode(stop.signal);
      }
      return result ?? code;
    });
    return await Promise.race([stopped, ended]);
  } finally {
    for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
    Deno.removeSignalListener("SIGTSTP", suspend);
    Deno.removeSignalListener("SIGCONT", resumeChildren);
    cancelGrace();
    // A cache write the run started (ssh -G answers, login shells) lands before pool exits.
    await writesSettled();
  }

  /**
   * `pool help onn` answers as `pool onn` does (unknown command, did you mean on?), not with
   * commander's whole help on stderr and no word of what was wrong.
   */
  function helpOfNoVerb(program: Command, args: string[]): string[] {
    const [first, verb, ...rest] = args;
    const known = program.commands.some((c) => c.name() === verb || c.aliases().includes(verb));
    return first === "help" && verb !== undefined && !verb.startsWith("-") && !known
      ? [verb, ...rest]
      : args;
  }

  /** With --json, a failure is also an object on stdout: scripts parse one stream. */
  function errorAsData(kind: string, message: string, exit: number): void {
    if (!(verbRan ? verbRan.getOptionValue("json") === true : wantsJson(args))) return;
    out.outLine(jsonLine({ error: { kind, message: visible(message), exit } }));
  }

  /** The verb's code, or the error's (a stop, seen by the caller, decides the final code). */
  async function parse(args: string[]): Promise<number | undefined> {
    let result: number | undefined;
    try {
      // Before any verb reads them: an argument Deno could not decode is not what was typed.
      checkArguments(args);
      const program = await loadProgram(run, verbAlone(args));
      program.hook("preAction", (_program, verb) => {
        verbRan = verb;
      });
      // No words at all: the help, as `pool --help` shows it, exit 0.
      if (args.length === 0) program.outputHelp();
      else await program.parseAsync(helpOfNoVerb(program, args), { from: "user" });
    } catch (e) {
      if (e instanceof CommanderError) {
        // --help and --version are "errors" to commander; to us they are success.
        result = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        if (result === EXIT.usage) errorAsData("usage", commanderMessage(e.message), result);
      } else if (e instanceof OutputClosed || e instanceof OutputFailed) {
        // Help that could not be written: the end of the run, as for any output.
        stop.abort(e);
      } else if (e instanceof PoolError) {
        // One line: a value the user typed may hold a newline, which would forge a line of pool's.
        if (!(stop.signal.reason instanceof OutputClosed)) {
          out.errLine(`pool: ${visible(e.message)}`);
        }
        errorAsData(e.kind, e.message, e.exitCode);
        result = e.exitCode;
      } else throw e;
    }
    return result;
  }
}
