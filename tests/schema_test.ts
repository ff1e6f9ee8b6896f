/**
 * Every verb's --json output, from real runs against real sshd hosts —
 * successes and failures (unknown host, unreachable, timeout, excluded,
 * usage) — validated with a real JSON Schema validator against schemas/.
 */

import Ajv from "ajv";
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { fleetTest, pool, writeRoster } from "./helpers.ts";
import { readSchema, type SchemaName, SCHEMAS } from "../schemas/mod.ts";

// deno-lint-ignore no-explicit-any
const AjvClass: any = (Ajv as any).default ?? Ajv;
// Strict, except that a `required` key may rely on the open object it names (as for hostvars).
const ajv = new AjvClass({
  allErrors: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});
const validators = new Map<SchemaName, (doc: unknown) => boolean>();
for (const name of SCHEMAS) validators.set(name, ajv.compile(await readSchema(name)));

/** Pretty-printed documents (one per run) rather than one object per line. */
const WHOLE = new Set<SchemaName>(["list", "leases", "inventory", "jobs"]);

/** Checks each JSON document of `stdout` against `schema`; returns them parsed. */
function valid(schema: SchemaName, stdout: string, what: string): Record<string, unknown>[] {
  const lines = WHOLE.has(schema) ? [stdout] : stdout.trim().split("\n").filter(Boolean);
  assert(lines.length > 0, `${what}: no output`);
  return lines.map((line) => {
    const doc = JSON.parse(line);
    const validate = validators.get(schema)! as ((d: unknown) => boolean) & { errors?: unknown };
    assert(validate(doc), `${what} against ${schema}: ${JSON.stringify(validate.errors)}\n${line}`);
    return doc;
  });
}

fleetTest("every verb's --json output matches its published schema", 2, async (t, fleet) => {
  const roster = [
    { name: "h1", tags: ["web"] },
    { name: "h2", tags: ["web"] },
    { name: "down", ssh: "refused" },
    { name: "slow", ssh: "hang" },
    { name: "old", ssh: "refused", exclude: true, tags: ["web"] },
  ];
  await writeRoster(fleet, roster);
  const run = async (schema: SchemaName, args: string[], code?: number) => {
    const r = await pool(fleet, args);
    if (code !== undefined) assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    return valid(schema, r.stdout, args.join(" "));
  };

  await t.step("on: ok, failed, signalled, unreachable, timeout, excluded", async () => {
    const docs = await run("on", ["on", "@web,down,slow", "--json", "--timeout", "3", "exit 3"]);
    const by = Object.fromEntries(docs.map((d) => [d.name, d.status]));
    assertEquals(by, {
      h1: "failed",
      h2: "failed",
      down: "unreachable",
      slow: "timeout",
      old: "excluded",
    });
    await run("on", ["on", "h1,h2", "--json", "kill -SEGV $$"], 139);
    await run("on", ["on", "h1", "--json", "printf '\\377'"], 0);
    await run("on", ["on", "h1,h2", "--dry-run", "--json", "true"], 0);
  });
  await t.step("errors: unknown host, usage, empty selection", async () => {
    const docs = [
      ...await run("error", ["on", "nope", "--json", "true"], 1),
      ...await run("error", ["on", "h1", "--json", "--jbos", "true"], 2),
      ...await run("error", ["status", "--json", "--timeout", "x"], 2),
      ...await run("error", ["on", "@nothing", "--json", "true"], 1),
    ];
    assertEquals(docs.map((d) => (d.error as { kind: string }).kind), [
      "not_in_roster",
      "usage",
      "usage",
      "no_match",
    ]);
    // A --json among the command's words is the command's: the error is text only.
    const r = await pool(fleet, ["on", "nope", "jq", "--json", "."]);
    assertEquals([r.code, r.stdout, r.stderr], [1, "", "pool: not in roster: nope\n"]);
  });
  await t.step("status, refresh, list, hosts, leases, inventory", async () => {
    const status = await run("status", ["status", "--json", "--timeout", "3"], 1);
    // An excluded host is checked too, and marked.
    assertEquals(
      (status[0].hosts as { status: string; excluded?: true }[]).map((h) => [h.status, h.excluded]),
      [["ok", undefined], ["ok", undefined], ["unreachable", undefined], ["timeout", undefined], [
        "unreachable",
        true,
      ]],
    );
    await run("refresh", ["refresh", "--json"], 1);
    await run("list", ["list", "--json", "--timeout", "3"], 0);
    await run("list", ["list", "--json", "--fast"], 0);
    await run("hosts", ["hosts", "--json"], 0);
    await run("leases", ["leases", "--json"], 0);
    await run("inventory", ["inventory", "--list"], 0);
  });
  await t.step("route, bg", async () => {
    await writeRoster(fleet, [{ name: "h1" }, { name: "down", ssh: "refused" }]);
    const [routed] = await run("route", ["route", "--json", "--mem", "1M", "echo hi"], 0);
    assertEquals([routed.name, routed.stdout], ["h1", "hi\n"]);
    await run("error", ["route", "--json", "--mem", "100T", "true"], 75);
    const [job] = await run("bg", ["bg", "--json", "h1", "sleep 1; exit 3"], 0);
    const id = String(job.id);
    await run("jobs", ["jobs", "--json"], 0);
    // A host that did not answer, in every verb's words beside the old `error`.
    const [asked] = await run("jobs", ["jobs", "down", "--json"], 1);
    assertEquals(
      (asked.errors as Record<string, string>[]).map((e) => [e.host, e.status, e.reason]),
      [["down", "unreachable", "refused"]],
    );
    await run("wait", ["wait", "--json", id], 3);
    await run("logs", ["logs", "--json", id], undefined);
    // --json after the host is pool's too: a launch that fails answers as JSON.
    const [failed] = await run("error", ["bg", "down", "--json", "true"], 255);
    assertEquals((failed.error as { exit: number }).exit, 255);
    await run("error", ["bg", "h1", "--json", "--bogus", "true"], 2);
    const [running] = await run("bg", ["bg", "--json", "h1", "sleep 60"], 0);
    await run("kill", ["kill", "--json", String(running.id)], 0);
  });
  await t.step("add, rm, desc, tag, exclude, include, import", async () => {
    await writeRoster(fleet, [{ name: "h1" }]);
    await run("add", ["add", "h2", "h2", "--json", "--tag", "x"], 0);
    await run("add", ["add", "gone", "refused", "--json"], 0);
    await run("error", ["add", "h2", "h2", "--json"], 1);
    await run("desc", ["desc", "h2", "--json", "a", "note"], 0);
    await run("tag", ["tag", "h2", "y", "--json"], 0);
    await run("exclude", ["exclude", "h2", "--json"], 0);
    await run("exclude", ["include", "h2", "--json"], 0);
    await run("rm", ["rm", "gone", "--json"], 0);
    await run("error", ["rm", "gone", "--json"], 1);
    const config = join(fleet.dir, "import_config");
    await Deno.writeTextFile(config, await Deno.readTextFile(fleet.sshConfig));
    await run("import", ["import", "ssh-config", "--file", config, "--dry-run", "--json"], 0);
    const tree = join(fleet.dir, "tree");
    await Deno.mkdir(tree);
    await Deno.writeTextFile(join(tree, "f"), "x");
    await run("push", ["push", "h1", tree, "pushed", "--json"], 0);
    await run("pull", ["pull", "h1", "pushed/tree/f", join(fleet.dir, "back"), "--json"], 0);
    // A host the selection left out is in the answer, as for on, init and clean.
    await run("exclude", ["exclude", "h2", "--json"], 0);
    for (const verb of ["push", "pull"] as const) {
      const paths = verb === "push" ? [tree, "pushed"] : ["pushed/tree/f", join(fleet.dir, "b2")];
      const docs = await run(verb, [verb, "all", ...paths, "--json"], 0);
      assertEquals(docs.map((d) => [d.name, d.status]), [["h2", "excluded"], ["h1", "ok"]]);
    }
  });
  await t.step("init and clean (on a refused host only: nothing runs anywhere)", async () => {
    // A refused host: init and clean fail there at once and touch nothing.
    await writeRoster(fleet, [
      { name: "down", ssh: "refused" },
      { name: "old", ssh: "h1", exclude: true },
    ]);
    await run("init", ["init", "--list", "--json"], 0);
    const [init] = await run("init", ["init", "all", "--json", "--only", "watchdog"], 1);
    // The same words as clean and on: unreachable, with ssh's reason.
    assertEquals(
      (init.hosts as { status: string; reason?: string }[]).map((h) => [h.status, h.reason]),
      [["unreachable", "refused"], ["excluded", undefined]],
    );
    const [clean] = await run("clean", ["clean", "all", "--json", "--dry-run"], 1);
    assertEquals(
      (clean.hosts as { status: string; reason?: string }[]).map((h) => [h.status, h.reason]),
      [["unreachable", "refused"], ["excluded", undefined]],
    );
  });
  await t.step(
    "a host that takes the login and says nothing: timeout, in every verb's words",
    async () => {
      // clean --dry-run on it runs nothing anywhere, and push's first step only asks.
      await writeRoster(fleet, [{ name: "slow", ssh: "hang" }]);
      const [clean] = await run(
        "clean",
        ["clean", "slow", "--json", "--dry-run", "--timeout", "2"],
        1,
      );
      assertEquals(
        (clean.hosts as { status: string; reason?: string }[]).map((h) => [h.status, h.reason]),
        [["timeout", "timeout"]],
      );
      const tree = join(fleet.dir, "tree");
      const [push] = await run(
        "push",
        ["push", "slow", tree, "x", "--json", "--timeout", "2"],
        124,
      );
      // What the host wrote on stderr, which was nothing: not words pool made up.
      assertEquals([push.status, push.stderr], ["timeout", ""]);
      const [added] = await run("add", ["add", "slow2", "hang", "--json"], 0);
      assertEquals(added.status, "timeout", "as import and status say it");
    },
  );
  await t.step("list with hosts left out (unusable): each entry as written, and why", async () => {
    await Deno.writeTextFile(
      fleet.roster,
      JSON.stringify({
        hosts: [{ name: "h1", ssh: "h1" }, { name: "mac mini" }, { name: "box", ssh: "-x" }],
      }),
    );
    const [doc] = await run("list", ["list", "--json", "--fast"], 0);
    const hosts = doc.hosts as { name: string; unusable?: string }[];
    assertEquals(hosts.map((h) => [h.name, h.unusable !== undefined]), [
      ["h1", false],
      ["mac mini", true],
      ["box", true],
    ]);
    // An import that meets a left-out host's name says it is there; adding it failed the import.
    const config = join(fleet.dir, "import_box");
    await Deno.writeTextFile(config, "Host box\n  HostName 127.0.0.1\n");
    const [imported] = await run("import", ["import", "ssh-config", "--file", config, "--json"], 0);
    assertEquals(imported.hosts, [{ name: "box", action: "present" }]);
  });

  await t.step("pool schema prints every schema", async () => {
    const r = await pool(fleet, ["schema"]);
    assertEquals(Object.keys(JSON.parse(r.stdout)).sort(), [...SCHEMAS].sort());
  });
});
