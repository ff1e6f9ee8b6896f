/**
 * Probe facts → the short strings of the live columns, the old tool's look:
 * load `0.42`, ram `8/16G`, gpu `0%`, disk `546/915G`; `-` when unknown.
 */

import type { HostFacts } from "../probes/mod.ts";

export interface Usage {
  load: string;
  ram: string;
  gpu: string;
  disk: string;
}

export const NO_USAGE: Usage = { load: "-", ram: "-", gpu: "-", disk: "-" };

const GIB = 1024 ** 3;

function usedOfTotal(used: number, total: number): string {
  return `${Math.round(used / GIB)}/${Math.round(total / GIB)}G`;
}

/** One GPU: its utilisation. Several: how many, and their mean utilisation (`8×37%`). */
function gpuText(facts: HostFacts): string {
  if (facts.gpus.length === 0) return facts.gpuError ? "?" : "-";
  const known = facts.gpus.map((g) => g.utilPct).filter((u): u is number => u !== null);
  const util = known.length === 0
    ? "?"
    : `${Math.round(known.reduce((a, b) => a + b, 0) / known.length)}%`;
  return facts.gpus.length === 1 ? util : `${facts.gpus.length}×${util}`;
}

export function usageOf(facts: HostFacts | null): Usage {
  if (!facts) return NO_USAGE;
  return {
    load: facts.load ? facts.load[0].toFixed(2) : "-",
    ram: facts.mem ? usedOfTotal(facts.mem.usedBytes, facts.mem.totalBytes) : "-",
    gpu: gpuText(facts),
    disk: facts.disk ? usedOfTotal(facts.disk.usedBytes, facts.disk.totalBytes) : "-",
  };
}
