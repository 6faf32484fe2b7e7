"""Field rules shared by every service that accepts the field, written once.

They mirror new-api's validators (and its column widths): an email is something@host.tld of at
most 50 characters, a display name at most 20. Services raise `ServiceError` with these messages,
so the wording is the same wherever the field is set.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 50
DISPLAY_NAME_MAX = 20
DISPLAY_NAME_TOO_LONG = "the display name must be at most 20 characters"


def is_email(value: str) -> bool:
    """A plausible address that fits the column."""
    return len(value) <= EMAIL_MAX and EMAIL.match(value) is not None


def display_name_ok(value: str) -> bool:
    return len(value) <= DISPLAY_NAME_MAX
