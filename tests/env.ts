/** Runs `work` with these variables set (undefined: unset), then puts the old values back. */
export function withEnv<T>(vars: Record<string, string | undefined>, work: () => T): T {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const put = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  };
  put(vars);
  try {
    return work();
  } finally {
    put(old);
  }
}
