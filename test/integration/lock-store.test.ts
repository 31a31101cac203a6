import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../server/errors.js";
import { MemoryLockStore } from "../../server/locks/memory-store.js";
import { RedisLockStore } from "../../server/locks/redis-store.js";
import { DocumentLockService } from "../../server/locks/service.js";
import type { LockRecord, LockStore } from "../../server/locks/types.js";
import {
  buildDocumentId,
  buildOwner,
  captureLogger,
  eventually,
  otherWindowOf,
  sleep,
  uniqueKeyPrefix,
} from "../helpers/lock-fixtures.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { runLockStoreContract } from "./lock-store.contract.js";

const LONG = 30_000;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

runLockStoreContract("RedisLockStore", async () => {
  // Two stores with their own connections on one key prefix: two server processes.
  const keyPrefix = uniqueKeyPrefix();
  const store = new RedisLockStore({ redis: redis.url, keyPrefix });
  const peer = new RedisLockStore({ redis: redis.url, keyPrefix });
  return { store, peer, teardown: async () => void (await Promise.all([store.close(), peer.close()])) };
});

runLockStoreContract("MemoryLockStore", async () => {
  const store = new MemoryLockStore();
  return { store, peer: store, teardown: () => store.close() };
});

/** A store on the shared test Redis with its own key prefix, closed after the test. */
function useRedisStore(options: { logger?: ReturnType<typeof captureLogger>["logger"] } = {}) {
  const ctx = {} as { store: RedisLockStore; keyPrefix: string; doc: string };
  beforeEach(() => {
    ctx.keyPrefix = uniqueKeyPrefix();
    ctx.store = new RedisLockStore({ redis: redis.url, keyPrefix: ctx.keyPrefix, ...options });
    ctx.doc = buildDocumentId();
  });
  afterEach(() => ctx.store.close());
  return ctx;
}

async function acquired(store: LockStore, doc: string, owner = buildOwner(), ttlMs = LONG): Promise<LockRecord> {
  const outcome = await store.acquire(doc, owner, ttlMs);
  if (outcome.kind !== "acquired") throw new Error(`expected to acquire, got ${outcome.kind}`);
  return outcome.lock;
}

/** Records unhandled rejections while `run` executes (plus a moment for late ones). */
async function collectUnhandledRejections(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    await run();
    await sleep(100);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  return seen;
}

describe("RedisLockStore: key layout", () => {
  const ctx = useRedisStore();

  it("stores the documented keys: lock JSON with PX TTL, fencing counter, expiry index, holders index", async () => {
    const owner = buildOwner();
    const lock = await acquired(ctx.store, ctx.doc, owner);
    const r = redis.client();
    const p = ctx.keyPrefix;

    expect(JSON.parse((await r.get(`${p}document_lock:${ctx.doc}`)) ?? "null")).toEqual({
      user_id: owner.userId,
      user_name: owner.userName,
      display_name: owner.displayName,
      client_id: owner.clientId,
      acquired_at: lock.acquiredAt,
      token: lock.token,
    });
    // The key expires exactly when the index says: the sweep and the holder agree on the ms.
    expect(await r.pexpiretime(`${p}document_lock:${ctx.doc}`)).toBe(lock.expiresAt);
    expect(Number(await r.get(`${p}document_lock_seq:${ctx.doc}`))).toBe(lock.token);
    expect(Number(await r.zscore(`${p}document_lock_expiry`, ctx.doc))).toBe(lock.expiresAt);
    expect(await r.hget(`${p}document_lock_holders`, ctx.doc)).toBe(await r.get(`${p}document_lock:${ctx.doc}`));

    // Reads fall back to the key's own expiry if the index entry was lost to a hand edit.
    await r.zrem(`${p}document_lock_expiry`, ctx.doc);
    expect(await ctx.store.get(ctx.doc)).toEqual(lock);

    await ctx.store.release(ctx.doc, owner);
    expect(await r.exists(`${p}document_lock:${ctx.doc}`)).toBe(0);
    expect(await r.zscore(`${p}document_lock_expiry`, ctx.doc)).toBeNull();
    expect(await r.hexists(`${p}document_lock_holders`, ctx.doc)).toBe(0);
    expect(Number(await r.get(`${p}document_lock_seq:${ctx.doc}`))).toBe(lock.token); // never reset
  });

  it("seeds a missing fencing counter from the clock, so tokens rise even after Redis lost its data", async () => {
    const owner = buildOwner();
    const before = await acquired(ctx.store, ctx.doc, owner);
    await ctx.store.release(ctx.doc, owner);
    await redis.client().del(`${ctx.keyPrefix}document_lock_seq:${ctx.doc}`); // what a restart without persistence does
    await sleep(5);
    const after = await acquired(ctx.store, ctx.doc, owner);

    expect(after.token).toBeGreaterThan(before.token);
  });
});

describe("RedisLockStore: races", () => {
  const ctx = useRedisStore();

  it("50 concurrent acquires from different clients (and connections): one winner, every loser sees it", async () => {
    const stores = [ctx.store, ...Array.from({ length: 4 }, () => new RedisLockStore({ redis: redis.url, keyPrefix: ctx.keyPrefix }))];
    try {
      const owners = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? buildOwner() : otherWindowOf(buildOwner())));
      const outcomes = await Promise.all(owners.map((owner, i) => stores[i % stores.length]!.acquire(ctx.doc, owner, LONG)));

      const winners = outcomes.filter((o) => o.kind === "acquired");
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.lock;
      for (const outcome of outcomes) if (outcome.kind === "held") expect(outcome.holder).toEqual(winner);
      expect(await ctx.store.get(ctx.doc)).toEqual(winner);
    } finally {
      await Promise.all(stores.slice(1).map((s) => s.close()));
    }
  });

  it("a heartbeat racing a force-take never leaves the old holder holding", async () => {
    const peer = new RedisLockStore({ redis: redis.url, keyPrefix: ctx.keyPrefix });
    const service = new DocumentLockService(ctx.store, { ttlMs: LONG });
    try {
      for (let round = 0; round < 25; round++) {
        const doc = buildDocumentId();
        const a = buildOwner();
        const lockA = await acquired(ctx.store, doc, a);
        const b = buildOwner();
        const [beat, take] = await Promise.all([
          ctx.store.heartbeat(doc, a, lockA.token, LONG),
          peer.forceTake(doc, b, LONG, "anyone"),
        ]);

        expect(["extended", "taken"]).toContain(beat.kind);
        expect(take.kind).toBe("taken");
        if (take.kind !== "taken") return;
        expect(take.previous).toMatchObject({ userId: a.userId, clientId: a.clientId, token: lockA.token });
        expect(await ctx.store.heartbeat(doc, a, lockA.token, LONG)).toEqual({ kind: "taken", holder: take.lock });
        await expect(service.assertHolds(doc, a.userId, lockA.token)).rejects.toMatchObject({ code: "lock_not_held" });
        expect(await ctx.store.get(doc)).toEqual(take.lock);
      }
    } finally {
      await peer.close();
    }
  });

  it("releases by non-holders racing the holder's heartbeats never delete the lock", async () => {
    const owner = buildOwner();
    const lock = await acquired(ctx.store, ctx.doc, owner);
    const intruders = [...Array.from({ length: 10 }, () => buildOwner()), ...Array.from({ length: 10 }, () => otherWindowOf(owner))];

    const results = await Promise.all([
      ...intruders.map((intruder) => ctx.store.release(ctx.doc, intruder)),
      ...Array.from({ length: 10 }, () => ctx.store.heartbeat(ctx.doc, owner, lock.token, LONG)),
    ]);

    for (const result of results.slice(0, intruders.length)) expect(result.kind).toBe("not_holder");
    for (const result of results.slice(intruders.length)) expect(result.kind).toBe("extended");
    expect(await ctx.store.get(ctx.doc)).toMatchObject({ token: lock.token, clientId: owner.clientId });
  });
});

describe("RedisLockStore: script cache", () => {
  const ctx = useRedisStore();

  it("keeps working after SCRIPT FLUSH between calls (EVALSHA falls back to EVAL on NOSCRIPT)", async () => {
    const admin = redis.client();
    const a = buildOwner();
    const lock = await acquired(ctx.store, ctx.doc, a);
    const other = buildDocumentId();
    const operations: (() => Promise<unknown>)[] = [
      () => ctx.store.acquire(ctx.doc, a, LONG),
      () => ctx.store.heartbeat(ctx.doc, a, lock.token, LONG),
      () => ctx.store.forceTake(other, a, LONG, "anyone"),
      () => ctx.store.release(other, a),
      () => ctx.store.sweepExpired(10),
    ];
    const failedEvalsha = async () =>
      Number(/cmdstat_evalsha:.*failed_calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    const failedBefore = await failedEvalsha();
    for (const operation of operations) {
      // The first call of a script on a connection is EVAL; after that ioredis sends EVALSHA,
      // which the flush turns into NOSCRIPT, answered by resending it as EVAL.
      await operation();
      expect(await admin.script("FLUSH")).toBe("OK");
      await expect(operation()).resolves.toBeDefined();
    }
    expect(await failedEvalsha()).toBe(failedBefore + operations.length); // the NOSCRIPT path really ran
    expect(await ctx.store.get(ctx.doc)).toMatchObject({ token: lock.token });
    expect(await ctx.store.get(other)).toBeNull();
  });
});

describe("RedisLockStore: corrupt stored values", () => {
  const log = captureLogger();
  const ctx = useRedisStore({ logger: log.logger });
  const corruptValues = {
    "not JSON": (r: Redis, key: string) => r.set(key, "not json", "PX", LONG),
    "JSON of the wrong shape": (r: Redis, key: string) => r.set(key, JSON.stringify({ user_id: 42, token: "x" }), "PX", LONG),
    "a key of the wrong type": (r: Redis, key: string) => r.multi().del(key).hset(key, "user_id", "u").exec(),
  };

  for (const [what, write] of Object.entries(corruptValues)) {
    it(`treats ${what} as no lock and logs a warning`, async () => {
      const r = redis.client();
      const key = `${ctx.keyPrefix}document_lock:${ctx.doc}`;
      const owner = buildOwner();
      const warnings = () => log.records.filter((rec) => rec.level === 40 && rec.documentId === ctx.doc);

      await write(r, key);
      const expectedWarnings = what === "a key of the wrong type" ? 0 : 1; // MGET reads other types as nil
      expect(await ctx.store.get(ctx.doc)).toBeNull();
      expect(await ctx.store.getMany([ctx.doc])).toEqual(new Map());
      expect(warnings()).toHaveLength(2 * expectedWarnings);

      expect(await ctx.store.heartbeat(ctx.doc, owner, 1, LONG)).toEqual({ kind: "expired" });
      expect(warnings().at(-1)).toMatchObject({ op: "heartbeat" });

      expect(await ctx.store.release(ctx.doc, owner)).toEqual({ kind: "not_locked" });
      expect(await r.exists(key)).toBe(0); // release deletes it

      await write(r, key);
      const outcome = await ctx.store.acquire(ctx.doc, owner, LONG);
      expect(outcome).toMatchObject({ kind: "acquired", refreshed: false, lock: { userId: owner.userId } });
      expect(await ctx.store.get(ctx.doc)).toEqual(outcome.kind === "acquired" ? outcome.lock : undefined);

      await write(r, key);
      const taken = await ctx.store.forceTake(ctx.doc, buildOwner(), LONG, "self");
      expect(taken).toMatchObject({ kind: "taken", previous: null });
      // The lock that the corrupt write destroyed was never announced: the force-take claims it.
      expect(taken).toMatchObject({ expired: { userId: owner.userId } });
      expect(await ctx.store.sweepExpired(10)).toEqual([]);
      for (const op of ["heartbeat", "acquire", "forceTake"]) {
        expect(warnings().some((rec) => rec.op === op && typeof rec.reason === "string")).toBe(true);
      }
    });
  }

  it("a corrupt value over a live lock makes the sweep announce that lock as gone", async () => {
    const r = redis.client();
    const lock = await acquired(ctx.store, ctx.doc, buildOwner(), 200);
    await r.set(`${ctx.keyPrefix}document_lock:${ctx.doc}`, "{oops", "PX", LONG);
    await sleep(350);

    expect(await ctx.store.sweepExpired(10)).toEqual([{ documentId: ctx.doc, previous: lock }]);
    expect(log.records.some((rec) => rec.op === "sweepExpired" && rec.reason === "not_json")).toBe(true);
  });
});

describe("RedisLockStore: with a client the caller owns", () => {
  it("uses it, adds typed commands to it and leaves it open on close()", async () => {
    const client = new Redis(redis.url);
    client.on("error", () => {});
    try {
      const store = new RedisLockStore({ redis: client, keyPrefix: uniqueKeyPrefix() });
      const doc = buildDocumentId();
      const lock = await acquired(store, doc);
      expect(await store.get(doc)).toEqual(lock);
      await store.close();
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
    }
  });

  it("refuses a client with its own keyPrefix (the sweep script builds lock keys itself)", () => {
    const client = new Redis(redis.url, { keyPrefix: "x:", lazyConnect: true });
    expect(() => new RedisLockStore({ redis: client })).toThrow(/keyPrefix/);
    client.disconnect();
  });
});

describe("RedisLockStore: Redis restarts and outages (own Redis server)", () => {
  let own: TestRedis;
  beforeEach(async () => {
    own = await startRedis();
  });
  afterEach(async () => {
    await own.stop();
  });

  async function redisPid(): Promise<number> {
    const info = await own.client().info("server");
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  }

  it("works again after a Redis restart without being recreated (scripts reloaded, keys gone)", async () => {
    const store = new RedisLockStore({ redis: own.url, keyPrefix: uniqueKeyPrefix() });
    try {
      const doc = buildDocumentId();
      const owner = buildOwner();
      const before = await acquired(store, doc, owner);
      await own.stop();
      await own.start();

      await eventually(() => store.ping().then(() => true, () => false), 5_000);
      expect(await store.get(doc)).toBeNull(); // no persistence: the lock is gone
      const after = await acquired(store, doc, owner);
      expect(after.token).toBeGreaterThan(before.token); // seeded from the clock, not from 1
      expect(await store.heartbeat(doc, owner, after.token, LONG)).toMatchObject({ kind: "extended" });
    } finally {
      await store.close();
    }
  });

  it("fails fast with StoreUnavailableError while Redis is down, without unhandled rejections, and heals", async () => {
    const commandTimeoutMs = 1_000;
    const store = new RedisLockStore({ redis: own.url, keyPrefix: uniqueKeyPrefix(), commandTimeoutMs });
    const service = new DocumentLockService(store, { ttlMs: LONG, sweepIntervalMs: 50 });
    const owner = buildOwner();
    const doc = buildDocumentId();
    try {
      await acquired(store, doc, owner);
      const unhandled = await collectUnhandledRejections(async () => {
        service.start();
        const inFlight = Promise.allSettled(Array.from({ length: 20 }, () => store.get(doc)));
        await own.stop();
        await inFlight; // settled one way or the other, in time (the test timeout would catch a hang)

        const calls: [string, () => Promise<unknown>][] = [
          ["acquire", () => store.acquire(doc, owner, LONG)],
          ["heartbeat", () => store.heartbeat(doc, owner, 1, LONG)],
          ["release", () => store.release(doc, owner)],
          ["forceTake", () => store.forceTake(doc, owner, LONG, "anyone")],
          ["get", () => store.get(doc)],
          ["getMany", () => store.getMany([doc])],
          ["sweepExpired", () => store.sweepExpired(10)],
          ["ping", () => store.ping()],
          ["service.acquire", () => service.acquire(doc, owner)],
        ];
        for (const [name, call] of calls) {
          const started = Date.now();
          const error = await call().then(
            () => new Error(`${name} resolved while Redis was down`),
            (err: unknown) => err,
          );
          const elapsed = Date.now() - started;
          expect(error, name).toBeInstanceOf(StoreUnavailableError);
          expect(elapsed, name).toBeLessThan(commandTimeoutMs + 500);
        }
        await sleep(200); // a few failing sweeps
      });
      expect(unhandled).toEqual([]);

      await own.start();
      await eventually(() => store.ping().then(() => true, () => false), 5_000);
      const fresh = buildDocumentId();
      expect((await store.acquire(fresh, owner, LONG)).kind).toBe("acquired");
    } finally {
      await service.stop();
      await store.close();
    }
  });

  it("times out with StoreUnavailableError within commandTimeoutMs when Redis stops answering", async () => {
    const commandTimeoutMs = 1_000;
    const pid = await redisPid();
    const ownStore = new RedisLockStore({ redis: own.url, keyPrefix: uniqueKeyPrefix(), commandTimeoutMs });
    // A caller-owned client with ioredis defaults (offline queue, no command timeout): only the
    // store's own deadline bounds the wait.
    const lenient = new Redis(own.url);
    lenient.on("error", () => {});
    const lenientStore = new RedisLockStore({ redis: lenient, keyPrefix: uniqueKeyPrefix(), commandTimeoutMs });
    const doc = buildDocumentId();
    try {
      await acquired(ownStore, doc);
      await lenientStore.ping();
      process.kill(pid, "SIGSTOP"); // connected, but silent: the hang a timeout exists for
      let unhandled: unknown[] = [];
      try {
        unhandled = await collectUnhandledRejections(async () => {
          for (const store of [ownStore, lenientStore]) {
            const started = Date.now();
            const error = await store.acquire(doc, buildOwner(), LONG).then(() => null, (err: unknown) => err);
            const elapsed = Date.now() - started;
            expect(error).toBeInstanceOf(StoreUnavailableError);
            expect(elapsed).toBeGreaterThanOrEqual(commandTimeoutMs - 50);
            expect(elapsed).toBeLessThan(3_000);
          }
        });
      } finally {
        process.kill(pid, "SIGCONT");
      }
      expect(unhandled).toEqual([]);
      await eventually(() => ownStore.ping().then(() => true, () => false), 5_000);
      expect(await ownStore.get(doc)).not.toBeNull();
    } finally {
      await ownStore.close();
      await lenientStore.close();
      lenient.disconnect();
    }
  });

  it("at start-up waits for the first connection within the timeout, then answers without being recreated", async () => {
    await own.stop();
    const impatient = new RedisLockStore({ redis: own.url, keyPrefix: uniqueKeyPrefix(), commandTimeoutMs: 500 });
    const patient = new RedisLockStore({ redis: own.url, keyPrefix: uniqueKeyPrefix(), commandTimeoutMs: 4_000 });
    try {
      const started = Date.now();
      await expect(impatient.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(1_000);

      const pending = patient.ping();
      await own.start();
      await expect(pending).resolves.toBeUndefined();
      await eventually(() => impatient.ping().then(() => true, () => false), 5_000);
    } finally {
      await Promise.all([impatient.close(), patient.close()]);
    }
  });
});
