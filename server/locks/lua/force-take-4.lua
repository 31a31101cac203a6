--[[
  Takes a document's lock over, atomically. Whether the caller may take it from anyone or only
  from their own user was decided by the access rules before the call; it is applied here, in
  the same step as the write, so a holder change in between cannot slip past it.

  KEYS[1..4] lock key, sequence key, expiry index, holders index   (as in acquire-4.lua)
  ARGV[1] docId  ARGV[2] user_id  ARGV[3] user_name  ARGV[4] display_name  ARGV[5] client_id
  ARGV[6] ttl ms  ARGV[7] from: 'anyone' | 'self'

  Returns {status, lockJson, expiresAt, note, previousJson, previousExpiresAt, expiredJson, expiredAt}:
    'taken'         the caller holds a new lock with a new token            lockJson = the new lock
                    previousJson = the replaced lock, '' when it was free (a plain acquire)
    'already_held'  held by this user AND client: TTL renewed, same token   lockJson = the lock
    'forbidden'     from = 'self' and another user holds it: nothing changed  lockJson = the holder
  note, expiredJson, expiredAt: as in acquire-4.lua.
]]
--- @include "lock"

local lockKey, seqKey, expiryKey, holdersKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local docId, ttl, from = ARGV[1], tonumber(ARGV[6]), ARGV[7]
local owner = { user_id = ARGV[2], user_name = ARGV[3], display_name = ARGV[4], client_id = ARGV[5] }
local now = nowMs()

local lock, raw, note = readLock(lockKey)
local previousJson, previousExpiresAt, expiredJson, expiredAt = '', 0, '', 0
if lock then
  if sameOwner(lock, owner.user_id, owner.client_id) then
    return { 'already_held', raw, renew(lockKey, expiryKey, holdersKey, docId, raw, ttl, now), note, '', 0, '', 0 }
  end
  previousExpiresAt = expiresAtOf(lockKey, expiryKey, docId, now)
  if from == 'self' and lock.user_id ~= owner.user_id then
    return { 'forbidden', raw, previousExpiresAt, note, '', 0, '', 0 }
  end
  previousJson = raw
else
  expiredJson, expiredAt = claimUnannounced(expiryKey, holdersKey, docId)
end

local json, expiresAt = writeNewLock(lockKey, seqKey, expiryKey, holdersKey, docId, owner, ttl, now)
return { 'taken', json, expiresAt, note, previousJson, previousExpiresAt, expiredJson, expiredAt }
