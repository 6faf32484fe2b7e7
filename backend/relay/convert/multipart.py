"""Rewriting one text field of a multipart/form-data body (the `model` of an audio or image-edit
upload after model mapping) without decoding the file parts."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_NAME = re.compile(rb'content-disposition:[^\r\n]*;\s*name="([^"]*)"', re.IGNORECASE)


def boundary_of(content_type: str) -> bytes | None:
    match = _BOUNDARY.search(content_type or "")
    return match.group(1).strip().encode() if match else None


def rewrite_form_field(raw: bytes, content_type: str, name: str, value: str) -> bytes:
    """The body with field `name` set to `value`; unchanged when the field or boundary is absent."""
    boundary = boundary_of(content_type)
    if not boundary:
        return raw
    delimiter = b"--" + boundary
    pieces = raw.split(delimiter)
    # pieces[0] is the preamble, the last one starts with "--" (the closing delimiter)
    for i in range(1, len(pieces) - 1):
        part = pieces[i]
        head_end = part.find(b"\r\n\r\n")
        if head_end < 0:
            continue
        match = _NAME.search(part[:head_end])
        if (
            match
            and match.group(1).decode("utf-8", "replace") == name
            and b"filename=" not in part[:head_end].lower()
        ):
            pieces[i] = part[: head_end + 4] + value.encode() + b"\r\n"
    return delimiter.join(pieces)
