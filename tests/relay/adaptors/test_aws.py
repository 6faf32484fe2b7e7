"""AWS Bedrock: SigV4 against AWS's published example, the event-stream decoder, and the adaptor
against the fake Bedrock (signature checked, Claude events decoded from binary frames)."""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import UTC, datetime

import orjson
import pytest
from openai.types.chat import ChatCompletion

from backend.models.usage import Usage
from backend.relay.adaptors import AdaptorError, RelayFormat
from backend.relay.adaptors.aws import AwsAdaptor, bedrock_model_id
from backend.relay.adaptors.aws_eventstream import EventStreamError, EventStreamParser, parse_headers
from backend.relay.adaptors.aws_sigv4 import sign
from tests.fakes import bedrock_wire as bw
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import FakeUpstream
from tests.relay.adaptors.adaptor_helpers import adaptor, channel, claude_message, meta, openai_chunks, run

F = RelayFormat
HI = [{"role": "user", "content": "hi"}]


def test_sigv4_matches_the_aws_documentation_example():
    headers = sign(
        "POST",
        "http://iam.amazonaws.com/",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        b"Action=ListUsers&Version=2010-05-08",
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="iam",
        now=datetime(2011, 9, 9, 23, 36, tzinfo=UTC),
    )
    assert headers["x-amz-date"] == "20110909T233600Z"
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c"
    )


def test_sigv4_session_token_is_signed():
    headers = sign("POST", "https://h/x", {}, b"", access_key="a", secret_key="s", region="r", service="bedrock",
                   session_token="tok")  # fmt: skip
    assert headers["x-amz-security-token"] == "tok"
    assert "x-amz-security-token" in headers["Authorization"].split("SignedHeaders=")[1]


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        ("claude-3-5-sonnet-20240620", "us-east-1", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("claude-3-7-sonnet-20250219", "us-west-2", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("claude-sonnet-4-20250514", "eu-central-1", "eu.anthropic.claude-sonnet-4-20250514-v1:0"),
        ("claude-sonnet-4-20250514", "ap-northeast-1", "apac.anthropic.claude-sonnet-4-20250514-v1:0"),
        ("us.anthropic.claude-opus-4-20250514-v1:0", "us-east-1", "us.anthropic.claude-opus-4-20250514-v1:0"),
        (
            "arn:aws:bedrock:us-east-1:1:inference-profile/x",
            "us-east-1",
            "arn:aws:bedrock:us-east-1:1:inference-profile/x",
        ),
    ],
)
def test_model_ids(model, region, expected):
    assert bedrock_model_id(model, region) == expected


def test_event_stream_decoding_across_chunk_borders():
    frames = bw.chunk_frame({"type": "message_start", "message": {}}) + bw.exception_frame(
        "throttlingException", "slow down"
    )
    parser = EventStreamParser()
    events = [e for i in range(len(frames)) for e in parser.feed(frames[i : i + 1])]
    assert [orjson.loads(e.data)["type"] for e in events] == ["message_start", "error"]
    assert orjson.loads(events[1].data)["error"] == {"type": "throttlingException", "message": "slow down"}
    assert events[1].event == "error"


def test_event_stream_rejects_corruption_and_oversize():
    frame = bytearray(bw.chunk_frame({"type": "ping"}))
    frame[-6] ^= 0xFF
    with pytest.raises(EventStreamError):
        EventStreamParser().feed(bytes(frame))
    with pytest.raises(Exception, match="larger"):
        EventStreamParser(max_line=10).feed(bw.chunk_frame({"type": "ping"}))


def test_event_stream_header_types():
    raw = b"\x01a\x00" + b"\x01b\x04" + struct.pack(">i", 7) + b"\x01c\x06" + struct.pack(">H", 2) + b"xy"
    assert parse_headers(raw) == {"a": True, "b": struct.pack(">i", 7), "c": b"xy"}


def test_event_stream_skips_non_chunk_events():
    other = bw.encode_message({":event-type": "metadata", ":message-type": "event"}, b"{}")
    bad = bw.encode_message({":event-type": "chunk", ":message-type": "event"}, b'{"bytes": "%%%"}')
    assert EventStreamParser().feed(other + bad) == []
    good = bw.encode_message({":event-type": "chunk", ":message-type": "event"},
                             orjson.dumps({"bytes": base64.b64encode(b'{"type":"ping"}').decode()}))  # fmt: skip
    assert EventStreamParser().feed(good)[0].data == b'{"type":"ping"}'
    assert zlib.crc32(good[:-4]) == struct.unpack(">I", good[-4:])[0]


def test_bad_keys_are_a_config_error(sqlite_storage):
    with pytest.raises(AdaptorError) as info:
        adaptor(channel(33), key="only-one-part")
    assert info.value.code == "channel_config_invalid"


def test_request_shape_and_url(sqlite_storage):
    a = adaptor(channel(33), meta(model="claude-3-5-sonnet-20240620", client_headers={"anthropic-beta": "a, b"}),
                key=f"{bw.ACCESS_KEY}|{bw.SECRET_KEY}|us-east-1")  # fmt: skip
    assert isinstance(a, AwsAdaptor)
    req = a.build_request({"model": "claude-3-5-sonnet-20240620", "messages": HI})
    assert req.url == (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke"
    )
    body = orjson.loads(req.body)
    assert "model" not in body and "stream" not in body
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert body["anthropic_beta"] == ["a", "b"]
    assert req.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDFAKE/")
    assert "x-api-key" not in req.headers
    keyed = adaptor(channel(33), meta(model="claude-3-5-sonnet-20240620"), key="bedrock-api-key|us-west-2")
    req = keyed.build_request({"model": "claude-3-5-sonnet-20240620", "messages": HI})
    assert req.headers["Authorization"] == "Bearer bedrock-api-key"
    assert req.url.startswith("https://bedrock-runtime.us-west-2.amazonaws.com/")


@pytest.fixture(scope="module")
def _server():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def fake(_server, sqlite_storage):
    _server.reset()
    return _server


KEY = f"{bw.ACCESS_KEY}|{bw.SECRET_KEY}|us-east-1"


def test_openai_client_whole_against_fake_bedrock(fake):
    a = adaptor(channel(33, fake.url), meta(model="claude-3-7-sonnet-20250219"), key=KEY)
    r = run(a, {"model": "claude-3-7-sonnet-20250219", "messages": HI})
    assert fake.last.path == "/model/us.anthropic.claude-3-7-sonnet-20250219-v1:0/invoke"
    assert ChatCompletion.model_validate_json(r.body).choices[0].message.content == ow.REPLY_TEXT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, 0, 0, "anthropic")


def test_openai_client_stream_against_fake_bedrock(fake):
    a = adaptor(
        channel(33, fake.url),
        meta(model="claude-3-5-haiku-20241022", stream=True, include_usage=True),
        key=KEY,
    )
    r = run(a, {"model": "claude-3-5-haiku-20241022", "messages": HI, "stream": True})
    assert fake.last.path.endswith("/invoke-with-response-stream")
    chunks, done = openai_chunks(r.frames)
    assert done
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert r.usage == Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, 0, 0, "anthropic")


def test_claude_client_stream_against_fake_bedrock(fake):
    a = adaptor(
        channel(33, fake.url), meta(F.CLAUDE_MESSAGES, "claude-3-5-haiku-20241022", stream=True), key=KEY
    )
    r = run(a, {"model": "claude-3-5-haiku-20241022", "max_tokens": 20, "messages": HI, "stream": True})
    msg = claude_message(r.frames)
    assert msg.content[0].text == ow.REPLY_TEXT
    assert msg.stop_reason == "end_turn"


def test_bedrock_errors(fake):
    wrong = adaptor(
        channel(33, fake.url), meta(model="claude-3-5-haiku-20241022"), key="AKIDFAKE|wrong-secret|us-east-1"
    )
    r = run(wrong, {"model": "claude-3-5-haiku-20241022", "messages": HI})
    assert (r.status, r.error.message) == (
        403,
        "The request signature we calculated does not match the signature you provided.",
    )
    r = run(
        adaptor(channel(33, fake.url), meta(model="fail-429"), key=KEY), {"model": "fail-429", "messages": HI}
    )
    assert (r.status, r.error.message) == (429, "fake failure 429")
    s = adaptor(channel(33, fake.url), meta(model="stream-error", stream=True), key=KEY)
    r = run(s, {"model": "stream-error", "messages": HI, "stream": True})
    assert r.stream_error is not None and r.stream_error.type == "throttlingException"
