import { assert, assertEquals } from "../tests/assert.ts";
import { localShortage, OutOfLocalResources, runProcess, STDERR_KEPT, textOf } from "./process.ts";

Deno.test("runProcess() returns once the child exits, even if a grandchild keeps its pipes", async () => {
  // The grandchild holds the pipes for 10 minutes: returning at all is the proof, and 30 s bounds
  // a hang, it is no speed test. The grandchild is ended afterwards, by its number.
  const pidFile = await Deno.makeTempFile();
  try {
    const started = performance.now();
    const r = await runProcess(
      ["sh", "-c", `echo out; echo err >&2; (sleep 600 & echo $! > ${pidFile}) ; exit 3`],
      { timeoutMs: 60_000 },
    );
    assertEquals([r.code, r.outcome, r.stdout, r.stderr], [3, "failed", "out\n", "err\n"]);
    assert(performance.now() - started < 30_000, "waited on the grandchild");
  } finally {
    const pid = Number(await Deno.readTextFile(pidFile));
    try {
      if (pid > 0) Deno.kill(pid, "SIGKILL");
    } catch { /* ended already */ }
    await Deno.remove(pidFile);
  }
});

Deno.test("runProcess() kills the whole group at the deadline: exit 124", async () => {
  const r = await runProcess(["sh", "-c", "echo begun; sleep 30 | cat"], { timeoutMs: 300 });
  assertEquals([r.code, r.outcome, r.stdout], [124, "timeout", "begun\n"]);
});

Deno.test("runProcess() stops on abort: exit 130", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const r = await runProcess(["sleep", "30"], { timeoutMs: 10_000, signal: controller.signal });
  assertEquals([r.code, r.outcome], [130, "interrupted"]);
});

Deno.test("runProcess() reports death by signal as 128 + n, from the full signal table", async () => {
  const cases: [string, number][] = [["TERM", 143], ["SEGV", 139], ["USR1", 138], ["XCPU", 152]];
  for (const [signal, code] of cases) {
    const r = await runProcess(["sh", "-c", `kill -${signal} $$`], { timeoutMs: 10_000 });
    assertEquals([r.code, r.outcome], [code, "signalled"], signal);
  }
});

Deno.test("runProcess() keeps output byte for byte: carriage returns, invalid UTF-8, no added newline", async () => {
  const r = await runProcess(["sh", "-c", "printf 'a\\r\\nb\\377'"], { timeoutMs: 10_000 });
  assertEquals([...r.stdoutBytes], [0x61, 0x0d, 0x0a, 0x62, 0xff]);
});

Deno.test("runProcess() never kills early on a deadline no timer can hold", async () => {
  const r = await runProcess(["sh", "-c", "sleep 0.3; echo done"], { timeoutMs: Infinity });
  assertEquals([r.code, r.stdout], [0, "done\n"]);
});

Deno.test("runProcess() feeds input to stdin and reads every byte of a large output", async () => {
  const r = await runProcess(["sh", "-c", "cat; head -c 300000 /dev/zero | tr '\\\\0' x"], {
    timeoutMs: 10_000,
    input: "payload\n",
  });
  // Byte for byte: nothing added (no closing newline), nothing taken.
  assertEquals(r.stdout.length, "payload\n".length + 300000);
});

Deno.test("runProcess() puts the child at the head of its own process group, and a missing program fails the spawn", async () => {
  const r = await runProcess(["sh", "-c", "ps -o pid= -o pgid= -p $$"], { timeoutMs: 10_000 });
  const [pid, pgid] = r.stdout.trim().split(/\s+/);
  assertEquals(pid, pgid);
  let failed: unknown;
  await runProcess(["pool-no-such-program"], { timeoutMs: 10_000 }).catch((e) => failed = e);
  assert(failed instanceof Deno.errors.NotFound, String(failed));
});

Deno.test("runProcess() hands stdout to onStdoutChunk instead of keeping it", async () => {
  const chunks: Uint8Array[] = [];
  const lines: string[] = [];
  const r = await runProcess(["sh", "-c", "seq 1 20000; printf 'last'"], {
    timeoutMs: 10_000,
    onStdoutChunk: (chunk) => chunks.push(chunk),
    onStdoutLine: (line) => lines.push(line),
  });
  const streamed = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  const expected = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join("") + "last";
  assertEquals([r.code, r.stdout, r.stdoutBytes.length], [0, "", 0]);
  assertEquals(streamed, expected);
  assertEquals(lines.length, 20001);
});

Deno.test("runProcess() takes its marker out wherever a login shell's words put it on the line", async () => {
  const markers: string[] = [];
  const r = await runProcess(
    [
      "sh",
      "-c",
      "printf noise >&2; echo '@@pool-N 42 bash' >&2; echo err >&2; echo '@@pool-N 1' >&2",
    ],
    { timeoutMs: 10_000, marker: { prefix: "@@pool-N ", onMarker: (line) => markers.push(line) } },
  );
  // The supervisor's last word is pool's too, taken out; the rest is the command's, byte for byte.
  assertEquals(markers, ["@@pool-N 42 bash", "@@pool-N 1"]);
  assertEquals(r.stderr, "noiseerr\n");
});

Deno.test("runProcess() finds a later marker cut across two reads, and passes what only began like one", async () => {
  const markers: string[] = [];
  const r = await runProcess(
    [
      "sh",
      "-c",
      "echo '@@pool-N 42 bash' >&2; printf 'x@@po' >&2; sleep 0.2; printf 'ol-N exit 3\\nmid' >&2;" +
      " printf ' @@po' >&2; sleep 0.2; printf 'tato\\n' >&2",
    ],
    { timeoutMs: 10_000, marker: { prefix: "@@pool-N ", onMarker: (line) => markers.push(line) } },
  );
  assertEquals(markers, ["@@pool-N 42 bash", "@@pool-N exit 3"]);
  assertEquals(r.stderr, "xmid @@potato\n");
});

Deno.test("runProcess() keeps its deadline when the sink stops taking output", async () => {
  const stuck = new WritableStream<Uint8Array>({ write: () => new Promise(() => {}) });
  let hung: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    runProcess(["sh", "-c", "yes"], { timeoutMs: 300, stdoutSink: stuck }),
    new Promise<null>((resolve) => hung = setTimeout(() => resolve(null), 10_000)),
  ]);
  clearTimeout(hung);
  assertEquals([result?.code, result?.outcome], [124, "timeout"]);
});

/** `seq 1 n`, as the bytes it prints. */
const seqBytes = (n: number) =>
  Array.from({ length: n }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0);

Deno.test("runProcess() keeps only stderr's last 64 KiB of lines, passed on or not, and counts the rest", async () => {
  // About 20 MB: every byte is passed on; what is kept for messages stays within its bound.
  const n = 2_500_000;
  for (const streamed of [false, true]) {
    let passed = 0;
    const r = await runProcess(["sh", "-c", `seq 1 ${n} >&2; exit 3`], {
      timeoutMs: 60_000,
      onStderrChunk: streamed ? (chunk) => void (passed += chunk.length) : undefined,
    });
    assertEquals([r.code, r.outcome], [3, "failed"]);
    if (streamed) assertEquals(passed, seqBytes(n));
    assert(r.stderrBytes.length <= STDERR_KEPT, `kept ${r.stderrBytes.length} bytes`);
    assert(r.stderrBytes.length > STDERR_KEPT - 10, `kept ${r.stderrBytes.length} bytes`);
    const lines = r.stderr.split("\n").slice(0, -1);
    assertEquals(lines.at(-1), String(n));
    assertEquals(r.stderrOmittedLines, n - lines.length);
    assertEquals(Number(lines[0]), n - lines.length + 1, "a whole line first");
  }
});

Deno.test("runProcess() keeps more of stderr where keepLast says so, and all of it with Infinity", async () => {
  const n = 200_000; // 1.3 MB
  const tail = await runProcess(["sh", "-c", `seq 1 ${n} >&2`], {
    timeoutMs: 60_000,
    keepLast: 1 << 20,
  });
  assert(tail.stderrBytes.length > STDERR_KEPT && tail.stderrBytes.length <= 1 << 20);
  const all = await runProcess(["sh", "-c", `seq 1 ${n} >&2`], {
    timeoutMs: 60_000,
    keepLast: Infinity,
  });
  assertEquals([all.stderrBytes.length, all.stderrOmittedLines], [seqBytes(n), undefined]);
});

Deno.test("textOf() decodes bytes; past the longest string, the last whole lines that fit", () => {
  const bytes = new TextEncoder().encode("first\nsecond\nthird\n");
  assertEquals(textOf(bytes), "first\nsecond\nthird\n");
  // 8 bytes fit: "d\nthird\n" cuts into "second", which goes whole.
  assertEquals(textOf(bytes, 8), "third\n");
  assertEquals(textOf(bytes, 13), "second\nthird\n");
});

Deno.test("runProcess() drops only chunks short enough to be the transport's chatter", async () => {
  const long = "x".repeat(2000);
  const r = await runProcess(
    ["sh", "-c", `echo 'chatter here' >&2; sleep 0.2; echo 'chatter ${long}' >&2`],
    { timeoutMs: 10_000, ignoreStderr: /^chatter .*$/ },
  );
  // A command's own long line is never read as a message of ssh's, which are one short write each.
  assertEquals(r.stderr, `chatter ${long}\n`);
});

Deno.test("localShortage() tells a spawn this machine could not make from any other failure", () => {
  // Deno's own words for them: out of processes (ulimit -u, a pids limit) was taken for a failure
  // of the host's, and the host read as unreachable (255), which tells a script it is down.
  const failed = (why: string) => new Error(`Failed to spawn '/usr/bin/setsid': ${why}`);
  assertEquals(
    localShortage(failed("Resource temporarily unavailable (os error 11)")),
    "processes",
  );
  assertEquals(localShortage(failed("Too many open files (os error 24)")), "descriptors");
  assertEquals(localShortage(failed("No such file or directory (os error 2)")), null);
  assertEquals(localShortage(failed("Permission denied (os error 13)")), null);
  assertEquals(
    new OutOfLocalResources("ssh", "processes").message,
    "out of processes here: cannot start ssh (raise ulimit -u, or the pids limit)",
  );
});
