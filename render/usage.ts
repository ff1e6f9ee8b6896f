/**
 * Probe facts → the short strings of the live columns, the old tool's look:
 * load `0.42`, ram `8/16G`, gpu `0%`, disk `546/915G` (of used + available, as
 * df's Capacity); `-` when unknown.
 */

import type { HostFacts } from "../probes/mod.ts";

export interface Usage {
  load: string;
  ram: string;
  gpu: string;
  disk: string;
}

export const NO_USAGE: Usage = { load: "-", ram: "-", gpu: "-", disk: "-" };

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;

/**
 * `used/total` in the total's unit, whole numbers: G as the old tool printed, M under 1 GiB
 * (a 469 MiB host is not `0/0G`), T from 10 TiB (`1/28T`).
 */
function usedOfTotal(used: number, total: number): string {
  const [unit, size] = total >= 10 * TIB ? ["T", TIB] : total >= GIB ? ["G", GIB] : ["M", MIB];
  return `${Math.round(used / size)}/${Math.round(total / size)}${unit}`;
}

/**
 * One GPU: its utilisation. Several: how many, and their mean utilisation (`8×37%`). GPUs the
 * driver reads nothing of (`[GPU requires reset]`) are counted apart: `3×97% 2?`.
 */
function gpuText(facts: HostFacts): string {
  if (facts.gpus.length === 0) return facts.gpuError ? "?" : "-";
  const known = facts.gpus.map((g) => g.utilPct).filter((u): u is number => u !== null);
  const util = known.length === 0
    ? "?"
    : `${Math.round(known.reduce((a, b) => a + b, 0) / known.length)}%`;
  const unread = facts.gpus.filter((g) => g.memTotalBytes === null).length;
  const text = facts.gpus.length === 1 ? util : `${facts.gpus.length}×${util}`;
  return unread > 0 && facts.gpus.length > 1 ? `${text} ${unread}?` : text;
}

export function usageOf(facts: HostFacts | null): Usage {
  if (!facts) return NO_USAGE;
  return {
    load: facts.load ? facts.load[0].toFixed(2) : "-",
    ram: facts.mem ? usedOfTotal(facts.mem.usedBytes, facts.mem.totalBytes) : "-",
    gpu: gpuText(facts),
    // Of what can be used, as df's Capacity: root's reserved blocks (or a quota) are not room.
    disk: facts.disk
      ? usedOfTotal(facts.disk.usedBytes, facts.disk.usedBytes + facts.disk.availableBytes)
      : "-",
  };
}
