"""Single use for signed tokens: `claim(kind, nonce, ttl)` is True the first time a nonce is
presented and False after. In Redis when configured (SET NX, so every instance agrees); otherwise in
this process's memory, which is enough for a single-process deployment. Entries outlive the token
they guard (`ttl` = the token's remaining life), then expire."""

from __future__ import annotations

import threading
import time

from backend import lifecycle
from backend.cache.redis_client import get_sync_redis

_lock = threading.Lock()
_seen: dict[str, float] = {}
_MAX = 100_000


def claim(kind: str, nonce: str, ttl: int) -> bool:
    key = f"once:{kind}:{nonce}"
    ttl = max(int(ttl), 1)
    client = get_sync_redis()
    if client is not None:
        return bool(client.set(key, b"1", nx=True, ex=ttl))
    now = time.monotonic()
    with _lock:
        if len(_seen) >= _MAX:
            for k in [k for k, until in _seen.items() if until <= now]:
                del _seen[k]
        until = _seen.get(key)
        if until is not None and until > now:
            return False
        _seen[key] = now + ttl
        return True


@lifecycle.on_reset
def _reset() -> None:
    with _lock:
        _seen.clear()
