"""Log details in the reader's language from the row's structured `other` (issue #15, item 2)."""

from __future__ import annotations

from newapi_ui.i18n import fmt_number, fmt_quota, translator
from newapi_ui.log_details import EVENT_TEXT, event_text


def _text(other: dict, lang: str) -> str | None:
    return event_text(other, translator(lang),
                      lambda q: fmt_quota(q, lang, per_unit=500_000, in_currency=True),
                      lambda n: fmt_number(n, lang))


def test_events_read_in_each_language() -> None:
    redeem = {"event": "redeem", "code_id": 1, "quota": 5_000_000}
    assert _text(redeem, "en") == "Redeemed code #1 for $10.00"
    assert _text(redeem, "zh_CN") == translator("zh_CN")(EVENT_TEXT["redeem"]).format(code_id=1, quota="$10.00")
    assert "$10.00" in _text(redeem, "ja") and "#1" in _text(redeem, "ja")
    assert _text(redeem, "zh_CN") != _text(redeem, "en")


def test_channel_test_passed_and_failed() -> None:
    base = {"event": "channel_test", "channel_id": 3, "channel_name": "fake", "model": "gpt-4o", "ms": 1234}
    assert _text({**base, "success": True, "error": ""}, "en") == (
        "Model test of channel “fake” (#3), model gpt-4o: passed in 1,234 ms")
    failed = _text({**base, "success": False, "error": "401 bad key"}, "en")
    assert failed is not None and failed.endswith("failed after 1,234 ms: 401 bad key")
    assert "模型测试" not in (_text({**base, "success": True}, "en") or "")


def test_one_key_of_a_channel_disabled() -> None:
    other = {"event": "channel_disabled", "channel_id": 2, "channel_name": "c", "reason": "quota", "key_index": 3}
    assert _text(other, "en") == "Key 3 of channel “c” (#2) was disabled: quota"
    del other["key_index"]
    assert _text(other, "en") == "Channel “c” (#2) was disabled: quota"


def test_unknown_or_incomplete_events_fall_back_to_content() -> None:
    assert _text({}, "en") is None
    assert _text({"event": "something-new"}, "en") is None
    assert _text({"event": "redeem", "quota": 5}, "en") is None  # code_id missing


def test_every_event_is_translated() -> None:
    for lang in ("zh_CN", "zh_TW", "ja", "fr"):
        for msgid in EVENT_TEXT.values():
            assert translator(lang)(msgid) != msgid, (lang, msgid)
