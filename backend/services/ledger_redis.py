"""Shared balances in Redis, for several gateway instances over one database.

One hash per user (`newapi:ledger:user:<id>`: `quota`) and per token (`…:token:<id>`: `remain`).
Each hash also holds `pending`: the sum of every instance's quota changes not yet flushed to the
DB. Changes move the balance and `pending` together (atomic Lua); an instance that flushed its
deltas takes them out of `pending`. A balance that is missing (first use, or dropped by
`forget_*` after an outside write) is re-seeded as DB value + `pending`, so it stays exact with
any number of instances. Only a flush racing the re-seed by milliseconds, or Redis losing its data,
can shift a balance (by at most one flush interval's deltas). A process that crashed leaves its
unflushed share in `pending`; the journal replay at the next start writes the settled part to the
DB and takes the whole share out of `pending` (`release_dead`), then drops the balance so it is
re-seeded from the DB.

Integers travel as strings and all arithmetic is HINCRBY: Lua numbers are doubles.
"""

from __future__ import annotations

import logging

log = logging.getLogger("newapi.ledger")

PREFIX = "newapi:ledger"

# KEYS: user, token ("" when none). ARGV: amount, trust, has_token, limited, -amount.
# Returns {status, value}: 0 = reserved `value` (0 = trusted), 1 = user short (value = balance),
# 2 = token short (value = remain), -1 / -2 = user / token balance missing.
_RESERVE = """
local uq = redis.call('HGET', KEYS[1], 'quota')
if not uq then return {-1, 0} end
uq = tonumber(uq)
local amount = tonumber(ARGV[1])
local trust = tonumber(ARGV[2])
local has_token = ARGV[3] == '1'
local limited = ARGV[4] == '1'
local tr = 0
if has_token then
  tr = redis.call('HGET', KEYS[2], 'remain')
  if not tr then return {-2, 0} end
  tr = tonumber(tr)
end
if uq <= 0 or uq < amount then return {1, uq} end
if uq > trust and ((not has_token) or (not limited) or tr > trust) then return {0, 0} end
if has_token and limited and tr < amount then return {2, tr} end
redis.call('HINCRBY', KEYS[1], 'quota', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'pending', ARGV[5])
if has_token then
  redis.call('HINCRBY', KEYS[2], 'remain', ARGV[5])
  redis.call('HINCRBY', KEYS[2], 'pending', ARGV[5])
end
return {0, amount}
"""

# KEYS: hashes; ARGV[1]: the change; ARGV[1+i]: the balance field of KEYS[i].
_APPLY = """
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'pending', ARGV[1])
  if redis.call('HEXISTS', key, ARGV[i + 1]) == 1 then redis.call('HINCRBY', key, ARGV[i + 1], ARGV[1]) end
end
return 1
"""

# KEYS[1]: hash. ARGV: field, DB value. Seeds field = DB value + pending, unless already there.
_SEED = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local p = redis.call('HGET', KEYS[1], 'pending')
if p then redis.call('HINCRBY', KEYS[1], ARGV[1], p) end
return 1
"""


# KEYS: hashes; ARGV[2i-1]: what to add to KEYS[i]'s `pending`; ARGV[2i]: its balance field, dropped.
# A hash that is gone (Redis restarted) is left alone: its `pending` went with it.
_RELEASE = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'pending', ARGV[2 * i - 1])
    redis.call('HDEL', key, ARGV[2 * i])
  end
end
return 1
"""


def user_key(user_id: int) -> str:
    return f"{PREFIX}:user:{user_id}"


def token_key(token_id: int) -> str:
    return f"{PREFIX}:token:{token_id}"


class RedisBalances:
    def __init__(self, client) -> None:  # noqa: ANN001 - a sync redis.Redis
        self.client = client
        self._reserve = client.register_script(_RESERVE)
        self._apply = client.register_script(_APPLY)
        self._seed = client.register_script(_SEED)
        self._release = client.register_script(_RELEASE)
        # Flushed deltas whose `pending` decrement failed (Redis hiccup): retried on the next flush.
        self._backlog_users: dict[int, int] = {}
        self._backlog_tokens: dict[int, int] = {}

    def user_quota(self, user_id: int) -> int | None:
        raw = self.client.hget(user_key(user_id), "quota")
        return None if raw is None else int(raw)

    def token_remain(self, token_id: int) -> int | None:
        raw = self.client.hget(token_key(token_id), "remain")
        return None if raw is None else int(raw)

    def seed_user(self, user_id: int, db_value: int) -> None:
        self._seed(keys=[user_key(user_id)], args=["quota", str(int(db_value))])

    def seed_token(self, token_id: int, db_value: int) -> None:
        self._seed(keys=[token_key(token_id)], args=["remain", str(int(db_value))])

    def reserve(self, user_id: int, token_id: int | None, amount: int, unlimited: bool, trust: int) -> tuple[int, int]:
        keys = [user_key(user_id), token_key(token_id) if token_id is not None else ""]
        args = [str(amount), str(trust), "1" if token_id is not None else "0", "0" if unlimited else "1", str(-amount)]
        status, value = self._reserve(keys=keys, args=args)
        return int(status), int(value)

    def apply(self, user_id: int, token_id: int | None, change: int) -> None:
        """Add `change` to the balances (negative spends) and to `pending`."""
        keys, fields = [user_key(user_id)], ["quota"]
        if token_id is not None:
            keys.append(token_key(token_id))
            fields.append("remain")
        self._apply(keys=keys, args=[str(int(change)), *fields])

    def forget_user(self, user_id: int) -> None:
        self.client.hdel(user_key(user_id), "quota")

    def forget_token(self, token_id: int) -> None:
        self.client.hdel(token_key(token_id), "remain")

    def discard(self, user_id: int, token_ids: list[int]) -> None:
        """Deleted rows: their balances and every instance's `pending` for them go."""
        self.client.delete(user_key(user_id), *(token_key(t) for t in token_ids))

    def release_dead(self, user_share: dict[int, int], token_share: dict[int, int]) -> None:
        """A dead process had added `*_share` to `pending` (its unflushed changes; the replay has
        now written the settled ones to the DB): take them out and re-seed those balances."""
        keys: list[str] = []
        args: list[str] = []
        for key, field, share in ([(user_key(u), "quota", d) for u, d in user_share.items()]
                                  + [(token_key(t), "remain", d) for t, d in token_share.items()]):
            keys.append(key)
            args += [str(-int(share)), field]
        if keys:
            self._release(keys=keys, args=args)

    def flushed(self, user_quota: dict[int, int], token_remain: dict[int, int]) -> None:
        """These deltas are in the DB now: take them out of `pending`."""
        for uid, d in user_quota.items():
            self._backlog_users[uid] = self._backlog_users.get(uid, 0) + d
        for tid, d in token_remain.items():
            self._backlog_tokens[tid] = self._backlog_tokens.get(tid, 0) + d
        users, tokens = self._backlog_users, self._backlog_tokens
        self._backlog_users, self._backlog_tokens = {}, {}
        try:
            pipe = self.client.pipeline(transaction=True)  # all or nothing: no half-applied retry
            for uid, d in users.items():
                if d:
                    pipe.hincrby(user_key(uid), "pending", -d)
            for tid, d in tokens.items():
                if d:
                    pipe.hincrby(token_key(tid), "pending", -d)
            pipe.execute()
        except Exception:
            log.warning("could not clear flushed deltas from Redis; retrying on the next flush", exc_info=True)
            for uid, d in users.items():
                self._backlog_users[uid] = self._backlog_users.get(uid, 0) + d
            for tid, d in tokens.items():
                self._backlog_tokens[tid] = self._backlog_tokens.get(tid, 0) + d
