import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DocumentLockService, type LockEvent } from "../../server/locks/service.js";
import type { LockRecord, LockStore } from "../../server/locks/types.js";
import { buildDocumentId, buildOwner, eventually, otherWindowOf, sleep } from "../helpers/lock-fixtures.js";

/** What one contract run works on: fresh, empty stores. */
export interface LockStoreFixture {
  readonly store: LockStore;
  /**
   * Another store on the same data, as a second server process sees it (a second
   * RedisLockStore on the same Redis and key prefix). The same store when data cannot be shared.
   */
  readonly peer: LockStore;
  teardown(): Promise<void>;
}

const LONG = 30_000;
/** Short enough to wait out, long enough that a loaded machine does not expire it by accident. */
const SHORT = 250;
/** Past SHORT with room for timer and scheduling jitter. */
const PAST_SHORT = SHORT + 150;

/**
 * The LockStore contract (server/locks/types.ts), run once per implementation, like
 * node-redlock's `run(namespace, client)`. Every store must pass it unchanged.
 */
export function runLockStoreContract(name: string, setup: () => Promise<LockStoreFixture>): void {
  describe(`LockStore contract: ${name}`, () => {
    let fixture: LockStoreFixture;
    let store: LockStore;
    let doc: string;

    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
      doc = buildDocumentId();
    });
    afterEach(async () => {
      await fixture.teardown();
    });

    /** Acquires `doc` (or another document) for a new owner and returns the lock. */
    async function lockFor(owner = buildOwner(), ttlMs = LONG, documentId = doc): Promise<LockRecord> {
      const outcome = await store.acquire(documentId, owner, ttlMs);
      if (outcome.kind !== "acquired") throw new Error(`expected to acquire ${documentId}, got ${outcome.kind}`);
      return outcome.lock;
    }

    describe("acquire", () => {
      it("takes a free document: new lock with a fresh token and expiresAt = acquiredAt + ttl", async () => {
        const owner = buildOwner();
        const before = Date.now();
        const outcome = await store.acquire(doc, owner, LONG);
        const after = Date.now();

        expect(outcome).toEqual({ kind: "acquired", refreshed: false, lock: expect.any(Object) });
        if (outcome.kind !== "acquired") return;
        const { lock } = outcome;
        expect(lock).toMatchObject(owner);
        expect(Number.isSafeInteger(lock.token) && lock.token > 0).toBe(true);
        expect(lock.expiresAt).toBe(lock.acquiredAt + LONG);
        // Same host, so the store's clock (Redis TIME) agrees with ours within a second.
        expect(lock.acquiredAt).toBeGreaterThanOrEqual(before - 1_000);
        expect(lock.acquiredAt).toBeLessThanOrEqual(after + 1_000);
        expect(outcome.expired).toBeUndefined();
      });

      it("is idempotent for the same user and client: same token, TTL renewed", async () => {
        const owner = buildOwner();
        const first = await lockFor(owner, SHORT);
        await sleep(20);
        const again = await store.acquire(doc, owner, LONG);

        expect(again.kind).toBe("acquired");
        if (again.kind !== "acquired") return;
        expect(again.refreshed).toBe(true);
        expect(again.lock).toEqual({ ...first, expiresAt: again.lock.expiresAt });
        expect(again.lock.expiresAt).toBeGreaterThanOrEqual(first.expiresAt + LONG - SHORT);
        await sleep(PAST_SHORT); // past the first TTL: only the renewal keeps it alive
        expect(await store.get(doc)).toEqual(again.lock);
      });

      it("answers held, with the holder, when another user holds it", async () => {
        const lock = await lockFor();
        const outcome = await store.acquire(doc, buildOwner(), LONG);

        expect(outcome).toEqual({ kind: "held", holder: lock });
        expect(await store.get(doc)).toEqual(lock);
      });

      it("answers held when the same user holds it in another window", async () => {
        const owner = buildOwner();
        const lock = await lockFor(owner);
        const outcome = await store.acquire(doc, otherWindowOf(owner), LONG);

        expect(outcome).toEqual({ kind: "held", holder: lock });
      });
    });

    describe("heartbeat", () => {
      it("extends the holder's lock: new expiresAt, same token, outlives the original TTL", async () => {
        const owner = buildOwner();
        const lock = await lockFor(owner, SHORT);
        await sleep(20);
        const outcome = await store.heartbeat(doc, owner, lock.token, LONG);

        expect(outcome.kind).toBe("extended");
        if (outcome.kind !== "extended") return;
        expect(outcome.lock).toEqual({ ...lock, expiresAt: outcome.lock.expiresAt });
        expect(outcome.lock.expiresAt).toBeGreaterThanOrEqual(lock.expiresAt + LONG - SHORT);
        await sleep(PAST_SHORT); // past the original TTL
        expect(await store.get(doc)).toEqual(outcome.lock);
        expect(await store.sweepExpired(100)).toEqual([]);
      });

      it("answers expired when there is no lock: never taken, ran out, or released", async () => {
        const owner = buildOwner();
        expect(await store.heartbeat(doc, owner, 1, LONG)).toEqual({ kind: "expired" });

        const short = await lockFor(owner, SHORT);
        await sleep(PAST_SHORT);
        expect(await store.heartbeat(doc, owner, short.token, LONG)).toEqual({ kind: "expired" });

        const other = buildDocumentId();
        const released = await lockFor(owner, LONG, other);
        await store.release(other, owner);
        expect(await store.heartbeat(other, owner, released.token, LONG)).toEqual({ kind: "expired" });
      });

      it("answers taken, and extends nothing, when the lock is not this user + client + token", async () => {
        const owner = buildOwner();
        const lock = await lockFor(owner);

        expect(await store.heartbeat(doc, owner, lock.token - 1, LONG)).toEqual({ kind: "taken", holder: lock });
        expect(await store.heartbeat(doc, otherWindowOf(owner), lock.token, LONG)).toEqual({ kind: "taken", holder: lock });
        expect(await store.heartbeat(doc, buildOwner(), lock.token, LONG)).toEqual({ kind: "taken", holder: lock });
        expect(await store.get(doc)).toEqual(lock);
      });

      it("answers taken with the new holder after the lock ran out and someone else acquired it", async () => {
        const a = buildOwner();
        const lockA = await lockFor(a, SHORT);
        await sleep(PAST_SHORT);
        const lockB = await lockFor(buildOwner());

        expect(await store.heartbeat(doc, a, lockA.token, LONG)).toEqual({ kind: "taken", holder: lockB });
      });
    });

    describe("release", () => {
      it("releases the holder's lock and returns it", async () => {
        const owner = buildOwner();
        const lock = await lockFor(owner);

        expect(await store.release(doc, owner)).toEqual({ kind: "released", previous: lock });
        expect(await store.get(doc)).toBeNull();
        expect((await store.acquire(doc, buildOwner(), LONG)).kind).toBe("acquired");
      });

      it("is idempotent: nothing locked answers not_locked", async () => {
        const owner = buildOwner();
        expect(await store.release(doc, owner)).toEqual({ kind: "not_locked" });
        await lockFor(owner);
        expect((await store.release(doc, owner)).kind).toBe("released");
        expect(await store.release(doc, owner)).toEqual({ kind: "not_locked" });
      });

      it("answers not_holder and keeps the lock when another user or window asks", async () => {
        const owner = buildOwner();
        const lock = await lockFor(owner);

        expect(await store.release(doc, buildOwner())).toEqual({ kind: "not_holder", holder: lock });
        expect(await store.release(doc, otherWindowOf(owner))).toEqual({ kind: "not_holder", holder: lock });
        expect(await store.get(doc)).toEqual(lock);
        expect(await store.heartbeat(doc, owner, lock.token, LONG)).toMatchObject({ kind: "extended" });
      });
    });

    describe("forceTake", () => {
      it("from anyone: replaces another user's lock with a new token and returns the previous", async () => {
        const a = buildOwner();
        const lockA = await lockFor(a);
        const b = buildOwner();
        const outcome = await store.forceTake(doc, b, LONG, "anyone");

        expect(outcome).toEqual({ kind: "taken", lock: expect.any(Object), previous: lockA });
        if (outcome.kind !== "taken") return;
        expect(outcome.lock).toMatchObject(b);
        expect(outcome.lock.token).toBeGreaterThan(lockA.token);
        expect(outcome.expired).toBeUndefined();
        expect(await store.get(doc)).toEqual(outcome.lock);
        // The old holder learns it lost the lock, and cannot release the new one.
        expect(await store.heartbeat(doc, a, lockA.token, LONG)).toEqual({ kind: "taken", holder: outcome.lock });
        expect(await store.release(doc, a)).toEqual({ kind: "not_holder", holder: outcome.lock });
      });

      it("from self: takes over the same user's lock held in another window", async () => {
        const owner = buildOwner();
        const first = await lockFor(owner);
        const here = otherWindowOf(owner);
        const outcome = await store.forceTake(doc, here, LONG, "self");

        expect(outcome).toEqual({ kind: "taken", lock: expect.any(Object), previous: first });
        if (outcome.kind !== "taken") return;
        expect(outcome.lock).toMatchObject(here);
        expect(outcome.lock.token).toBeGreaterThan(first.token);
      });

      it("from anyone also takes the same user's other window", async () => {
        const owner = buildOwner();
        const first = await lockFor(owner);
        const outcome = await store.forceTake(doc, otherWindowOf(owner), LONG, "anyone");

        expect(outcome).toMatchObject({ kind: "taken", previous: first });
      });

      it("from self is forbidden when another user holds it, and changes nothing", async () => {
        const lock = await lockFor();
        const outcome = await store.forceTake(doc, buildOwner(), LONG, "self");

        expect(outcome).toEqual({ kind: "forbidden", holder: lock });
        expect(await store.get(doc)).toEqual(lock);
      });

      it.each(["anyone", "self"] as const)("from %s on a free document is a plain acquire (previous null)", async (from) => {
        const owner = buildOwner();
        const outcome = await store.forceTake(doc, owner, LONG, from);

        expect(outcome).toEqual({ kind: "taken", lock: expect.any(Object), previous: null });
        if (outcome.kind !== "taken") return;
        expect(outcome.lock).toMatchObject(owner);
        expect(outcome.lock.expiresAt).toBe(outcome.lock.acquiredAt + LONG);
        expect(await store.get(doc)).toEqual(outcome.lock);
      });

      it.each(["anyone", "self"] as const)("from %s by the holder's own window: already_held, same token, TTL renewed", async (from) => {
        const owner = buildOwner();
        const lock = await lockFor(owner, SHORT);
        await sleep(20);
        const outcome = await store.forceTake(doc, owner, LONG, from);

        expect(outcome.kind).toBe("already_held");
        if (outcome.kind !== "already_held") return;
        expect(outcome.lock).toEqual({ ...lock, expiresAt: outcome.lock.expiresAt });
        expect(outcome.lock.expiresAt).toBeGreaterThanOrEqual(lock.expiresAt + LONG - SHORT);
        await sleep(PAST_SHORT);
        expect(await store.get(doc)).toEqual(outcome.lock);
      });
    });

    describe("get and getMany", () => {
      it("get answers null when free, the lock when held, null after it ran out", async () => {
        expect(await store.get(doc)).toBeNull();
        const lock = await lockFor(buildOwner(), SHORT);
        expect(await store.get(doc)).toEqual(lock);
        await sleep(PAST_SHORT);
        expect(await store.get(doc)).toBeNull();
      });

      it("getMany answers the held ones only, each as get would", async () => {
        const [d1, d2, d3, free, expired] = [1, 2, 3, 4, 5].map(() => buildDocumentId()) as [string, string, string, string, string];
        const owner = buildOwner();
        await lockFor(buildOwner(), SHORT, expired);
        const l1 = await lockFor(owner, LONG, d1);
        const l2 = await lockFor(owner, LONG, d2);
        const l3 = await lockFor(buildOwner(), LONG, d3);
        await sleep(PAST_SHORT);

        const many = await store.getMany([d1, free, d2, expired, d3, d1]);
        expect(many).toEqual(
          new Map([
            [d1, l1],
            [d2, l2],
            [d3, l3],
          ]),
        );
        expect(await store.getMany([])).toEqual(new Map());
      });
    });

    describe("expiry and fencing", () => {
      it("a lock that runs out frees the document; the next acquire claims the unannounced expiry", async () => {
        const lockA = await lockFor(buildOwner(), SHORT);
        await sleep(PAST_SHORT);
        const outcome = await store.acquire(doc, buildOwner(), LONG);

        expect(outcome).toMatchObject({ kind: "acquired", refreshed: false, expired: lockA });
        // Claimed by the acquire: no sweep reports it again.
        expect(await store.sweepExpired(100)).toEqual([]);
      });

      it("a force-take on a lock that ran out is a plain acquire that claims the expiry", async () => {
        const lockA = await lockFor(buildOwner(), SHORT);
        await sleep(PAST_SHORT);
        const outcome = await store.forceTake(doc, buildOwner(), LONG, "anyone");

        expect(outcome).toMatchObject({ kind: "taken", previous: null, expired: lockA });
        expect(await store.sweepExpired(100)).toEqual([]);
      });

      it("fencing tokens strictly increase over acquires, force-takes and re-acquires after expiry or release", async () => {
        const a = buildOwner();
        const b = buildOwner();
        const tokens: number[] = [];
        const take = async (run: () => Promise<unknown>): Promise<void> => {
          const outcome = (await run()) as { kind: string; lock: LockRecord };
          expect(["acquired", "taken"]).toContain(outcome.kind);
          tokens.push(outcome.lock.token);
        };

        await take(() => store.acquire(doc, a, LONG));
        await take(() => store.forceTake(doc, b, SHORT, "anyone"));
        await sleep(PAST_SHORT);
        await take(() => store.acquire(doc, a, LONG));
        await store.release(doc, a);
        await take(() => store.acquire(doc, a, LONG));
        await take(() => store.forceTake(doc, otherWindowOf(a), LONG, "self"));
        await store.release(doc, b); // not the holder: no new token, nothing changes
        await take(() => store.forceTake(doc, b, LONG, "anyone"));

        for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
      });
    });

    describe("sweepExpired", () => {
      it("returns each lock that ran out exactly once, and never released or live ones", async () => {
        const expiring = await Promise.all([1, 2, 3].map(async () => {
          const id = buildDocumentId();
          return { id, lock: await lockFor(buildOwner(), SHORT, id) };
        }));
        const releasedOwner = buildOwner();
        const released = buildDocumentId();
        await lockFor(releasedOwner, SHORT, released);
        await store.release(released, releasedOwner);
        await lockFor(buildOwner(), LONG, buildDocumentId());
        const kept = buildDocumentId();
        const keeper = buildOwner();
        const keptLock = await lockFor(keeper, SHORT, kept);
        await store.heartbeat(kept, keeper, keptLock.token, LONG);

        expect(await store.sweepExpired(100)).toEqual([]);
        await sleep(PAST_SHORT);
        const swept = await store.sweepExpired(100);

        const byId = (x: { documentId: string }, y: { documentId: string }) => x.documentId.localeCompare(y.documentId);
        expect([...swept].sort(byId)).toEqual(expiring.map(({ id, lock }) => ({ documentId: id, previous: lock })).sort(byId));
        expect(await store.sweepExpired(100)).toEqual([]);
        expect(await fixture.peer.sweepExpired(100)).toEqual([]);
      });

      it("honours the limit and leaves the rest for the next call", async () => {
        const ids = [1, 2, 3, 4, 5].map(() => buildDocumentId());
        for (const id of ids) await lockFor(buildOwner(), SHORT, id);
        await sleep(PAST_SHORT);

        const batches = [await store.sweepExpired(2), await store.sweepExpired(2), await store.sweepExpired(2)];
        expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
        expect(batches.flat().map((e) => e.documentId).sort()).toEqual([...ids].sort());
        expect(await store.sweepExpired(2)).toEqual([]);
      });

      it("hands each expiry to exactly one of many concurrent sweepers (two stores on the same data)", async () => {
        const ids = Array.from({ length: 30 }, () => buildDocumentId());
        await Promise.all(ids.map((id) => lockFor(buildOwner(), SHORT, id)));
        await sleep(PAST_SHORT);

        const seen: string[] = [];
        for (let round = 0; round < 20 && seen.length < ids.length; round++) {
          const batches = await Promise.all(
            Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : fixture.peer).sweepExpired(3)),
          );
          seen.push(...batches.flat().map((e) => e.documentId));
        }
        expect([...seen].sort()).toEqual([...ids].sort());
      });
    });

    describe("with DocumentLockService", () => {
      it("announces an expired lock within 2 s of its expiry, exactly once across two processes", async () => {
        const services = [
          new DocumentLockService(store, { ttlMs: SHORT, sweepIntervalMs: 50 }),
          new DocumentLockService(fixture.peer, { ttlMs: SHORT, sweepIntervalMs: 50 }),
        ];
        const events: LockEvent[] = [];
        const expiredSeenAt: number[] = [];
        for (const service of services) {
          service.on("event", (event) => {
            events.push(event);
            if (event.type === "expired") expiredSeenAt.push(Date.now());
          });
          service.start();
        }
        try {
          const { lock } = await services[0]!.acquire(doc, buildOwner());
          await eventually(() => expiredSeenAt.length > 0, 3_000);
          await sleep(200); // room for a wrong second announcement

          expect(events.map((e) => e.type)).toEqual(["locked", "expired"]);
          expect(events[1]).toEqual({ type: "expired", documentId: doc, previous: lock, at: expect.any(Number) });
          const delay = expiredSeenAt[0]! - lock.expiresAt;
          expect(delay).toBeGreaterThanOrEqual(-50); // not before it ran out (same host clock)
          expect(delay).toBeLessThan(2_000);
        } finally {
          await Promise.all(services.map((s) => s.stop()));
        }
      });
    });
  });
}
