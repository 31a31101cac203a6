/**
 * The lock store contract. Two implementations keep it: RedisLockStore (Lua scripts, shared by
 * many processes) and MemoryLockStore (one process, the embedded default). One contract test
 * suite (test/integration/lock-store.contract.ts) runs against both.
 *
 * Stores answer with typed results; they never throw for an expected outcome (held, expired,
 * taken). They throw StoreUnavailableError when the backing store cannot be reached in time.
 * Everything above the store works with these types, never with raw Redis replies.
 */

/** Who asks: a user in one window. */
export interface LockOwner {
  readonly userId: string;
  readonly userName: string;
  readonly displayName: string;
  readonly clientId: string;
}

/** A lock as stored. Times are epoch milliseconds (the store's clock: Redis TIME on Redis). */
export interface LockRecord extends LockOwner {
  readonly acquiredAt: number;
  /** Fencing token: strictly increasing per document over acquires and force-takes. */
  readonly token: number;
  readonly expiresAt: number;
}

export type AcquireOutcome =
  /** Newly acquired (`refreshed: false`, new token) or re-acquired by the same user and client (`refreshed: true`, same token, TTL renewed). */
  | {
      readonly kind: "acquired";
      readonly lock: LockRecord;
      readonly refreshed: boolean;
      /**
       * Set when a new lock replaced one that had run out without release and had not been
       * claimed by a sweep yet. It is claimed here, in the same atomic step (sweepExpired never
       * returns it), so the caller announces that expiry exactly once and before the new holder,
       * instead of losing it or announcing it after the new lock (clients would show it free).
       */
      readonly expired?: LockRecord;
    }
  /** Someone else (another user, or the same user on another client) holds it. */
  | { readonly kind: "held"; readonly holder: LockRecord };

export type HeartbeatOutcome =
  | { readonly kind: "extended"; readonly lock: LockRecord }
  /** No lock at all: it expired (or was released). */
  | { readonly kind: "expired" }
  /** A lock exists but it is not this user + client + token. */
  | { readonly kind: "taken"; readonly holder: LockRecord };

export type ReleaseOutcome =
  | { readonly kind: "released"; readonly previous: LockRecord }
  /** Nothing to release (idempotent). */
  | { readonly kind: "not_locked" }
  | { readonly kind: "not_holder"; readonly holder: LockRecord };

/**
 * Whose lock a force-take may replace. Decided by the access rules *before* the call, applied
 * *inside* the atomic step so a holder change in between cannot slip past it:
 * - `anyone`: the caller is an owner of the document's application;
 * - `self`: the caller may only take over a lock held by their own user (another window).
 */
export type ForceTakeFrom = "anyone" | "self";

export type ForceTakeOutcome =
  /** The caller holds the lock now, with a new token. `previous` is null when it was free. */
  | {
      readonly kind: "taken";
      readonly lock: LockRecord;
      readonly previous: LockRecord | null;
      /** Only when `previous` is null: as `expired` of AcquireOutcome. */
      readonly expired?: LockRecord;
    }
  /** The caller already held it with this client: TTL renewed, same token, nobody lost anything. */
  | { readonly kind: "already_held"; readonly lock: LockRecord }
  /** `from: "self"` and the holder is another user. */
  | { readonly kind: "forbidden"; readonly holder: LockRecord };

/** A lock that ran out without release, claimed by exactly one sweeper across all processes. */
export interface ExpiredLock {
  readonly documentId: string;
  readonly previous: LockRecord;
}

export interface LockStore {
  acquire(documentId: string, owner: LockOwner, ttlMs: number): Promise<AcquireOutcome>;
  heartbeat(documentId: string, owner: LockOwner, token: number, ttlMs: number): Promise<HeartbeatOutcome>;
  release(documentId: string, owner: LockOwner): Promise<ReleaseOutcome>;
  forceTake(documentId: string, owner: LockOwner, ttlMs: number, from: ForceTakeFrom): Promise<ForceTakeOutcome>;
  /** The current lock, or null. */
  get(documentId: string): Promise<LockRecord | null>;
  /** Current locks of many documents in one round trip (the document list). Missing = unlocked. */
  getMany(documentIds: readonly string[]): Promise<Map<string, LockRecord>>;
  /**
   * Claims up to `limit` locks that expired without release and returns them. Each expiry is
   * returned once, to one caller, even with many processes sweeping the same Redis.
   */
  sweepExpired(limit: number): Promise<ExpiredLock[]>;
  /** Throws StoreUnavailableError when the store cannot answer (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
