--[[
  Acquires a document's edit lock, atomically.

  KEYS[1] lock key         <prefix>document_lock:<docId>      (string, JSON, PX ttl)
  KEYS[2] sequence key     <prefix>document_lock_seq:<docId>  (fencing counter, never reset)
  KEYS[3] expiry index     <prefix>document_lock_expiry       (zset docId -> expires-at ms)
  KEYS[4] holders index    <prefix>document_lock_holders      (hash docId -> lock JSON)
  ARGV[1] docId  ARGV[2] user_id  ARGV[3] user_name  ARGV[4] display_name  ARGV[5] client_id
  ARGV[6] ttl ms

  Returns {status, lockJson, expiresAt, note, expiredJson, expiredAt}:
    'acquired'   free: a new lock with a new token          lockJson = the new lock
    'refreshed'  held by this user AND client: TTL renewed, same token
    'held'       held by anyone else                        lockJson = the holder
  note: '' or why a corrupt stored value was treated as no lock (see readLock).
  expiredJson/expiredAt: with 'acquired', the previous lock when it had run out without being
  announced yet (claimed here instead of by sweep-expired); '' and 0 otherwise.
]]
--- @include "lock"

local lockKey, seqKey, expiryKey, holdersKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local docId, ttl = ARGV[1], tonumber(ARGV[6])
local owner = { user_id = ARGV[2], user_name = ARGV[3], display_name = ARGV[4], client_id = ARGV[5] }
local now = nowMs()

local lock, raw, note = readLock(lockKey)
if lock then
  if sameOwner(lock, owner.user_id, owner.client_id) then
    return { 'refreshed', raw, renew(lockKey, expiryKey, holdersKey, docId, raw, ttl, now), note, '', 0 }
  end
  return { 'held', raw, expiresAtOf(lockKey, expiryKey, docId, now), note, '', 0 }
end

local expiredJson, expiredAt = claimUnannounced(expiryKey, holdersKey, docId)
local json, expiresAt = writeNewLock(lockKey, seqKey, expiryKey, holdersKey, docId, owner, ttl, now)
return { 'acquired', json, expiresAt, note, expiredJson, expiredAt }
