--[[
  Shared helpers for the lock scripts. The loader in server/locks/redis-store.ts inlines this
  file where a script says `--- @include "lock"`, so every script stays one atomic EVAL.

  Stored lock value: JSON {user_id, user_name, display_name, client_id, acquired_at, token}.
  Invariant kept by every script: whenever a script writes a lock key's value or expiry, it
  writes the same absolute expiry (PXAT / PEXPIREAT, not a relative TTL that Redis would count
  from its own, slightly later, clock reading) as the document's score in the expiry index and
  the same JSON in the holders hash, inside the same script. So the index score IS the lock's
  expires-at, to the millisecond, and the holders hash names the lock that will be announced
  when that score passes without a release.
]]

-- Redis's clock in epoch ms: all server processes, on all hosts, judge expiry by this one clock.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function isInt(v) return type(v) == 'number' and v == math.floor(v) end
local function isNonEmptyText(v) return type(v) == 'string' and v ~= '' end

--[[
  Reads the lock at `key`. Returns lock, raw, note:
    lock  the decoded table, or nil when there is no usable lock
    raw   the stored JSON, when usable (handed back verbatim, never re-encoded)
    note  '' or why a stored value was ignored: 'wrong_type' | 'not_json' | 'bad_shape'
  A corrupt value counts as "no lock": one bad write (a person with redis-cli, an old version)
  must never block a document until someone deletes the key by hand. Callers return the note
  so the TypeScript side logs a warning.
]]
local function readLock(key)
  local raw = redis.pcall('GET', key)
  if type(raw) == 'table' and raw.err then return nil, nil, 'wrong_type' end
  if not raw then return nil, nil, '' end
  local ok, v = pcall(cjson.decode, raw)
  if not ok then return nil, nil, 'not_json' end
  if type(v) ~= 'table'
    or not isNonEmptyText(v.user_id) or type(v.user_name) ~= 'string'
    or type(v.display_name) ~= 'string' or not isNonEmptyText(v.client_id)
    or not isInt(v.acquired_at) or not isInt(v.token) or v.token < 1 then
    return nil, nil, 'bad_shape'
  end
  return v, raw, ''
end

local function sameOwner(lock, userId, clientId)
  return lock.user_id == userId and lock.client_id == clientId
end

-- Expires-at of the live lock at lockKey: its index score (see the invariant above); the key's
-- own expiry only if the index lost the entry (someone edited Redis by hand).
local function expiresAtOf(lockKey, expiryKey, docId, now)
  local score = redis.call('ZSCORE', expiryKey, docId)
  if score then return tonumber(score) end
  local at = redis.call('PEXPIRETIME', lockKey)
  if at < 0 then return now end
  return at
end

local function index(expiryKey, holdersKey, docId, json, expiresAt)
  redis.call('ZADD', expiryKey, expiresAt, docId)
  redis.call('HSET', holdersKey, docId, json)
end

local function unindex(expiryKey, holdersKey, docId)
  redis.call('ZREM', expiryKey, docId)
  redis.call('HDEL', holdersKey, docId)
end

--[[
  Called when there is no usable lock and a new one is about to be written. If the index still
  names a holder, that lock ran out (or was destroyed) and no sweeper has announced it yet:
  claim it here, in the step that replaces it, so its expiry is announced exactly once and
  before the new holder's "locked". Returns holderJson, expiredAt ('' and 0 when none).
]]
local function claimUnannounced(expiryKey, holdersKey, docId)
  local json = redis.call('HGET', holdersKey, docId)
  local score = redis.call('ZSCORE', expiryKey, docId)
  unindex(expiryKey, holdersKey, docId)
  if not json then return '', 0 end
  return json, tonumber(score) or 0
end

--[[
  The next fencing token. The counter is never reset; when it is missing (a new document, or
  Redis lost its data) it is seeded with the clock in ms. So a token never goes back below one
  handed out before a data loss (saves are fenced on it in the database, which outlives Redis),
  as long as a document saw fewer acquires than milliseconds passed since it was first locked.
  (Numbers pass through Lua as doubles and cjson writes 14 significant digits: exact for
  ms timestamps and tokens of that size for millennia.)
]]
local function nextToken(seqKey, now)
  if redis.call('EXISTS', seqKey) == 0 then redis.call('SET', seqKey, now) end
  return redis.call('INCR', seqKey)
end

-- Writes a new lock with a new token; returns its JSON and expires-at.
local function writeNewLock(lockKey, seqKey, expiryKey, holdersKey, docId, owner, ttl, now)
  local json = cjson.encode({
    user_id = owner.user_id, user_name = owner.user_name, display_name = owner.display_name,
    client_id = owner.client_id, acquired_at = now, token = nextToken(seqKey, now),
  })
  local expiresAt = now + ttl
  redis.call('SET', lockKey, json, 'PXAT', expiresAt)
  index(expiryKey, holdersKey, docId, json, expiresAt)
  return json, expiresAt
end

-- Renews the TTL of a lock the caller holds; returns the new expires-at.
local function renew(lockKey, expiryKey, holdersKey, docId, raw, ttl, now)
  local expiresAt = now + ttl
  redis.call('PEXPIREAT', lockKey, expiresAt)
  index(expiryKey, holdersKey, docId, raw, expiresAt)
  return expiresAt
end
