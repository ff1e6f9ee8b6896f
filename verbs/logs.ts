/**
 * `pool logs ID [-f] [--tail N] [--json]`: a `pool bg` job's output. With
 * -f it follows the log until the job ends, then exits with the job's code.
 */

import { failedOnHost } from "../exit.ts";
import { Command } from "commander";
import { PoolError } from "../errors.ts";
import { countOption, durationOption } from "../flags.ts";
import { stateCode, stateWords } from "../render/jobs.ts";
import { failureReason } from "../remote/exec.ts";
import { passThrough } from "../remote/foreground.ts";
import { followCommand } from "../remote/jobs.ts";
import { ByteLines } from "../remote/lines.ts";
import { textField } from "../render/fanout.ts";
import { jsonLine } from "../render/json_line.ts";
import { LogTail } from "../bytes.ts";
import { jobState } from "../probes/mod.ts";
import { askHosts, locateJobs } from "../dispatch/jobs.ts";
import type { Deps, Run } from "../deps/deps.ts";

export interface LogsOptions {
  follow?: boolean;
  tail?: number;
  json?: boolean;
  /** --json without -f: the most characters of the log one object holds (its end is kept). */
  jsonLimit?: number;
  /** How long to read (and with -f, follow): by default 1 min to print, no end to follow. */
  timeout?: number;
}

/**
 * What one `logs --json` object holds at most: the log is one string in it, and a
 * job can write gigabytes (a 400 MB log took pool past V8's heap). The end is kept.
 */
const JSON_LOG_LIMIT = 16 * 1024 * 1024;

/** The follow script says this when the host has no such job. */
const NO_SUCH_JOB = 3;
const PRINT_TIMEOUT_MS = 60_000;

export async function logs(id: string, options: LogsOptions, deps: Deps): Promise<number> {
  const host = (await locateJobs(deps, [id])).get(id)!;
  const follow = options.follow ?? false;
  const tail = new LogTail(options.jsonLimit ?? JSON_LOG_LIMIT);
  // Following as JSON, a line a object: its exact bytes (a `\r` kept; base64 beside a lossy
  // string where they are not UTF-8), and a last line the log has not ended marked partial.
  const lines = new ByteLines((line, whole) =>
    deps.out.outLine(
      jsonLine({ id, ...textField("line", line), ...(whole ? {} : { partial: true }) }),
    )
  );
  const result = await deps.runner.exec(
    host,
    followCommand(id, options.tail ?? "all", follow),
    {
      timeoutMs: options.timeout ?? (follow ? Infinity : PRINT_TIMEOUT_MS),
      signal: deps.signal,
      // Text passes through byte for byte, as `pool on <host>` passes it, and is not kept: a
      // log can be large. JSON takes it line by line instead.
      ...passThrough(deps.out),
      // JSON takes the bytes (their end, past the limit) or, following, line by line.
      ...(options.json && follow
        ? { stdoutInherit: false, onStdoutChunk: (chunk: Uint8Array) => lines.push(chunk) }
        : options.json
        ? { stdoutInherit: false, onStdoutChunk: (chunk: Uint8Array) => tail.push(chunk) }
        : {}),
    },
  );
  lines.end();
  if (result.outcome === "interrupted") return result.code;
  if (result.outcome === "timeout" && follow) {
    throw new PoolError(
      `stopped following ${id} at --timeout: it may still run on ${host.name} ` +
        `(pool wait ${id}, pool kill ${id})`,
      result.code,
    );
  }
  if (result.outcome !== "ok") {
    if (result.code === NO_SUCH_JOB) throw new PoolError(`no job ${id} on ${host.name}`);
    throw new PoolError(
      `cannot read the log of ${id} on ${host.name}: ${failureReason(result)}`,
      failedOnHost(result.outcome, result.code),
    );
  }
  if (!follow) {
    if (options.json) {
      const log = tail.bytes();
      const cut = tail.dropped > 0 ? { omitted_lines: tail.dropped } : {};
      deps.out.outLine(jsonLine({ id, host: host.name, ...textField("log", log), ...cut }));
      if (tail.dropped > 0) {
        deps.out.errLine(
          `pool: note: the log's first ${tail.dropped} lines left out: --json holds its end ` +
            `(pool logs ${id} prints all of it)`,
        );
      }
    }
    return 0;
  }
  // The log is over because the job is: its record says how it ended.
  const [reply] = await askHosts(deps, [{ host, ids: [id] }]);
  const job = reply.answer?.jobs.find((j) => j.id === id);
  if (!job) {
    // A host that did not answer says so in its code (255, 124), as logs, kill and wait do.
    throw new PoolError(
      `cannot learn how ${id} ended on ${host.name}: ${reply.error ?? "gone"}`,
      failedOnHost(reply.status ?? "failed", reply.code ?? 1),
    );
  }
  const s = jobState(job);
  if (options.json) {
    deps.out.outLine(jsonLine({ id, host: host.name, state: s.state, exit: stateCode(s) }));
  }
  if (s.state === "lost") {
    throw new PoolError(`job ${id} on ${host.name} was lost: its process is gone, no exit code`);
  }
  if (s.state === "killed") deps.out.errLine(`pool: job ${id} ${stateWords(s)}`);
  return stateCode(s);
}

export const logsCommand = (run: Run) =>
  new Command("logs")
    .description("print a job's log; -f follows it until the job ends, then exits with its code")
    .argument("<id>", "the job (pool jobs lists them)")
    .option("-f, --follow", "keep printing as the log grows, until the job ends")
    .addOption(countOption("--tail <n>", "only the last n lines (then what follows, with -f)"))
    .addOption(
      durationOption(
        "--timeout <duration>",
        "stop after this long: exit 124 (default 1m; with -f none, and the job runs on)",
      ),
    )
    .option(
      "--json",
      "one JSON object, at most the log's last 16 MiB (with -f: one a line, then how the job ended)",
    )
    .addHelpText(
      "after",
      `
Exit: 0; with -f the job's own code (128+n when signal n ended it), 1 when it was lost, 124 at
--timeout.
Examples:
  pool logs k3x9q2 --tail 50
  pool logs -f k3x9q2 && echo done`,
    )
    .action((id: string, opts: LogsOptions) => run((deps) => logs(id, opts, deps)));
