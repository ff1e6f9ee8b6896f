import { join } from "node:path";
import { assertEquals, assertMatch } from "../tests/assert.ts";
import { type TestDeps, testDeps } from "../deps/testing.ts";
import type { Lease } from "../ledger/lease.ts";
import type { JobEntry } from "../ledger/jobs.ts";
import { rm } from "./rm.ts";

const ROSTER = {
  hosts: [{ name: "h1", ssh: "127.0.0.1" }, { name: "h2", ssh: "me@127.0.0.2" }],
};

const job = (id: string, host: string, started_ms: number): JobEntry => ({
  id,
  host,
  command: "sleep 300",
  started_ms,
  gpus: [],
});

const lease = (id: string, host: string, more: Partial<Lease> = {}): Lease => ({
  id,
  host,
  mem_bytes: 1 << 30,
  gpus: [],
  gpu_mem_bytes: 0,
  command: "sleep 300",
  pid: 4242,
  pid_start: "x",
  created_ms: 1000,
  ttl_s: 3600,
  ...more,
});

/** Deps whose job index and ledger hold `jobs` and `leases`. */
async function withState(jobs: JobEntry[], leases: Lease[]): Promise<TestDeps> {
  const deps = await testDeps(ROSTER);
  await deps.jobs.update(() => ({ jobs, result: undefined }));
  await deps.ledger.update(() => ({ leases, result: undefined }));
  return deps;
}

const stderrLines = (deps: TestDeps) => deps.out.stderrText().split("\n").filter(Boolean);

Deno.test("rm() names the bg jobs pool started on the host and the leases held there, and removes it", async () => {
  const deps = await withState(
    [job("old111", "h2", 1), job("new222", "h2", 2), job("else33", "h1", 3)],
    [
      lease("l-route", "h2"),
      lease("l-bg", "h2", { pid: 0, pid_start: null, job: "new222", remote_pid: 77 }),
      lease("l-h1", "h1"),
    ],
  );
  const indexBefore = await Deno.readTextFile(deps.jobs.path);
  const ledgerBefore = await Deno.readTextFile(deps.ledger.path);
  assertEquals(await rm("h2", false, deps), 0);
  assertEquals(deps.out.stdoutText(), "- h2\n");
  const [jobs, leases, ...rest] = stderrLines(deps);
  assertEquals(rest, []);
  assertEquals(
    jobs,
    "pool: warning: h2: pool bg started 2 jobs there (new222, old111), not checked for whether " +
      "they still run; pool no longer reaches them by this name (logs, kill, wait): " +
      "pool add h2 me@127.0.0.2 reaches them again, then pool kill ID",
  );
  assertEquals(
    leases,
    "pool: warning: h2: 2 leases held there (route pid 4242, bg job new222) stay in the ledger " +
      "until pool sees their holders end, counted against any host added as h2 until then",
  );
  // Offline: no host asked. Neither file changed: the index is how a re-added name finds its
  // jobs, and a lease dropped could let a host added back as h2 be filled while they run.
  assertEquals(deps.runner.calls, []);
  assertEquals(await Deno.readTextFile(deps.jobs.path), indexBefore);
  assertEquals(await Deno.readTextFile(deps.ledger.path), ledgerBefore);
  assertEquals((await deps.roster.read()).hosts.map((h) => h.name), ["h1"]);
});

Deno.test("rm() --json carries the jobs, leases and warnings; a host with none says nothing", async () => {
  const deps = await withState([job("abc123", "h1", 1)], [lease("l1", "h1")]);
  await rm("h2", true, deps);
  assertEquals(deps.out.stderrText(), "");
  assertEquals(JSON.parse(deps.out.stdoutText()), {
    name: "h2",
    removed: true,
    jobs: [],
    leases: [],
    warnings: [],
  });
  await rm("h1", true, deps);
  const doc = JSON.parse(deps.out.stdoutText().split("\n")[1]);
  assertEquals([doc.jobs, doc.leases, doc.warnings.length], [["abc123"], ["l1"], 2]);
  assertEquals(stderrLines(deps), doc.warnings.map((w: string) => `pool: warning: ${w}`));
  assertMatch(doc.warnings[0], /^h1: pool bg started 1 job there \(abc123\), .* it still runs;/);
});

Deno.test("rm() still removes the host when the job index or the ledger does not read", async () => {
  const deps = await testDeps(ROSTER);
  await Deno.writeTextFile(join(deps.dir, "jobs.json"), "{nope");
  await Deno.writeTextFile(join(deps.dir, "leases.json"), "");
  assertEquals(await rm("h2", false, deps), 0);
  assertEquals(deps.out.stdoutText(), "- h2\n");
  const [jobs, leases] = stderrLines(deps);
  assertMatch(
    jobs,
    /^pool: warning: h2: jobs pool started there not listed: Cannot read job index/,
  );
  assertMatch(leases, /^pool: warning: h2: leases held there not listed: Cannot read lease ledger/);
  assertEquals((await deps.roster.read()).hosts.map((h) => h.name), ["h1"]);
});
