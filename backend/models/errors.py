"""Refusals every layer may raise: bad input, missing permission, a conflict, each with a message
that has a stable msgid.

A raise site writes its message once, as a template with named parameters:
`ServiceError(msg("you already have the maximum of {cap} tokens", cap=cap))`. The msgid (the
template) is listed in `backend/models/messages.py`, the catalog translators work from; the API
answers the English text (`message`, new-api's envelope), the console renders `detail` in the
reader's language, the parameters filled in after translation. The classes live at the bottom of
the layers so the field rules of `validation.py` can raise them; `backend.services.errors` is
where the rest of the code imports them from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Message:
    """A catalog msgid and the values of its `{name}` placeholders (a value may be a Message)."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str] = _same) -> str:
        """The text in gettext's language. Without parameters the msgid is not a format string
        (braces stay); a translation whose placeholders do not fit falls back to English."""
        if not self.params:
            return gettext(self.msgid)
        values = {k: v.render(gettext) if isinstance(v, Message) else v for k, v in self.params.items()}
        try:
            return gettext(self.msgid).format(**values)
        except (KeyError, IndexError, ValueError):
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render()

    def __hash__(self) -> int:  # the params may hold unhashable values; equal messages share a msgid
        return hash(self.msgid)


def msg(msgid: str, /, **params: Any) -> Message:
    """Mark a refusal's text: a literal template listed in the catalog, with its parameters."""
    return Message(msgid, params)


class ServiceError(Exception):
    """A refusal the caller can show as is: bad input, missing permission, a conflict.
    `message` is the English text (the API's); `detail` renders in any language (the console's)."""

    def __init__(self, message: Message, status: int = 400) -> None:
        detail = message if isinstance(message, Message) else Message(str(message))
        super().__init__(detail.render())
        self.detail = detail
        self.message = detail.render()
        self.status = status

    @property
    def msgid(self) -> str:
        return self.detail.msgid

    def translated(self, gettext: Callable[[str], str]) -> str:
        return self.detail.render(gettext)


class NotFound(ServiceError):
    def __init__(self, message: Message | None = None) -> None:
        super().__init__(message or msg("not found"), 404)


class Forbidden(ServiceError):
    def __init__(self, message: Message | None = None) -> None:
        super().__init__(message or msg("permission denied"), 403)


class Unauthorized(ServiceError):
    def __init__(self, message: Message | None = None) -> None:
        super().__init__(message or msg("not logged in"), 401)
