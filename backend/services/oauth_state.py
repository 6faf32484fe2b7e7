"""OAuth `state`: issued to one browser, checked before any token exchange, usable once.

`issue` returns a 12-character state (new-api's length) bound to the browser's binding cookie and
remembers the invitation code that came with it (`?aff=`). `consume` accepts a state only from the
browser it was issued to and only once; anything else is refused before a provider is contacted.
A browser holds one live state at a time, as new-api's session does.
"""

from __future__ import annotations

import hmac
import secrets
import string

from backend.services import browser_binding, nonces
from backend.services.errors import Forbidden, msg

KIND = "oauth_state"
TTL_SECONDS = 600
_ALPHABET = string.ascii_letters + string.digits


def issue(browser_cookie: str, aff: str = "") -> str:
    fp = browser_binding.fingerprint(browser_cookie)
    if fp is None:
        raise Forbidden(msg("invalid browser binding"))
    state = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    nonces.put(KIND, fp, {"state": state, "aff": aff[:32]}, TTL_SECONDS)
    return state


def consume(browser_cookie: str | None, state: str) -> dict:
    """The state's record (`aff`) if `state` is this browser's live state; it is used up. Else 403."""
    fp = browser_binding.fingerprint(browser_cookie)
    if fp is None or not state:
        raise Forbidden(msg("the OAuth state is invalid or has expired, please try again"))
    record = nonces.get(KIND, fp)
    if record is None or not hmac.compare_digest(str(record.get("state", "")).encode(), state.encode()):
        raise Forbidden(msg("the OAuth state is invalid or has expired, please try again"))
    taken = nonces.take(KIND, fp)
    if taken is None or not hmac.compare_digest(str(taken.get("state", "")).encode(), state.encode()):
        raise Forbidden(msg("the OAuth state is invalid or has expired, please try again"))
    return taken
