/**
 * Sizes on the command line: `17G`, `512M`, `1.5T`, `800K`, `4096B`; binary
 * units (G = GiB). A bare number other than 0 is refused: `--mem 17` meant as
 * 17G would reserve 17 bytes and say nothing.
 */

import { UsageError } from "../errors.ts";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(?:([KMGT])(?:i?B)?|(B))?$/i.exec(text.trim());
  const unit = m?.[2] ?? m?.[3] ?? "";
  if (!m || (unit === "" && Number(m[1]) !== 0)) {
    throw new UsageError(
      `${flag} expects a size with its unit like 17G, 512M or 4096B, got "${text}"`,
    );
  }
  const bytes = Math.round(
    Number(m[1]) * UNITS[unit.toUpperCase() === "B" ? "" : unit.toUpperCase()],
  );
  // Past 2^53 bytes (8 PiB) no count is exact: a host's shell would read it as garbage, or Infinity.
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${flag}: ${text.trim()} is too large`);
  return bytes;
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
