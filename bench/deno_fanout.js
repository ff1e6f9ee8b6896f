// The bench's "deno ssh &" column: the least a Deno program can do to fan a
// command out, what `bare ssh &` does in sh. One plain ssh per host, all at
// once, output straight through, exit 0 when every ssh did: no roster, no
// supervisor, no prefixes, no own process group. Deno's start-up plus its
// spawns, against which pool's own cost is read (bench.ts, "Where pool's time goes").
//
//   deno run --allow-all --no-config bench/deno_fanout.js SSH_CONFIG COMMAND HOST...

const [config, command, ...hosts] = Deno.args;
const children = hosts.map((host) =>
  new Deno.Command("ssh", {
    args: ["-F", config, "-o", "BatchMode=yes", host, command],
    stdin: "null",
  }).spawn()
);
const statuses = await Promise.all(children.map((child) => child.status));
Deno.exit(statuses.every((status) => status.success) ? 0 : 1);
