"""Bounded body reading: the limit holds while streaming, and on gzip's decompressed bytes."""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator

import pytest

from backend.relay.body import parse_json_object, read_limited
from backend.relay.errors import RelayError


class Feed:
    """An async body source that remembers how much of it was consumed."""

    def __init__(self, data: bytes, chunk: int = 1024) -> None:
        self.parts = [data[i : i + chunk] for i in range(0, len(data), chunk)]
        self.consumed = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            self.consumed += len(part)
            yield part


async def test_plain_body_within_limit_is_returned_whole() -> None:
    data = b'{"model":"x"}' * 100
    assert await read_limited(Feed(data), len(data)) == data


async def test_plain_body_over_limit_is_413_without_reading_it_all() -> None:
    feed = Feed(b"a" * 1_000_000, chunk=1000)
    with pytest.raises(RelayError) as info:
        await read_limited(feed, 10_000)
    assert info.value.status == 413
    assert info.value.code == "request_body_too_large"
    assert feed.consumed <= 11_000  # stopped one chunk past the limit


async def test_gzip_body_is_decompressed() -> None:
    data = b'{"model":"gpt-4o","messages":[]}'
    assert await read_limited(Feed(gzip.compress(data)), 1000, "gzip") == data


async def test_gzip_bomb_is_413_and_never_inflated_past_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB on the wire, 50 MB inflated
    assert len(bomb) < 100_000
    with pytest.raises(RelayError) as info:
        await read_limited(Feed(bomb, chunk=65536), 1_000_000, "gzip")
    assert info.value.status == 413


async def test_gzip_compressed_size_counts_too() -> None:
    noise = os.urandom(5000)  # incompressible: gzip makes it slightly larger
    wrapped = gzip.compress(noise)
    assert len(wrapped) > 5010
    assert await read_limited(Feed(wrapped), len(wrapped), "gzip") == noise
    with pytest.raises(RelayError) as info:
        await read_limited(Feed(wrapped), 5010, "gzip")  # inflated size fits, wire size does not
    assert info.value.status == 413


async def test_broken_gzip_is_400() -> None:
    with pytest.raises(RelayError) as info:
        await read_limited(Feed(b"not gzip at all"), 1000, "gzip")
    assert info.value.status == 400


async def test_truncated_gzip_is_400() -> None:
    packed = gzip.compress(b'{"a":1}' * 1000)
    with pytest.raises(RelayError) as info:
        await read_limited(Feed(packed[: len(packed) // 2]), 100_000, "gzip")
    assert info.value.status == 400


async def test_unknown_encoding_is_415() -> None:
    with pytest.raises(RelayError) as info:
        await read_limited(Feed(b"x"), 1000, "br")
    assert info.value.status == 415


@pytest.mark.parametrize("raw", [b"", b"   ", b"{", b"[1,2]", b'"text"', b"nul"])
def test_bad_json_is_400(raw: bytes) -> None:
    with pytest.raises(RelayError) as info:
        parse_json_object(raw)
    assert info.value.status == 400
    assert info.value.local


def test_json_object_is_parsed() -> None:
    assert parse_json_object(b'{"model":"m","stream":true}') == {"model": "m", "stream": True}
