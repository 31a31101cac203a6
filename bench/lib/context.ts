import path from "node:path";
import type { ProcessGroup } from "./processes.js";
import type { BenchRedis } from "./redis.js";

/** How big each benchmark runs: `full` for `npm run bench`, `smoke` for `npm test`. */
export interface Profile {
  readonly name: "full" | "smoke";
  /**
   * Run the benchmarks at the same time. Only for the smoke run, whose figures mean nothing:
   * most of its time is processes starting and waiting, which then overlaps.
   */
  readonly concurrent: boolean;
  readonly lockStore: {
    readonly concurrency: number;
    readonly documents: number;
    readonly warmupMs: number;
    readonly durationMs: number;
    readonly rounds: number;
  };
  readonly rest: {
    readonly connections: number;
    readonly documents: number;
    readonly warmupSec: number;
    readonly durationSec: number;
    readonly rounds: number;
  };
  readonly fanout: {
    readonly subscribers: number;
    readonly iterations: number;
    readonly warmupIterations: number;
    readonly gapMs: number;
  };
  readonly editors: {
    /** Editors per step, ascending; stepping stops at the first failing step. */
    readonly steps: readonly number[];
    readonly viewersPerDocument: number;
    readonly ttlMs: number;
    /** After a step's editors are all in, this long passes before measuring (one heartbeat interval at least). */
    readonly settleMs: number;
    /** Heartbeat latency is measured over this window. */
    readonly windowMs: number;
    readonly p99LimitMs: number;
    /** Load processes (each its own loopback source address and file descriptor budget). */
    readonly loadProcesses: number;
  };
  readonly startup: { readonly runs: number };
}

export const PROFILES: Readonly<Record<Profile["name"], Profile>> = Object.freeze({
  full: {
    name: "full",
    concurrent: false,
    lockStore: { concurrency: 50, documents: 10_000, warmupMs: 1_000, durationMs: 3_000, rounds: 3 },
    rest: { connections: 50, documents: 2_000, warmupSec: 2, durationSec: 6, rounds: 2 },
    fanout: { subscribers: 1_000, iterations: 100, warmupIterations: 5, gapMs: 50 },
    editors: {
      steps: [250, 500, 1_000, 1_500, 2_000, 3_000, 4_000, 6_000, 8_000, 10_000, 12_000],
      viewersPerDocument: 5,
      ttlMs: 3_000,
      settleMs: 1_500,
      windowMs: 4_000,
      p99LimitMs: 100,
      loadProcesses: 3,
    },
    startup: { runs: 7 },
  },
  smoke: {
    name: "smoke",
    concurrent: true,
    lockStore: { concurrency: 5, documents: 50, warmupMs: 50, durationMs: 150, rounds: 1 },
    rest: { connections: 4, documents: 20, warmupSec: 0, durationSec: 1, rounds: 1 },
    fanout: { subscribers: 20, iterations: 4, warmupIterations: 1, gapMs: 10 },
    editors: { steps: [12], viewersPerDocument: 2, ttlMs: 3_000, settleMs: 300, windowMs: 1_000, p99LimitMs: 1_000, loadProcesses: 1 },
    startup: { runs: 1 },
  },
});

export interface BenchContext {
  readonly profile: Profile;
  readonly procs: ProcessGroup;
  readonly redis: BenchRedis;
  /** The repository root. */
  readonly root: string;
  /** This run's scratch folder: logs, databases, builds. */
  readonly runDir: string;
  /** How the Lockstep server is started (bundle or tsx). */
  readonly server: ServerEntry;
  /** Set with --cpu-prof: server processes write V8 CPU profiles here. */
  readonly cpuProfDir: string | undefined;
  log(message: string): void;
}

/** A command that runs server/main.ts: the esbuild bundle when it built, tsx otherwise. */
export interface ServerEntry {
  readonly kind: "bundle" | "tsx";
  /** Node arguments before any profiling flags, e.g. ["dist/server/main.js"]. */
  readonly args: readonly string[];
  /** Why the bundle is not used, when it is not. */
  readonly note?: string;
}

export const inRun = (ctx: BenchContext, name: string): string => path.join(ctx.runDir, name);
