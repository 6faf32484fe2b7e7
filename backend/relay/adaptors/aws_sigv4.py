"""AWS Signature Version 4 for one HTTP request (what Bedrock needs; no SDK dependency)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(("AWS4" + secret).encode(), date)
    return _hmac(_hmac(_hmac(k_date, region), service), "aws4_request")


def _canonical_path(path: str, double_encode: bool) -> str:
    # the path as sent is already percent-encoded once; every service but S3 signs it encoded again
    segments = path.split("/") if path else [""]
    encoded = "/".join(quote(s, safe="-_.~") if double_encode else s for s in segments)
    return encoded or "/"


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = []
    for item in query.split("&"):
        name, _, value = item.partition("=")
        pairs.append((quote(name, safe="-_.~%"), quote(value, safe="-_.~%")))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    now: datetime | None = None,
    session_token: str | None = None,
    double_encode: bool = True,
) -> dict[str, str]:
    """`headers` plus x-amz-date (and the session token) and Authorization. The signed headers are
    host, x-amz-* and content-type: the ones a proxy will not rewrite."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    parts = urlsplit(url)
    out = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-amz-date", "host")}
    out["x-amz-date"] = amz_date
    if session_token:
        out["x-amz-security-token"] = session_token
    signed = {"host": parts.netloc}
    for name, value in out.items():
        lower = name.lower()
        if lower.startswith("x-amz-") or lower == "content-type":
            signed[lower] = " ".join(str(value).strip().split())
    names = sorted(signed)
    canonical = "\n".join(
        [
            method.upper(),
            _canonical_path(parts.path, double_encode),
            _canonical_query(parts.query),
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            hashlib.sha256(body or b"").hexdigest(),
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(
        signing_key(secret_key, date, region, service), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    out["Authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out
