/**
 * launch.sh as detach.ts sends it, run here with `sh -s` into a temporary HOME: the command and
 * its setup reach the job byte for byte through the payload, and never through the argv. The
 * job's shell ($SHELL) is a recorder that only writes down the text it was given to run.
 */

import { join } from "node:path";
import { assertEquals } from "../tests/assert.ts";
import { HOSTILE } from "../tests/hostile.ts";
import { fedScript, until } from "../tests/procs.ts";
import { detachedLaunch } from "./detach.ts";

const RECORDER = `#!/bin/sh
printf '%s' "$2" > "$HOME/ran"
`;

Deno.test("detachedLaunch() puts the command and its setup in the payload, not the remote command", () => {
  const { remote, payload } = detachedLaunch({
    id: "k3x9q2",
    gpus: [0, 3],
    setup: "export CUDA_VISIBLE_DEVICES='0,3'; ",
    command: "HF_TOKEN=hf_SECRET python train.py",
  });
  // Its words are the argv of the launcher and its waiter, in `ps` for the job's whole life.
  assertEquals(remote, "sh '-s' '--' k3x9q2 0,3");
  assertEquals(payload.includes("pool_command='HF_TOKEN=hf_SECRET python train.py'\n"), true);
});

Deno.test("launch.sh runs the payload's command and setup as they were given, hostile text too", async () => {
  const home = await Deno.makeTempDir({ prefix: "pool-detach-" });
  try {
    const recorder = join(home, "recorder");
    await Deno.writeTextFile(recorder, RECORDER, { mode: 0o755 });
    const env = { HOME: home, SHELL: recorder, PATH: "/usr/bin:/bin" };
    for (const [i, text] of HOSTILE.entries()) {
      const id = `k${i}`;
      const { remote, payload } = detachedLaunch({ id, gpus: [], setup: text, command: text });
      const out = await fedScript(["/bin/sh", "-c", remote], payload, env);
      assertEquals(out.code, 0, `${JSON.stringify(text)}: ${out.stderr}`);
      const jobs = join(home, ".pool", "jobs");
      await until(
        `the end of job ${id}`,
        async () => /^exit 0$/m.test(await Deno.readTextFile(join(jobs, `${id}.job`))),
      );
      assertEquals(await Deno.readTextFile(join(home, "ran")), text + text, JSON.stringify(text));
      assertEquals(await Deno.readTextFile(join(jobs, `${id}.cmd`)), text + "\n");
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
