import { z } from "zod";
import { ClientId, LockToken, Timestamp, Uuid } from "./common.js";

/** Who holds a document's edit lock. Never carries the fencing token: only the holder gets it. */
export const LockHolder = z.object({
  user_id: Uuid,
  user_name: z.string(),
  display_name: z.string(),
  client_id: ClientId,
  acquired_at: Timestamp,
  /**
   * True when the holder is the user who asked (REST, `subscribed` snapshots). Absent in room
   * broadcasts, which go to many users: compare `user_id` with your own there.
   */
  is_you: z.boolean().optional(),
});
export type LockHolder = z.infer<typeof LockHolder>;

/** GET /api/documents/{id}/lock, and the `lock` of every document. */
export const LockState = z.object({
  locked: z.boolean(),
  holder: LockHolder.nullable(),
  expires_at: Timestamp.nullable(),
});
export type LockState = z.infer<typeof LockState>;

/** The caller holds the lock: acquire, heartbeat and force-take answer with this. */
export const LockGrant = LockState.extend({
  locked: z.literal(true),
  holder: LockHolder,
  expires_at: Timestamp,
  /** The fencing token to send with every save and heartbeat while this lock is held. */
  lock_token: LockToken,
  /** Milliseconds the lock lives without a heartbeat. Heartbeat every ttl_ms / 3. */
  ttl_ms: z.number().int().positive(),
});
export type LockGrant = z.infer<typeof LockGrant>;

export const ForceTakeResult = LockGrant.extend({
  /** Who lost the lock, or null when nobody held it (then it was a plain acquire). */
  previous_holder: LockHolder.nullable(),
});
export type ForceTakeResult = z.infer<typeof ForceTakeResult>;

/** POST /lock, DELETE /lock, POST /lock/force-take. */
export const LockClientBody = z.strictObject({ client_id: ClientId });
export type LockClientBody = z.infer<typeof LockClientBody>;

/** POST /lock/heartbeat. */
export const HeartbeatBody = z.strictObject({ client_id: ClientId, lock_token: LockToken });
export type HeartbeatBody = z.infer<typeof HeartbeatBody>;

/** DELETE /lock answers `{locked:false}` whether or not there was a lock (idempotent). */
export const ReleaseResult = z.object({ locked: z.literal(false) });
export type ReleaseResult = z.infer<typeof ReleaseResult>;

/** Why a lock was let go. */
export const UnlockReason = z.enum(["released", "expired"]);
export type UnlockReason = z.infer<typeof UnlockReason>;
