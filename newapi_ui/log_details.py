"""The text of a log row's event in the reader's language, from the structured facts in its `other`
JSON (`backend.services.activity_log` writes `event` and its values there). The row's `content` is
new-api's single-language text; the console shows it only for events it does not know, and for
consume rows it shows the ratios as their own translated fields instead (see states/logs.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from newapi_ui.i18n import N_

# event -> message; {placeholders} are filled from `other` (values named *quota are money).
EVENT_TEXT: dict[str, str] = {
    "redeem": N_("Redeemed code #{code_id} for {quota}"),
    "signup_bonus": N_("New user bonus: {quota}"),
    "invitee_bonus": N_("Invitation bonus: {quota}"),
    "inviter_reward": N_("Invited {invitee}: {quota} added to the invitation reward"),
    "reward_transfer": N_("Transferred {quota} of invitation reward to the balance"),
    "admin_quota": N_("Admin {admin} changed the quota from {old_quota} to {new_quota}"),
    "oauth_signup": N_("Registered through {provider}"),
    "channel_enabled": N_("Channel “{channel_name}” (#{channel_id}) was enabled"),
    "channel_disabled": N_("Channel “{channel_name}” (#{channel_id}) was disabled: {reason}"),
    "channel_key_disabled": N_("Key {key_index} of channel “{channel_name}” (#{channel_id}) was disabled: {reason}"),
    "channel_test_passed": N_("Model test of channel “{channel_name}” (#{channel_id}), model {model}: passed in {ms} ms"),
    "channel_test_failed": N_("Model test of channel “{channel_name}” (#{channel_id}), model {model}: failed after {ms} ms: {error}"),
    "view_channel_key": N_("Viewed the key of channel #{channel_id}"),
}


def _message_key(other: dict[str, Any]) -> str:
    event = str(other.get("event", ""))
    if event == "channel_test":
        return "channel_test_passed" if other.get("success") else "channel_test_failed"
    if event == "channel_disabled" and other.get("key_index"):
        return "channel_key_disabled"
    return event


def event_text(other: dict[str, Any], tr: Callable[[str], str], money: Callable[[int], str],
               number: Callable[[int], str]) -> str | None:
    """The event in the reader's language, or None when `other` names no event this console knows
    (or lacks a value its message needs): then the caller shows the row's `content`."""
    msgid = EVENT_TEXT.get(_message_key(other))
    if msgid is None:
        return None
    values: dict[str, str] = {}
    for key, value in other.items():
        if isinstance(value, bool):
            continue
        if key.endswith("quota") and isinstance(value, int):
            values[key] = money(value)
        elif key == "ms" and isinstance(value, int):
            values[key] = number(value)
        else:
            values[key] = str(value)
    try:
        return tr(msgid).format(**values)
    except (KeyError, IndexError, ValueError):
        return None
