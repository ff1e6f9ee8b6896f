import { assertEquals } from "../tests/assert.ts";
import { Output, type Sink } from "./out.ts";

/** One file behind both streams (a `2>&1`), or two, as the test says. */
function outputs(oneTarget: boolean) {
  const written: string[] = [];
  const sink = (name: string): Sink => ({
    write: (bytes) => void written.push(`${name}:${new TextDecoder().decode(bytes)}`),
    isTerminal: () => false,
  });
  const out = new Output(sink("out"), sink("err"), undefined, () => oneTarget);
  return { out, written };
}

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("errLine() starts after a command's unfinished stderr line", () => {
  const { out, written } = outputs(false);
  out.errBytes(bytes("partial"));
  out.errLine("pool: h1: timed out");
  out.errLine("pool: next");
  assertEquals(written, ["err:partial", "err:\npool: h1: timed out\n", "err:pool: next\n"]);
});

Deno.test("errLine() ends stdout's unfinished line only where both streams are one file", () => {
  const one = outputs(true);
  one.out.outBytes(bytes("partial"));
  one.out.errLine("pool: h1: timed out");
  assertEquals(one.written, ["out:partial", "err:\npool: h1: timed out\n"]);
  const two = outputs(false);
  two.out.outBytes(bytes("partial"));
  two.out.errLine("pool: h1: timed out");
  assertEquals(two.written, ["out:partial", "err:pool: h1: timed out\n"]);
});

Deno.test("errLine() adds nothing after whole lines, nor after pool's own progress text", () => {
  const { out, written } = outputs(true);
  out.outBytes(bytes("line\n"));
  out.errBytes(bytes("err\n"));
  out.err("\r12 files\r\x1b[K");
  out.errLine("pool: done");
  assertEquals(written, ["out:line\n", "err:err\n", "err:\r12 files\r\x1b[K", "err:pool: done\n"]);
});

/** A stdout whose writes end when `release` is called, taking `parts` parts on the way. */
function slowStdout() {
  const taken: string[] = [];
  let pending: { bytes: Uint8Array; progress?: () => void; done: () => void } | null = null;
  const sink: Sink = {
    write: (bytes, progress) => new Promise<void>((done) => pending = { bytes, progress, done }),
    isTerminal: () => false,
  };
  return {
    sink,
    taken,
    /** The reader takes a part of the write under way (its progress), or all of it. */
    take(all = false) {
      if (!pending) return;
      pending.progress?.();
      if (all) {
        taken.push(new TextDecoder().decode(pending.bytes));
        pending.done();
        pending = null;
      }
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("after a stop, a write nobody takes is given up; stdout given up is not closed", async () => {
  const stdout = slowStdout();
  const errors: string[] = [];
  const out = new Output(stdout.sink, {
    write: (bytes) => void errors.push(new TextDecoder().decode(bytes)),
    isTerminal: () => false,
  });
  out.outLine("held");
  out.stopWaitingForStalled(50);
  out.outLine("queued");
  await out.flushed(); // returns: the stalled write is given up, not waited for
  out.outLine("after");
  out.errLine("pool: 1 of 1 hosts failed");
  assertEquals([stdout.taken, errors, out.stdoutOpen], [[], ["pool: 1 of 1 hosts failed\n"], true]);
});

Deno.test("after a stop, a reader that takes nothing for a while, or slowly, loses nothing", async () => {
  const stdout = slowStdout();
  const out = new Output(stdout.sink, { write: () => {}, isTerminal: () => false });
  out.stopWaitingForStalled(100);
  await pause(250); // nothing to write for longer than the stall: nothing is given up
  out.outLine("one");
  out.outLine("two");
  for (let i = 0; i < 6; i++) {
    await pause(40); // a part taken well within each stall: the reader is there
    stdout.take();
  }
  stdout.take(true);
  await pause(10);
  stdout.take(true);
  await out.flushed();
  assertEquals(stdout.taken, ["one\n", "two\n"]);
});
