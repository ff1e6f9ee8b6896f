/**
 * Runs `work` over `items` with at most `limit` running at once, keeping the
 * input order in the result. `work` must not throw: a failed host is a
 * result, not an exception (an exception here is a bug and propagates).
 */
export async function poolMap<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  const width = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}
