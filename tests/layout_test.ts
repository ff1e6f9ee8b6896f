/** Rules of the tree that a reader relies on, checked rather than hoped for. */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { EXIT_MEANINGS } from "../exit.ts";
import { exitCodesHelp } from "../cli.ts";
import { pool } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      found.push(join(dir, e.name));
    }
  }
  return found;
}

Deno.test("no verb imports another verb", async () => {
  for (const file of await sources("verbs")) {
    const text = await Deno.readTextFile(join(ROOT, file));
    const local = [...text.matchAll(/from "\.\/([^"]+)"/g)].map((m) => m[1]);
    assertEquals(local, [], `${file} imports ${local.join(", ")}`);
  }
});

/** The folders of the tree that `file` imports from (`..` and `.` paths only). */
async function importedFolders(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(ROOT, file));
  return [...text.matchAll(/from "(\.\.?\/[^"]+)"/g)].map((m) =>
    join(file, "..", m[1]).split("/").slice(0, -1).join("/") || "."
  );
}

Deno.test("probes/ and features/ import nothing of ours; remote/ nothing of verbs", async () => {
  for (const dir of ["probes", "features"]) {
    for (const file of await sources(dir)) {
      const outside = (await importedFolders(file)).filter((d) => d !== dir);
      assertEquals(outside, [], `${file} imports from ${outside.join(", ")}`);
    }
  }
  for (const file of await sources("remote")) {
    const verbs = (await importedFolders(file)).filter((d) => d === "verbs");
    assertEquals(verbs, [], `${file} imports a verb`);
  }
});

Deno.test("one shell-quoting function in the whole tree", async () => {
  const quoting: string[] = [];
  for (
    const dir of [
      ".",
      "verbs",
      "remote",
      "render",
      "roster",
      "dispatch",
      "deps",
      "scripts",
      "bench",
      "state",
      "ledger",
    ]
  ) {
    for (const file of await sources(dir)) {
      if ((await Deno.readTextFile(join(ROOT, file))).includes(`'\\\\''`)) quoting.push(file);
    }
  }
  assertEquals(quoting, ["remote/quote.ts"]);
});

Deno.test("the README's exit-code table and --help say what exit.ts says", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.slice(readme.indexOf("## Exit codes"), readme.indexOf("## JSON"));
  const codes = [...section.matchAll(/^\| (\S+) +\|/gm)].map((m) => m[1]).filter((c) =>
    c !== "code" && !/^-+$/.test(c)
  );
  assertEquals(codes, EXIT_MEANINGS.map(([code]) => code));
  const help = await pool({ env: {} }, ["--help"]);
  assert(help.stdout.includes(exitCodesHelp()), help.stdout);
});

/** Lines of the README's sh blocks, the commands its lists open with, and every --help's examples. */
async function examples(): Promise<string[]> {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
  const items = [...readme.matchAll(/^\s*- `([^`]+)`/gm)].map((m) => m[1]);
  const lines = [...blocks, ...items].filter((l) => l.trim() !== "");
  const dir = await Deno.makeTempDir();
  const { VERBS } = await import("../cli.ts");
  for (const verb of ["", ...Object.keys(VERBS)]) {
    const help = await pool({ env: { HOME: dir, POOL_STATE: join(dir, "pool.json") } }, [
      ...(verb ? [verb] : []),
      "--help",
    ]);
    lines.push(
      ...help.stdout.split("\n").filter((l) =>
        /^\s*(pool|source|export|pdsh|parallel-ssh) /.test(l)
      ),
    );
  }
  return lines;
}

/** A line without what single and double quotes hold. */
function unquoted(line: string): string {
  return line.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

Deno.test("no example would trip history expansion when typed into bash or zsh", async () => {
  // A `!` outside single quotes is history expansion at an interactive prompt.
  const risky = (await examples()).filter((l) => l.replace(/'[^']*'/g, "").includes("!"));
  assertEquals(risky, []);
});

Deno.test("no example carries a # comment: interactive zsh would pass it on as words", async () => {
  // zsh leaves interactivecomments off: `pool hosts  # names` runs pool with '#' and 'names'.
  const commented = (await examples()).filter((l) => /(^|\s)#/.test(unquoted(l)));
  assertEquals(commented, []);
});

Deno.test("version.ts says the version deno.json says", async () => {
  const { VERSION } = await import("../version.ts");
  const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assertEquals(VERSION, denoJson.version);
});

Deno.test("deno task compile bakes in the V8 flags every other form of the bundle runs with", async () => {
  const { BUNDLE_RUN_FLAGS } = await import("../scripts/build.ts");
  const denoJson = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const v8 = BUNDLE_RUN_FLAGS.filter((f) => f.startsWith("--v8-flags"));
  assertEquals(v8.length > 0 && v8.every((f) => denoJson.tasks.compile.includes(` ${f} `)), true);
});

Deno.test("each verb is keyed by the name its command is typed as", async () => {
  const { VERBS, verbAlone } = await import("../cli.ts");
  for (const [name, verb] of Object.entries(VERBS)) {
    assertEquals((await verb())(() => Promise.resolve()).name(), name);
  }
  assertEquals([verbAlone(["on", "all"]), verbAlone(["completions", "bash"])], ["on", undefined]);
  assertEquals([verbAlone(["--help"]), verbAlone(["onn"]), verbAlone([])], [
    undefined,
    undefined,
    undefined,
  ]);
});

Deno.test("every example gives pool the same words typed into bash and zsh as run from a script", async () => {
  // Redirections are left out: they would write files, and they are not pool's words. So are
  // synopses (`pool logs ID [-f]`): not typed as they stand.
  const lines = (await examples())
    .map((l) => l.trim())
    .filter((l) => l.startsWith("pool ") && !/[<>]| \[|\.\.\./.test(unquoted(l)));
  const dir = await Deno.makeTempDir();
  // pool itself is a function that writes down the words it got, example by example.
  const words = async (shell: string, args: string[]): Promise<string[]> => {
    const log = join(dir, `${shell}.log`);
    const script = [
      `pool() { printf '%s\\037' "$__example" "$@" >> '${log}'; printf '\\036' >> '${log}'; }`,
      ...lines.map((line, i) => `__example=${i}\n${line}`),
      "exit 0",
    ].join("\n") + "\n";
    const child = new Deno.Command(shell, {
      args,
      cwd: dir,
      env: { HOME: dir, PATH: "/usr/bin:/bin", TERM: "dumb" },
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(script));
    await w.close();
    await child.status;
    const got = new Array(lines.length).fill("(pool never ran)");
    for (const call of (await Deno.readTextFile(log).catch(() => "")).split("\x1e")) {
      const [i, ...rest] = call.split("\x1f");
      if (i !== "") got[Number(i)] = rest.join(" | ");
    }
    return got.map((g, i) => `${lines[i]}  =>  ${g}`);
  };
  const script = await words("bash", ["--norc", "--noprofile", "-s"]);
  assertEquals(await words("bash", ["--norc", "--noprofile", "-i", "-s"]), script, "bash -i");
  assertEquals(await words("zsh", ["-f", "-i", "-s"]), script, "zsh -i");
});

Deno.test("every one-line JSON document pool prints goes through jsonLine", async () => {
  // JSON.stringify leaves U+0085, U+2028 and U+2029 raw, and Python's splitlines() ends lines
  // there: a host's text in a document read line by line would cut it (render/json_line.ts).
  const raw: string[] = [];
  for (const dir of ["verbs", "render", "mcp"]) {
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
      const text = await Deno.readTextFile(join(ROOT, dir, entry.name));
      for (const m of text.matchAll(/outLine\(\s*JSON\.stringify\(([^;]*?)\);/gs)) {
        if (!/,\s*null,\s*2\s*\)$/.test(m[1])) {
          raw.push(`${dir}/${entry.name}: ${m[0].slice(0, 60)}`);
        }
      }
    }
  }
  assertEquals(raw, []);
});
