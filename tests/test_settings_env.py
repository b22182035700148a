import pytest
from django.core.exceptions import ImproperlyConfigured

from digest.env import env_bool, env_database_url, env_int, env_list


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


def test_env_bool_uses_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True


def test_env_bool_rejects_other_values_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env_bool("DEBUG")


def test_env_int_rejects_non_numbers_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("LIMIT", "ten")
    with pytest.raises(ImproperlyConfigured, match="LIMIT='ten' is not a whole number"):
        env_int("LIMIT", 5)
    monkeypatch.setenv("LIMIT", "3")
    with pytest.raises(ImproperlyConfigured, match="LIMIT=3 must be at least 10"):
        env_int("LIMIT", 50, minimum=10)
    monkeypatch.setenv("LIMIT", "12")
    assert env_int("LIMIT", 50, minimum=10) == 12


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, b.example ,,")
    assert env_list("HOSTS") == ["a.example", "b.example"]


def test_database_url_is_parsed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user:secret@db.internal:6543/digest")
    config = env_database_url("DATABASE_URL")
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        6543,
        "digest",
        "user",
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("sqlite:///db.sqlite3", "must be a PostgreSQL URL"),
        ("mysql://root@localhost/digest", "must be a PostgreSQL URL"),
        ("postgres://postgres@127.0.0.1:5432", "must name a database"),
    ],
)
def test_database_url_rejects_other_databases_and_missing_names(monkeypatch, raw, message):
    monkeypatch.setenv("DATABASE_URL", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_database_url("DATABASE_URL")


def test_database_url_unset_means_embedded(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert env_database_url("DATABASE_URL") is None


def test_settings_refuse_to_start_without_secret_key_in_production(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/unused"
    completed = subprocess.run(
        [sys.executable, "-c", "import digest.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in completed.stderr
