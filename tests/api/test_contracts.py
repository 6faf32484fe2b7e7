"""The typed contracts (`backend/models/schemas/`): the OpenAPI description names what the
management routes answer, and no public model carries a secret."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

import backend.models.schemas as schemas_pkg
from backend.config import reset_settings
from backend.main import create_app
from backend.models import Channel, Token, User
from backend.services import channels, tokens, users

# (method, path) -> the model its `data` must name (directly or inside a page or a list).
ANSWERS = {
    ("get", "/api/token/"): "TokenPublic",
    ("get", "/api/token/search"): "TokenPublic",
    ("get", "/api/token/{token_id}"): "TokenPublic",
    ("post", "/api/token/"): "TokenPublic",
    ("put", "/api/token/"): "TokenPublic",
    ("post", "/api/token/{token_id}/key"): "TokenKey",
    ("post", "/api/token/batch/keys"): "TokenKeys",
    ("get", "/api/user/"): "UserAdminPublic",
    ("get", "/api/user/search"): "UserAdminPublic",
    ("get", "/api/user/{user_id}"): "UserAdminPublic",
    ("post", "/api/user/"): "UserAdminPublic",
    ("put", "/api/user/"): "UserAdminPublic",
    ("post", "/api/user/manage"): "UserRoleStatus",
    ("get", "/api/user/self"): "UserPublic",
    ("put", "/api/user/self"): "UserPublic",
    ("post", "/api/user/register"): "UserPublic",
    ("get", "/api/redemption/"): "RedemptionPublic",
    ("get", "/api/redemption/search"): "RedemptionPublic",
    ("get", "/api/redemption/{code_id}"): "RedemptionPublic",
    ("put", "/api/redemption/"): "RedemptionPublic",
    ("get", "/api/channel/"): "ChannelListPage",
    ("get", "/api/channel/search"): "ChannelSearchPage",
    ("get", "/api/channel/{channel_id}"): "ChannelPublic",
    ("put", "/api/channel/"): "ChannelPublic",
    ("post", "/api/channel/"): "ChannelIds",
    ("post", "/api/channel/{channel_id}/key"): "ChannelKey",
    ("get", "/api/log/"): "AdminLogRow",
    ("get", "/api/log/self"): "LogRow",
    ("get", "/api/log/search"): "LogRow",
    ("get", "/api/log/self/search"): "LogRow",
    ("get", "/api/log/token"): "LogRow",
    ("get", "/api/log/stat"): "LogStat",
}
SECRET_FIELDS = {"password", "access_token", "webhook_secret", "gotify_token", "original_password"}
# Public models allowed a field named `key`: a token's is masked, a redemption code is what an admin
# hands out (new-api lists them too). The reveal answers (TokenKey, ChannelKey) are not `*Public`.
KEY_ALLOWED = {"TokenPublic", "RedemptionPublic"}


@pytest.fixture(scope="module")
def spec() -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAPI_ENABLED", "true")
        reset_settings()
        try:
            yield TestClient(create_app(with_lifespan=False)).get("/api/openapi.json").json()
        finally:
            patch.delenv("OPENAPI_ENABLED")
            reset_settings()


def _named(spec: dict[str, Any], schema: Any, seen: set[str]) -> set[str]:
    """Every component schema reachable from `schema` through $ref."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _named(spec, spec["components"]["schemas"][name], seen)
        for value in schema.values():
            _named(spec, value, seen)
    elif isinstance(schema, list):
        for value in schema:
            _named(spec, value, seen)
    return seen


@pytest.mark.parametrize(("method", "path"), list(ANSWERS))
def test_openapi_names_the_answer_of_each_management_route(spec: dict[str, Any], method: str, path: str) -> None:
    ok = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    reachable = _named(spec, ok, set())
    envelope = ok["$ref"].rsplit("/", 1)[-1]
    assert envelope.startswith("ApiResponse"), envelope
    assert set(spec["components"]["schemas"][envelope]["properties"]) == {"success", "message", "data"}
    assert ANSWERS[method, path] in reachable, (path, sorted(reachable))


def _contract_models() -> list[type[BaseModel]]:
    found = []
    for info in pkgutil.iter_modules(schemas_pkg.__path__):
        module = importlib.import_module(f"{schemas_pkg.__name__}.{info.name}")
        found += [v for v in vars(module).values()
                  if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == module.__name__]
    return found


def test_no_public_model_has_a_secret_field() -> None:
    public = [m for m in _contract_models() if m.__name__.endswith(("Public", "Row"))]
    assert {m.__name__ for m in public} >= {"TokenPublic", "UserPublic", "UserAdminPublic", "ChannelPublic",
                                           "RedemptionPublic", "LogRow", "AdminLogRow"}
    for model in public:
        assert not SECRET_FIELDS & set(model.model_fields), model.__name__
        if model.__name__ not in KEY_ALLOWED:
            assert "key" not in model.model_fields, model.__name__


def test_public_views_of_rows_leave_the_secrets_out() -> None:
    """Built from rows holding known secrets, the public views carry none of them."""
    token_key = "T0kenSecretValue" * 3
    token = Token(id=1, user_id=1, key=token_key, name="t")
    channel = Channel(id=1, name="c", key="sk-channel-secret\nsk-second-secret", models="m")
    setting = json.dumps({"notify_type": "webhook", "webhook_secret": "hook-secret", "gotify_token": "gotify-secret"})
    user = User(id=1, username="u", password="$2b$hash-secret", access_token="pat-secret", setting=setting)
    shown = " ".join([
        tokens.view(token).model_dump_json(), channels.view(channel).model_dump_json(),
        users.public_user(user).model_dump_json(), users.admin_user(user).model_dump_json(),
    ])
    for secret in (token_key, token_key[4:-4], "sk-channel-secret", "sk-second-secret", "hook-secret",
                   "gotify-secret", "$2b$hash-secret", "pat-secret"):
        assert secret not in shown, secret
    assert tokens.view(token).key == tokens.mask_key(token_key)
    assert channels.view(channel).key_count == 2
