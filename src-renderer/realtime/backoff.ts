export interface BackoffOptions {
  /** Ceiling of the first retry's window. */
  readonly baseMs: number;
  /** No window grows past this. */
  readonly capMs: number;
}

export const RECONNECT_BACKOFF: BackoffOptions = Object.freeze({ baseMs: 500, capMs: 30_000 });

/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniformly random wait in [0, min(cap, base * 2^attempt)). Spreading reconnects over the
 * whole window keeps a restarted server from being hit by every client at the same instant.
 *
 * @param attempt 0 for the first retry after a failure, 1 for the next, ...
 * @param random  a source in [0, 1), injectable for tests
 */
export function fullJitterDelay(
  attempt: number,
  options: BackoffOptions = RECONNECT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2 ** n overflows to Infinity long after it passed the cap; Math.min handles both.
  const window = Math.min(options.capMs, options.baseMs * 2 ** n);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * window);
}
