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
 * driver reads nothing of (`[GPU requires reset]`) are counted apart: `3×97% 2?`. So are GPUs in
 * MIG mode, which route never takes: `8×37% 2mig`; `mig` or `8×mig` when they all are (the
 * driver says no utilisation of theirs).
 */
function gpuText(facts: HostFacts): string {
  const count = facts.gpus.length;
  if (count === 0) return facts.gpuError ? "?" : "-";
  const mig = facts.gpus.filter((g) => g.mig === true).length;
  if (mig === count) return count === 1 ? "mig" : `${count}×mig`;
  const known = facts.gpus.map((g) => g.utilPct).filter((u): u is number => u !== null);
  const util = known.length === 0
    ? "?"
    : `${Math.round(known.reduce((a, b) => a + b, 0) / known.length)}%`;
  const unread = facts.gpus.filter((g) => g.memTotalBytes === null).length;
  const text = count === 1 ? util : `${count}×${util}`;
  const marks = [unread > 0 && count > 1 ? `${unread}?` : "", mig > 0 ? `${mig}mig` : ""];
  return [text, ...marks].filter(Boolean).join(" ");
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
