--[[
  Releases the caller's lock, atomically: the check and the delete are one step, so a release
  can never delete a lock that someone else took in between.

  KEYS[1] lock key  KEYS[2] expiry index  KEYS[3] holders index   (as in acquire-4.lua)
  ARGV[1] docId  ARGV[2] user_id  ARGV[3] client_id

  Returns {status, lockJson, expiresAt, note}:
    'released'    held by this user + client: deleted and unindexed   lockJson = the previous lock
    'not_locked'  no usable lock (idempotent)                          lockJson = ''
    'not_holder'  held by anyone else: nothing changed                 lockJson = the holder
  A corrupt stored value is deleted (it is no lock). An index entry left by a lock that ran out
  stays: sweep-expired announces that expiry.
]]
--- @include "lock"

local lockKey, expiryKey, holdersKey = KEYS[1], KEYS[2], KEYS[3]
local docId, userId, clientId = ARGV[1], ARGV[2], ARGV[3]
local now = nowMs()

local lock, raw, note = readLock(lockKey)
if not lock then
  if note ~= '' then redis.call('DEL', lockKey) end
  return { 'not_locked', '', 0, note }
end
local expiresAt = expiresAtOf(lockKey, expiryKey, docId, now)
if not sameOwner(lock, userId, clientId) then return { 'not_holder', raw, expiresAt, note } end
redis.call('DEL', lockKey)
unindex(expiryKey, holdersKey, docId)
return { 'released', raw, expiresAt, note }
