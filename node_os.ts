/**
 * node:os, loaded on first use. Importing any node: module sets up Deno's
 * Node layer, ~10 ms of every start; pool needs node:os only for a signal's
 * number (a child killed by one) and a home directory when HOME is unset.
 */

type NodeOs = typeof import("node:os");

let os: NodeOs | undefined;

export function nodeOs(): NodeOs {
  const process = (globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  }).process;
  return os ??= process.getBuiltinModule("node:os") as NodeOs;
}
