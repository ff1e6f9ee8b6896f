/**
 * Sizes in words, for tables and messages: `17.0G`, and a request as `17.0G RAM, 2 GPUs`.
 * (Sizes typed on the command line are read by flags.ts's parseSize.)
 */

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
