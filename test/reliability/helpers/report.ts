/**
 * Shared knobs and the one-line figure every reliability test prints, so a CI log shows what
 * was exercised (operations, faults injected, violations found) and not only "passed".
 */

/** Long variants (minutes instead of seconds) run only with SOAK=1 (npm run test:soak). */
export const SOAK = process.env.SOAK === "1";

/** The CI value, or the soak value when SOAK=1. */
export const soak = <T>(ci: T, long: T): T => (SOAK ? long : ci);

/** Prints `[reliability] <name>: key=value ...` on one line. */
export function figure(name: string, fields: Readonly<Record<string, number | string | boolean>>): void {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`);
  console.log(`[reliability] ${name}: ${parts.join(" ")}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The q-quantile (0..1) of a non-empty list, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** A seeded PRNG (mulberry32), so a failing run can be replayed with the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this run: RELIABILITY_SEED when set (to replay), else a fresh one. */
export function runSeed(): number {
  const fromEnv = Number(process.env.RELIABILITY_SEED);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}
