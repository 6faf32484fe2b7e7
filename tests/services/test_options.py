import pytest
from sqlmodel import select

from backend.db import session_scope
from backend.models import Option
from backend.services import options
from backend.services.errors import ServiceError


def test_defaults_then_update_persists_and_reloads(storage):
    assert options.get("RetryTimes") == "0"
    assert options.get_int("QuotaPerUnit") == 500000
    assert options.get_json("GroupRatio") == {"default": 1, "vip": 1, "svip": 1}
    options.update("RetryTimes", "3")
    assert options.get_int("RetryTimes") == 3
    with session_scope() as s:
        assert s.get(Option, "RetryTimes").value == "3"
    options._reset()  # a fresh process reads it back from the database
    assert options.get_int("RetryTimes") == 3


def test_change_written_by_another_node_is_seen_after_load(storage):
    assert options.get("SystemName") == "New API"
    with session_scope() as s:
        s.add(Option(key="SystemName", value="Acme Gateway"))
    assert options.get("SystemName") == "New API"  # snapshot, no DB read per call
    options.load()
    assert options.get("SystemName") == "Acme Gateway"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ModelRatio", "{not json", "valid JSON"),
        ("ModelRatio", "[1, 2]", "JSON object"),
        ("GroupRatio", '{"vip": -1}', "non-negative"),
        ("GroupRatio", '{"vip": "x"}', "non-negative"),
        ("Chats", "{}", "JSON array"),
        ("RetryTimes", "three", "number"),
        ("RegisterEnabled", "maybe", "true or false"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(sqlite_storage, key, value, message):
    before = options.get(key)
    with pytest.raises(ServiceError, match=message):
        options.update(key, value)
    assert options.get(key) == before
    with session_scope() as s:
        assert s.exec(select(Option).where(Option.key == key)).first() is None


def test_secrets_are_hidden_case_insensitively(sqlite_storage):
    options.update("oidc.client_secret", "s3cret")
    options.update("SMTPToken", "tok")
    public = options.all_public()
    for hidden in ("oidc.client_secret", "SMTPToken", "GitHubClientSecret", "TelegramBotToken", "EpayKey",
                   "StripeApiSecret", "TurnstileSecretKey"):
        assert hidden not in public
    assert "s3cret" not in public.values()
    assert public["SystemName"] == "New API"
    assert options.get("oidc.client_secret") == "s3cret"
