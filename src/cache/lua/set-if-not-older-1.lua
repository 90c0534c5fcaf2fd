--[[
  Version-guarded SET for the hot cache (src/cache/redis-hot-cache.ts).
  Values begin with the version of the entry they hold as 10 ASCII digits (src/cache/cache-record.ts),
  so only those 10 bytes are read here, never the whole value.

  KEYS[1]  the cache key
  ARGV[1]  the incoming version (integer)
  ARGV[2]  the value, starting with the same version as 10 digits
  ARGV[3]  time-to-live in seconds
  Returns  1 when stored; 0 when the key holds a greater version (a newer write won the race)
]]
local held = redis.call('GETRANGE', KEYS[1], 0, 9)
if held ~= '' and tonumber(held) > tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
