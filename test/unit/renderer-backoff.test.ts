import { describe, expect, it } from "vitest";
import { fullJitterDelay } from "../../src-renderer/realtime/backoff.js";

const opts = { baseMs: 500, capMs: 30_000 };

describe("fullJitterDelay", () => {
  it("is random * min(cap, base * 2^attempt)", () => {
    expect(fullJitterDelay(0, opts, () => 0.5)).toBe(250);
    expect(fullJitterDelay(1, opts, () => 0.5)).toBe(500);
    expect(fullJitterDelay(3, opts, () => 0.5)).toBe(2_000);
  });

  it("never exceeds the cap, even for huge attempts (no Infinity / NaN)", () => {
    expect(fullJitterDelay(6, opts, () => 0.999)).toBeLessThan(30_000);
    expect(fullJitterDelay(10_000, opts, () => 0.999)).toBeLessThan(30_000);
    expect(fullJitterDelay(10_000, opts, () => 0.5)).toBe(15_000);
  });

  it("spans the full window from 0 (full jitter), with a bad random source clamped", () => {
    expect(fullJitterDelay(4, opts, () => 0)).toBe(0);
    expect(fullJitterDelay(4, opts, () => 1)).toBeLessThan(8_000);
    expect(fullJitterDelay(4, opts, () => -3)).toBe(0);
    expect(fullJitterDelay(-2, opts, () => 0.5)).toBe(250);
  });

  it("spreads real random delays across the window", () => {
    const samples = Array.from({ length: 2_000 }, () => fullJitterDelay(5, opts));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(16_000);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    // Uniform on [0, 16000): mean 8000; 2,000 samples put it well within ±800.
    expect(mean).toBeGreaterThan(7_200);
    expect(mean).toBeLessThan(8_800);
  });
});
