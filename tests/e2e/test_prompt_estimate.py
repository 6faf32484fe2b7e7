"""The tokenizer stays off the common path: an OpenAI-format call whose upstream reports usage
reserves on a byte estimate and never counts the prompt; the BPE module is not even imported
until a count is needed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from backend.models.usage import Usage
from backend.relay import prompt_count, token_counter
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def test_reported_usage_means_no_local_prompt_count(env: RelayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kw: object) -> int:
        raise AssertionError("the prompt was tokenised although upstream reported usage")

    monkeypatch.setattr(token_counter, "count_chat_request", refuse)
    make_channel(env.fake.url, "gpt-4o")
    user, _token, key = make_key(unlimited_quota=False, remain_quota=2_000_000, quota=3_000_000)
    reply = env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert reply.usage.prompt_tokens == ow.PROMPT_TOKENS
    flush()
    [row] = consume_logs(user.id)
    assert row.quota == expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))


def test_the_estimate_is_a_ceiling_of_bytes_over_three() -> None:
    class Ctx:
        raw = b"x" * 3001

    assert prompt_count.prompt_estimate(Ctx()) == 1001  # type: ignore[arg-type]


def test_bpe_is_imported_only_when_a_count_is_needed() -> None:
    code = (
        "import sys; import backend.main; from backend.relay import pipeline, token_counter; "
        "assert 'bpe_openai' not in sys.modules, 'imported at start-up'; "
        "assert token_counter.count_text('gpt-4o', 'hello world') == 2; "
        "assert 'bpe_openai' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
