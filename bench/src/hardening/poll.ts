/**
 * Re-checks a condition until it holds or the deadline passes; resolves with
 * the last value seen. For states only observable by asking (metrics, REST),
 * where there is no event to await.
 */
export async function pollUntil<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<{ value: T; met: boolean }> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, met: true };
    if (performance.now() >= deadline) return { value, met: false };
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
