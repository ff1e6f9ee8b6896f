/**
 * `pool mcp`: pool's verbs as Model Context Protocol tools on stdio, for
 * coding agents. A front-end like cli.ts: each tool call runs a verb in
 * process with its `--json` output captured as the tool's structured result,
 * its own stop signal (the client's cancellation ends the remote work as
 * Ctrl-C would), and progress notifications as hosts finish.
 *
 * Destructive verbs (init, clean, rm) are tools only when named in --allow
 * (mcp/command.ts checks the names).
 */

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import process from "node:process";
import { Writable } from "node:stream";
import { z } from "zod/v4";
import { VERSION } from "../version.ts";
import { after, sleep } from "../timers.ts";
import { PoolError } from "../errors.ts";
import { abortCode, EXIT, OutputClosed } from "../exit.ts";
import { parseDuration, parseSize } from "../flags.ts";
import { Output, type Sink } from "../render/out.ts";
import type { Deps, Stdin } from "../deps/deps.ts";
import { realDeps } from "../deps/real.ts";
import { forgetResolutions } from "../remote/ssh.ts";
import { list } from "../verbs/list.ts";
import { status } from "../verbs/status.ts";
import { on } from "../verbs/on.ts";
import { route } from "../verbs/route.ts";
import { bg } from "../verbs/bg.ts";
import { jobs } from "../verbs/jobs.ts";
import { logs } from "../verbs/logs.ts";
import { kill } from "../verbs/kill.ts";
import { push } from "../verbs/copy.ts";
import { init } from "../verbs/init.ts";
import { clean } from "../verbs/clean.ts";
import { rm } from "../verbs/rm.ts";

// The SDK infers a handler's argument types from its zod shape, but not across
// Deno's npm type resolution here: the arguments are typed by hand instead.
// deno-lint-ignore no-explicit-any
type Args = Record<string, any>;
type Handler = (args: Args, extra: Extra) => Promise<ReturnType<typeof result>>;
/**
 * Registers a tool whose arguments are exactly its shape's: an unknown key is an error naming it.
 * (A bare shape lets zod drop it: a guessed `dry_run: true` ran for real, a misspelt `timout`
 * took the default.)
 */
function tool(server: McpServer, name: string, config: Record<string, unknown>, handler: Handler) {
  const shape = (config.inputSchema ?? {}) as z.ZodRawShape;
  const strict = { ...config, inputSchema: z.strictObject(shape) };
  // deno-lint-ignore no-explicit-any
  (server.registerTool as any).call(server, name, strict, handler);
}

/** What a verb printed and how it ended, for one tool call. */
interface Captured {
  code: number;
  /** Each JSON document the verb printed (one per line, or one pretty-printed). */
  docs: unknown[];
  stderr: string;
}

/** An Output that keeps stdout for parsing and calls `onLine` for each whole stdout line. */
function capture(onLine: (line: string) => void): Output & { text(): string; errText(): string } {
  let out = "";
  let err = "";
  let pending = "";
  const sink = (take: (t: string) => void): Sink => ({
    write: (bytes) => take(new TextDecoder().decode(bytes)),
    isTerminal: () => false,
  });
  const o = new Output(
    sink((t) => {
      out += t;
      pending += t;
      let nl: number;
      while ((nl = pending.indexOf("\n")) !== -1) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }),
    sink((t) => (err += t)),
  );
  return Object.assign(o, { text: () => out, errText: () => err });
}

function documents(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  try {
    return [JSON.parse(trimmed)];
  } catch {
    return trimmed.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }
}

type Extra = {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (
    n: { method: "notifications/progress"; params: Record<string, unknown> },
  ) => Promise<void>;
};

/** The verbs running now: a client that closed stdin still gets the answers it asked for. */
const running = new Set<Promise<Captured>>();

/** Trips when the server stops serving: pool was signalled, or the client stopped reading. */
let serving = new AbortController().signal;

/** Runs `verb` with real dependencies, captured output and this call's own stop signal. */
function runVerb(
  extra: Extra,
  verb: (deps: Deps) => Promise<number>,
  streaming = false,
): Promise<Captured> {
  const run = runVerbNow(extra, verb, streaming);
  running.add(run);
  run.finally(() => running.delete(run)).catch(() => {});
  return run;
}

async function runVerbNow(
  extra: Extra,
  verb: (deps: Deps) => Promise<number>,
  streaming: boolean,
): Promise<Captured> {
  // Each call is a run of its own: it reads the ssh config as it is now, as a command line would.
  forgetResolutions();
  // This call stops when its client cancels it, or when the whole server stops.
  const stop = new AbortController();
  const cancel = () => stop.abort(serving.aborted ? serving.reason : undefined);
  if (extra.signal.aborted || serving.aborted) cancel();
  extra.signal.addEventListener("abort", cancel, { once: true });
  serving.addEventListener("abort", cancel, { once: true });
  let done = 0;
  const token = extra._meta?.progressToken;
  const out = capture(() => {
    // Streaming verbs (run, push) print a line per host as it finishes: that is the progress.
    // The others print one document, whose lines are no measure of anything.
    if (token === undefined || !streaming) return;
    done++;
    extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress: done },
    }).catch(() => {});
  });
  let code: number;
  try {
    // The server's stdin is the protocol's: a verb sees none (no note that it is not sent).
    code = await verb({ ...realDeps(out, stop.signal), stdin: NO_STDIN });
  } catch (e) {
    if (!(e instanceof PoolError)) throw e;
    const kind = e.kind;
    return {
      code: e.exitCode,
      docs: [{ error: { kind, message: e.message, exit: e.exitCode } }],
      stderr: out.errText(),
    };
  } finally {
    extra.signal.removeEventListener("abort", cancel);
    serving.removeEventListener("abort", cancel);
  }
  return { code, docs: documents(out.text()), stderr: out.errText() };
}

/**
 * A call's answer: the verb's JSON, and what pool said on stderr (a warning, why a kill
 * found nothing to kill) as a second text, as a terminal would have shown it.
 */
function result(c: Captured, shape: (docs: unknown[]) => Record<string, unknown>) {
  // `exit` is pool's code, whatever the document holds (a tool whose document has an exit of
  // its own names it otherwise: kill's `job_exit`).
  const structured = { ...shape(c.docs), exit: c.code };
  const said = c.stderr.trim();
  return {
    content: [
      { type: "text" as const, text: JSON.stringify(structured) },
      ...(said ? [{ type: "text" as const, text: said }] : []),
    ],
    structuredContent: structured,
    isError: c.code !== 0,
  };
}

const one = (docs: unknown[]) => (docs[0] ?? {}) as Record<string, unknown>;

const NO_STDIN: Stdin = {
  kind: () => "none",
  readAll: () => Promise.resolve(new Uint8Array(0)),
};

/**
 * An MCP answer carries its output twice (text and structured), in one message: a client gets
 * the last 1 MiB of a log, and of each stream of each host of a run (a `cat` of a 30 MB file
 * took the server to 2 GB). The command itself runs to its end.
 */
const MCP_LOG_LIMIT = 1024 * 1024;
const MCP_OUTPUT_LIMIT = 1024 * 1024;
const hostsOf = (docs: unknown[]) => ({ hosts: docs });

export function buildServer(allow: readonly string[]): McpServer {
  const server = new McpServer({ name: "pool", version: VERSION });
  const ms = (text: string | undefined, flag: string) =>
    text === undefined ? undefined : parseDuration(text, flag);

  tool(
    server,
    "fleet",
    {
      title: "Fleet",
      description: "The roster with each host's live load, RAM, GPUs and disk (pool list --json).",
      inputSchema: { fast: z.boolean().optional().describe("roster only, no probing") },
    },
    async ({ fast }: Args, extra: Extra) =>
      result(await runVerb(extra, (d) => list({ json: true, fast }, d)), one),
  );

  tool(server, "status", {
    title: "Status",
    description: "Which hosts answer over ssh, the round trip, or why not (pool status --json).",
    inputSchema: { timeout: z.string().optional().describe("per-host deadline: 10s, 1m") },
  }, async ({ timeout }: Args, extra: Extra) =>
    result(
      await runVerb(extra, (d) => status({ json: true, timeout: ms(timeout, "timeout") }, d)),
      one,
    ));

  tool(server, "run", {
    title: "Run a command",
    description:
      "Run a shell command on a selection of hosts (a name, all, h1,h2, @tag, h[1-4]); one result per host with exit, status, stdout, stderr (pool on --json). Progress is reported per host; cancelling ends the command on every host.",
    inputSchema: {
      hosts: z.string().describe("host selection"),
      command: z.string().describe("run by each host's login shell"),
      exclude: z.array(z.string()).optional().describe("selections to leave out"),
      timeout: z.string().optional().describe("per-host deadline (default 30s; 0 = none)"),
      jobs: z.number().int().positive().optional(),
    },
  }, async ({ hosts, command, exclude, timeout, jobs }: Args, extra: Extra) => {
    const c = await runVerb(
      extra as Extra,
      (d) =>
        on({
          hosts,
          exclude,
          command: [command],
          json: true,
          timeout: ms(timeout, "timeout"),
          jobs,
          keepLast: MCP_OUTPUT_LIMIT,
        }, d),
      true,
    );
    return result(c, (docs) => ("error" in one(docs) ? one(docs) : hostsOf(docs)));
  });

  tool(server, "route", {
    title: "Route a command",
    description:
      "Run a command on the host with the most room (or least load), reserving RAM/GPUs while it runs; exit 75 when nothing fits (pool route --json).",
    inputSchema: {
      command: z.string(),
      mem: z.string().optional().describe("RAM the job needs: 17G, 512M"),
      gpus: z.number().int().min(0).optional(),
      gpu_mem: z.string().optional(),
      wait: z.string().optional().describe(
        "how long to wait for room: 90s, 10m (0 = no limit; leave it out not to wait)",
      ),
      timeout: z.string().optional().describe("the command's ceiling (default 1h; 0 = none)"),
    },
  }, async (a: Args, extra: Extra) =>
    result(
      await runVerb(extra, (d) =>
        route([a.command], {
          json: true,
          mem: a.mem === undefined ? undefined : parseSize(a.mem, "mem"),
          gpus: a.gpus,
          gpuMem: a.gpu_mem === undefined ? undefined : parseSize(a.gpu_mem, "gpu_mem"),
          wait: ms(a.wait, "wait"),
          timeout: ms(a.timeout, "timeout"),
          keepLast: MCP_OUTPUT_LIMIT,
        }, d)),
      one,
    ));

  tool(server, "bg", {
    title: "Start a job",
    description:
      "Start a command detached on a host (or routed with mem/gpus) and return its job id (pool bg --json).",
    inputSchema: {
      command: z.string(),
      host: z.string().optional().describe("a host name; without it the job is routed"),
      mem: z.string().optional(),
      gpus: z.number().int().min(0).optional(),
    },
  }, async (a: Args, extra: Extra) =>
    result(
      await runVerb(extra, (d) =>
        bg([a.command], {
          host: a.host,
          json: true,
          mem: a.mem === undefined ? undefined : parseSize(a.mem, "mem"),
          gpus: a.gpus,
        }, d)),
      one,
    ));

  tool(
    server,
    "jobs",
    {
      title: "Jobs",
      description: "The jobs bg started: state, exit code, run time (pool jobs --json).",
      inputSchema: { all: z.boolean().optional() },
    },
    async ({ all }: Args, extra: Extra) =>
      result(await runVerb(extra, (d) => jobs({ json: true, all }, d)), one),
  );

  tool(
    server,
    "logs",
    {
      title: "Job log",
      description: "A job's log so far, at most its last 1 MiB (omitted_lines says how many " +
        "lines went before; pool logs --json).",
      inputSchema: { id: z.string(), tail: z.number().int().positive().optional() },
    },
    async ({ id, tail }: Args, extra: Extra) =>
      result(
        await runVerb(extra, (d) => logs(id, { json: true, tail, jsonLimit: MCP_LOG_LIMIT }, d)),
        one,
      ),
  );

  tool(
    server,
    "kill",
    {
      title: "Stop a job",
      description: "End a job's whole process group; its lease goes with it (pool kill --json).",
      inputSchema: {
        id: z.string(),
        signal: z.string().optional().describe("TERM (default), INT, KILL…"),
      },
    },
    async ({ id, signal }: Args, extra: Extra) =>
      result(await runVerb(extra, (d) => kill(id, { json: true, signal }, d)), (docs) => {
        // The job's own exit code, beside pool's (`exit`: 0 when the kill did what it should).
        const { exit, ...doc } = one(docs);
        return exit === undefined ? doc : { ...doc, job_exit: exit };
      }),
  );

  tool(server, "push", {
    title: "Push files",
    description:
      "Copy local paths to a directory on every selected host (rsync, else tar) (pool push --json).",
    inputSchema: { hosts: z.string(), sources: z.array(z.string()).min(1), dest: z.string() },
  }, async ({ hosts, sources, dest }: Args, extra: Extra) =>
    result(
      await runVerb(extra, (d) => push({ hosts, sources, dest, json: true }, d), true),
      (docs) => "error" in one(docs) ? one(docs) : hostsOf(docs),
    ));

  if (allow.includes("init")) {
    tool(server, "init", {
      title: "Bootstrap hosts (destructive)",
      description: "Install pool's defences on hosts as root (pool init --json).",
      inputSchema: {
        hosts: z.string(),
        only: z.array(z.string()).optional(),
        dry_run: z.boolean().optional(),
        timeout: z.string().optional().describe(
          "a host's whole init (default none; each feature 10m)",
        ),
      },
    }, async (a: Args, extra: Extra) =>
      result(
        await runVerb(extra, (d) =>
          init({
            hosts: a.hosts,
            only: a.only,
            dryRun: a.dry_run,
            json: true,
            timeout: ms(a.timeout, "timeout"),
          }, d)),
        one,
      ));
  }
  if (allow.includes("clean")) {
    tool(server, "clean", {
      title: "Clean disks (destructive)",
      description: "Delete old temp files, logs and caches on hosts as root (pool clean --json).",
      inputSchema: {
        hosts: z.string(),
        deep: z.boolean().optional(),
        dry_run: z.boolean().optional(),
        timeout: z.string().optional().describe("per host (default 30m; 0 = none)"),
      },
    }, async (a: Args, extra: Extra) =>
      result(
        await runVerb(extra, (d) =>
          clean({
            hosts: a.hosts,
            deep: a.deep,
            dryRun: a.dry_run,
            json: true,
            timeout: ms(a.timeout, "timeout"),
          }, d)),
        one,
      ));
  }
  if (allow.includes("rm")) {
    tool(
      server,
      "rm",
      {
        title: "Remove a host (destructive)",
        description: "Remove a host from the roster (pool rm --json).",
        inputSchema: { name: z.string() },
      },
      async ({ name }: Args, extra: Extra) =>
        result(await runVerb(extra, (d) => rm(name, true, d)), one),
    );
  }
  return server;
}

/**
 * Our stdout for the SDK's transport, written asynchronously: node's process.stdout
 * writes a pipe synchronously, so a client that stops reading would freeze the whole
 * server (deadlines, signals, other calls) inside one write. Past the stream's high
 * water mark the SDK waits for "drain", and only that answer waits.
 */
function asyncStdout(): Writable {
  return new Writable({
    write(chunk: Uint8Array, _encoding, done) {
      (async () => {
        for (let at = 0; at < chunk.length;) at += await Deno.stdout.write(chunk.subarray(at));
      })().then(() => done(), (e) => done(e as Error));
    },
  });
}

/** How often, once stdin has ended, pool looks whether the client that started it is alive. */
const CLIENT_CHECK_MS = 500;

/**
 * Once stdin has ended, the client either asked all it will (`printf … | pool mcp`: it waits
 * for the answers) or died. A dead client is noticed at the next write, but a call waiting for
 * room writes nothing for as long as it waits, then would start its command for nobody. The
 * client that started pool is its parent (`parent`, read at start: by the time stdin ends, a
 * dead client is already gone): when pool has been handed to another (init, a subreaper), that
 * client is gone, and the calls in flight stop as when it stops reading.
 */
function watchClient(gone: AbortController, parent: number): () => void {
  let stop = () => {};
  const check = () => {
    if (Deno.ppid !== parent) gone.abort(new OutputClosed());
    else stop = after(CLIENT_CHECK_MS, check);
  };
  check();
  return () => stop();
}

/** Serves until stdin closes. */
export async function serve(allow: readonly string[], signal?: AbortSignal): Promise<number> {
  const parent = Deno.ppid;
  const server = buildServer(allow);
  const stdout = asyncStdout();
  const transport = new StdioServerTransport(process.stdin, stdout);
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  // A client that stopped reading (its stdout pipe closed): nobody is left to answer, so
  // the calls in flight stop as for Ctrl-C, and pool ends quietly (141), as any verb does.
  const gone = new AbortController();
  stdout.on("error", () => gone.abort(new OutputClosed()));
  serving = signal ? AbortSignal.any([signal, gone.signal]) : gone.signal;
  // The calls in flight end first (answered, or stopped with their remote work and leases),
  // then the transport closes, and serve() returns.
  const finish = async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
    await transport.close().catch(() => {});
  };
  serving.addEventListener("abort", finish, { once: true });
  await server.connect(transport);
  // The SDK's transport does not notice the end of stdin. When it comes, the client has
  // asked all it will: what it asked is answered (`printf '…' | pool mcp` gets its
  // replies), then pool ends.
  process.stdin.once("end", async () => {
    const stopWatching = watchClient(gone, parent);
    await sleep(0); // the last requests start
    while (running.size > 0) await Promise.allSettled([...running]);
    stopWatching();
    await sleep(50); // and their answers go out
    await finish();
  });
  await closed;
  // Every answer written out before pool exits: a client that reads slowly still gets the
  // whole of the last one. Not after a signal (pool stops now, as every verb does), nor for a
  // client that stopped reading for good (nobody is left to answer).
  if (!serving.aborted) {
    await new Promise<void>((resolve) => {
      // end()'s callback comes with the write's error, before the stream's "error" event:
      // a client gone without its answer is a closed stdout (141), not a success.
      stdout.end((error?: Error | null) => {
        if (error) gone.abort(new OutputClosed());
        resolve();
      });
      gone.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }
  return gone.signal.aborted ? EXIT.brokenPipe : serving.aborted ? abortCode(serving) : 0;
}
