import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import Redlock from "redlock";
import { MemoryLockStore } from "../../server/locks/memory-store.js";
import { createRedisClient, RedisLockStore } from "../../server/locks/redis-store.js";
import type { LockOwner, LockStore } from "../../server/locks/types.js";
import type { BenchContext } from "../lib/context.js";
import { median } from "../lib/stats.js";
import { formatNumber, ratioRow, type Row } from "../lib/table.js";

/** The server's default lock TTL; every contender uses it. */
const TTL_MS = 45_000;
/** Upper bound on cycles per slot and run, on top of the time bound. */
const MAX_CYCLES_PER_SLOT = 5_000_000;

/** The raw floor's heartbeat and release: compare the value, then PEXPIRE / DEL. */
const RAW_EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RAW_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** One acquire → heartbeat → release on `doc`; false when an outcome was not the expected one. */
type Cycle = (doc: string, slot: number) => Promise<boolean>;

interface Measured {
  readonly rate: number;
  readonly cycles: number;
  readonly failures: number;
  /** CPU time per cycle: this process (the client side), and Redis. Less noisy than rates. */
  readonly nodeMicros: number;
  readonly redisMicros: number;
}

/** Redis's own CPU seconds (user + system), from INFO cpu. */
async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info("cpu");
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? Number.NaN);
  return field("used_cpu_user") + field("used_cpu_sys");
}

/**
 * `concurrency` loops, each cycling over its own documents (no two loops share one, so every
 * acquire should succeed), until `durationMs` passes.
 */
async function measure(cycle: Cycle, documents: readonly string[], concurrency: number, durationMs: number, admin: Redis): Promise<Measured> {
  let cycles = 0;
  let failures = 0;
  const redis0 = await redisCpuSeconds(admin);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, slot) => {
      for (let n = 0; n < MAX_CYCLES_PER_SLOT && performance.now() < deadline; n++) {
        const doc = documents[(slot + n * concurrency) % documents.length] as string;
        try {
          if (await cycle(doc, slot)) cycles++;
          else failures++;
        } catch {
          failures++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const redisSeconds = (await redisCpuSeconds(admin)) - redis0;
  const per = (micros: number): number => (cycles > 0 ? micros / cycles : Number.NaN);
  return { rate: cycles / seconds, cycles, failures, nodeMicros: per(cpu.user + cpu.system), redisMicros: per(redisSeconds * 1e6) };
}

const owners = (n: number): LockOwner[] =>
  Array.from({ length: n }, (_, i) => ({
    userId: randomUUID(),
    userName: `bench${i}`,
    displayName: `Bench ${i}`,
    clientId: `bench-${i}-${randomUUID().slice(0, 8)}`,
  }));

function storeCycle(store: LockStore, slotOwners: readonly LockOwner[]): Cycle {
  return async (doc, slot) => {
    const owner = slotOwners[slot] as LockOwner;
    const acquired = await store.acquire(doc, owner, TTL_MS);
    if (acquired.kind !== "acquired") return false;
    const beat = await store.heartbeat(doc, owner, acquired.lock.token, TTL_MS);
    const released = await store.release(doc, owner);
    return beat.kind === "extended" && released.kind === "released";
  };
}

function redlockCycle(redis: Redis, prefix: string): Cycle {
  // Single instance, no retries: a held resource fails at once, as the store's acquire answers.
  const redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01, retryDelay: 0, retryJitter: 0 });
  return async (doc) => {
    const lock = await redlock.acquire([`${prefix}${doc}`], TTL_MS);
    const extended = await lock.extend(TTL_MS);
    await extended.release();
    return true;
  };
}

async function rawCycle(redis: Redis, prefix: string): Promise<Cycle> {
  const extendSha = (await redis.script("LOAD", RAW_EXTEND)) as string;
  const releaseSha = (await redis.script("LOAD", RAW_RELEASE)) as string;
  let seq = 0;
  return async (doc) => {
    const key = `${prefix}${doc}`;
    const value = `v${++seq}`;
    if ((await redis.set(key, value, "PX", TTL_MS, "NX")) !== "OK") return false;
    const extended = await redis.evalsha(extendSha, 1, key, value, TTL_MS);
    const released = await redis.evalsha(releaseSha, 1, key, value);
    return extended === 1 && released === 1;
  };
}

/**
 * Benchmark 1: acquire → heartbeat → release cycles per second on one Redis, `concurrency`
 * at once over many documents: RedisLockStore against redlock (acquire → extend → release) and
 * against the raw floor (SET NX PX + EVALSHA + EVALSHA), all on one connection made by the
 * server's own client factory (same timeouts and queueing for all). Then the memory store.
 * Contenders take turns in rotating order for `rounds` rounds; each figure is the median.
 */
export async function lockStoreBench(ctx: BenchContext): Promise<Row[]> {
  const p = ctx.profile.lockStore;
  const documentCount = Math.ceil(p.documents / p.concurrency) * p.concurrency;
  const documents = Array.from({ length: documentCount }, () => randomUUID());
  const run = randomUUID().slice(0, 8);
  const clients: Redis[] = [];
  const client = (name: string): Redis => {
    const c = createRedisClient(ctx.redis.url, { commandTimeoutMs: 5_000, connectionName: `bench:${name}` });
    clients.push(c);
    return c;
  };
  const stores: LockStore[] = [];
  try {
    const [storeClient, redlockClient, rawClient, admin] = [client("store"), client("redlock"), client("raw"), client("admin")];
    await Promise.all(clients.map((c) => (c.status === "ready" ? undefined : new Promise((r) => c.once("ready", r)))));
    const redisStore = new RedisLockStore({ redis: storeClient, keyPrefix: `b1:${run}:store:` });
    const memoryStore = new MemoryLockStore();
    stores.push(redisStore, memoryStore);
    const slotOwners = owners(p.concurrency);
    const contenders: Record<"store" | "redlock" | "raw" | "memory", Cycle> = {
      store: storeCycle(redisStore, slotOwners),
      redlock: redlockCycle(redlockClient, `b1:${run}:redlock:`),
      raw: await rawCycle(rawClient, `b1:${run}:raw:`),
      memory: storeCycle(memoryStore, slotOwners),
    };

    const names = Object.keys(contenders) as (keyof typeof contenders)[];
    const runs: Record<string, Measured[]> = Object.fromEntries(names.map((n) => [n, []]));
    let failures = 0;
    for (const name of names) await measure(contenders[name], documents, p.concurrency, p.warmupMs, admin);
    for (let round = 0; round < p.rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length] as keyof typeof contenders);
      for (const name of order) {
        const m = await measure(contenders[name], documents, p.concurrency, p.durationMs, admin);
        runs[name]?.push(m);
        failures += m.failures;
        ctx.log(
          `  1 ${name}: ${formatNumber(m.rate)} cycles/s (${m.cycles} cycles, ${m.failures} failed; ` +
            `CPU per cycle: Node ${formatNumber(m.nodeMicros)} µs, Redis ${formatNumber(m.redisMicros)} µs)`,
        );
      }
    }
    if (failures > 0) throw new Error(`${failures} lock cycles failed (an acquire was refused or a call threw)`);

    const fig = (name: string, label: string) => {
      const m = runs[name] ?? [];
      const node = median(m.map((r) => r.nodeMicros));
      const redis = median(m.map((r) => r.redisMicros));
      return {
        value: median(m.map((r) => r.rate)),
        unit: "cycles/s",
        label,
        note: name === "memory" ? `CPU ${formatNumber(node)} µs/cycle` : `CPU/cycle: Node ${formatNumber(node)} µs + Redis ${formatNumber(redis)} µs`,
      };
    };
    const common = `c=${p.concurrency}, ${documentCount} docs, TTL ${TTL_MS / 1000} s, ${p.rounds}×${p.durationMs / 1000} s median`;
    return [
      ratioRow({
        id: "1a",
        title: `Lock cycles/s, RedisLockStore vs redlock 5 (acquire→heartbeat→release; ${common})`,
        lockstep: fig("store", "RedisLockStore"),
        reference: fig("redlock", "redlock"),
        better: "higher",
        goal: { min: 1, text: "≥ 1.0×" },
      }),
      ratioRow({
        id: "1b",
        title: "Lock cycles/s, RedisLockStore vs raw ioredis floor (SET NX PX + EVALSHA + EVALSHA)",
        lockstep: fig("store", "RedisLockStore"),
        reference: fig("raw", "raw floor"),
        better: "higher",
        goal: { min: 0.8, text: "≥ 0.80×" },
      }),
      ratioRow({
        id: "1c",
        title: "Lock cycles/s, MemoryLockStore (embedded mode) vs raw ioredis floor",
        lockstep: fig("memory", "MemoryLockStore"),
        reference: fig("raw", "raw floor"),
        better: "higher",
      }),
    ];
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    for (const c of clients) c.disconnect();
  }
}
