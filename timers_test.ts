import { assert, assertEquals } from "./tests/assert.ts";
import { after, sleep } from "./timers.ts";

Deno.test("after: fires once, after its delay", async () => {
  const started = performance.now();
  let fired = 0;
  await new Promise<void>((done) => after(30, () => (fired++, done())));
  assert(performance.now() - started >= 25);
  await sleep(40);
  assertEquals(fired, 1);
});

Deno.test("after: a cancelled timer never fires", async () => {
  let fired = false;
  const cancel = after(10, () => fired = true);
  cancel();
  await sleep(50);
  assertEquals(fired, false);
});

Deno.test("after: a delay past the 32-bit limit does not wrap into an instant one", async () => {
  let fired = false;
  const cancel = after(2 ** 31 + 5, () => fired = true);
  await sleep(50);
  cancel();
  assertEquals(fired, false);
});

Deno.test("after: a non-finite delay never fires", async () => {
  let fired = false;
  after(Infinity, () => fired = true);
  await sleep(20);
  assertEquals(fired, false);
});

Deno.test("sleep: an abort ends it at once", async () => {
  const stop = new AbortController();
  const started = performance.now();
  const slept = sleep(60_000, stop.signal);
  stop.abort();
  await slept;
  assert(performance.now() - started < 30_000);
});

Deno.test("a pending timer keeps the program alive; a cancelled one does not", async () => {
  const run = async (code: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", `import { after } from "${new URL("./timers.ts", import.meta.url)}";${code}`],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  assertEquals(await run(`after(50, () => console.log("fired"));`), "fired");
  // Bounded generously: a cancelled 10-minute timer must not hold the program that long.
  const started = performance.now();
  assertEquals(
    await run(`after(600_000, () => console.log("fired"))(); console.log("done");`),
    "done",
  );
  assert(performance.now() - started < 60_000);
});

Deno.test("runtime code uses timers.ts, not the global timers that load Deno's Node layer", async () => {
  const offenders: string[] = [];
  const root = new URL(".", import.meta.url).pathname;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) {
        if (!["tests", "bench", "dist", "node_modules", ".git"].includes(entry.name)) {
          await walk(path);
        }
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(path);
        if (/\b(setTimeout|setInterval|clearTimeout)\(/.test(text)) offenders.push(path);
      }
    }
  };
  await walk(root.replace(/\/$/, ""));
  assertEquals(offenders, []);
});
