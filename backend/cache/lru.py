"""A bounded, expiring map for the entity caches: at most N entries, least recently used out first.

Found rows and "no such row" answers are kept in two separate maps, so a flood of unknown keys
(each a miss remembered for a few seconds) can only push out other unknown keys, never the
snapshots real callers need. Entries also expire: a stale one is a miss and is dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MISS = object()
"""`get`'s answer when nothing fresh is held (None is a valid cached answer: "no such row")."""


class BoundedTTL(Generic[K, V]):
    """Thread-safe (bus callbacks drop entries from worker threads); every operation is O(1)."""

    def __init__(self, max_found: int, max_missing: int) -> None:
        self.max_found = max_found
        self.max_missing = max_missing
        self._found: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._missing: OrderedDict[K, float] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, now: float) -> V | None | object:
        """The value, None for a remembered miss, or `MISS` when nothing fresh is held."""
        with self._lock:
            hit = self._found.get(key)
            if hit is not None:
                if hit[1] > now:
                    self._found.move_to_end(key)
                    return hit[0]
                del self._found[key]
            expires = self._missing.get(key)
            if expires is not None:
                if expires > now:
                    return None  # not refreshed in LRU order: a miss earns no extra life
                del self._missing[key]
            return MISS

    def put(self, key: K, value: V | None, expires: float) -> None:
        with self._lock:
            if value is None:
                self._found.pop(key, None)
                self._store(self._missing, key, expires, self.max_missing)
            else:
                self._missing.pop(key, None)
                self._store(self._found, key, (value, expires), self.max_found)

    @staticmethod
    def _store(entries: OrderedDict, key: K, item: object, limit: int) -> None:
        entries[key] = item
        entries.move_to_end(key)
        while len(entries) > limit:
            entries.popitem(last=False)

    def pop(self, key: K) -> None:
        with self._lock:
            self._found.pop(key, None)
            self._missing.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._missing.clear()

    def counts(self) -> tuple[int, int]:
        """(found, missing) entries held now."""
        return len(self._found), len(self._missing)

    def __len__(self) -> int:
        return len(self._found) + len(self._missing)

    def __contains__(self, key: object) -> bool:
        return key in self._found or key in self._missing
