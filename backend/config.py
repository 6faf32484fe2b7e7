"""Settings read from the environment, under new-api's variable names."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    PORT: int = 3000
    DEBUG: bool = False
    NODE_TYPE: str = "master"

    # Storage: SQL_DSN empty or "local" means SQLite at SQLITE_PATH.
    SQL_DSN: str = ""
    LOG_SQL_DSN: str = ""
    SQLITE_PATH: str = "data/one-api.db"
    SQL_MAX_IDLE_CONNS: int = 100
    SQL_MAX_OPEN_CONNS: int = 1000
    SQL_MAX_LIFETIME: int = 60

    # Cache
    REDIS_CONN_STRING: str = ""
    REDIS_POOL_SIZE: int = 10
    SYNC_FREQUENCY: int = 60
    MEMORY_CACHE_ENABLED: bool = True
    BATCH_UPDATE_ENABLED: bool = True
    BATCH_UPDATE_INTERVAL: float = 5.0
    # Settled charges and their log rows are journaled here (fsynced before the response ends) and
    # replayed at start after a crash. Empty: `ledger-journal` next to SQLITE_PATH; "off" disables.
    LEDGER_JOURNAL_DIR: str = ""

    # Secrets: when unset a random one is made per boot (sessions then do not survive restarts).
    SESSION_SECRET: str = ""
    CRYPTO_SECRET: str = ""
    SESSION_COOKIE_SECURE: bool = False
    OPENAPI_ENABLED: bool = False

    # Relay
    STREAMING_TIMEOUT: float = 300.0
    RELAY_TIMEOUT: float = 0.0
    MAX_REQUEST_BODY_MB: int = 32
    # Management API (/api) bodies are small JSON: a much lower limit of their own (newapi-py only).
    MAX_API_BODY_KB: int = 1024
    RELAY_MAX_IDLE_CONNS: int = 500
    RELAY_MAX_IDLE_CONNS_PER_HOST: int = 100
    FORCE_STREAM_OPTION: bool = True
    DIFY_DEBUG: bool = True  # Dify streams: workflow/node progress as reasoning text, as new-api
    COUNT_TOKEN: bool = Field(default=True, alias="CountToken")
    GET_MEDIA_TOKEN: bool = True
    AZURE_DEFAULT_API_VERSION: str = "2025-04-01-preview"
    GEMINI_VISION_MAX_IMAGE_NUM: int = 16

    # Jobs
    CHANNEL_TEST_FREQUENCY: int = 0
    CHANNEL_UPDATE_FREQUENCY: int = 0
    # Poll the upstreams of Midjourney / Suno / video tasks; a task unfinished after
    # TASK_TIMEOUT_MINUTES fails and is refunded (0 = no timeout).
    UPDATE_TASK: bool = True
    TASK_TIMEOUT_MINUTES: int = 1440

    # Rate limits (management API only, like new-api)
    GLOBAL_API_RATE_LIMIT_ENABLE: bool = True
    GLOBAL_API_RATE_LIMIT: int = 180
    GLOBAL_API_RATE_LIMIT_DURATION: int = 180
    CRITICAL_RATE_LIMIT_ENABLE: bool = True
    CRITICAL_RATE_LIMIT: int = 20
    CRITICAL_RATE_LIMIT_DURATION: int = 1200
    # Reverse proxies whose X-Forwarded-For / X-Real-IP are believed (IPs or CIDRs, comma-separated).
    TRUSTED_PROXIES: str = ""

    # Outbound fetches of user-supplied URLs (webhooks, media): largest body read.
    MAX_FILE_DOWNLOAD_MB: int = 64

    # Cloudflare Turnstile's siteverify endpoint (TurnstileCheckEnabled); tests point it at a fake.
    TURNSTILE_VERIFY_URL: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    # new-api's public model metadata catalogue (/api/models/sync_upstream reads
    # <base>/api/newapi/models.json and vendors.json); tests point it at a local fake.
    SYNC_UPSTREAM_BASE: str = "https://basellm.github.io/llm-metadata"
    # Social logins: where the fixed-endpoint providers live (new-api hard-codes them; overridable so
    # a deployment behind a mirror, or the tests' local fakes, can point elsewhere).
    GITHUB_OAUTH_BASE: str = "https://github.com"
    GITHUB_API_BASE: str = "https://api.github.com"
    DISCORD_BASE: str = "https://discord.com"
    LINUX_DO_AUTHORIZATION_ENDPOINT: str = "https://connect.linux.do/oauth2/authorize"
    LINUX_DO_TOKEN_ENDPOINT: str = "https://connect.linux.do/oauth2/token"
    LINUX_DO_USER_ENDPOINT: str = "https://connect.linux.do/api/user"
    OAUTH_HTTP_TIMEOUT: float = 20.0
    # Codex channels (type 57): the OpenAI sign-in that issues their OAuth keys (new-api's fixed
    # endpoints; overridable for a mirror or the tests' local fake).
    CODEX_OAUTH_AUTHORIZE_URL: str = "https://auth.openai.com/oauth/authorize"
    CODEX_OAUTH_TOKEN_URL: str = "https://auth.openai.com/oauth/token"
    # Telegram Bot API root (calls go to <root>/bot<token>/<method>) and bot-login polling mode
    # (getUpdates instead of the webhook, for an instance without a public URL; run it on one node).
    TELEGRAM_API_BASE: str = "https://api.telegram.org"
    TELEGRAM_BOT_POLLING: bool = False
    # Observability. /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` when set.
    METRICS_TOKEN: str = ""
    # Per-worker metric files with several workers; `newapi serve --workers N` and the Makefile set
    # it up themselves (read by prometheus_client, which must see it before the workers start).
    PROMETHEUS_MULTIPROC_DIR: str = ""
    # OpenTelemetry traces of relay calls, exported over OTLP/HTTP; off when the endpoint is empty.
    OTEL_EXPORTER_OTLP_ENDPOINT: str = ""
    OTEL_SERVICE_NAME: str = "newapi"
    # Continuous profiling (new-api's names); off when PYROSCOPE_URL is empty. The two rates are
    # Go runtime profiles new-api has; accepted for compatibility, unused here.
    PYROSCOPE_URL: str = ""
    PYROSCOPE_APP_NAME: str = "new-api"
    PYROSCOPE_BASIC_AUTH_USER: str = ""
    PYROSCOPE_BASIC_AUTH_PASSWORD: str = ""
    PYROSCOPE_MUTEX_RATE: int = 5
    PYROSCOPE_BLOCK_RATE: int = 5
    PYROSCOPE_UPLOAD_INTERVAL: int = 10  # seconds between pushes (ours)

    GENERATE_DEFAULT_TOKEN: bool = False
    NOTIFY_LIMIT_COUNT: int = 2
    NOTIFICATION_LIMIT_DURATION_MINUTE: int = 10

    # Payments: the Stripe API root (calls go to <root>/v1/...); tests point it at a local fake.
    STRIPE_API_BASE: str = "https://api.stripe.com"
    # The Creem API root (checkouts go to <root>/v1/checkouts); CreemTestMode switches the default
    # one to https://test-api.creem.io, as new-api does.
    CREEM_API_BASE: str = "https://api.creem.io"
    # The Waffo API root (orders go to <root>/order/create); empty = Waffo's production or sandbox
    # root, chosen by option WaffoSandbox.
    WAFFO_API_BASE: str = ""

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _proxies(cls, value: str) -> str:
        """Fail at start-up on a typo rather than silently trusting nobody (or everybody)."""
        for entry in value.replace(";", ",").split(","):
            if entry.strip():
                try:
                    ipaddress.ip_network(entry.strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"TRUSTED_PROXIES: {entry.strip()!r} is not an IP address or CIDR range") from exc
        return value

    @property
    def session_secret(self) -> str:
        return self.SESSION_SECRET or _boot_secret()

    @property
    def crypto_secret(self) -> str:
        return self.CRYPTO_SECRET or self.session_secret

    @property
    def max_body_bytes(self) -> int:
        return self.MAX_REQUEST_BODY_MB * 1024 * 1024

    @property
    def max_api_body_bytes(self) -> int:
        return self.MAX_API_BODY_KB * 1024

    @property
    def sqlite_file(self) -> Path:
        return Path(self.SQLITE_PATH.split("?", 1)[0])

    @property
    def ledger_journal_dir(self) -> Path | None:
        """Where the ledger journal lives; None when LEDGER_JOURNAL_DIR is "off"."""
        raw = self.LEDGER_JOURNAL_DIR.strip()
        if raw.lower() == "off":
            return None
        return Path(raw) if raw else self.sqlite_file.parent / "ledger-journal"


@lru_cache
def _boot_secret() -> str:
    return secrets.token_urlsafe(32)


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    if settings.SESSION_SECRET == "random_string":
        raise SystemExit("SESSION_SECRET must not be the literal 'random_string': set a real secret")
    return settings


def reset_settings() -> None:
    """Tests change the environment and need the next read to see it."""
    get_settings.cache_clear()
