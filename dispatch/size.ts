/** Sizes on the command line: `17G`, `512M`, `1.5T`, `800K`, plain bytes; binary units (G = GiB). */

import { UsageError } from "../errors.ts";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag} expects a size like 17G or 512M, got "${text}"`);
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

export function formatSize(bytes: number): string {
  const abs = Math.abs(bytes);
  const [unit, div] = abs >= 1024 ** 4
    ? ["T", 1024 ** 4]
    : abs >= 1024 ** 3
    ? ["G", 1024 ** 3]
    : ["M", 1024 ** 2];
  return `${(bytes / div).toFixed(1)}${unit}`;
}

/** A request in words: `17.0G RAM, 2 GPUs`, or `lowest load`. */
export function describeRequest(
  r: { memBytes: number; gpus: number; gpuMemBytes: number },
): string {
  const parts = [
    r.memBytes > 0 ? `${formatSize(r.memBytes)} RAM` : "",
    r.gpus > 0 ? `${r.gpus} GPU${r.gpus > 1 ? "s" : ""}` : "",
    r.gpuMemBytes > 0 ? `${formatSize(r.gpuMemBytes)} GPU memory` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "lowest load";
}
