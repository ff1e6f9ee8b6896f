/**
 * Test doubles for the seam: a runner that answers from stubs and fails the
 * test on any call it was not told about (and, at `verify()`, on any stub never
 * used — as gh's run stubs do), a clock whose sleeps pass instantly, and Deps
 * over a temp state directory with captured output.
 */

import { join } from "../paths.ts";
import { memoryOutput } from "../render/out.ts";
import type { Host } from "../roster/host.ts";
import type { HostResult } from "../remote/exec.ts";
import type { Runner, RunOptions } from "../remote/runner.ts";
import type { CopyOptions, CopyRequest, CopyResult } from "../remote/transfer.ts";
import type { ResolvedTarget } from "../remote/ssh.ts";
import type { Lease } from "../ledger/lease.ts";
import { type Clock, type Deps, fileJobs, fileLedger, fileRoster } from "./deps.ts";

export interface Call {
  host: string;
  command: string | null;
  options: RunOptions;
}

export type Reply =
  | Partial<HostResult>
  | ((call: Call) => Partial<HostResult> | Promise<Partial<HostResult>>);

interface Stub {
  host: string;
  match: (command: string | null) => boolean;
  reply: Reply;
  /** How many calls it may answer; Infinity for any number (at least one). */
  times: number;
  used: number;
  what: string;
}

export class RecordingRunner implements Runner {
  readonly calls: Call[] = [];
  #stubs: Stub[] = [];
  #resolved = new Map<string, ResolvedTarget | null>();

  /** Answers calls to `host` whose command matches; `times` calls (default 1), Infinity for any. */
  stub(host: string, match: RegExp | string, reply: Reply, times = 1): this {
    const test = typeof match === "string"
      ? (c: string | null) => c === match
      : (c: string | null) => match.test(c ?? "");
    this.#stubs.push({ host, match: test, reply, times, used: 0, what: `${host}: ${match}` });
    return this;
  }

  /** What `ssh -G` says for `target`. */
  resolves(target: string, to: ResolvedTarget | null): this {
    this.#resolved.set(target, to);
    return this;
  }

  async exec(host: Host, command: string | null, options: RunOptions): Promise<HostResult> {
    const call = { host: host.name, command, options };
    this.calls.push(call);
    const stub = this.#stubs.find((s) =>
      s.host === host.name && s.used < s.times && s.match(command)
    );
    if (!stub) throw new Error(`unexpected run on ${host.name}: ${command}`);
    stub.used++;
    const partial = typeof stub.reply === "function" ? await stub.reply(call) : stub.reply;
    const text = { stdout: partial.stdout ?? "", stderr: partial.stderr ?? "" };
    const result: HostResult = {
      host: host.name,
      code: 0,
      outcome: "ok",
      durationMs: 1,
      ...partial,
      ...text,
      stdoutBytes: partial.stdoutBytes ?? new TextEncoder().encode(text.stdout),
      stderrBytes: partial.stderrBytes ?? new TextEncoder().encode(text.stderr),
    };
    if (partial.code !== undefined && partial.outcome === undefined && partial.code !== 0) {
      result.outcome = "failed";
    }
    for (const line of result.stdout.split("\n").slice(0, -1)) options.onStdoutLine?.(line);
    for (const line of result.stderr.split("\n").slice(0, -1)) options.onStderrLine?.(line);
    if (result.stderrBytes.length > 0) options.onStderrChunk?.(result.stderrBytes);
    if (options.onStdoutChunk) {
      // Streamed instead of kept, as the real runner does.
      if (result.stdoutBytes.length > 0) options.onStdoutChunk(result.stdoutBytes);
      return { ...result, stdout: "", stdoutBytes: new Uint8Array(0) };
    }
    return result;
  }

  /** Answers `resolves(target)`, or `resolves("target -F config")` for another config. */
  resolve(target: string, config?: string, _signal?: AbortSignal): Promise<ResolvedTarget | null> {
    const key = config === undefined ? target : `${target} -F ${config}`;
    if (!this.#resolved.has(key)) throw new Error(`unexpected ssh -G ${key}`);
    return Promise.resolve(this.#resolved.get(key)!);
  }

  /**
   * A copy, answered by the stubs like a command: it matches as
   * `push a b -> dest` (or `pull …`), with `--delete`, `--gitignore`,
   * `--exclude=P` and `--dry-run` after the direction when asked for.
   */
  async copy(
    host: Host,
    request: CopyRequest,
    options: Omit<CopyOptions, "mux">,
  ): Promise<CopyResult> {
    const flags = [
      request.delete ? "--delete" : "",
      request.gitignore ? "--gitignore" : "",
      ...(request.exclude ?? []).map((p) => `--exclude=${p}`),
      request.dryRun ? "--dry-run" : "",
    ].filter(Boolean);
    const label = [request.direction, ...flags, ...request.sources, "->", request.dest].join(" ");
    return await this.exec(host, label, { timeoutMs: options.timeoutMs, signal: options.signal });
  }

  /** A stand-in for ssh's argv: what a dry run prints, without resolving anything. */
  argv(host: Host, command: string, _options: RunOptions): Promise<string[]> {
    return Promise.resolve(["ssh", "--", host.ssh, command]);
  }

  /** Fails when a stub was never used: the code under test skipped work it should have done. */
  verify(): void {
    const unused = this.#stubs.filter((s) => s.used === 0);
    if (unused.length > 0) {
      throw new Error(`stubs never used: ${unused.map((s) => s.what).join("; ")}`);
    }
  }
}

/** A clock whose sleeps move time forward at once. */
export function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    wall: () => t,
    sleep: (ms, signal) => {
      if (!signal?.aborted) t += ms;
      return Promise.resolve();
    },
    advance: (ms) => void (t += ms),
  };
}

export type TestDeps = Deps & {
  runner: RecordingRunner;
  clock: ReturnType<typeof fakeClock>;
  out: ReturnType<typeof memoryOutput>;
  controller: AbortController;
  dir: string;
};

/** Deps over a fresh temp state directory; `roster` is written as pool.json when given. */
export async function testDeps(
  roster?: unknown,
  env: Record<string, string> = {},
): Promise<TestDeps> {
  const dir = await Deno.makeTempDir({ prefix: "pool-unit-" });
  const path = join(dir, "pool.json");
  if (roster !== undefined) await Deno.writeTextFile(path, JSON.stringify(roster, null, 2));
  const controller = new AbortController();
  return {
    roster: fileRoster(path),
    ledger: fileLedger(join(dir, "leases.json")),
    jobs: fileJobs(join(dir, "jobs.json")),
    runner: new RecordingRunner(),
    clock: fakeClock(),
    stdin: { kind: () => "none", readAll: () => Promise.resolve(new Uint8Array(0)) },
    out: memoryOutput(),
    signal: controller.signal,
    env: (name) => env[name],
    controller,
    dir,
  };
}

/** What the host probe of an idle 4-CPU, 32 GiB Linux host prints (route and bg tests). */
export const IDLE_LINUX_PROBE = [
  "@@ uname",
  "Linux",
  "@@ loadavg",
  "0.1 0.1 0.1 1/80 100",
  "@@ cpus_allowed",
  "0-3",
  "@@ meminfo",
  `MemTotal: ${32 * 1024 * 1024} kB`,
  `MemAvailable: ${16 * 1024 * 1024} kB`,
  "@@ end",
  "",
].join("\n");

/** The lease of bg job abc123 on h1 (remote pid 10, started "500"), with `over` changed. */
export function jobLease(over: Partial<Lease> = {}): Lease {
  return {
    id: "l",
    host: "h1",
    mem_bytes: 0,
    gpus: [],
    gpu_mem_bytes: 0,
    command: "make",
    pid: 0,
    pid_start: null,
    remote_pid: 10,
    remote_start: "500",
    job: "abc123",
    created_ms: 0,
    ttl_s: 60,
    ...over,
  };
}
