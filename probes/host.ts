/**
 * Parses the output of `host.sh` into typed facts. Pure: every function here
 * is tested on outputs recorded from real systems (tests/fixtures/probe/).
 *
 * Units: bytes and seconds everywhere; `null` where the host did not say.
 */

import { type Os, parseOs } from "./os.ts";

export interface Gpu {
  /** The tool that reported it: its index is that vendor's numbering (CUDA's in PCI bus order, ROCR's). */
  vendor: "nvidia" | "amd";
  index: number;
  name: string;
  /** Utilisation in percent; null when the tool says [N/A] (MIG), [Not Supported], or nothing. */
  utilPct: number | null;
  memUsedBytes: number | null;
  memTotalBytes: number | null;
  /** nvidia-smi's `uuid` (`GPU-…`): how `--query-compute-apps` names it. */
  uuid?: string;
  /**
   * nvidia-smi's `mig.mode.current`: true when the GPU is split into MIG instances, false when
   * not; absent where the tool does not say (no MIG on this GPU, an older driver, rocm-smi).
   */
  mig?: boolean;
}

export interface HostFacts {
  os: Os;
  load: [number, number, number] | null;
  cpus: number | null;
  mem: { totalBytes: number; availableBytes: number; usedBytes: number } | null;
  swap: { totalBytes: number; freeBytes: number } | null;
  disk: { totalBytes: number; usedBytes: number; availableBytes: number } | null;
  uptimeSeconds: number | null;
  gpus: Gpu[];
  /** Why the GPU query failed (driver not loaded, …) when nvidia-smi or rocm-smi exists but did not answer. */
  gpuError?: string;
  /** Of the pids the probe was asked about, those still running, each with its start time. */
  alivePids: { pid: number; start: string }[];
  /** The jobs it was asked about by id (`job:<id>`), by id. */
  jobs?: Map<string, JobAnswer>;
  /**
   * Memory each running job asked about holds now, by its pid (Linux: its process group's
   * anonymous memory, a page its processes share counted once: Pss_Anon); absent where the host
   * cannot say, or was not asked (pids.sh's `memory`: route --mem).
   */
  jobMemBytes?: Map<number, number>;
  /** The jobs asked about (`group:<id>`) whose group runs on without its leader, by id. */
  groups?: Map<string, GroupAnswer>;
  /** The processes that carry the marker of a job asked about (`Holders.marked`). */
  marked?: Map<number, string[]>;
  /**
   * GPU memory each job asked about holds now, by its pid (the number of its process group), then
   * by GPU index: what nvidia-smi says its group's processes use there, the smaller of two
   * readings, one each side of memory.used (host.sh's gpu-apps-before, gpu-apps and gpu-groups).
   * Only jobs pids.sh found running, or whose group it found running on; absent where the host
   * cannot say (not asked, a container's pid namespace, not NVIDIA).
   */
  jobGpuBytes?: Map<number, Map<number, number>>;
}

const KIB = 1024;
const MIB = 1024 * 1024;

/** "@@ name" lines split the output; anything before the first is a login banner, ignored. */
export function splitSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  for (const line of text.split("\n")) {
    const header = /^@@ (\S+)$/.exec(line);
    if (header) {
      if (name !== null) sections.set(name, lines.join("\n"));
      name = header[1];
      lines = [];
    } else if (name !== null) {
      lines.push(line);
    }
  }
  if (name !== null) sections.set(name, lines.join("\n"));
  return sections;
}

/** Throws when the output is not a complete probe (cut short, or something else answered). */
export function parseHostProbe(text: string): HostFacts {
  const s = splitSections(text);
  if (!s.has("uname") || !s.has("end")) throw new Error("incomplete probe output");
  const os = parseOs(s.get("uname") ?? "");
  const facts: HostFacts = {
    os,
    load: parseLoadavg(s.get("loadavg") ?? ""),
    cpus: parseCpuList(s.get("cpus_allowed") ?? "") ?? toInt(s.get("ncpu")),
    mem: null,
    swap: null,
    disk: parseDf(s.get("df") ?? ""),
    uptimeSeconds: null,
    gpus: [],
    ...holdersIn(s.get("pids") ?? ""),
  };
  if (os === "macos") {
    const total = toInt(s.get("memsize"));
    facts.mem = total === null ? null : parseVmStat(s.get("vm_stat") ?? "", total);
    facts.swap = parseSwapUsage(s.get("swapusage") ?? "");
    const boot = toInt(/sec = (\d+)/.exec(s.get("boottime") ?? "")?.[1]);
    const now = toInt(s.get("now"));
    // A boot after now is a clock that was wrong at boot or is now: no uptime.
    facts.uptimeSeconds = boot !== null && now !== null && now >= boot ? now - boot : null;
  } else {
    const meminfo = parseMeminfo(s.get("meminfo") ?? "");
    facts.mem = meminfo.mem;
    facts.swap = meminfo.swap;
    const up = toDecimal((s.get("uptime") ?? "").trim().split(/\s+/)[0]);
    facts.uptimeSeconds = up === null ? null : Math.round(up);
  }
  if (s.has("nvidia-smi")) {
    const exit = toInt(s.get("nvidia-smi-exit"));
    const parsed = parseNvidiaSmi(s.get("nvidia-smi") ?? "");
    facts.gpus = parsed.gpus;
    if (exit !== 0 || parsed.error) facts.gpuError = gpuToolError("nvidia-smi", exit, parsed.error);
    if (s.has("gpu-apps-before") && s.has("gpu-apps") && s.has("gpu-groups")) {
      const [before, after] = [s.get("gpu-apps-before")!, s.get("gpu-apps")!].map((apps) =>
        jobGpuMemory(apps, s.get("gpu-groups")!, facts)
      );
      facts.jobGpuBytes = leastHeld(before, after);
    }
  }
  // A host with both kinds is read as NVIDIA's: one lease numbers its GPUs one way.
  if (s.has("rocm-smi") && facts.gpus.length === 0) {
    const exit = toInt(s.get("rocm-smi-exit"));
    const parsed = parseRocmSmi(s.get("rocm-smi") ?? "");
    facts.gpus = parsed.gpus;
    if (parsed.gpus.length > 0) delete facts.gpuError;
    else if (exit !== 0 || parsed.error) {
      facts.gpuError ??= gpuToolError("rocm-smi", exit, parsed.error);
    }
  }
  return facts;
}

/** Why a GPU tool gave no GPUs: host.sh's `timeout` (124) ended one that hung, or its own words. */
function gpuToolError(tool: string, exit: number | null, said: string | undefined): string {
  if (exit === 124) return `${tool} did not answer in time (a hung driver?)`;
  return said ?? `${tool} exited ${exit}`;
}

/** A host's word on a job asked about by id: its record's pid and start, no pid yet, or no record. */
export type JobAnswer = { pid: number; start: string } | "starting" | "none";

/** What pids.sh says of the bg jobs asked about: by pid (`HostFacts.alivePids`), and by id. */
export interface Holders {
  alivePids: HostFacts["alivePids"];
  jobs: Map<string, JobAnswer>;
  jobMemBytes: Map<number, number>;
  /**
   * Linux: by job id, the process group of each job asked about (`group:<id>`) whose leader is
   * gone and whose group runs on: the work it left running, found still to be the job's
   * (pids.sh says by what rule). Absent: no such group, or a host that cannot say.
   */
  groups: Map<string, GroupAnswer>;
  /**
   * Linux: the processes that carry the marker (`POOL_JOB=<id>`) of a job in `groups`, by pid:
   * the ids they carry (one, unless a process was given several). Looked for only once a
   * leader is gone.
   */
  marked: Map<number, string[]>;
}

/**
 * A job's process group that outlived its leader: the leader's pid (the group's number), and how
 * many of the job's processes run. `markedOnly`: those are the processes that carry the job's
 * marker, and nothing says the group of that number is the job's (it may be another process's
 * now): its memory, on the host or its GPUs, is not the job's to be credited with.
 */
export interface GroupAnswer {
  pid: number;
  processes: number;
  markedOnly?: true;
}

/** pids.sh's answer alone (`pool leases`). Throws when cut short. */
export function parseHolders(text: string): Holders {
  const s = splitSections(text);
  if (!s.has("end")) throw new Error("incomplete probe output");
  return holdersIn(s.get("pids") ?? "");
}

function holdersIn(section: string): Holders {
  const jobs = new Map<string, JobAnswer>();
  for (const line of section.split("\n")) {
    const m = /^job:([A-Za-z0-9_-]+) (?:(none|starting)|(\d+) (\S.*))$/.exec(line.trim());
    if (!m) continue;
    const pid = toPid(m[3]);
    if (m[2]) jobs.set(m[1], m[2] as "none" | "starting");
    else if (pid !== null) jobs.set(m[1], { pid, start: m[4].trim() });
  }
  return {
    alivePids: parsePids(section),
    jobs,
    jobMemBytes: jobMemory(section),
    groups: orphanedGroups(section),
    marked: markedProcesses(section),
  };
}

/** pids.sh's `marked <pid> <id>` lines: the ids each process carries. */
function markedProcesses(section: string): Map<number, string[]> {
  const marked = new Map<number, string[]>();
  for (const line of section.split("\n")) {
    const m = /^marked (\d+) ([A-Za-z0-9_-]+)$/.exec(line.trim());
    const pid = toPid(m?.[1]);
    if (m && pid !== null) marked.set(pid, [...marked.get(pid) ?? [], m[2]]);
  }
  return marked;
}

/**
 * pids.sh's `group:<id> <leader pid> <processes>[ marked]` lines: a job's group that runs on
 * without its leader, or (`marked`) only processes that carry the job's marker.
 */
function orphanedGroups(section: string): Map<string, GroupAnswer> {
  const groups = new Map<string, GroupAnswer>();
  for (const line of section.split("\n")) {
    const m = /^group:([A-Za-z0-9_-]+) (\d+) (\d+)( marked)?$/.exec(line.trim());
    const [pid, processes] = [toPid(m?.[2]), toInt(m?.[3])];
    if (m && pid !== null && processes !== null && processes > 0) {
      groups.set(m[1], { pid, processes, ...(m[4] ? { markedOnly: true as const } : {}) });
    }
  }
  return groups;
}

/** pids.sh's `mem <group> <kB>` lines (one per job's group), summed per job. */
function jobMemory(section: string): Map<number, number> {
  const bytes = new Map<number, number>();
  for (const line of section.split("\n")) {
    const m = /^mem (\d+) (\d+)$/.exec(line.trim());
    const [group, kib] = [toInt(m?.[1]), toInt(m?.[2])];
    if (group === null || kib === null) continue;
    bytes.set(group, (bytes.get(group) ?? 0) + kib * KIB);
  }
  return bytes;
}

/**
 * What each job's processes hold on each GPU: `gpu_uuid, pid, used_memory` lines (MiB; `[N/A]`
 * is nothing known) of the GPUs this probe read, each pid's group from `<pid> <group>` lines.
 * Only the groups of jobs pids.sh vouches for (`alivePids`, `groups` not `markedOnly`): another
 * group that happens to have a lease's number is not its job's. A process outside them that
 * carries one job's marker (`marked`: it left the group, `setsid`) is that job's, and no other's.
 */
export function jobGpuMemory(
  apps: string,
  pidGroups: string,
  facts: Pick<HostFacts, "gpus" | "alivePids" | "groups" | "marked">,
): Map<number, Map<number, number>> {
  const jobs = new Set([
    ...facts.alivePids.map((p) => p.pid),
    ...[...facts.groups?.values() ?? []].filter((g) => !g.markedOnly).map((g) => g.pid),
  ]);
  // The job a process carries the marker of, by its group's number (the lease's pid).
  const markedJob = (pid: number) => {
    const ids = facts.marked?.get(pid) ?? [];
    const group = ids.length === 1 ? facts.groups?.get(ids[0]) : undefined;
    // A number only marked processes vouch for that another job's leader has now: keyed by it,
    // this job's memory would be credited to that job's lease.
    if (group?.markedOnly && jobs.has(group.pid)) return undefined;
    return group?.pid;
  };
  const groupOf = new Map<number, number>();
  for (const line of pidGroups.split("\n")) {
    const m = /^(\d+) (\d+)$/.exec(line.trim());
    const [pid, group] = [toPid(m?.[1]), toPid(m?.[2])];
    if (pid !== null && group !== null) groupOf.set(pid, group);
  }
  const held = new Map<number, Map<number, number>>();
  for (const line of apps.split("\n")) {
    const [uuid, pidText, used] = splitCsv(line);
    const gpu = facts.gpus.find((g) => g.uuid !== undefined && g.uuid === uuid);
    const pid = toPid(pidText) ?? 0;
    const group = groupOf.get(pid);
    const job = group !== undefined && jobs.has(group) ? group : markedJob(pid);
    const b = bytes(number(used), MIB);
    if (!gpu || job === undefined || b === null) continue;
    const byGpu = held.get(job) ?? new Map<number, number>();
    byGpu.set(gpu.index, (byGpu.get(gpu.index) ?? 0) + b);
    held.set(job, byGpu);
  }
  return held;
}

/**
 * Per job and GPU, the smaller of what two readings of `--query-compute-apps` say it holds, and
 * nothing where one says nothing: host.sh reads them before and after memory.used, and a job that
 * grew or shrank in between had at least the smaller there when memory.used was read. Memory it
 * took after that, counted off its claim, was counted nowhere: two 100G leases on a 140G GPU.
 */
export function leastHeld(
  a: Map<number, Map<number, number>>,
  b: Map<number, Map<number, number>>,
): Map<number, Map<number, number>> {
  const least = new Map<number, Map<number, number>>();
  for (const [job, onA] of a) {
    const byGpu = new Map<number, number>();
    for (const [gpu, bytes] of onA) {
      const other = b.get(job)?.get(gpu);
      if (other !== undefined) byGpu.set(gpu, Math.min(bytes, other));
    }
    if (byGpu.size > 0) least.set(job, byGpu);
  }
  return least;
}

/** `<pid> <start time>` lines; a line without a start time is no proof of anything. */
export function parsePids(text: string): { pid: number; start: string }[] {
  return text.split("\n").flatMap((line) => {
    const m = /^(\d+) (\S.*)$/.exec(line.trim());
    const pid = toPid(m?.[1]);
    return m && pid !== null ? [{ pid, start: m[2].trim() }] : [];
  });
}

/**
 * A count a host reports, or null: digits only, and small enough to count
 * exactly. Read loosely, a host's "1e309", "-1" or 400 digits would become
 * Infinity or NaN, and a NaN compares false with everything: a host with NaN
 * room is never "too full" for route.
 */
export function toInt(text: string | undefined): number | null {
  const digits = /^\d+$/.exec((text ?? "").trim());
  const n = digits ? Number(digits[0]) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** A process id: a count, and never 0 (no process has it; kill 0 means the whole group). */
export function toPid(text: string | undefined): number | null {
  const n = toInt(text);
  return n !== null && n > 0 ? n : null;
}

/**
 * A reading with a fraction ("0.05", "1234.56"), or null, by the rules of `toInt`: digits and
 * one point only (no sign, exponent or hex: "-5", "1e3" and "0x10" are no load, and a negative
 * load would sort first for route), and a whole part small enough to count exactly.
 */
function toDecimal(text: string | undefined): number | null {
  const m = /^\d+(\.\d+)?$/.exec((text ?? "").trim());
  const n = m ? Number(m[0]) : NaN;
  return Number.isFinite(n) && n <= Number.MAX_SAFE_INTEGER ? n : null;
}

/** `n` units in bytes; null where that is past what counts exactly (400 digits of KiB). */
function bytes(n: number | null, unit: number): number | null {
  const b = n === null ? NaN : Math.round(n * unit);
  return Number.isSafeInteger(b) ? b : null;
}

/** `Cpus_allowed_list` ("0-3,8,10-11") → how many CPUs (7); null when absent. */
export function parseCpuList(text: string): number | null {
  const list = text.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) return null;
  const count = list.split(",").reduce((n, part) => {
    const [a, b] = part.split("-").map(Number);
    // A range runs upwards ("7-0" is no list the kernel writes).
    return n + (b === undefined ? 1 : b >= a ? b - a + 1 : NaN);
  }, 0);
  return Number.isSafeInteger(count) && count > 0 ? count : null;
}

/** Linux `/proc/loadavg` ("0.01 0.05 0.10 1/85 123") or macOS `vm.loadavg` ("{ 1.23 1.45 1.67 }"). */
export function parseLoadavg(text: string): [number, number, number] | null {
  const numbers = text.replace(/[{}]/g, " ").trim().split(/\s+/).slice(0, 3).map(toDecimal);
  return numbers.length === 3 && numbers.every((n) => n !== null)
    ? numbers as [number, number, number]
    : null;
}

/** Used = MemTotal − MemAvailable (what the kernel says can be had without swapping). */
export function parseMeminfo(text: string): Pick<HostFacts, "mem" | "swap"> {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    const bytes = m ? Number(m[2]) * KIB : NaN;
    if (m && Number.isSafeInteger(bytes)) kb.set(m[1], bytes);
  }
  const total = kb.get("MemTotal");
  // Kernels before 3.14 have no MemAvailable: free + buffers + page cache is the old estimate.
  const available = kb.get("MemAvailable") ??
    (kb.has("MemFree")
      ? kb.get("MemFree")! + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0)
      : undefined);
  // More available than there is: no reading to route by.
  const mem = total !== undefined && available !== undefined && available <= total
    ? { totalBytes: total, availableBytes: available, usedBytes: total - available }
    : null;
  const swap = kb.has("SwapTotal")
    ? { totalBytes: kb.get("SwapTotal")!, freeBytes: kb.get("SwapFree") ?? 0 }
    : null;
  return { mem, swap };
}

/**
 * macOS memory from `vm_stat`, in the page size vm_stat itself reports
 * (16 KiB on Apple Silicon, 4 KiB on Intel). Used is what Activity Monitor
 * calls Memory Used: app memory (anonymous − purgeable) + wired + compressed.
 */
export function parseVmStat(text: string, totalBytes: number): HostFacts["mem"] {
  const pageSize = toInt(/page size of (\d+) bytes/.exec(text)?.[1]);
  if (pageSize === null || pageSize <= 0) return null;
  const pages = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^"?([^":]+)"?:\s+(\d+)\.?$/.exec(line.trim());
    const count = toInt(m?.[2]);
    if (m && count !== null) pages.set(m[1].trim(), count);
  }
  const get = (key: string) => pages.get(key) ?? 0;
  const wired = get("Pages wired down");
  const compressed = get("Pages occupied by compressor");
  // More purgeable than anonymous (the two are counted at different moments): no app memory,
  // never less than none, which would make more available than there is.
  const app = pages.has("Anonymous pages")
    ? Math.max(0, get("Anonymous pages") - get("Pages purgeable"))
    : get("Pages active"); // older macOS: no anonymous count
  const used = Math.min(totalBytes, (app + wired + compressed) * pageSize);
  return { totalBytes, availableBytes: totalBytes - used, usedBytes: used };
}

/** `vm.swapusage: total = 2048.00M  used = 1087.50M  free = 960.50M  (encrypted)`. */
export function parseSwapUsage(text: string): HostFacts["swap"] {
  const size = (key: string) => {
    // Some locales print "1024,00M"; the probe forces LC_ALL=C, but a comma costs nothing to read.
    // One number ("1.2.3M" is none), its unit right after it.
    const m = new RegExp(`${key} = (\\d+(?:[.,]\\d+)?)([KMGT]?)(?![\\w.,])`).exec(text);
    if (!m) return null;
    const unit = { "": 1, K: KIB, M: MIB, G: KIB * MIB, T: MIB * MIB }[m[2]]!;
    return bytes(toDecimal(m[1].replace(",", ".")), unit);
  };
  const total = size("total");
  const free = size("free");
  return total === null || free === null || free > total
    ? null
    : { totalBytes: total, freeBytes: free };
}

/** `df -Pk <path>`: the first row's 1024-blocks, used and available (names may contain spaces). */
export function parseDf(text: string): HostFacts["disk"] {
  const lines = text.trim().split("\n").filter((l) => l.trim() !== "");
  if (lines.length < 2) return null;
  const m = /\s(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+\/.*$/.exec(lines[1]);
  if (!m) return null;
  const [total, used, available] = [m[1], m[2], m[3]].map((n) => bytes(toInt(n), KIB));
  // A number past counting, or a part larger than the whole: no reading of this disk.
  if (total === null || used === null || available === null) return null;
  if (used > total || available > total) return null;
  return { totalBytes: total, usedBytes: used, availableBytes: available };
}

const UNKNOWN =
  /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions|Requested functionality has been deprecated)\]?$/i;

/**
 * `nvidia-smi --query-gpu=… --format=csv[,nounits]`, header included, so
 * columns are found by name (any order, extra columns ignored) and values
 * may carry units ("45 %", "1234 MiB"). [N/A] and [Not Supported] are null.
 */
export function parseNvidiaSmi(text: string): { gpus: Gpu[]; error?: string } {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const headerAt = lines.findIndex((l) => /(^|,\s*)name(\s|,|$)/.test(l) && l.includes("["));
  if (headerAt === -1) {
    return { gpus: [], error: lines.length > 0 ? lines[0] : undefined };
  }
  const columns = splitCsv(lines[headerAt]).map((c) => c.replace(/\s*\[.*\]$/, "").trim());
  const col = (name: string) => columns.indexOf(name);
  const gpus: Gpu[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    const cells = splitCsv(line);
    if (cells.length !== columns.length) continue;
    const cell = (name: string) => (col(name) === -1 ? undefined : cells[col(name)]);
    // The index is what CUDA_VISIBLE_DEVICES will say: a whole number, or the row's place.
    const index = col("index") === -1 ? gpus.length : toInt(cell("index"));
    if (index === null) return { gpus: [], error: `not a GPU index: ${cell("index")}` };
    if (gpus.some((g) => g.index === index)) {
      return { gpus: [], error: `GPU index ${index} twice` };
    }
    const uuid = cell("uuid");
    const mig = cell("mig.mode.current");
    gpus.push({
      vendor: "nvidia",
      index,
      name: cell("name") ?? "",
      utilPct: number(cell("utilization.gpu")),
      memUsedBytes: bytes(number(cell("memory.used")), MIB),
      memTotalBytes: bytes(number(cell("memory.total")), MIB),
      ...(uuid && !UNKNOWN.test(uuid) ? { uuid } : {}),
      ...(mig === "Enabled" || mig === "Disabled" ? { mig: mig === "Enabled" } : {}),
    });
  }
  return { gpus };
}

function splitCsv(line: string): string[] {
  return line.split(",").map((c) => c.trim());
}

/** A GPU tool's reading: a decimal, its unit (% or MiB) after it or not; "12abc" is none. */
function number(cell: string | undefined): number | null {
  if (cell === undefined || UNKNOWN.test(cell)) return null;
  return toDecimal(cell.replace(/\s*(%|MiB)$/, ""));
}

/**
 * `rocm-smi --showproductname --showuse --showmeminfo vram --json`: one JSON
 * object keyed `card<N>` (N is rocm-smi's device index), every value a
 * string. A reading the card cannot give is left out or "N/A"; warnings
 * (merged from stderr by the probe) may come before the JSON, and a host with
 * no AMD GPU prints only a warning.
 */
export function parseRocmSmi(text: string): { gpus: Gpu[]; error?: string } {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trimStart().startsWith("{"));
  const said = lines.map((l) => l.trim()).find(Boolean);
  if (start === -1) return { gpus: [], error: said };
  let doc: unknown;
  try {
    doc = JSON.parse(lines.slice(start).join("\n"));
  } catch {
    return { gpus: [], error: said };
  }
  if (typeof doc !== "object" || doc === null) return { gpus: [], error: said };
  const gpus: Gpu[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const card = /^card(\d+)$/.exec(key);
    if (!card || typeof value !== "object" || value === null) continue;
    // As for nvidia-smi: the index is what HIP_VISIBLE_DEVICES will say, so one that is no
    // count, or two keys for one index (card1 and card01), is no answer to lease GPUs by.
    const index = toInt(card[1]);
    if (index === null) return { gpus: [], error: `not a GPU index: ${key}` };
    if (gpus.some((g) => g.index === index)) {
      return { gpus: [], error: `GPU index ${index} twice` };
    }
    const field = (...names: string[]) => {
      for (const name of names) {
        const v = (value as Record<string, unknown>)[name];
        if (typeof v === "string" && v.trim() !== "" && !UNKNOWN.test(v.trim())) return v.trim();
      }
      return undefined;
    };
    gpus.push({
      vendor: "amd",
      index,
      name: field("Card Series", "Card series", "Device Name", "Card Model") ?? "",
      utilPct: number(field("GPU use (%)")),
      memUsedBytes: bytes(number(field("VRAM Total Used Memory (B)")), 1),
      memTotalBytes: bytes(number(field("VRAM Total Memory (B)")), 1),
    });
  }
  return { gpus: gpus.sort((a, b) => a.index - b.index) };
}
