from pathlib import Path

import pytest

from backend.config import Settings, get_settings, reset_settings
from backend.db import database_url

ROOT = Path(__file__).resolve().parent.parent


def _example_keys() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            pairs[k] = v
    return pairs


def test_env_example_lists_every_setting_with_its_default():
    example = _example_keys()
    names = {(f.alias or name): f for name, f in Settings.model_fields.items()}
    assert set(example) == set(names)
    for key, field in names.items():
        default = field.default
        shown = example[key]
        if isinstance(default, bool):
            assert shown == str(default).lower(), key
        elif isinstance(default, float):
            assert float(shown) == default, key
        else:
            assert shown == str(default), key


@pytest.mark.parametrize(
    ("dsn", "url"),
    [
        ("", "sqlite:///data/x.db"),
        ("local", "sqlite:///data/x.db"),
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql://u@h/db?sslmode=disable", "postgresql+psycopg://u@h/db?sslmode=disable"),
        ("root:@tcp(127.0.0.1:3306)/test", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"),
        ("u:p@ss@tcp(db:3306)/oneapi?parseTime=true", "mysql+pymysql://u:p%40ss@db:3306/oneapi?charset=utf8mb4"),
        ("u:pw@unix(/run/mysqld.sock)/db", "mysql+pymysql://u:pw@localhost/db?unix_socket=/run/mysqld.sock&charset=utf8mb4"),
        ("mysql://u:p@h/db", "mysql+pymysql://u:p@h/db"),
        ("mysql+pymysql://u:p@h/db", "mysql+pymysql://u:p@h/db"),
    ],
)
def test_sql_dsn_forms(dsn, url):
    assert database_url(dsn, "data/x.db?_busy_timeout=5000") == url


def test_bad_dsn_is_a_clear_error():
    with pytest.raises(ValueError, match="SQL_DSN"):
        database_url("not a dsn", "x.db")


def test_literal_random_string_secret_is_refused(monkeypatch):
    monkeypatch.setenv("SESSION_SECRET", "random_string")
    reset_settings()
    with pytest.raises(SystemExit):
        get_settings()
    monkeypatch.setenv("SESSION_SECRET", "fine")
    reset_settings()
    assert get_settings().crypto_secret == "fine"
