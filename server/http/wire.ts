import type { DocumentPermissions, LockGrant, LockHolder, LockState } from "../../protocol/index.js";
import type { Granted } from "../access/index.js";
import type { LockRecord } from "../locks/types.js";

const iso = (ms: number): string => new Date(ms).toISOString();

/** A stored lock as the wire shows it to `viewerId` (undefined: a broadcast, no `is_you`). */
export function toHolder(lock: LockRecord, viewerId?: string): LockHolder {
  const holder: LockHolder = {
    user_id: lock.userId,
    user_name: lock.userName,
    display_name: lock.displayName,
    client_id: lock.clientId,
    acquired_at: iso(lock.acquiredAt),
  };
  if (viewerId !== undefined) holder.is_you = lock.userId === viewerId;
  return holder;
}

export function toLockState(lock: LockRecord | null | undefined, viewerId?: string): LockState {
  if (!lock) return { locked: false, holder: null, expires_at: null };
  return { locked: true, holder: toHolder(lock, viewerId), expires_at: iso(lock.expiresAt) };
}

export function toGrant(lock: LockRecord, viewerId: string, ttlMs: number): LockGrant {
  return {
    locked: true,
    holder: toHolder(lock, viewerId),
    expires_at: iso(lock.expiresAt),
    lock_token: lock.token,
    ttl_ms: ttlMs,
  };
}

export function toPermissions(access: Granted): DocumentPermissions {
  return { edit: access.edit, force_take: access.forceTake === "anyone", rename: access.rename, delete: access.delete };
}

export { iso };
