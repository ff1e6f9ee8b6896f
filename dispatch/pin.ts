/**
 * GPU pinning: a command that holds a GPU lease is told which GPUs are its
 * own through the variables its libraries read, so two jobs on one 8-GPU host
 * never both start on GPU 0.
 *
 * NVIDIA: CUDA numbers GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID,
 * which makes its numbers the ones nvidia-smi (and so the lease) uses.
 * AMD: ROCR_VISIBLE_DEVICES takes the lease's indices (rocm-smi's); HIP then
 * numbers what ROCR left visible from 0, so HIP_VISIBLE_DEVICES lists 0…n-1 —
 * the same physical indices there would hide the wrong GPUs. POOL_GPUS always
 * holds the leased indices, for scripts of one's own.
 */

import type { Lease } from "../ledger/lease.ts";
import { shQuote } from "../remote/quote.ts";

export function gpuEnv(gpus: number[], vendor: "nvidia" | "amd"): Record<string, string> {
  if (gpus.length === 0) return {};
  const list = gpus.join(",");
  const vendorEnv: Record<string, string> = vendor === "amd"
    ? { ROCR_VISIBLE_DEVICES: list, HIP_VISIBLE_DEVICES: gpus.map((_, i) => i).join(",") }
    : { CUDA_VISIBLE_DEVICES: list, CUDA_DEVICE_ORDER: "PCI_BUS_ID" };
  return { ...vendorEnv, POOL_GPUS: list };
}

/** The pins a lease gives its command (none without GPUs). */
export function leaseEnv(lease: Lease | null): Record<string, string> {
  return lease ? gpuEnv(lease.gpus, lease.gpu_vendor ?? "nvidia") : {};
}

/**
 * Shell text that sets `env` before a command, run by the command's own
 * shell: the command comes after it, so a value the command sets itself
 * (`CUDA_VISIBLE_DEVICES=7 python …`, or an `export` in it) still wins.
 */
export function envPrefix(env: Record<string, string>): string {
  const pairs = Object.entries(env).map(([k, v]) => `${k}=${shQuote(v)}`);
  return pairs.length > 0 ? `export ${pairs.join(" ")}; ` : "";
}
