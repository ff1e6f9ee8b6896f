import { assertEquals } from "../tests/assert.ts";
import { deadReason, heldBecause, LAUNCH_WINDOW_MS, type Lease, liveLeases } from "./lease.ts";
import type { JobAnswer } from "../probes/mod.ts";
import { processAlive, processStart } from "./process.ts";

const base: Lease = {
  id: "x",
  host: "h1",
  mem_bytes: 1,
  gpus: [],
  gpu_mem_bytes: 0,
  command: "c",
  pid: 100,
  pid_start: "5",
  created_ms: 1000,
  ttl_s: 10,
};

Deno.test("deadReason() ends a lease when its pool process is gone, never while it runs", () => {
  assertEquals(deadReason(base, { now: 2000, localAlive: () => true }), null);
  assertEquals(deadReason(base, { now: 2000, localAlive: () => false }), "pool process gone");
  // Long past its TTL (issue 12, item 5: `route --ttl 5s` on a longer command): still live.
  assertEquals(deadReason(base, { now: 1_000_000, localAlive: () => true }), null);
});

Deno.test("deadReason() lets the TTL end only a holder pool cannot check", () => {
  // No start time recorded: a live pid might be a recycled one.
  const unknownStart = { ...base, pid_start: null };
  assertEquals(deadReason(unknownStart, { now: 2000, localAlive: () => true }), null);
  assertEquals(deadReason(unknownStart, { now: 12_000, localAlive: () => true }), "expired");
});

Deno.test("deadReason() follows a bg lease's remote pid and start time", () => {
  const bg = { ...base, pid: 0, pid_start: null, remote_pid: 4242, remote_start: "777" };
  const probed = (pids: [number, string | null][], now = 2000) => ({
    now,
    localAlive: () => false,
    remoteAlive: new Map([["h1", new Map(pids)]]),
  });
  assertEquals(deadReason(bg, probed([[4242, "777"]], 1_000_000)), null, "alive, however old");
  assertEquals(deadReason(bg, probed([[4242, null]])), "remote process gone");
  // Not asked about (its lease was handed over after the probe read the ledger): unknown.
  assertEquals(deadReason(bg, probed([[1, null]], 1_000_000)), null, "not asked: kept");
  // Issue 12, item 9: the pid lives, but it is another process now.
  assertEquals(deadReason(bg, probed([[4242, "999"]])), "remote process gone");
  // A host nobody asked for a day is not one that did not answer: the TTL waits for a silence.
  const notProbed = { now: 1_000_000, localAlive: () => false };
  assertEquals(deadReason(bg, notProbed), null, "not asked: kept");
  const silent = { ...bg, unanswered_ms: 100_000 };
  assertEquals(deadReason(silent, { ...notProbed, now: 105_000 }), null, "silent, within its TTL");
  assertEquals(deadReason(silent, { ...notProbed, now: 111_000 }), "expired");
  // No start time recorded (an older lease): the TTL counts from when it was made or last seen.
  const { remote_start: _, ...legacy } = bg;
  assertEquals(deadReason(legacy, { ...notProbed, now: 12_000 }), "expired");
  assertEquals(deadReason({ ...legacy, seen_ms: 100_000 }, { ...notProbed, now: 105_000 }), null);
});

Deno.test("liveLeases() marks a bg lease whose host did not answer, once, and clears it when seen", () => {
  const bg = { ...base, id: "bg", pid: 0, pid_start: null, remote_pid: 4242, remote_start: "7" };
  const live = (at: number, answered: boolean) => ({
    now: at,
    probedAt: at,
    localAlive: () => false,
    ...(answered
      ? { remoteAlive: new Map([["h1", new Map([[4242, "7"]])]]) }
      : { unanswered: new Set(["h1"]) }),
  });
  const [first] = liveLeases([bg], live(50_000, false));
  assertEquals(first.unanswered_ms, 50_000);
  const [again] = liveLeases([first], live(55_000, false));
  assertEquals(again.unanswered_ms, 50_000, "from the first silence");
  const [seen] = liveLeases([again], live(58_000, true));
  assertEquals([seen.seen_ms, seen.unanswered_ms], [58_000, undefined]);
  assertEquals(liveLeases([again], live(61_000, false)), [], "silent past its TTL");
  // A silence dated ahead of now (the clock stepped back) starts again from this probe.
  const [restarted] = liveLeases([{ ...again, unanswered_ms: 3_600_000 }], live(58_500, false));
  assertEquals(restarted.unanswered_ms, 58_500);
  assertEquals(liveLeases([restarted], live(58_500 + 10_001, false)), [], "silent past its TTL");
  // A sighting dated ahead of now (the clock stepped back) does not keep an old silence.
  const [ahead] = liveLeases([{ ...again, seen_ms: 3_600_000 }], live(58_000, true));
  assertEquals([ahead.seen_ms, ahead.unanswered_ms], [58_000, undefined]);
});

Deno.test("liveLeases() renews a remote holder the probe found alive, and drops the dead", () => {
  const bg = { ...base, id: "bg", pid: 0, pid_start: null, remote_pid: 4242, remote_start: "7" };
  const gone = { ...bg, id: "gone", remote_pid: 5 };
  const live = liveLeases([bg, gone, base], {
    now: 50_000,
    probedAt: 49_000,
    localAlive: () => true,
    remoteAlive: new Map([["h1", new Map([[4242, "7"], [5, null]])]]),
  });
  assertEquals(live.map((l) => [l.id, l.seen_ms]), [["bg", 49_000], ["x", undefined]]);
});

Deno.test("processAlive() knows this process, and not a recycled pid", () => {
  const start = processStart(Deno.pid);
  assertEquals(processAlive(Deno.pid, start), true);
  assertEquals(processAlive(Deno.pid, "not-its-start"), false);
  assertEquals(processAlive(0, null), false);
});

Deno.test("deadReason() keeps a route lease while the ssh carrying its command runs", () => {
  // pool was killed outright (SIGKILL): its ssh, and the command on the host, run on a moment.
  const carried = { ...base, ssh_pid: 200, ssh_start: "7" };
  const only = (pid: number) => (p: number, start: string | null) => p === pid && start !== null;
  assertEquals(deadReason(carried, { now: 1_000_000, localAlive: only(200) }), null);
  assertEquals(deadReason(carried, { now: 2000, localAlive: only(999) }), "pool process gone");
  assertEquals(deadReason(carried, { now: 2000, localAlive: only(100) }), null);
});

Deno.test("deadReason() cannot look up a holder in another process space: only its TTL ends it", () => {
  // A pool in a container sharing ~/.pool: its pid 100 is nobody, or someone else, here.
  const there = { ...base, pid_space: "m1 boot-a pid:[1]" };
  const here = { now: 2000, localAlive: () => false, space: "m1 boot-a pid:[2]" };
  assertEquals(deadReason(there, here), null);
  assertEquals(deadReason(there, { ...here, now: 12_000 }), "expired");
  assertEquals(deadReason(there, { ...here, space: "m1 boot-a pid:[1]" }), "pool process gone");
  // Another machine sharing ~/.pool: unknown too.
  assertEquals(deadReason(there, { ...here, space: "m2 boot-b pid:[1]" }), null);
  // This machine, since rebooted: every process of the old boot is gone.
  assertEquals(deadReason(there, { ...here, space: "m1 boot-b pid:[1]" }), "pool process gone");
});

Deno.test("a bg lease whose pool died before the hand-over follows its job, found by id", () => {
  // Launched (or not) by a pool that is gone: the lease names the job, not yet its pid.
  const pending: Lease = { ...base, job: "k3x9q2", ttl_s: 86_400 };
  const told = (job: JobAnswer | undefined, alive: [number, string][] = [], now = 2000) => ({
    now,
    localAlive: () => false,
    remoteAlive: new Map([["h1", new Map<number, string | null>(alive)]]),
    remoteJobs: new Map(job === undefined ? [] : [["h1", new Map([["k3x9q2", job]])]]),
    probedAt: now,
  });
  // Its pool still launching: its pool holds it.
  assertEquals(deadReason(pending, { now: 2000, localAlive: () => true }), null);
  // Found running: it holds the lease, and takes it over as the hand-over would have.
  const running = told({ pid: 4242, start: "777" }, [[4242, "777"]]);
  assertEquals(deadReason(pending, running), null);
  const [adopted] = liveLeases([pending], running);
  assertEquals(
    [adopted.pid, adopted.remote_pid, adopted.remote_start, adopted.seen_ms],
    [0, 4242, "777", 2000],
  );
  // Found, but ended (or its pid now another process's).
  assertEquals(deadReason(pending, told({ pid: 4242, start: "777" })), "remote process gone");
  assertEquals(
    deadReason(pending, told({ pid: 4242, start: "777" }, [[4242, "999"]])),
    "remote process gone",
  );
  // No record: still on its way for a while, then never started.
  assertEquals(deadReason(pending, told("none", [], 1000 + LAUNCH_WINDOW_MS - 1)), null);
  assertEquals(
    deadReason(pending, told("none", [], 1000 + LAUNCH_WINDOW_MS + 1)),
    "job never started",
  );
  assertEquals(deadReason(pending, told("starting", [], 1_000_000)), null);
  // Dated an hour ahead (this machine's clock stepped back since): not a launch on its way.
  const ahead = { ...pending, created_ms: 3_602_000, launched_ms: 3_602_000 };
  assertEquals(deadReason(ahead, told("none")), "job never started");
  assertEquals(deadReason({ ...ahead, launched_ms: 2000 + 1000 }, told("none")), null);
  // The window counts from the launch, which shipping (--push) may have put minutes after.
  const late = { ...pending, launched_ms: 600_000 };
  assertEquals(deadReason(late, told("none", [], 600_000 + LAUNCH_WINDOW_MS - 1)), null);
  assertEquals(
    deadReason(late, told("none", [], 600_000 + LAUNCH_WINDOW_MS + 1)),
    "job never started",
  );
  // Its host not heard from: the TTL, from the lease's making.
  assertEquals(deadReason(pending, told(undefined, [], 1000 + 86_400_000 - 1)), null);
  assertEquals(deadReason(pending, told(undefined, [], 1000 + 86_400_000 + 1)), "expired");
});

Deno.test("a bg lease lives on while its job's group runs after the job's command ended", () => {
  // `pool bg --mem 1G 'sleep 300 & (sleep 302 &); sleep 3; exit 0'`: the leader is gone, the
  // sleepers hold on in its group.
  const bg: Lease = {
    ...base,
    pid: 0,
    pid_start: null,
    remote_pid: 4242,
    remote_start: "777",
    job: "k3x9q2",
    seen_ms: 1000,
  };
  const probed = (
    start: string | null,
    groups: [string, { pid: number; processes: number; markedOnly?: true }][],
    now = 50_000,
  ) => ({
    now,
    probedAt: now,
    localAlive: () => false,
    remoteAlive: new Map([["h1", new Map([[4242, start]])]]),
    remoteGroups: new Map([["h1", new Map(groups)]]),
  });
  const orphaned = probed(null, [["k3x9q2", { pid: 4242, processes: 2 }]]);
  assertEquals(deadReason(bg, orphaned), null);
  const [kept] = liveLeases([bg], orphaned);
  assertEquals(kept.seen_ms, 50_000, "seen alive: renewed, however long it runs");
  assertEquals(heldBecause(bg, orphaned), "its command ended; 2 processes it started still run");
  assertEquals(
    heldBecause(bg, probed(null, [["k3x9q2", { pid: 4242, processes: 1 }]])),
    "its command ended; 1 process it started still runs",
  );
  // Its leader running: held plainly.
  assertEquals(heldBecause(bg, probed("777", [])), null);
  // Nothing of the group left (or a host that cannot say): gone, as before.
  assertEquals(deadReason(bg, probed(null, [])), "remote process gone");
  assertEquals(liveLeases([bg], probed(null, [])), []);
  // The number is another process's now, or the group answered is another job's or of another
  // number (the host found the job's own group emptied): not this lease's.
  assertEquals(
    deadReason(bg, probed("999", [["k3x9q2", { pid: 4242, processes: 2 }]])),
    "remote process gone",
  );
  assertEquals(
    deadReason(bg, probed(null, [["other", { pid: 4242, processes: 2 }]])),
    "remote process gone",
  );
  // The number another process's, but processes carrying the job's marker run on (pids.sh says
  // `marked`: they left the group, setsid): the job's work, holding its lease.
  const reused = probed("999", [["k3x9q2", { pid: 4242, processes: 1, markedOnly: true }]]);
  assertEquals(deadReason(bg, reused), null);
  assertEquals(heldBecause(bg, reused), "its command ended; 1 process it started still runs");
  assertEquals(
    deadReason(bg, probed(null, [["k3x9q2", { pid: 5151, processes: 2 }]])),
    "remote process gone",
  );
  // A lease that names no job (older than job ids) asks after no group: its leader alone.
  const { job: _, ...nameless } = bg;
  assertEquals(deadReason(nameless, orphaned), "remote process gone");
  // Before the hand-over: the job found by its id, its leader gone, its group running on.
  const pending: Lease = { ...base, job: "k3x9q2", ttl_s: 86_400 };
  const found = {
    ...probed(null, [["k3x9q2", { pid: 4242, processes: 3 }]]),
    remoteAlive: new Map([["h1", new Map<number, string | null>()]]),
    remoteJobs: new Map([[
      "h1",
      new Map<string, JobAnswer>([["k3x9q2", { pid: 4242, start: "777" }]]),
    ]]),
  };
  assertEquals(deadReason(pending, found), null);
  const [adopted] = liveLeases([pending], found);
  assertEquals([adopted.remote_pid, adopted.remote_start], [4242, "777"]);
  assertEquals(
    heldBecause(pending, found),
    "its command ended; 3 processes it started still run",
  );
});
