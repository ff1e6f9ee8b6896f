/** `pool mcp [--allow init,clean,rm]`: the commander side of the MCP front-end (loaded on use). */

import { Command } from "commander";
import { listOption, parseChoice } from "../flags.ts";
import type { Run } from "../deps/deps.ts";

const DESTRUCTIVE = ["init", "clean", "rm"] as const;

export const mcpCommand = (run: Run) =>
  new Command("mcp")
    .description("serve pool's verbs as Model Context Protocol tools on stdio (for coding agents)")
    .addOption(
      listOption(
        "--allow <verbs>",
        "also expose these destructive verbs: init, clean, rm (comma list)",
      ),
    )
    .addHelpText(
      "after",
      `
Examples:
  pool mcp
      tools: fleet, status, run, route, bg, jobs, logs, kill, push
  pool mcp --allow clean
      and clean`,
    )
    .action((opts: { allow?: string[] }) => {
      const allow = (opts.allow ?? []).map(parseChoice(DESTRUCTIVE, "--allow"));
      // pool's stop (a signal) stops the server and every call in flight at once.
      return run(async (deps) => (await import("./server.ts")).serve(allow, deps.signal));
    });
