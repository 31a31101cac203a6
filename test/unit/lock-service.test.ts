import { describe, expect, it } from "vitest";
import {
  ForbiddenError,
  LockExpiredError,
  LockHeldError,
  LockNotHeldError,
  LockTakenError,
  NotLockHolderError,
  StoreUnavailableError,
} from "../../server/errors.js";
import { MemoryLockStore } from "../../server/locks/memory-store.js";
import { DocumentLockService, type LockEvent, type LockServiceOptions } from "../../server/locks/service.js";
import type { ExpiredLock } from "../../server/locks/types.js";
import { buildDocumentId, buildOwner, captureLogger, eventually, otherWindowOf, sleep } from "../helpers/lock-fixtures.js";

const TTL = 10_000;

/** A service on a memory store with a clock the test moves by hand. */
function setup(options: LockServiceOptions = {}, store?: MemoryLockStore) {
  const clock = { now: 1_000_000 };
  const memory = store ?? new MemoryLockStore({ now: () => clock.now });
  const service = new DocumentLockService(memory, { ttlMs: TTL, ...options });
  const events: LockEvent[] = [];
  service.on("event", (event) => events.push(event));
  return { clock, store: memory, service, events, doc: buildDocumentId() };
}

/** Rejects with the error the promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
}

describe("DocumentLockService", () => {
  it("uses a 45 s TTL and a 500 ms sweep by default and rejects nonsense options", () => {
    const service = new DocumentLockService(new MemoryLockStore());
    expect(service.ttlMs).toBe(45_000);
    expect(service.sweepIntervalMs).toBe(500);
    expect(() => new DocumentLockService(new MemoryLockStore(), { ttlMs: 0 })).toThrow(RangeError);
    expect(() => new DocumentLockService(new MemoryLockStore(), { sweepIntervalMs: 1.5 })).toThrow(RangeError);
  });

  describe("acquire", () => {
    it("returns the new lock and emits locked; a refresh emits nothing", async () => {
      const { service, events, doc, clock } = setup();
      const owner = buildOwner();
      const first = await service.acquire(doc, owner);
      clock.now += 1_000;
      const again = await service.acquire(doc, owner);

      expect(first).toEqual({ refreshed: false, lock: expect.objectContaining({ ...owner, expiresAt: 1_000_000 + TTL }) });
      expect(again).toEqual({ refreshed: true, lock: { ...first.lock, expiresAt: 1_001_000 + TTL } });
      expect(events).toEqual([{ type: "locked", documentId: doc, holder: first.lock, at: expect.any(Number) }]);
    });

    it("throws LockHeldError carrying the holder when someone else holds it", async () => {
      const { service, events, doc } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);

      for (const other of [buildOwner(), otherWindowOf(owner)]) {
        const err = await rejection(service.acquire(doc, other));
        expect(err).toBeInstanceOf(LockHeldError);
        expect(err).toMatchObject({ code: "lock_held", holder: lock });
      }
      expect(events).toHaveLength(1);
    });

    it("announces an unswept expiry before the new holder", async () => {
      const { service, events, doc, clock } = setup();
      const { lock: old } = await service.acquire(doc, buildOwner());
      clock.now += TTL + 1;
      const { lock } = await service.acquire(doc, buildOwner());

      expect(events.map((e) => e.type)).toEqual(["locked", "expired", "locked"]);
      expect(events[1]).toMatchObject({ type: "expired", previous: old });
      expect(events[2]).toMatchObject({ type: "locked", holder: lock });
    });
  });

  describe("heartbeat", () => {
    it("returns the extended lock", async () => {
      const { service, doc, clock } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);
      clock.now += 2_000;

      expect(await service.heartbeat(doc, owner, lock.token)).toEqual({ ...lock, expiresAt: clock.now + TTL });
    });

    it("throws LockExpiredError when the lock ran out", async () => {
      const { service, doc, clock } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);
      clock.now += TTL;

      const err = await rejection(service.heartbeat(doc, owner, lock.token));
      expect(err).toBeInstanceOf(LockExpiredError);
      expect(err).toMatchObject({ code: "lock_expired" });
    });

    it("throws LockTakenError carrying the new holder when someone else holds it", async () => {
      const { service, doc } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);
      const { lock: theirs } = await service.forceTake(doc, buildOwner(), "anyone");

      const err = await rejection(service.heartbeat(doc, owner, lock.token));
      expect(err).toBeInstanceOf(LockTakenError);
      expect(err).toMatchObject({ code: "lock_taken", holder: theirs });
    });
  });

  describe("release", () => {
    it("returns the previous lock and emits released; releasing nothing returns null", async () => {
      const { service, events, doc } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);

      expect(await service.release(doc, owner)).toEqual(lock);
      expect(await service.release(doc, owner)).toBeNull();
      expect(events.map((e) => e.type)).toEqual(["locked", "released"]);
      expect(events[1]).toEqual({ type: "released", documentId: doc, previous: lock, at: expect.any(Number) });
    });

    it("throws NotLockHolderError carrying the holder, and keeps the lock", async () => {
      const { service, doc } = setup();
      const { lock } = await service.acquire(doc, buildOwner());

      const err = await rejection(service.release(doc, buildOwner()));
      expect(err).toBeInstanceOf(NotLockHolderError);
      expect(err).toMatchObject({ code: "not_lock_holder", holder: lock });
      expect(await service.get(doc)).toEqual(lock);
    });
  });

  describe("forceTake", () => {
    it("emits force_taken with both holders when it replaces a lock", async () => {
      const { service, events, doc } = setup();
      const { lock: previous } = await service.acquire(doc, buildOwner());
      const result = await service.forceTake(doc, buildOwner(), "anyone");

      expect(result.previous).toEqual(previous);
      expect(result.lock.token).toBeGreaterThan(previous.token);
      expect(events[1]).toEqual({ type: "force_taken", documentId: doc, holder: result.lock, previous, at: expect.any(Number) });
    });

    it("emits locked when the document was free", async () => {
      const { service, events, doc } = setup();
      const result = await service.forceTake(doc, buildOwner(), "self");

      expect(result.previous).toBeNull();
      expect(events).toEqual([{ type: "locked", documentId: doc, holder: result.lock, at: expect.any(Number) }]);
    });

    it("returns the lock with previous null and emits nothing when the caller already holds it", async () => {
      const { service, events, doc } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);
      const result = await service.forceTake(doc, owner, "anyone");

      expect(result).toEqual({ lock, previous: null });
      expect(events).toHaveLength(1);
    });

    it("throws ForbiddenError when taking over from another user is not allowed, and changes nothing", async () => {
      const { service, events, doc } = setup();
      const { lock } = await service.acquire(doc, buildOwner());

      const err = await rejection(service.forceTake(doc, buildOwner(), "self"));
      expect(err).toBeInstanceOf(ForbiddenError);
      expect(err).toMatchObject({ code: "forbidden" });
      expect(await service.get(doc)).toEqual(lock);
      expect(events).toHaveLength(1);
    });
  });

  describe("assertHolds", () => {
    it("resolves with the lock for its user and current token only", async () => {
      const { service, doc, clock } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);

      expect(await service.assertHolds(doc, owner.userId, lock.token)).toEqual(lock);
      for (const [userId, token] of [
        [owner.userId, lock.token + 1],
        [owner.userId, lock.token - 1],
        [buildOwner().userId, lock.token],
      ] as const) {
        const err = await rejection(service.assertHolds(doc, userId, token));
        expect(err).toBeInstanceOf(LockNotHeldError);
      }
      clock.now += TTL;
      expect(await rejection(service.assertHolds(doc, owner.userId, lock.token))).toBeInstanceOf(LockNotHeldError);
      expect(await rejection(service.assertHolds(buildDocumentId(), owner.userId, lock.token))).toBeInstanceOf(LockNotHeldError);
    });

    it("refuses the old holder's token after a force-take, even from the same user", async () => {
      const { service, doc } = setup();
      const owner = buildOwner();
      const { lock } = await service.acquire(doc, owner);
      const { lock: taken } = await service.forceTake(doc, otherWindowOf(owner), "self");

      expect(await rejection(service.assertHolds(doc, owner.userId, lock.token))).toBeInstanceOf(LockNotHeldError);
      expect(await service.assertHolds(doc, owner.userId, taken.token)).toEqual(taken);
    });
  });

  it("lets a store failure through as StoreUnavailableError", async () => {
    const { service, store, doc } = setup();
    await store.close();
    const owner = buildOwner();
    for (const call of [
      () => service.acquire(doc, owner),
      () => service.heartbeat(doc, owner, 1),
      () => service.release(doc, owner),
      () => service.forceTake(doc, owner, "anyone"),
      () => service.get(doc),
      () => service.getMany([doc]),
      () => service.assertHolds(doc, owner.userId, 1),
    ]) {
      expect(await rejection(call())).toBeInstanceOf(StoreUnavailableError);
    }
  });

  it("a throwing event listener neither fails the call nor stops the lock change; it is logged", async () => {
    const log = captureLogger();
    const { service, doc } = setup({ logger: log.logger });
    service.on("event", () => {
      throw new Error("listener bug");
    });
    const owner = buildOwner();
    const { lock } = await service.acquire(doc, owner);

    expect(await service.get(doc)).toEqual(lock);
    expect(log.records).toContainEqual(expect.objectContaining({ level: 50, msg: "a lock event listener threw", event: "locked" }));
  });

  describe("sweep loop", () => {
    it("announces each expiry once, and nothing after stop()", async () => {
      const { service, events, doc, clock } = setup({ sweepIntervalMs: 10 });
      const { lock } = await service.acquire(doc, buildOwner());
      const later = buildDocumentId();
      await service.acquire(later, buildOwner());
      service.start();
      service.start(); // idempotent: still one loop
      clock.now += TTL;

      await eventually(() => events.some((e) => e.type === "expired"));
      await sleep(50);
      expect(events.filter((e) => e.type === "expired")).toEqual([
        { type: "expired", documentId: doc, previous: lock, at: expect.any(Number) },
        { type: "expired", documentId: later, previous: expect.any(Object), at: expect.any(Number) },
      ]);

      await service.stop();
      await service.acquire(buildDocumentId(), buildOwner());
      clock.now += TTL;
      await sleep(50);
      expect(events.filter((e) => e.type === "expired")).toHaveLength(2);
    });

    it("logs a failing store once, never throws, and recovers", async () => {
      const log = captureLogger();
      const clock = { now: 1_000_000 };
      let failing = true;
      // The real memory store; only its availability is switched, as a Redis outage would.
      class FlakyStore extends MemoryLockStore {
        override async sweepExpired(limit: number): Promise<ExpiredLock[]> {
          if (failing) throw new StoreUnavailableError();
          return super.sweepExpired(limit);
        }
      }
      const { service, events, doc } = setup({ sweepIntervalMs: 10, logger: log.logger }, new FlakyStore({ now: () => clock.now }));
      await service.acquire(doc, buildOwner());
      clock.now += TTL;
      service.start();
      await sleep(100);

      const errors = () => log.records.filter((r) => r.level === 50);
      expect(errors()).toHaveLength(1);
      expect(errors()[0]).toMatchObject({ msg: expect.stringContaining("sweep failed") });
      expect(events.map((e) => e.type)).toEqual(["locked"]);

      failing = false;
      await eventually(() => events.some((e) => e.type === "expired"));
      expect(log.records).toContainEqual(expect.objectContaining({ level: 30, msg: "lock expiry sweep works again" }));
      await service.stop();
    });

    it("never runs two sweeps at once, and stop() waits for the running one", async () => {
      let running = 0;
      let maxRunning = 0;
      let finished = 0;
      class SlowStore extends MemoryLockStore {
        override async sweepExpired(limit: number): Promise<ExpiredLock[]> {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await sleep(40);
          running -= 1;
          finished += 1;
          return super.sweepExpired(limit);
        }
      }
      const { service } = setup({ sweepIntervalMs: 5 }, new SlowStore());
      service.start();
      await eventually(() => running === 1);
      await sleep(100);
      await service.stop();

      expect(maxRunning).toBe(1);
      expect(running).toBe(0);
      const afterStop = finished;
      await sleep(60);
      expect(finished).toBe(afterStop);
    });
  });
});
