import { readFileSync } from "node:fs";
import type { ClientContext, Redis, Result } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import { StoreUnavailableError } from "../errors.js";
import { checkDocumentId, checkLimit, checkTtl, checkToken } from "./checks.js";
import { createRedisClient, DEFAULT_COMMAND_TIMEOUT_MS } from "./redis-client.js";
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

export { createRedisClient, type RedisClientOptions } from "./redis-client.js";

/*
 * The lock scripts as typed commands (ioredis defineCommand). Replies are `unknown` on purpose:
 * they are checked against the schemas below before anything is built from them.
 */
declare module "ioredis" {
  interface RedisCommander<Context extends ClientContext = { type: "default" }> {
    lockstepAcquire(
      lockKey: string,
      seqKey: string,
      expiryKey: string,
      holdersKey: string,
      documentId: string,
      userId: string,
      userName: string,
      displayName: string,
      clientId: string,
      ttlMs: number,
    ): Result<unknown, Context>;
    lockstepHeartbeat(
      lockKey: string,
      expiryKey: string,
      holdersKey: string,
      documentId: string,
      userId: string,
      clientId: string,
      token: number,
      ttlMs: number,
    ): Result<unknown, Context>;
    lockstepRelease(
      lockKey: string,
      expiryKey: string,
      holdersKey: string,
      documentId: string,
      userId: string,
      clientId: string,
    ): Result<unknown, Context>;
    lockstepForceTake(
      lockKey: string,
      seqKey: string,
      expiryKey: string,
      holdersKey: string,
      documentId: string,
      userId: string,
      userName: string,
      displayName: string,
      clientId: string,
      ttlMs: number,
      from: ForceTakeFrom,
    ): Result<unknown, Context>;
    lockstepSweepExpired(expiryKey: string, holdersKey: string, lockKeyPrefix: string, limit: number): Result<unknown, Context>;
  }
}

/** Reads `lua/<file>` and inlines its `--- @include "<name>"` lines from `lua/includes/<name>.lua`. */
function loadScript(file: string): string {
  const read = (path: string): string => readFileSync(new URL(`./lua/${path}`, import.meta.url), "utf8");
  return read(file).replace(/^--- @include "([\w-]+)"$/gm, (_line, name: string) => read(`includes/${name}.lua`));
}

/** Command name -> script file, named `<name>-<numKeys>.lua` as in BullMQ. */
const SCRIPT_FILES = {
  lockstepAcquire: "acquire-4.lua",
  lockstepHeartbeat: "heartbeat-3.lua",
  lockstepRelease: "release-3.lua",
  lockstepForceTake: "force-take-4.lua",
  lockstepSweepExpired: "sweep-expired-2.lua",
} as const;

let scripts: ReadonlyMap<string, { lua: string; numberOfKeys: number }> | undefined;
function loadScripts(): ReadonlyMap<string, { lua: string; numberOfKeys: number }> {
  scripts ??= new Map(
    Object.entries(SCRIPT_FILES).map(([command, file]) => {
      const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
      return [command, { lua: loadScript(file), numberOfKeys }];
    }),
  );
  return scripts;
}

/** The stored lock JSON. The same rules as `readLock` in lua/includes/lock.lua. */
const StoredLock = z.object({
  user_id: z.string().min(1),
  user_name: z.string(),
  display_name: z.string(),
  client_id: z.string().min(1),
  acquired_at: z.number().int(),
  token: z.number().int().positive(),
});
type StoredLock = z.infer<typeof StoredLock>;

/** Why a stored value was treated as no lock ('' when it was not). */
const Note = z.enum(["", "wrong_type", "not_json", "bad_shape"]);
type Note = z.infer<typeof Note>;

const AcquireReply = z.tuple([z.enum(["acquired", "refreshed", "held"]), z.string(), z.number(), Note, z.string(), z.number()]);
const HeartbeatReply = z.tuple([z.enum(["extended", "expired", "taken"]), z.string(), z.number(), Note]);
const ReleaseReply = z.tuple([z.enum(["released", "not_locked", "not_holder"]), z.string(), z.number(), Note]);
const ForceTakeReply = z.tuple([
  z.enum(["taken", "already_held", "forbidden"]),
  z.string(),
  z.number(),
  Note,
  z.string(),
  z.number(),
  z.string(),
  z.number(),
]);
/** Flat: docId, holderJson, expiredAt, note for each claimed expiry. */
const SweepEntry = z.tuple([z.string(), z.string(), z.number(), Note]);
const SweepReply = z
  .array(z.unknown())
  .refine((flat) => flat.length % 4 === 0)
  .transform((flat, ctx) => {
    const entries: z.infer<typeof SweepEntry>[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      const entry = SweepEntry.safeParse(flat.slice(i, i + 4));
      if (!entry.success) {
        ctx.addIssue({ code: "custom", message: "malformed sweep entry" });
        return z.NEVER;
      }
      entries.push(entry.data);
    }
    return entries;
  });

function decodeStoredLock(raw: string): { stored: StoredLock } | { note: "not_json" | "bad_shape" } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { note: "not_json" };
  }
  const parsed = StoredLock.safeParse(value);
  return parsed.success ? { stored: parsed.data } : { note: "bad_shape" };
}

function toRecord(stored: StoredLock, expiresAt: number): LockRecord {
  return {
    userId: stored.user_id,
    userName: stored.user_name,
    displayName: stored.display_name,
    clientId: stored.client_id,
    acquiredAt: stored.acquired_at,
    token: stored.token,
    expiresAt,
  };
}

/** Replies that mean "Redis cannot serve right now" rather than "our request is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|NOAUTH|WRONGPASS)\b/;

export interface RedisLockStoreOptions {
  /**
   * A Redis URL (the store creates, owns and closes a fail-fast client: see createRedisClient),
   * or an ioredis client the caller owns and closes (the store adds its script commands to it).
   */
  readonly redis: Redis | string;
  /** Prepended to every key (tests, or several deployments sharing one Redis). Default "". */
  readonly keyPrefix?: string;
  /** Longest wait for any store call before it fails with StoreUnavailableError. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Warnings about corrupt stored values and connection problems. Silent when absent. */
  readonly logger?: Logger;
}

/**
 * The lock store on Redis, shared by any number of server processes. Every state change is one
 * Lua script (lua/*.lua), so each check-and-write is atomic across processes; times come from
 * Redis's clock. Reads are plain commands in one MULTI.
 *
 * Needs Redis >= 7.0 (PEXPIRETIME). A single Redis or Sentinel, not Cluster: the expiry index
 * is one key for all documents.
 */
export class RedisLockStore implements LockStore {
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly logger: Logger | undefined;
  private readonly expiryKey: string;
  private readonly holdersKey: string;
  private readonly lockKeyPrefix: string;
  /** Settles once the store's own client was first ready (or gave up); see call(). */
  private readonly firstConnection: Promise<void>;

  constructor(options: RedisLockStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? "";
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.logger = options.logger;
    if (!Number.isSafeInteger(this.commandTimeoutMs) || this.commandTimeoutMs <= 0) {
      throw new RangeError(`commandTimeoutMs must be a positive integer, got ${this.commandTimeoutMs}`);
    }
    if (typeof options.redis === "string") {
      this.redis = createRedisClient(options.redis, {
        commandTimeoutMs: this.commandTimeoutMs,
        connectionName: "lockstep:locks",
        ...(this.logger ? { logger: this.logger } : {}),
      });
      this.ownsClient = true;
      const client = this.redis;
      this.firstConnection = new Promise<void>((resolve) => {
        client.once("ready", resolve);
        client.once("end", resolve);
      });
    } else {
      this.redis = options.redis;
      this.ownsClient = false;
      this.firstConnection = Promise.resolve();
      // ioredis would prefix KEYS but not the lock key prefix the sweep script gets in ARGV.
      if (this.redis.options.keyPrefix) {
        throw new RangeError("RedisLockStore: pass keyPrefix to the store, not to the ioredis client");
      }
    }
    for (const [command, definition] of loadScripts()) this.redis.defineCommand(command, definition);
    this.lockKeyPrefix = `${this.keyPrefix}document_lock:`;
    this.expiryKey = `${this.keyPrefix}document_lock_expiry`;
    this.holdersKey = `${this.keyPrefix}document_lock_holders`;
  }

  async acquire(documentId: string, owner: LockOwner, ttlMs: number): Promise<AcquireOutcome> {
    checkDocumentId(documentId);
    checkTtl(ttlMs);
    const reply = await this.call(() =>
      this.redis.lockstepAcquire(
        this.lockKey(documentId),
        this.seqKey(documentId),
        this.expiryKey,
        this.holdersKey,
        documentId,
        owner.userId,
        owner.userName,
        owner.displayName,
        owner.clientId,
        ttlMs,
      ),
    );
    const [status, json, expiresAt, note, expiredJson, expiredAt] = this.parse(AcquireReply, reply, "acquire");
    this.warnIfCorrupt(note, documentId, "acquire");
    const lock = this.record(json, expiresAt, "acquire");
    if (status === "held") return { kind: "held", holder: lock };
    const expired = this.indexedHolder(expiredJson, expiredAt, documentId);
    return { kind: "acquired", lock, refreshed: status === "refreshed", ...(expired ? { expired } : {}) };
  }

  async heartbeat(documentId: string, owner: LockOwner, token: number, ttlMs: number): Promise<HeartbeatOutcome> {
    checkDocumentId(documentId);
    checkTtl(ttlMs);
    checkToken(token);
    const reply = await this.call(() =>
      this.redis.lockstepHeartbeat(
        this.lockKey(documentId),
        this.expiryKey,
        this.holdersKey,
        documentId,
        owner.userId,
        owner.clientId,
        token,
        ttlMs,
      ),
    );
    const [status, json, expiresAt, note] = this.parse(HeartbeatReply, reply, "heartbeat");
    this.warnIfCorrupt(note, documentId, "heartbeat");
    switch (status) {
      case "expired":
        return { kind: "expired" };
      case "extended":
        return { kind: "extended", lock: this.record(json, expiresAt, "heartbeat") };
      case "taken":
        return { kind: "taken", holder: this.record(json, expiresAt, "heartbeat") };
    }
  }

  async release(documentId: string, owner: LockOwner): Promise<ReleaseOutcome> {
    checkDocumentId(documentId);
    const reply = await this.call(() =>
      this.redis.lockstepRelease(
        this.lockKey(documentId),
        this.expiryKey,
        this.holdersKey,
        documentId,
        owner.userId,
        owner.clientId,
      ),
    );
    const [status, json, expiresAt, note] = this.parse(ReleaseReply, reply, "release");
    this.warnIfCorrupt(note, documentId, "release");
    switch (status) {
      case "not_locked":
        return { kind: "not_locked" };
      case "released":
        return { kind: "released", previous: this.record(json, expiresAt, "release") };
      case "not_holder":
        return { kind: "not_holder", holder: this.record(json, expiresAt, "release") };
    }
  }

  async forceTake(documentId: string, owner: LockOwner, ttlMs: number, from: ForceTakeFrom): Promise<ForceTakeOutcome> {
    checkDocumentId(documentId);
    checkTtl(ttlMs);
    if (from !== "anyone" && from !== "self") throw new RangeError(`from must be "anyone" or "self", got ${String(from)}`);
    const reply = await this.call(() =>
      this.redis.lockstepForceTake(
        this.lockKey(documentId),
        this.seqKey(documentId),
        this.expiryKey,
        this.holdersKey,
        documentId,
        owner.userId,
        owner.userName,
        owner.displayName,
        owner.clientId,
        ttlMs,
        from,
      ),
    );
    const [status, json, expiresAt, note, previousJson, previousExpiresAt, expiredJson, expiredAt] = this.parse(
      ForceTakeReply,
      reply,
      "forceTake",
    );
    this.warnIfCorrupt(note, documentId, "forceTake");
    const lock = this.record(json, expiresAt, "forceTake");
    switch (status) {
      case "already_held":
        return { kind: "already_held", lock };
      case "forbidden":
        return { kind: "forbidden", holder: lock };
      case "taken": {
        const previous = previousJson === "" ? null : this.record(previousJson, previousExpiresAt, "forceTake");
        const expired = this.indexedHolder(expiredJson, expiredAt, documentId);
        return { kind: "taken", lock, previous, ...(expired ? { expired } : {}) };
      }
    }
  }

  async get(documentId: string): Promise<LockRecord | null> {
    checkDocumentId(documentId);
    return (await this.read([documentId])).get(documentId) ?? null;
  }

  async getMany(documentIds: readonly string[]): Promise<Map<string, LockRecord>> {
    documentIds.forEach(checkDocumentId);
    const unique = [...new Set(documentIds)];
    if (unique.length === 0) return new Map();
    return this.read(unique);
  }

  async sweepExpired(limit: number): Promise<ExpiredLock[]> {
    checkLimit(limit);
    const reply = await this.call(() =>
      this.redis.lockstepSweepExpired(this.expiryKey, this.holdersKey, this.lockKeyPrefix, limit),
    );
    const expired: ExpiredLock[] = [];
    for (const [documentId, holderJson, expiredAt, note] of this.parse(SweepReply, reply, "sweepExpired")) {
      this.warnIfCorrupt(note, documentId, "sweepExpired");
      const previous = this.indexedHolder(holderJson, expiredAt, documentId);
      if (previous) expired.push({ documentId, previous });
    }
    return expired;
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  /** Closes the client the store created; a client passed in stays open (its owner closes it). */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.redis.status === "ready") {
      try {
        await this.call(() => this.redis.quit());
      } catch {
        // No answer in time: nothing more to wait for, disconnect below.
      }
    }
    // Also stops the reconnect loop when Redis is away.
    this.redis.disconnect();
  }

  private lockKey(documentId: string): string {
    return `${this.lockKeyPrefix}${documentId}`;
  }

  private seqKey(documentId: string): string {
    return `${this.keyPrefix}document_lock_seq:${documentId}`;
  }

  /**
   * One atomic read of many locks: values, their index scores (= expires-at, see the invariant
   * in lua/includes/lock.lua) and, in case an index entry was lost to hand edits, the keys'
   * own expiry (PEXPIRETIME).
   */
  private async read(documentIds: readonly string[]): Promise<Map<string, LockRecord>> {
    const keys = documentIds.map((id) => this.lockKey(id));
    const results = await this.call(async () => {
      const multi = this.redis.multi().mget(...keys).zmscore(this.expiryKey, ...documentIds);
      for (const key of keys) multi.pexpiretime(key);
      return multi.exec();
    });
    if (!results) throw new Error("MULTI for a lock read was aborted");
    const replies = results.map(([err, value]) => {
      if (err) throw this.toStoreError(err);
      return value;
    });
    const values = z.array(z.string().nullable()).parse(replies[0]);
    // Doubles are strings with ioredis's default reply mapping, numbers with replyMapping "resp3".
    const scores = z.array(z.union([z.string(), z.number()]).nullable()).parse(replies[1]);
    const locks = new Map<string, LockRecord>();
    documentIds.forEach((documentId, i) => {
      const raw = values[i];
      if (raw === null || raw === undefined) return;
      const decoded = decodeStoredLock(raw);
      if ("note" in decoded) {
        this.warnIfCorrupt(decoded.note, documentId, "get");
        return;
      }
      const score = scores[i];
      const expiresAt = score !== null && score !== undefined ? Number(score) : Number(replies[2 + i]);
      locks.set(documentId, toRecord(decoded.stored, expiresAt));
    });
    return locks;
  }

  /**
   * Runs one Redis call with a hard deadline, so no store call outlives commandTimeoutMs even
   * on a client the caller configured to queue commands while offline.
   * Before the store's own client was ever ready (server start-up), a call waits for it within
   * the same deadline; afterwards a disconnected client fails at once (no offline queue).
   */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const attempt = this.firstConnection.then(() => {
      // The caller already got a timeout: sending now could take a lock nobody knows about.
      if (timedOut) throw new StoreUnavailableError();
      return send();
    });
    // After a timeout nobody awaits `attempt`; its late rejection must not become unhandled.
    attempt.catch(() => undefined);
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new StoreUnavailableError(`The lock store did not answer within ${this.commandTimeoutMs} ms.`));
      }, this.commandTimeoutMs);
    });
    deadline.catch(() => undefined);
    try {
      return await Promise.race([attempt, deadline]);
    } catch (err) {
      throw this.toStoreError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Connection errors, timeouts and "cannot serve now" replies become StoreUnavailableError
   * (503, retry). Any other Redis reply error means our request is wrong (a script bug) and is
   * thrown as is, to surface as a 500 and in the logs.
   */
  private toStoreError(err: unknown): Error {
    if (err instanceof StoreUnavailableError) return err;
    if (err instanceof Error && err.name === "ReplyError" && !UNAVAILABLE_REPLY.test(err.message)) return err;
    return new StoreUnavailableError(undefined, undefined, { cause: err });
  }

  private parse<S extends z.ZodType>(schema: S, reply: unknown, op: string): z.infer<S> {
    const parsed = schema.safeParse(reply);
    if (!parsed.success) throw new Error(`Unexpected reply from the ${op} lock script: ${JSON.stringify(reply)}`);
    return parsed.data;
  }

  /** A lock JSON that a script wrote or checked (readLock) itself: unreadable means a bug. */
  private record(json: string, expiresAt: number, op: string): LockRecord {
    const decoded = decodeStoredLock(json);
    if ("note" in decoded) throw new Error(`The ${op} lock script returned an unreadable lock: ${json}`);
    return toRecord(decoded.stored, expiresAt);
  }

  /** A holder from the holders index, unchecked by the scripts: skipped with a warning if bad. */
  private indexedHolder(json: string, expiredAt: number, documentId: string): LockRecord | undefined {
    if (json === "") return undefined;
    const decoded = decodeStoredLock(json);
    if ("stored" in decoded) return toRecord(decoded.stored, expiredAt);
    this.logger?.warn({ documentId, value: json.slice(0, 200) }, "ignored a corrupt entry of the lock holders index");
    return undefined;
  }

  private warnIfCorrupt(note: Note, documentId: string, op: string): void {
    if (note === "") return;
    this.logger?.warn(
      { documentId, op, reason: note },
      "ignored a corrupt lock value in Redis (treated as no lock; it is overwritten by the next acquire)",
    );
  }
}
