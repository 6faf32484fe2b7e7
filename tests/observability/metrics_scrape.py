"""Reading `/metrics` in tests: one sample's value from the Prometheus text format."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    out: dict[tuple[str, frozenset], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def scrape(url: str, token: str | None = None) -> dict[tuple[str, frozenset], float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = httpx.get(url + "/metrics", headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return samples(resp.text)


def value(found: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)
