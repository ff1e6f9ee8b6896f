// The `require` the bundle gives the CommonJS packages in it (commander), in
// place of `createRequire` from node:module. Loading any node: module sets up
// Deno's Node layer (~10 ms of every start; node:module, node:process and
// node:fs cost more again), and commander requires five at import though it
// touches path, process, fs and child_process only on paths pool rarely or
// never takes (help to stdout, executable subcommands). Those load on first
// use. events it needs at once (Command extends EventEmitter) but only for
// on, emit and listenerCount: the small class below. scripts/build.ts puts
// this where the bundler's own require was, and refuses a bundle that
// requires anything else.

class EventEmitter {
  #handlers = new Map();

  on(event, handler) {
    this.#handlers.set(event, [...(this.#handlers.get(event) ?? []), handler]);
    return this;
  }

  addListener(event, handler) {
    return this.on(event, handler);
  }

  emit(event, ...args) {
    const handlers = this.#handlers.get(event) ?? [];
    for (const handler of handlers) handler.apply(this, args);
    return handlers.length > 0;
  }

  listenerCount(event) {
    return this.#handlers.get(event)?.length ?? 0;
  }
}
EventEmitter.EventEmitter = EventEmitter;

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
  return name === "node:events" ? EventEmitter : lazy(name);
};
