"""Field rules shared by every service that accepts the field, written once.

They mirror new-api's validators (and its column widths): a username of 1 to 20 characters
without spaces, a password of 8 to 20, an email something@host.tld of at most 50 characters, a
display name at most 20. The `check_*` functions raise `ServiceError` with one wording, so the
refusal reads the same wherever the field is set (register, self edit, admin edit, setup).
"""

from __future__ import annotations

import re

from backend.models.errors import ServiceError, msg

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 50
DISPLAY_NAME_MAX = 20
USERNAME = re.compile(r"^[^\s]{1,20}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 20
DISPLAY_NAME_TOO_LONG = msg("the display name must be at most 20 characters")
USERNAME_INVALID = msg("the username must be 1 to 20 characters without spaces")
PASSWORD_LENGTH = msg("the password must be 8 to 20 characters long")
EMAIL_INVALID = msg("invalid email address")


def is_email(value: str) -> bool:
    """A plausible address that fits the column."""
    return len(value) <= EMAIL_MAX and EMAIL.match(value) is not None


def display_name_ok(value: str) -> bool:
    return len(value) <= DISPLAY_NAME_MAX


def check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise ServiceError(USERNAME_INVALID)


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ServiceError(PASSWORD_LENGTH)


def check_display_name(display_name: str) -> None:
    if not display_name_ok(display_name):
        raise ServiceError(DISPLAY_NAME_TOO_LONG)


def check_email(email: str) -> None:
    """An empty address is allowed (the column's default); anything else must be an address."""
    if email and not is_email(email):
        raise ServiceError(EMAIL_INVALID)
