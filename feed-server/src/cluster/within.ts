/**
 * Whether `promise` settles within `ms` (a rejection inside that time rejects); never waits longer.
 * Ours: the work goes on after the timeout (a sync or a write completes later and is used), so a
 * cancelling helper (AbortSignal.timeout, p-timeout's abort) would be the wrong tool, and racing
 * a timer is three lines.
 */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
