"""Shared rules for keyword searches over the management tables.

Keywords are matched as literal substrings: `%` and `_` typed by a user are not wildcards (the
columns' `contains(..., autoescape=True)` escapes them). A keyword that is a plain number also
matches row ids, but only when it is ASCII digits that fit a 64-bit column: `str.isdigit()` is
true for "²" or Arabic-Indic digits, and a wider number would fail in the database driver.
"""

from __future__ import annotations

INT64_MAX = 2**63 - 1


def as_id(keyword: str) -> int | None:
    """The keyword as a row id, or None when it is not one."""
    if not keyword.isascii() or not keyword.isdigit() or len(keyword) > 19:
        return None
    value = int(keyword)
    return value if value <= INT64_MAX else None
