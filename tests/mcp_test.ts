/**
 * pool mcp driven by the MCP SDK's own client over stdio, against real sshd
 * hosts: tools listed, a fan-out with structured per-host results and
 * progress, a route with a memory request, a cancelled run whose remote work
 * ends, and destructive verbs refused unless allowed.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "./assert.ts";
import { childEnv, fleetTest, POOL_ARGV, writeRoster } from "./helpers.ts";
import { assertGone, eventually, running } from "./procs.ts";

async function connect(env: Record<string, string>, args: string[] = []): Promise<Client> {
  const transport = new StdioClientTransport({
    command: POOL_ARGV[0],
    args: [...POOL_ARGV.slice(1), "mcp", ...args],
    env: childEnv(env),
    stderr: "pipe",
  });
  const client = new Client({ name: "pool-test", version: "1" });
  await client.connect(transport);
  return client;
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "t", version: "1" },
  },
};

/** A raw server: requests written on its stdin as lines; its pid, stdout and exit to watch. */
function rawServer(env: Record<string, string>) {
  const child = new Deno.Command(POOL_ARGV[0], {
    args: [...POOL_ARGV.slice(1), "mcp"],
    env: childEnv(env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const send = (...messages: unknown[]) =>
    writer.write(new TextEncoder().encode(messages.map((m) => JSON.stringify(m) + "\n").join("")));
  return { child, send, close: () => writer.close() };
}

type Structured = Record<string, unknown> & { exit: number };

fleetTest("pool mcp serves the fleet to an MCP client", 2, async (t, fleet) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
  const client = await connect(fleet.env);
  try {
    await t.step("lists its tools; destructive ones only when allowed", async () => {
      const names = (await client.listTools()).tools.map((x: { name: string }) => x.name).sort();
      assertEquals(names, [
        "bg",
        "fleet",
        "jobs",
        "kill",
        "logs",
        "push",
        "route",
        "run",
        "status",
      ]);
    });

    await t.step(
      "a fan-out on real hosts gives structured per-host results and progress",
      async () => {
        const progress: number[] = [];
        const r = await client.callTool(
          { name: "run", arguments: { hosts: "h1,h2", command: "echo hi; exit 3" } },
          undefined,
          { onprogress: (p: { progress: number }) => progress.push(p.progress) },
        );
        const s = r.structuredContent as Structured & {
          hosts: { name: string; exit: number; stdout: string }[];
        };
        assertEquals(s.exit, 3);
        assertEquals(
          s.hosts.map((h) => [h.name, h.exit, h.stdout]).sort(),
          [["h1", 3, "hi\n"], ["h2", 3, "hi\n"]],
        );
        // The server's stdin is the protocol's: no note that it is not sent to the hosts.
        const said = (r.content as { text: string }[]).slice(1).map((c) => c.text).join("\n");
        assertEquals(said, "pool: 2 of 2 hosts failed\n  exit 3: h1, h2");
        // One notification per host as it finished (the last may race the result, and be dropped).
        assert(progress.length >= 1 && progress.every((p, i) => p === i + 1), String(progress));
        // A verb that prints one document has no per-host progress: none, not one per line.
        const quiet: number[] = [];
        await client.callTool({ name: "fleet", arguments: { fast: true } }, undefined, {
          onprogress: (p: { progress: number }) => quiet.push(p.progress),
        });
        assertEquals(quiet, []);
      },
    );

    await t.step("routes a command with a memory request", async () => {
      const r = await client.callTool({
        name: "route",
        arguments: { command: "echo routed", mem: "16M" },
      });
      const s = r.structuredContent as Structured;
      assertEquals([s.exit, s.stdout], [0, "routed\n"]);
      assert(["h1", "h2"].includes(s.name as string));
    });

    await t.step("an unknown host is an error result, with its kind", async () => {
      const r = await client.callTool({
        name: "run",
        arguments: { hosts: "nope", command: "true" },
      });
      assertEquals(
        (r.structuredContent as { error: { kind: string } }).error.kind,
        "not_in_roster",
      );
      assert(r.isError);
      // A command no command line can carry is the command's fault, not the host's.
      for (const command of ["echo a\u0000b", "x".repeat(200_000)]) {
        const bad = await client.callTool({ name: "run", arguments: { hosts: "h1", command } });
        assertEquals((bad.structuredContent as { error: { kind: string } }).error.kind, "usage");
      }
      // A path no command line can carry either.
      const nul = await client.callTool({
        name: "push",
        arguments: { hosts: "h1", sources: ["/etc/hostname"], dest: "/tmp/x\u0000y" },
      });
      assertEquals((nul.structuredContent as { error: { kind: string } }).error.kind, "usage");
    });

    await t.step("an argument a tool does not take is an error, and nothing runs", async () => {
      const marker = join(fleet.dir, "guessed-dry-run");
      const r = await client.callTool({
        name: "run",
        arguments: { hosts: "h1", command: `touch '${marker}'`, dry_run: true },
      });
      assert(r.isError);
      assertMatch(JSON.stringify(r.content), /dry_run/);
      assert(!(await Deno.stat(marker).then(() => true, () => false)), "the command ran");
    });

    await t.step("what pool says on stderr comes with the result, as a second text", async () => {
      const bg = await client.callTool({ name: "bg", arguments: { host: "h1", command: "true" } });
      const id = (bg.structuredContent as { id: string }).id;
      await new Promise((r) => setTimeout(r, 1500));
      // The job had ended: nothing to kill, and the reason is pool's words, not the JSON's.
      const r = await client.callTool({ name: "kill", arguments: { id } });
      assert(r.isError);
      const texts = (r.content as { text: string }[]).map((c) => c.text);
      assertEquals(texts.at(-1), `pool: job ${id} had already ended: exited 0`);
      // `exit` is pool's code; the job's own is `job_exit`.
      assertEquals((r.structuredContent as Structured).exit, 1);
      const live = await client.callTool({
        name: "bg",
        arguments: { host: "h1", command: "sleep 31771" },
      });
      const killed = await client.callTool({
        name: "kill",
        arguments: { id: (live.structuredContent as { id: string }).id },
      });
      const k = killed.structuredContent as Structured;
      assertEquals([killed.isError, k.exit, k.job_exit, k.killed], [false, 0, 143, true]);
    });

    await t.step("a run's output is its last 1 MiB of whole lines per stream", async () => {
      const r = await client.callTool({
        name: "run",
        arguments: { hosts: "h1", command: "seq 1 300000; echo err >&2" },
      });
      const [h] = (r.structuredContent as { hosts: Record<string, unknown>[] }).hosts;
      const out = h.stdout as string;
      assert(out.length <= 1024 * 1024, `${out.length} bytes`);
      assert(out.endsWith("\n300000\n"), out.slice(-20));
      const first = Number(out.slice(0, out.indexOf("\n")));
      assertEquals(h.stdout_omitted_lines, first - 1, "whole lines, counted");
      assertEquals([h.stderr, h.stderr_omitted_lines, h.exit], ["err\n", undefined, 0]);
    });

    await t.step("cancelling a run ends the remote work", async () => {
      const cancel = new AbortController();
      const call = client.callTool(
        { name: "run", arguments: { hosts: "h1,h2", command: "sleep 31770", timeout: "0" } },
        undefined,
        { signal: cancel.signal },
      );
      await running("sleep 31770", 2);
      cancel.abort();
      await assertRejects(() => call);
      await assertGone("sleep 31770", "after the client cancelled");
    });

    await t.step("clean is refused without --allow clean", async () => {
      const r = await client.callTool({ name: "clean", arguments: { hosts: "h1", dry_run: true } })
        .catch((e: unknown) => ({ isError: true, error: String(e) }));
      assert(r.isError, JSON.stringify(r));
      const allowed = await connect(fleet.env, ["--allow", "clean"]);
      try {
        const names = (await allowed.listTools()).tools.map((x: { name: string }) => x.name);
        assert(names.includes("clean"), names.join(","));
        // It takes a deadline, as the command line's --timeout does (only accepted here: no hung host).
        const cleaned = await allowed.callTool({
          name: "clean",
          arguments: { hosts: "h1", dry_run: true, timeout: "2m" },
        });
        assert(!cleaned.isError, JSON.stringify(cleaned.content));
      } finally {
        await allowed.close();
      }
    });
  } finally {
    await client.close();
  }
});

fleetTest(
  "pool mcp answers what a client asked before closing stdin, then exits",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const requests = [
      INITIALIZE,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "run", arguments: { hosts: "h1", command: "sleep 1; echo done" } },
      },
      {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "bg", arguments: { host: "h1,h2", command: "true" } },
      },
    ];
    const { child, send, close } = rawServer(fleet.env);
    await send(...requests);
    await close();
    // Bounded: a server that never noticed the end of stdin would run on forever.
    const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const out = await child.output();
    clearTimeout(bound);
    assertEquals(out.code, 0, "exits once stdin has ended and the answers are out");
    const answers = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const byId = new Map(answers.map((a) => [a.id, a]));
    assertEquals(byId.get(2).result.structuredContent.hosts[0].stdout, "done\n");
    // A host given apart from the command is a host: not in the roster, it is refused, never routed.
    assertEquals(byId.get(3).result.structuredContent.error.kind, "not_in_roster");
  },
);

fleetTest(
  "pool mcp writes all of its last answer to a client that reads slowly, then exits",
  1,
  async (_t, fleet) => {
    await writeRoster(fleet, [{ name: "h1" }]);
    const { child, send, close } = rawServer(fleet.env);
    const call = {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "run", arguments: { hosts: "h1", command: "seq 1 100000" } },
    };
    await send(INITIALIZE, { jsonrpc: "2.0", method: "notifications/initialized" }, call);
    await close();
    // Nothing read until the answer far outgrew the pipe (64 KiB) and stdin is long closed.
    await new Promise((r) => setTimeout(r, 3000));
    const bound = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const out = await child.output();
    clearTimeout(bound);
    assertEquals(out.code, 0);
    const answers = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const [h] = answers.find((a) => a.id === 2).result.structuredContent.hosts;
    assert(h.stdout.endsWith("\n100000\n"), "the whole answer");

    // A client that then leaves without reading its answer: pool's stdout was closed, 141.
    const left = rawServer(fleet.env);
    await left.send(INITIALIZE, { jsonrpc: "2.0", method: "notifications/initialized" }, call);
    await left.close();
    await new Promise((r) => setTimeout(r, 3000));
    const reader = left.child.stdout.getReader();
    await reader.read();
    await reader.cancel();
    const gone = setTimeout(() => left.child.kill("SIGKILL"), 60_000);
    const status = await left.child.status;
    clearTimeout(gone);
    assertEquals(status.code, 141);
  },
);

fleetTest("pool mcp stops at once on a signal, and when its client stops reading", 2, async (
  t,
  fleet,
) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
  const call = (id: number, command: string) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "run", arguments: { hosts: "h1,h2", command, timeout: "0" } },
  });

  // No hard stop within the tests' 30 s bound: a pool that needed it is killed there (137, not 143).
  const env = { ...fleet.env, POOL_TEST_STOP_GRACE_MS: "600000" };
  await t.step("SIGTERM mid-call: the remote work ends and so does pool, 143", async () => {
    const { child, send } = rawServer(env);
    await send(INITIALIZE, { jsonrpc: "2.0", method: "notifications/initialized" });
    await send(call(2, "sleep 31771"));
    await running("sleep 31771", 2);
    const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.kill("SIGTERM");
    const out = await child.output();
    clearTimeout(bound);
    assertEquals(out.code, 143, "it needed the hard stop");
    await assertGone("sleep 31771", "after SIGTERM to pool mcp");
  });

  await t.step(
    "a client that stops reading freezes nothing: deadlines and SIGTERM still work",
    async () => {
      const { child, send } = rawServer(env);
      await send(INITIALIZE, { jsonrpc: "2.0", method: "notifications/initialized" });
      // Its stdout is never read: a 3 MB answer fills the pipe, and the server must not wait in it.
      await send({
        ...call(2, "sleep 31773"),
        params: { name: "run", arguments: { hosts: "h1", command: "sleep 31773", timeout: "3s" } },
      });
      await send({
        ...call(3, ""),
        params: { name: "run", arguments: { hosts: "h2", command: "head -c 3000000 /dev/zero" } },
      });
      await running("sleep 31773");
      await assertGone("sleep 31773", "past its 3 s deadline, with the client not reading");
      const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.kill("SIGTERM");
      const status = await child.status;
      clearTimeout(bound);
      assertEquals(status.code, 143, "it needed the hard stop");
      await child.stdout.cancel();
      await child.stderr.cancel();
    },
  );

  await t.step(
    "a client that dies mid-call: the work stops though nothing was written",
    async () => {
      // The client (sh here) starts pool and dies while a call writes nothing; its pipes close.
      const client = new Deno.Command("sh", {
        args: ["-c", '"$@"; :', "sh", ...POOL_ARGV, "mcp"],
        env: childEnv(fleet.env),
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const writer = client.stdin.getWriter();
      const send = (m: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(m) + "\n"));
      await send(INITIALIZE);
      await send({ jsonrpc: "2.0", method: "notifications/initialized" });
      await send(call(2, "sleep 31774"));
      await running("sleep 31774", 2);
      const server = await childOf(client.pid);
      client.kill("SIGKILL");
      await client.status;
      await writer.close();
      await client.stdout.cancel();
      await assertGone("sleep 31774", "after its client died");
      assert(
        await eventually(() => Deno.stat(`/proc/${server}`).then(() => false, () => true), 8_000),
        "pool mcp outlived its client",
      );
    },
  );

  await t.step("a client that closed its end: work stopped, exit 141, no stack trace", async () => {
    const { child, send } = rawServer(fleet.env);
    await send(INITIALIZE, { jsonrpc: "2.0", method: "notifications/initialized" });
    await child.stdout.cancel();
    await send(call(2, "sleep 31772; echo never"));
    const bound = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const status = await child.status;
    clearTimeout(bound);
    const stderr = new TextDecoder().decode(
      (await child.stderr.getReader().read()).value ?? new Uint8Array(),
    );
    assertEquals(status.code, 141, stderr);
    assert(!stderr.includes("EPIPE"), stderr);
    await assertGone("sleep 31772", "after the client went away");
  });
});

/** The pid of `parent`'s one child process. */
async function childOf(parent: number): Promise<number> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    if (Number(stat.split(") ")[1]?.split(" ")[1]) === parent) return Number(entry.name);
  }
  throw new Error(`no child of ${parent}`);
}

fleetTest("pool mcp reads the ssh config and state folder as they are at each call", 2, async (
  t,
  fleet,
) => {
  await writeRoster(fleet, [{ name: "h1" }, { name: "h2" }]);
  const client = await connect(fleet.env);
  /** The address each host's command ran at, as its sshd says. */
  const reached = async (hosts: string) => {
    const r = await client.callTool({
      name: "run",
      arguments: { hosts, command: "echo $SSH_CONNECTION" },
    });
    const s = r.structuredContent as { hosts?: { name: string; stdout: string }[] };
    assert(s.hosts, JSON.stringify(r.content));
    return s.hosts.map((h) => `${h.name} ${h.stdout.split(" ")[2]}`).sort();
  };
  const [a1, a2] = fleet.hosts.map((h) => h.address);
  try {
    await t.step(
      "an alias the ssh config points elsewhere goes there, at the next call",
      async () => {
        assertEquals(await reached("h1"), [`h1 ${a1}`]);
        const config = await Deno.readTextFile(fleet.sshConfig);
        await Deno.writeTextFile(
          fleet.sshConfig,
          config.replace(`Host h1\n  HostName ${a1}\n`, `Host h1\n  HostName ${a2}\n`),
        );
        try {
          // As the command line does: a server resolving h1 once for its life ran on the old host.
          assertEquals(await reached("h1"), [`h1 ${a2}`]);
        } finally {
          await Deno.writeTextFile(fleet.sshConfig, config);
        }
        assertEquals(await reached("h1"), [`h1 ${a1}`]);
      },
    );

    await t.step("a control-socket folder removed between calls is made again", async () => {
      await Deno.remove(join(fleet.dir, "state", "cm"), { recursive: true });
      // Made once for the server's life, every ssh after it failed: its ControlPath's folder gone.
      assertEquals(await reached("h1,h2"), [`h1 ${a1}`, `h2 ${a2}`]);
    });
  } finally {
    await client.close();
  }
});
