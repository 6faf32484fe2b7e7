from fastapi.testclient import TestClient

from backend.main import create_app
from backend.services import options
from tests.relay.relay_seed import make_channel


def test_public_pricing_lists_enabled_models_with_ratios_and_groups(storage):
    make_channel("http://127.0.0.1:9", "gpt-4o-mini,dall-e-3", group="default,vip")
    make_channel("http://127.0.0.1:9", "gpt-4o", group="vip", status=2)  # disabled: not listed
    options.update("GroupRatio", '{"default": 1, "vip": 0.5}')
    body = TestClient(create_app(with_lifespan=False)).get("/api/pricing").json()
    assert body["success"] is True
    by_name = {m["model_name"]: m for m in body["data"]}
    assert set(by_name) == {"gpt-4o-mini", "dall-e-3"}
    mini = by_name["gpt-4o-mini"]
    assert mini["quota_type"] == 0 and mini["model_ratio"] == 0.075 and mini["enable_groups"] == ["default", "vip"]
    assert by_name["dall-e-3"]["quota_type"] == 1 and by_name["dall-e-3"]["model_price"] == 0.04
    assert body["group_ratio"] == {"default": 1, "vip": 0.5}
    assert "default" in body["usable_group"]
