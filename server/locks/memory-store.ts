import { StoreUnavailableError } from "../errors.js";
import { checkDocumentId, checkLimit, checkTtl, checkToken } from "./checks.js";
import type {
  AcquireOutcome,
  ExpiredLock,
  ForceTakeFrom,
  ForceTakeOutcome,
  HeartbeatOutcome,
  LockOwner,
  LockRecord,
  LockStore,
  ReleaseOutcome,
} from "./types.js";

export interface MemoryLockStoreOptions {
  /** The store's clock in epoch ms (tests inject one). Default Date.now. */
  readonly now?: () => number;
}

/**
 * The lock store for one process (the embedded server), with the same contract as
 * RedisLockStore; the contract suite runs on both. Every method runs synchronously between
 * its awaits, so each operation is atomic as a Lua script is on Redis.
 *
 * A lock past its expiry stays in the map until it is claimed, by sweepExpired or by the
 * acquire / force-take that replaces it (`expired` in their outcome), so that each expiry is
 * reported exactly once, like the expiry index on Redis. Every other operation treats it as
 * absent (expiry is checked lazily, on access).
 */
export class MemoryLockStore implements LockStore {
  private readonly now: () => number;
  private readonly locks = new Map<string, LockRecord>();
  /** Last fencing token per document. Never reset while the process lives. */
  private readonly tokens = new Map<string, number>();
  private closed = false;

  constructor(options: MemoryLockStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async acquire(documentId: string, owner: LockOwner, ttlMs: number): Promise<AcquireOutcome> {
    this.checkOpen();
    checkDocumentId(documentId);
    checkTtl(ttlMs);
    const now = this.now();
    const current = this.live(documentId, now);
    if (current) {
      if (!sameOwner(current, owner)) return { kind: "held", holder: current };
      return { kind: "acquired", lock: this.renew(documentId, current, ttlMs, now), refreshed: true };
    }
    const expired = this.locks.get(documentId);
    const lock = this.write(documentId, owner, ttlMs, now);
    return { kind: "acquired", lock, refreshed: false, ...(expired ? { expired } : {}) };
  }

  async heartbeat(documentId: string, owner: LockOwner, token: number, ttlMs: number): Promise<HeartbeatOutcome> {
    this.checkOpen();
    checkDocumentId(documentId);
    checkTtl(ttlMs);
    checkToken(token);
    const now = this.now();
    const current = this.live(documentId, now);
    if (!current) return { kind: "expired" };
    if (!sameOwner(current, owner) || current.token !== token) return { kind: "taken", holder: current };
    return { kind: "extended", lock: this.renew(documentId, current, ttlMs, now) };
  }

  async release(documentId: string, owner: LockOwner): Promise<ReleaseOutcome> {
    this.checkOpen();
    checkDocumentId(documentId);
    const current = this.live(documentId, this.now());
    // A lock that ran out stays for the sweep to announce, as on Redis.
    if (!current) return { kind: "not_locked" };
    if (!sameOwner(current, owner)) return { kind: "not_holder", holder: current };
    this.locks.delete(documentId);
    return { kind: "released", previous: current };
  }

  async forceTake(documentId: string, owner: LockOwner, ttlMs: number, from: ForceTakeFrom): Promise<ForceTakeOutcome> {
    this.checkOpen();
    checkDocumentId(documentId);
    checkTtl(ttlMs);
    if (from !== "anyone" && from !== "self") throw new RangeError(`from must be "anyone" or "self", got ${String(from)}`);
    const now = this.now();
    const current = this.live(documentId, now);
    if (current) {
      if (sameOwner(current, owner)) return { kind: "already_held", lock: this.renew(documentId, current, ttlMs, now) };
      if (from === "self" && current.userId !== owner.userId) return { kind: "forbidden", holder: current };
      return { kind: "taken", lock: this.write(documentId, owner, ttlMs, now), previous: current };
    }
    const expired = this.locks.get(documentId);
    const lock = this.write(documentId, owner, ttlMs, now);
    return { kind: "taken", lock, previous: null, ...(expired ? { expired } : {}) };
  }

  async get(documentId: string): Promise<LockRecord | null> {
    this.checkOpen();
    checkDocumentId(documentId);
    return this.live(documentId, this.now()) ?? null;
  }

  async getMany(documentIds: readonly string[]): Promise<Map<string, LockRecord>> {
    this.checkOpen();
    documentIds.forEach(checkDocumentId);
    const now = this.now();
    const result = new Map<string, LockRecord>();
    for (const id of documentIds) {
      const lock = this.live(id, now);
      if (lock) result.set(id, lock);
    }
    return result;
  }

  async sweepExpired(limit: number): Promise<ExpiredLock[]> {
    this.checkOpen();
    checkLimit(limit);
    const now = this.now();
    const due = [...this.locks.entries()]
      .filter(([, lock]) => lock.expiresAt <= now)
      .sort(([, a], [, b]) => a.expiresAt - b.expiresAt)
      .slice(0, limit);
    for (const [documentId] of due) this.locks.delete(documentId);
    return due.map(([documentId, previous]) => ({ documentId, previous }));
  }

  async ping(): Promise<void> {
    this.checkOpen();
  }

  /** Afterwards every call fails as a closed Redis store's would, with StoreUnavailableError. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError("The lock store is closed.");
  }

  /** The lock, unless it ran out (then it is left for sweepExpired or the next acquire). */
  private live(documentId: string, now: number): LockRecord | undefined {
    const lock = this.locks.get(documentId);
    return lock && lock.expiresAt > now ? lock : undefined;
  }

  private renew(documentId: string, lock: LockRecord, ttlMs: number, now: number): LockRecord {
    const renewed = { ...lock, expiresAt: now + ttlMs };
    this.locks.set(documentId, renewed);
    return renewed;
  }

  private write(documentId: string, owner: LockOwner, ttlMs: number, now: number): LockRecord {
    // Seeded from the clock, as on Redis: tokens keep rising across a restart of the process,
    // while the database's save fence (which outlives this store) remembers the old ones.
    const token = Math.max(this.tokens.get(documentId) ?? now, 0) + 1;
    this.tokens.set(documentId, token);
    const lock: LockRecord = {
      userId: owner.userId,
      userName: owner.userName,
      displayName: owner.displayName,
      clientId: owner.clientId,
      acquiredAt: now,
      token,
      expiresAt: now + ttlMs,
    };
    this.locks.set(documentId, lock);
    return lock;
  }
}

function sameOwner(lock: LockRecord, owner: LockOwner): boolean {
  return lock.userId === owner.userId && lock.clientId === owner.clientId;
}
