--[[
  Extends the lock of the caller's window, atomically.

  KEYS[1] lock key  KEYS[2] expiry index  KEYS[3] holders index   (as in acquire-4.lua)
  ARGV[1] docId  ARGV[2] user_id  ARGV[3] client_id  ARGV[4] token  ARGV[5] ttl ms

  Returns {status, lockJson, expiresAt, note}:
    'extended'  the lock is this user + client + token: TTL renewed   lockJson = the lock
    'expired'   no usable lock (ran out, released, or corrupt)        lockJson = ''
    'taken'     a lock exists but it is not this user + client + token  lockJson = the holder
  The token must match too: a window whose lock ran out and was re-acquired (by anyone, even
  itself elsewhere) must learn that it lost the lock, not silently extend the new one.
]]
--- @include "lock"

local lockKey, expiryKey, holdersKey = KEYS[1], KEYS[2], KEYS[3]
local docId, userId, clientId, token, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = nowMs()

local lock, raw, note = readLock(lockKey)
if not lock then return { 'expired', '', 0, note } end
if sameOwner(lock, userId, clientId) and lock.token == token then
  return { 'extended', raw, renew(lockKey, expiryKey, holdersKey, docId, raw, ttl, now), note }
end
return { 'taken', raw, expiresAtOf(lockKey, expiryKey, docId, now), note }
