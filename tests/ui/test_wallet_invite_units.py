"""The wallet's invite link: under ServerAddress when set, else the browser's origin, with the code
escaped so a code can never break out of the query string."""

from __future__ import annotations

from newapi_ui.states.wallet_invite import invite_link


def test_the_server_address_wins_over_the_origin() -> None:
    assert invite_link("https://api.example.com/", "http://127.0.0.1:3000", "Ab12") == \
        "https://api.example.com/register?aff=Ab12"


def test_without_a_server_address_the_origin_is_used() -> None:
    assert invite_link("  ", "http://127.0.0.1:3000", "Ab12") == "http://127.0.0.1:3000/register?aff=Ab12"


def test_the_code_is_escaped() -> None:
    assert invite_link("https://x.example", "", "a b&c=d") == "https://x.example/register?aff=a%20b%26c%3Dd"
