"""Public site texts and the shared ratio table (`/api/user-agreement`, `/api/privacy-policy`,
`/api/ratio_config`), read from options under new-api's keys (`legal.*`, `ExposeRatioEnabled`)."""

from __future__ import annotations

from typing import Any

from backend.services import options, ratios
from backend.services.errors import ServiceError, msg

RATIO_CONFIG_DISABLED = msg("倍率配置接口未启用")  # new-api's message, which its ratio sync looks for

# what another new-api's ratio sync reads from `/api/ratio_config` (new-api's GetExposedData)
EXPOSED_RATIOS = {
    "model_ratio": "ModelRatio",
    "completion_ratio": "CompletionRatio",
    "cache_ratio": "CacheRatio",
    "create_cache_ratio": "CreateCacheRatio",
    "model_price": "ModelPrice",
}


def user_agreement() -> str:
    return options.get("legal.user_agreement")


def privacy_policy() -> str:
    return options.get("legal.privacy_policy")


def ratio_config() -> dict[str, Any]:
    """The effective ratio tables (the defaults merged with the operator's), only when the root has
    chosen to share them: they are the site's prices, which some operators keep to themselves."""
    if not options.get_bool("ExposeRatioEnabled"):
        raise ServiceError(RATIO_CONFIG_DISABLED, 403)
    return ratio_tables()


def ratio_tables() -> dict[str, Any]:
    """Our effective ratio tables under new-api's field names (what ratio sync compares against)."""
    return {name: ratios.effective_map(key) for name, key in EXPOSED_RATIOS.items()}
