/**
 * Runs `work` over `items` with at most `limit` calls in flight. Written here rather than taken
 * from a package: no installed dependency offers it (p-limit and friends are not in package.json)
 * and it is a dozen lines.
 */
export async function forEachWithConcurrency<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
