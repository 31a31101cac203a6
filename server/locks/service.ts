import { EventEmitter } from "node:events";
import { pino, type Logger } from "pino";
import {
  ForbiddenError,
  LockExpiredError,
  LockHeldError,
  LockNotHeldError,
  LockTakenError,
  NotLockHolderError,
} from "../errors.js";
import type { ForceTakeFrom, LockOwner, LockRecord, LockStore } from "./types.js";

/** A change of a document's holder. `at` is this process's clock when the change was seen. */
export type LockEvent =
  | { type: "locked"; documentId: string; holder: LockRecord; at: number }
  | { type: "released"; documentId: string; previous: LockRecord; at: number }
  | { type: "expired"; documentId: string; previous: LockRecord; at: number }
  | { type: "force_taken"; documentId: string; holder: LockRecord; previous: LockRecord; at: number };

export interface LockServiceOptions {
  /** How long a lock lives without a heartbeat. Default 45 000 ms; clients heartbeat every ttl/3. */
  ttlMs?: number;
  /** How often expired locks are claimed and announced. Default 500 ms (announced well within 2 s). */
  sweepIntervalMs?: number;
  /** Sweep failures, corrupt-value warnings from the store, failing event listeners. */
  logger?: Logger;
}

const DEFAULTS = Object.freeze({ ttlMs: 45_000, sweepIntervalMs: 500 });

/** Claimed per store call; a sweep keeps claiming while batches come back full. */
const SWEEP_BATCH = 100;
/** Bounds one sweep, so a huge backlog cannot keep it (and stop()) busy for long. */
const SWEEP_MAX_BATCHES = 20;

/**
 * The document lock rules on top of a LockStore: store outcomes become results or typed errors
 * (server/errors.ts), and every change of holder becomes one `event` (broadcast by the realtime
 * hub). Expired locks are found by a sweep loop, since nobody calls anything when a lock runs out.
 */
export class DocumentLockService extends EventEmitter<{ event: [LockEvent] }> {
  readonly ttlMs: number;
  readonly sweepIntervalMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepFailing = false;

  constructor(
    private readonly store: LockStore,
    options: LockServiceOptions = {},
  ) {
    super();
    this.ttlMs = options.ttlMs ?? DEFAULTS.ttlMs;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULTS.sweepIntervalMs;
    this.logger = options.logger ?? pino({ level: "silent" });
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${this.ttlMs}`);
    if (!Number.isSafeInteger(this.sweepIntervalMs) || this.sweepIntervalMs <= 0) {
      throw new RangeError(`sweepIntervalMs must be a positive integer, got ${this.sweepIntervalMs}`);
    }
  }

  /** Throws LockHeldError when anyone else (or this user in another window) holds it. */
  async acquire(documentId: string, owner: LockOwner): Promise<{ lock: LockRecord; refreshed: boolean }> {
    const outcome = await this.store.acquire(documentId, owner, this.ttlMs);
    if (outcome.kind === "held") throw new LockHeldError(outcome.holder);
    if (outcome.expired) this.emitEvent({ type: "expired", documentId, previous: outcome.expired, at: Date.now() });
    if (!outcome.refreshed) this.emitEvent({ type: "locked", documentId, holder: outcome.lock, at: Date.now() });
    return { lock: outcome.lock, refreshed: outcome.refreshed };
  }

  /** Throws LockExpiredError when the lock is gone, LockTakenError when someone else holds it now. */
  async heartbeat(documentId: string, owner: LockOwner, token: number): Promise<LockRecord> {
    const outcome = await this.store.heartbeat(documentId, owner, token, this.ttlMs);
    switch (outcome.kind) {
      case "extended":
        return outcome.lock;
      case "expired":
        throw new LockExpiredError();
      case "taken":
        throw new LockTakenError(outcome.holder);
    }
  }

  /** Null when nothing was locked (idempotent); throws NotLockHolderError when someone else holds it. */
  async release(documentId: string, owner: LockOwner): Promise<LockRecord | null> {
    const outcome = await this.store.release(documentId, owner);
    switch (outcome.kind) {
      case "released":
        this.emitEvent({ type: "released", documentId, previous: outcome.previous, at: Date.now() });
        return outcome.previous;
      case "not_locked":
        return null;
      case "not_holder":
        throw new NotLockHolderError(outcome.holder);
    }
  }

  /**
   * `from` comes from the access rules (owners: "anyone"; everyone else: "self"). Throws
   * ForbiddenError when `from` is "self" and another user holds the lock. When the caller
   * already holds it with this client, nothing changes hands: `previous` is null, no event.
   */
  async forceTake(
    documentId: string,
    owner: LockOwner,
    from: ForceTakeFrom,
  ): Promise<{ lock: LockRecord; previous: LockRecord | null }> {
    const outcome = await this.store.forceTake(documentId, owner, this.ttlMs, from);
    switch (outcome.kind) {
      case "forbidden":
        throw new ForbiddenError("Only an owner of the document's application can take over another person's lock.");
      case "already_held":
        return { lock: outcome.lock, previous: null };
      case "taken": {
        const { lock, previous } = outcome;
        if (outcome.expired) this.emitEvent({ type: "expired", documentId, previous: outcome.expired, at: Date.now() });
        this.emitEvent(
          previous
            ? { type: "force_taken", documentId, holder: lock, previous, at: Date.now() }
            : { type: "locked", documentId, holder: lock, at: Date.now() },
        );
        return { lock, previous };
      }
    }
  }

  get(documentId: string): Promise<LockRecord | null> {
    return this.store.get(documentId);
  }

  getMany(documentIds: readonly string[]): Promise<Map<string, LockRecord>> {
    return this.store.getMany(documentIds);
  }

  /**
   * For fenced saves: resolves with the lock when `token` is the current lock's token AND the
   * lock's userId === userId; else throws LockNotHeldError.
   * This check alone is not the fence (the lock can change right after it): the save must also
   * be conditional on the token in the database, atomically with the write.
   */
  async assertHolds(documentId: string, userId: string, token: number): Promise<LockRecord> {
    const lock = await this.store.get(documentId);
    if (!lock || lock.token !== token || lock.userId !== userId) throw new LockNotHeldError();
    return lock;
  }

  /** Starts the sweep loop (idempotent). Its timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops the loop and waits for a running sweep, so no event is emitted after it resolves. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  private tick(): void {
    // A slow store must not stack sweeps up: skip this tick while the previous one runs.
    if (this.sweeping) return;
    this.sweeping = this.sweep().finally(() => {
      this.sweeping = undefined;
    });
  }

  /** Never rejects: a failing store is logged once per outage, and the next tick tries again. */
  private async sweep(): Promise<void> {
    try {
      for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
        const expired = await this.store.sweepExpired(SWEEP_BATCH);
        for (const { documentId, previous } of expired) {
          this.emitEvent({ type: "expired", documentId, previous, at: Date.now() });
        }
        if (expired.length < SWEEP_BATCH || !this.timer) break;
      }
      if (this.sweepFailing) this.logger.info("lock expiry sweep works again");
      this.sweepFailing = false;
    } catch (err) {
      if (this.sweepFailing) {
        this.logger.debug({ err }, "lock expiry sweep still failing");
      } else {
        this.sweepFailing = true;
        this.logger.error({ err }, "lock expiry sweep failed; expired locks are announced once it works again");
      }
    }
  }

  /** A failing listener must not turn a lock change that happened into an error for its caller. */
  private emitEvent(event: LockEvent): void {
    try {
      this.emit("event", event);
    } catch (err) {
      this.logger.error({ err, event: event.type, documentId: event.documentId }, "a lock event listener threw");
    }
  }
}
