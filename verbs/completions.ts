/** `pool completions bash|zsh|fish`: a completion script for that shell, on stdout. */

import { Command } from "commander";
import { UsageError } from "../errors.ts";
import type { FirstArg, Rest, VerbSpec } from "../render/completions.ts";
import { FEATURES } from "../features/mod.ts";
import type { Deps, Run } from "../deps/deps.ts";
import { FORMATS } from "../render/host_lists.ts";

/** What each verb's first argument is, where it names hosts (see VerbSpec.firstArg). */
const FIRST_ARG: Record<string, FirstArg> = {
  on: "selection",
  push: "selection",
  pull: "selection",
  hosts: "selection",
  jobs: "selection",
  init: "selection",
  clean: "selection",
  // One host, or the command itself: bg refuses a selection where its host goes.
  bg: "host",
  // The roster edits: one roster host, excluded ones too.
  rm: "name",
  desc: "name",
  tag: "name",
  exclude: "name",
  include: "name",
  // One job of the job index: kill and logs take one, wait many (REST).
  kill: "job",
  logs: "job",
};

/** What the words after the first argument are (all of them, for a verb without one). */
const REST: Record<string, Rest> = {
  // A command: file names help, and its own options are not pool's.
  on: "command",
  bg: "command",
  route: "command",
  // Local paths: push's sources; pull's last word (its local directory). Remote paths: none.
  push: "files",
  pull: "files",
  tag: "tag",
  wait: "job",
};

/** What a flag's value may be, where pool knows. */
const FEATURE_NAMES = FEATURES.map((f) => f.name);
const VALUES: Record<string, Record<string, readonly string[] | "hosts" | "files">> = {
  on: { "--exclude": "hosts", "-x": "hosts", "--out-dir": "files" },
  // `complete` is for these scripts, not for people.
  hosts: { "--format": FORMATS.filter((f) => !f.startsWith("complete")) },
  init: { "--only": FEATURE_NAMES, "--skip": FEATURE_NAMES },
  // --push PATH[:DEST]: a local path (its DEST is on the host: nothing offered).
  route: { "--os": ["linux", "macos"], "--push": "files" },
  bg: { "--os": ["linux", "macos"], "--push": "files" },
};

function specs(program: Command): VerbSpec[] {
  return program.commands.filter((c) => c.name() !== "help").map((c) => ({
    name: c.name(),
    description: c.description(),
    flags: c.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f))),
    valueFlags: c.options.filter((o) => o.required || o.optional).flatMap((o) =>
      [o.short, o.long].filter((f): f is string => Boolean(f))
    ),
    values: VALUES[c.name()] ?? {},
    firstArg: FIRST_ARG[c.name()] ?? null,
    rest: REST[c.name()] ?? null,
  }));
}

export async function completions(program: Command, shell: string, deps: Deps): Promise<number> {
  // Loaded here, not at every start: the three scripts are a sixth of the code a run compiles.
  const scripts = await import("../render/completions.ts");
  const generate = {
    bash: scripts.bashCompletion,
    zsh: scripts.zshCompletion,
    fish: scripts.fishCompletion,
  }[shell];
  if (!generate) throw new UsageError(`unknown shell "${shell}" (known: bash, zsh, fish)`);
  deps.out.out(generate(specs(program)));
  return 0;
}

export const completionsCommand = (run: Run) =>
  new Command("completions")
    .description(
      "print a completion script: verbs, flags, host names and @tags from the live roster",
    )
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  pool completions bash > /etc/bash_completion.d/pool
  eval "$(pool completions bash)"
      in ~/.bashrc (macOS's bash 3.2 too)
  source <(pool completions zsh)
      in ~/.zshrc, after compinit
  mkdir -p ~/.config/fish/completions &&
    pool completions fish > ~/.config/fish/completions/pool.fish`,
    )
    .action(function (this: Command, shell: string) {
      return run((deps) => completions(this.parent!, shell, deps));
    });
