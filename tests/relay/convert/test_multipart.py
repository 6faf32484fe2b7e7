"""Rewriting the model field of a multipart upload."""

from __future__ import annotations

import httpx
import pytest

from backend.relay.convert.multipart import boundary_of, parse_form, rewrite_form_field


def form(fields: dict, files: dict | None = None) -> tuple[bytes, str]:
    req = httpx.Request("POST", "http://x", data=fields, files=files or {})
    return req.read(), req.headers["content-type"]


def fields_of(raw: bytes, content_type: str) -> dict[str, bytes]:
    """Minimal reference parser: every part's name -> payload."""
    out = {}
    delimiter = b"--" + boundary_of(content_type)
    for part in raw.split(delimiter)[1:-1]:
        head, _, body = part.partition(b"\r\n\r\n")
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        out[name] = body.removesuffix(b"\r\n")
    return out


def test_model_rewritten_file_untouched():
    audio = b"RIFF\r\n--not-a-boundary\r\n\x00\x01binary"
    raw, ctype = form({"model": "whisper-alias", "language": "en"}, {"file": ("a.wav", audio, "audio/wav")})
    out = rewrite_form_field(raw, ctype, "model", "whisper-1")
    parsed = fields_of(out, ctype)
    assert parsed["model"] == b"whisper-1"
    assert parsed["language"] == b"en"
    assert parsed["file"] == audio


def test_field_named_model_inside_a_file_part_is_not_touched():
    raw, ctype = form({}, {"model": ("model.bin", b"weights", "application/octet-stream")})
    assert rewrite_form_field(raw, ctype, "model", "x") == raw


@pytest.mark.parametrize("ctype", ["application/json", "multipart/form-data"])
def test_without_boundary_nothing_changes(ctype):
    assert rewrite_form_field(b"body", ctype, "model", "x") == b"body"


def test_quoted_boundary():
    assert boundary_of('multipart/form-data; boundary="abc def"') == b"abc def"


def test_missing_field_is_added_and_the_form_still_parses():
    audio = b"RIFF\x00\x01"
    raw, ctype = form({"language": "en"}, {"file": ("a.wav", audio, "audio/wav")})
    out = rewrite_form_field(raw, ctype, "model", "whisper-1")
    parsed = parse_form(out, ctype)
    assert parsed is not None and parsed.fields == {"language": "en", "model": "whisper-1"}
    assert [(f.name, f.filename, f.content_type, f.data) for f in parsed.files] == [("file", "a.wav", "audio/wav", audio)]


@pytest.mark.parametrize("raw", [b"", b"no delimiters", b"--B\r\nno header end--B--", b"--B\r\n\r\nx\r\n--B--"])
def test_unreadable_forms_parse_to_none(raw):
    assert parse_form(raw, "multipart/form-data; boundary=B") is None
