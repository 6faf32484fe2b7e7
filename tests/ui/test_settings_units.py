"""The settings pages' own helpers: the price table's rows (unpriced models first and flagged) and
the option JSON it writes back, the custom OAuth form's rows, and the users page's security dialog
(linked accounts, unbinding) under the role rule."""

from __future__ import annotations

import orjson
import pytest

from backend.db import session_scope
from backend.models import CustomOAuthProvider, User, UserOAuthBinding
from backend.models.enums import Role
from backend.services import subscriptions
from backend.services.errors import ServiceError
from newapi_ui.states.custom_oauth_admin import row_of
from newapi_ui.states.plans import body_of, form_of
from newapi_ui.states.ratio_table import build_rows, groups_json, is_unpriced, to_json
from newapi_ui.states.user_security import security_of, unbind
from tests.api.mgmt_helpers import make_user


def test_rows_flag_served_models_without_any_price_and_list_them_first() -> None:
    overlays = {"ModelRatio": {"mine": 2}, "CompletionRatio": {"mine": 4, "other": 1.5}, "ModelPrice": {"img": 0.04}}
    used = {"mine", "gpt-4o", "nobody-knows", "img", "half"}
    builtin = {"gpt-4o": "×1.25", "nobody-knows": "", "img": "", "half": ""}
    rows = build_rows(overlays, used, builtin)
    assert [r["model"] for r in rows] == ["half", "nobody-knows", "gpt-4o", "img", "mine", "other"]
    by_name = {r["model"]: r for r in rows}
    assert by_name["half"]["unpriced"] == "1" and by_name["nobody-knows"]["unpriced"] == "1"
    assert by_name["gpt-4o"]["unpriced"] == "" and by_name["img"]["unpriced"] == ""
    assert by_name["other"]["used"] == "" and by_name["other"]["unpriced"] == ""  # priced or not, no channel
    assert by_name["mine"] | {} == {"model": "mine", "ratio": "2", "completion": "4", "price": "", "used": "1",
                                    "builtin": "", "unpriced": "", "flagged": ""}
    assert by_name["img"]["price"] == "0.04"


def test_a_completion_ratio_alone_does_not_price_a_model() -> None:
    row = {"model": "m", "ratio": "", "completion": "2", "price": "", "used": "1", "builtin": ""}
    assert is_unpriced(row)
    assert not is_unpriced(row | {"price": "0.5"})
    assert not is_unpriced(row | {"used": ""})


def test_the_saved_json_holds_the_filled_cells_as_numbers() -> None:
    rows = [{"model": "a", "ratio": "1.25"}, {"model": "b", "ratio": " "}, {"model": "c", "ratio": "3"}]
    assert orjson.loads(to_json(rows, "ratio")) == {"a": 1.25, "c": 3}
    assert to_json(rows, "ratio") == '{"a":1.25,"c":3}'


@pytest.mark.parametrize("bad", ["x", "-1", "nan", "inf"])
def test_a_bad_cell_names_its_model(bad: str) -> None:
    with pytest.raises(ValueError, match="b"):
        to_json([{"model": "a", "ratio": "1"}, {"model": "b", "ratio": bad}], "ratio")
    with pytest.raises(ValueError, match="vip"):
        groups_json([{"group": "vip", "ratio": bad}])


def test_group_ratios_round_trip() -> None:
    assert orjson.loads(groups_json([{"group": "default", "ratio": "1"}, {"group": "vip", "ratio": "0.8"}])) == {
        "default": 1, "vip": 0.8}


def test_custom_provider_rows_never_carry_the_secret() -> None:
    row = row_of({"id": 3, "name": "Corp", "slug": "corp", "kind": "oauth_code", "enabled": True,
                  "client_id": "cid", "client_secret": "never"})
    assert row == {"id": "3", "name": "Corp", "slug": "corp", "kind": "oauth_code", "enabled": "1", "client_id": "cid"}


def test_the_security_dialog_reads_and_unbinds_under_the_role_rule(sqlite_storage: object) -> None:
    root, admin = make_user("root", Role.ROOT), make_user("boss", Role.ADMIN)
    ann = make_user("ann")
    with session_scope() as s:
        row = s.get(User, ann.id)
        row.github_id, row.oidc_id = "gh-1", "sub-1"
        s.add(row)
        provider = CustomOAuthProvider(name="Corp", slug="corp", client_id="c")
        s.add(provider)
        s.flush()
        s.add(UserOAuthBinding(user_id=ann.id, provider_id=provider.id, provider_user_id="corp-9"))
        pid = provider.id
    found = security_of(admin, ann.id)
    assert found["bindings"] == [
        {"kind": "github", "id": "", "name": "GitHub", "bound": "gh-1"},
        {"kind": "oidc", "id": "", "name": "OIDC", "bound": "sub-1"},
        {"kind": "custom", "id": str(pid), "name": "Corp", "bound": "corp-9"}]
    assert found["twofa"] is False and found["passkeys"] == 0
    unbind(admin, ann.id, "github", "")
    unbind(admin, ann.id, "custom", str(pid))
    assert [b["kind"] for b in security_of(admin, ann.id)["bindings"]] == ["oidc"]
    with pytest.raises(ServiceError, match="same or a higher role"):
        security_of(admin, root.id)
    with pytest.raises(ServiceError, match="same or a higher role"):
        unbind(admin, root.id, "oidc", "")
    with pytest.raises(ServiceError, match="invalid binding type"):
        unbind(root, ann.id, "myspace", "")


def test_a_plan_form_round_trips_through_the_service(sqlite_storage: object) -> None:
    form = form_of({}) | {"title": " Pro ", "price_amount": "9.9", "total_amount": "5000000", "sort_order": "x"}
    with pytest.raises(ServiceError, match="whole number"):
        subscriptions.create_plan(body_of(form, "month", "never", True))
    created = subscriptions.create_plan(body_of(form | {"sort_order": "2"}, "day", "weekly", False))
    assert {k: created[k] for k in ("title", "price_amount", "total_amount", "sort_order", "duration_unit",
                                    "quota_reset_period", "enabled")} == {
        "title": "Pro", "price_amount": 9.9, "total_amount": 5_000_000, "sort_order": 2, "duration_unit": "day",
        "quota_reset_period": "weekly", "enabled": False}
    assert form_of(created)["total_amount"] == "5000000" and form_of(created)["title"] == "Pro"
