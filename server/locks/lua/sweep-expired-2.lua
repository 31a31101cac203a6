--[[
  Claims locks that ran out without a release, so that each expiry is announced exactly once.

  KEYS[1] expiry index   <prefix>document_lock_expiry   (zset docId -> expires-at ms)
  KEYS[2] holders index  <prefix>document_lock_holders  (hash docId -> lock JSON)
  ARGV[1] lock key prefix (<prefix>document_lock:), ARGV[2] limit

  Returns a flat array, four entries per claimed expiry: docId, holderJson, expiredAt, note.
  holderJson is '' if the index had no holder for the document (only after hand edits).

  Why an index and not keyspace notifications: an `expired` notification carries only the key
  name (the holder is already gone with the value), it needs `notify-keyspace-events` set on
  the server (often not allowed on managed Redis), it is fire-and-forget pub/sub (lost while a
  process reconnects) and it reaches every subscriber (each process would announce it). The
  index keeps the holder until the expiry is announced, and this script claims each due entry
  (ZREM + HDEL in the same atomic step) so that of many processes sweeping at once exactly one
  gets it; an entry claimed by nobody (all processes down) is still there after a restart.

  Lock keys are built from ARGV[1] rather than passed in KEYS because the due documents are
  only known inside the script. Fine on a single Redis (and Sentinel), not on Redis Cluster.
]]
--- @include "lock"

local expiryKey, holdersKey = KEYS[1], KEYS[2]
local lockKeyPrefix, limit = ARGV[1], tonumber(ARGV[2])
local now = nowMs()

local due = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
local claimed = {}
for i = 1, #due, 2 do
  local docId, score = due[i], tonumber(due[i + 1])
  local lockKey = lockKeyPrefix .. docId
  local lock, raw, note = readLock(lockKey)
  if lock then
    -- Still there: Redis deletes a key only once its clock is past the expiry (and, inside a
    -- script, judges by the script's start time), so it can outlive its score by a millisecond;
    -- the next sweep claims it. Or its expiry was changed by hand: re-index from the key itself,
    -- and look again in a minute at a key without expiry.
    local at = redis.call('PEXPIRETIME', lockKey)
    if at < 0 then at = now + 60000 end
    index(expiryKey, holdersKey, docId, raw, at)
  else
    -- Gone, or corrupt (which counts as no lock): the indexed holder lost it.
    local holderJson = redis.call('HGET', holdersKey, docId) or ''
    unindex(expiryKey, holdersKey, docId)
    claimed[#claimed + 1] = docId
    claimed[#claimed + 1] = holderJson
    claimed[#claimed + 1] = score
    claimed[#claimed + 1] = note
  end
end
return claimed
