// The `require` the bundle gives the CommonJS packages in it (commander), in
// place of `createRequire` from node:module. Loading node:module, node:process,
// node:fs and node:child_process costs ~60 ms at every start, and commander
// requires them all at import though it touches process, fs and child_process
// only on paths pool rarely or never takes (help to stdout, executable
// subcommands). Those three are loaded on first use, the rest (events, path)
// at once: commander's Command extends EventEmitter.
// scripts/build.ts puts this where the bundler's own require was.

import events from "node:events";
import path from "node:path";

const EAGER = { "node:events": events, "node:path": path };

// Even reading `globalThis.process` loads Deno's node:process: only on first use.
function builtin(id) {
  return id === "node:process" ? globalThis.process : globalThis.process.getBuiltinModule(id);
}

function lazy(id) {
  let module;
  const real = () => (module ??= builtin(id));
  return new Proxy({}, {
    get(_, key) {
      const value = Reflect.get(real(), key);
      return typeof value === "function" ? value.bind(real()) : value;
    },
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
  });
}

const __poolRequire = (id) => {
  const name = id.startsWith("node:") ? id : `node:${id}`;
  return EAGER[name] ?? lazy(name);
};
