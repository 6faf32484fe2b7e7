"""Rewriting one text field of a multipart/form-data body (the `model` of an audio or image-edit
upload after model mapping) without decoding the file parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_NAME = re.compile(rb'content-disposition:[^\r\n]*;\s*name="([^"]*)"', re.IGNORECASE)


def boundary_of(content_type: str) -> bytes | None:
    match = _BOUNDARY.search(content_type or "")
    return match.group(1).strip().encode() if match else None


def rewrite_form_field(raw: bytes, content_type: str, name: str, value: str) -> bytes:
    """The body with field `name` set to `value` (a new part before the closing delimiter when no
    part has that name: a route default such as whisper-1 was applied); unchanged without a boundary."""
    boundary = boundary_of(content_type)
    if not boundary:
        return raw
    delimiter = b"--" + boundary
    pieces = raw.split(delimiter)
    found = False
    # pieces[0] is the preamble, the last one starts with "--" (the closing delimiter)
    for i in range(1, len(pieces) - 1):
        part = pieces[i]
        head_end = part.find(b"\r\n\r\n")
        if head_end < 0:
            continue
        match = _NAME.search(part[:head_end])
        if match and match.group(1).decode("utf-8", "replace") == name:
            found = True  # a file part of that name is left alone, and no field is added
            if b"filename=" not in part[:head_end].lower():
                pieces[i] = part[: head_end + 4] + value.encode() + b"\r\n"
    if not found and len(pieces) >= 2:
        added = f'\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        pieces.insert(len(pieces) - 1, added)
    return delimiter.join(pieces)


@dataclass(frozen=True, slots=True)
class FormFile:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Form:
    """A parsed multipart/form-data body: text fields (last value wins, as Go's FormValue reads
    the first; clients send each once) and file parts, both as sent."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[FormFile] = field(default_factory=list)


_FILENAME = re.compile(rb'filename="([^"]*)"', re.IGNORECASE)
_PART_TYPE = re.compile(rb"content-type:\s*([^\r\n]+)", re.IGNORECASE)


def parse_form(raw: bytes, content_type: str) -> Form | None:
    """The form's fields and files; None when this is no multipart body we can read (no boundary,
    no parts, or a part without headers)."""
    boundary = boundary_of(content_type)
    if not boundary:
        return None
    pieces = raw.split(b"--" + boundary)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        return None
    form = Form()
    for part in pieces[1:-1]:
        part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head_end = part.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head, value = part[:head_end], part[head_end + 4 :]
        name = _NAME.search(head)
        if name is None:
            return None
        field_name = name.group(1).decode("utf-8", "replace")
        filename = _FILENAME.search(head)
        if filename is not None:
            ctype = _PART_TYPE.search(head)
            form.files.append(FormFile(
                field_name, filename.group(1).decode("utf-8", "replace"),
                ctype.group(1).decode("latin-1").strip() if ctype else "application/octet-stream", value,
            ))
        else:
            form.fields[field_name] = value.decode("utf-8", "replace")
    return form
