/** Asks a host what it runs (`add`, `refresh`): one ssh round trip with the os probe. */

import type { Host } from "../roster/host.ts";
import { execOnHost, type HostResult } from "../remote/exec.ts";
import { parseOs, probeScript } from "../probes/mod.ts";

export interface OsAnswer {
  os: "linux" | "macos" | "unknown";
  /** Set when the host could not be asked. */
  failure?: string;
  result: HostResult;
}

const PROBE_TIMEOUT_MS = 10_000;

export async function probeOs(host: Host, signal?: AbortSignal): Promise<OsAnswer> {
  const result = await execOnHost(host, "sh -s", {
    input: await probeScript("os"),
    timeoutMs: PROBE_TIMEOUT_MS,
    connectTimeout: 8,
    signal,
  });
  if (result.outcome === "ok") return { os: parseOs(result.stdout), result };
  const failure = result.reason ??
    (result.outcome === "timeout" ? "timeout" : `exit ${result.code}`);
  return { os: "unknown", failure, result };
}
