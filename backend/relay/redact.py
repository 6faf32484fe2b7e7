"""Making text safe to show: secrets and addresses out of upstream errors, user values clipped.

An upstream's error text is written for the gateway's operator, not for the gateway's callers: a
provider answering 401 says "Incorrect API key provided: sk-…" about the *channel's* key, and a
proxy in front of it may name an internal URL or `10.0.0.5:8080`. `redact_secrets` removes what
nobody may see (the channel key verbatim, anything shaped like a credential); `redact` also removes
where the upstream lives (URLs, IP addresses, host:port). Admins get the first, callers the second.

`clip` is for echoing a caller's own value back (a model name, a header): control characters go,
and only a short prefix is kept, so an error message can never carry a 10,000-character payload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
URL_MASK = "[url]"
ADDRESS_MASK = "[address]"
MIN_SECRET_LEN = 6  # shorter "secrets" (test keys, "x") would mask ordinary words
ECHO_LIMIT = 64

# Credentials by shape. Each pattern keeps its lead-in (group 1) and masks the value.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token> / Basic <token>
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{4,}"), r"\1 " + MASK),
    # OpenAI / Anthropic / most OpenAI-compatible providers: sk-…, sk-proj-…, sk-ant-…
    (re.compile(r"\bsk-[A-Za-z0-9_\-*]{4,}"), "sk-" + MASK),
    # key=… in a query string or a config dump (key, api_key, access_token, signature…)
    (re.compile(r"(?i)\b((?:api[_-]?|access[_-]?|secret[_-]?|x-goog-api-|x-amz-)?"
                r"(?:key|token|secret|signature|sig|credential|password))=[^&\s\"'<>,;]+"), r"\1=" + MASK),
    # JSON-ish "api_key": "…"
    (re.compile(r"(?i)(\"(?:api[_-]?key|key|token|access[_-]?token|secret|password)\"\s*:\s*\")[^\"]+"),
     r"\1" + MASK),
    # "API key provided: abc…", "invalid key: abc…", "token is abc…": a long value after the word
    (re.compile(r"(?i)\b((?:api[\s_-]?)?(?:key|token|secret)s?\b[^\n:=]{0,24}?[:=]?\s+[\"'`]?)"
                r"(?=[A-Za-z0-9_\-./+*]{16,})(?=[^\s]*\d)[A-Za-z0-9_\-./+*=]{16,}"), r"\1" + MASK),
    # AWS access key ids, Google API keys, JWTs
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), MASK),
    # a long random run of letters and digits (40-char AWS secrets, hex keys): nothing a reader needs
    (re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9+/]*\d)(?=[A-Za-z0-9+/]*[A-Za-z])[A-Za-z0-9+/]{32,}={0,2}"), MASK),
)

_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]{1,15}://[^\s\"'<>`]+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\d.])")
_IPV6_BRACKETED = re.compile(r"\[[0-9A-Fa-f:.]{2,}\](?::\d{1,5})?")
_HOST_PORT = re.compile(r"(?i)\b(?:localhost|[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9\-]{1,63})+):\d{2,5}\b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _secret_variants(secrets: Iterable[str]) -> list[str]:
    """A channel key and its parts: AWS keys are `AK|SK|region`, some channels list several keys
    one per line. Longest first, so a part never leaves the rest of its whole visible."""
    found: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        for piece in (secret, *re.split(r"[|\n\r]", secret)):
            piece = piece.strip()
            if len(piece) >= MIN_SECRET_LEN:
                found.add(piece)
                if piece.startswith("sk-") and len(piece) - 3 >= MIN_SECRET_LEN:
                    found.add(piece[3:])  # stored keys may lack the prefix the upstream echoes
    return sorted(found, key=len, reverse=True)


def redact_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given secrets (verbatim, always) and without anything shaped like a
    credential. Addresses stay: this is the operator's view."""
    if not text:
        return text
    for secret in _secret_variants(secrets):
        text = text.replace(secret, MASK)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_addresses(text: str) -> str:
    """URLs, IP addresses (with or without a port) and host:port pairs masked."""
    if not text:
        return text
    text = _URL.sub(URL_MASK, text)
    text = _IPV6_BRACKETED.sub(ADDRESS_MASK, text)
    text = _IPV4.sub(ADDRESS_MASK, text)
    return _HOST_PORT.sub(ADDRESS_MASK, text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The caller's view: no secrets, no addresses. Secrets go first, so a key inside a URL
    (`?key=…`) is gone even if the URL pattern were to change."""
    return redact_addresses(redact_secrets(text, secrets))


def clip(value: object, limit: int = ECHO_LIMIT) -> str:
    """A caller-supplied value fit to quote in a message: control characters dropped, at most
    `limit` characters, an ellipsis when cut."""
    text = _CONTROL.sub("", value if isinstance(value, str) else str(value))
    return text if len(text) <= limit else text[:limit] + "…"


def has_control_chars(text: str) -> bool:
    return _CONTROL.search(text) is not None
