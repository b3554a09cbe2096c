import { createHash } from 'node:crypto';

/**
 * The store's Lua scripts: one EVALSHA per operation, all of a batch's keys in KEYS. A key's value is
 * `p:<owner>` while in progress and `c:<owner>` once completed; its expiry (PXAT, epoch ms) is the
 * claim's `inProgressUntil` or the completion's `completedUntil`, so Redis itself forgets expired
 * entries (expired = absent). Scripts run atomically: no other command sees a half-claimed batch.
 */
export interface RedisScript {
  readonly name: 'claim' | 'complete' | 'release';
  readonly source: string;
  readonly sha1: string;
}

const script = (name: RedisScript['name'], source: string): RedisScript => ({
  name,
  source,
  sha1: createHash('sha1').update(source).digest('hex'),
});

/**
 * ARGV: owner, inProgressUntil. Returns one integer per key: 0 claimed (absent, or already this
 * owner's claim: a repeated claim is idempotent), 1 completed, 2 in progress elsewhere.
 */
export const CLAIM = script(
  'claim',
  `local mine = 'p:' .. ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if not value then
    redis.call('SET', key, mine, 'PXAT', ARGV[2])
    out[i] = 0
  elseif value == mine then
    out[i] = 0
  elseif string.sub(value, 1, 2) == 'c:' then
    out[i] = 1
  else
    out[i] = 2
  end
end
return out`,
);

/** ARGV: owner, completedUntil. Completes the keys this owner holds; returns how many. */
export const COMPLETE = script(
  'complete',
  `local mine = 'p:' .. ARGV[1]
local done = 'c:' .. ARGV[1]
local n = 0
for _, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if value == mine or value == done then
    redis.call('SET', key, done, 'PXAT', ARGV[2])
    n = n + 1
  end
end
return n`,
);

/** ARGV: owner. Deletes the in-progress claims this owner holds; returns how many. */
export const RELEASE = script(
  'release',
  `local mine = 'p:' .. ARGV[1]
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == mine then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n`,
);
