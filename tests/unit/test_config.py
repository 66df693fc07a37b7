"""The TOML configuration: per-source settings and the errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_settings
from hub.errors import ConfigError

ENV = {"HUB_SECRET_KEY": "k", "SAMR_SECRET": "s"}


def _load(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "hub.toml"
    path.write_text(
        '[sources.samr]\nkind = "samr-rest"\nurl = "http://127.0.0.1:1"\napp_secret_env = "SAMR_SECRET"\n' + body,
        encoding="utf-8",
    )
    return load_settings(path, environ={**ENV, "HUB_DATA_DIR": str(tmp_path)})


def test_commit_every_defaults_to_100000_and_is_not_passed_to_the_connector(tmp_path: Path) -> None:
    samr = _load(tmp_path, "page_size = 500\n").sources["samr"]
    assert samr.commit_every == 100_000
    assert dict(samr.options) == {"page_size": 500}


def test_commit_every_is_read_per_source(tmp_path: Path) -> None:
    samr = _load(tmp_path, "commit_every = 2500\n").sources["samr"]
    assert samr.commit_every == 2500
    assert "commit_every" not in samr.options


@pytest.mark.parametrize("value", ["0", "-5", "1.5", '"many"', "true"])
def test_a_bad_commit_every_names_the_source_and_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"commit_every = {value}\n")
    assert str(err.value).startswith("[sources.samr]: commit_every = ")
    assert "whole number of records" in str(err.value)


def test_a_secret_written_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[sources.samr\]: app_secret must not be written in the file"):
        _load(tmp_path, 'app_secret = "plain"\n')


def test_commit_every_on_a_sink_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[sinks.provincial]\nkind = "provincial-rest"\nurl = "http://127.0.0.1:1"\ncommit_every = 10\n')
    with pytest.raises(ConfigError, match=r"\[sinks.provincial\]: commit_every applies to sources only"):
        load_settings(path, environ={**ENV, "HUB_DATA_DIR": str(tmp_path)})


def _load_top(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "top.toml"
    path.write_text(body, encoding="utf-8")
    return load_settings(path, environ={**ENV, "HUB_DATA_DIR": str(tmp_path)})


def test_public_url_is_where_documents_and_feeds_point(tmp_path: Path) -> None:
    settings = _load_top(tmp_path, 'public_url = "https://sjgs.example.gov.cn/hub/"\n')
    assert settings.public_base("http://10.0.0.5:5000/") == "https://sjgs.example.gov.cn/hub"
    env = {"HUB_DATA_DIR": str(tmp_path), "HUB_SECRET_KEY": "k", "HUB_PUBLIC_URL": "http://hub.local"}
    assert load_settings(environ=env).public_base() == "http://hub.local"


def test_without_public_url_the_request_address_then_host_and_port_are_used(tmp_path: Path) -> None:
    settings = _load_top(tmp_path, "")
    assert settings.public_base("http://10.0.0.5:5000/") == "http://10.0.0.5:5000"
    assert settings.public_base() == "http://127.0.0.1:5000"


@pytest.mark.parametrize("value", ["ftp://x", "sjgs.example.gov.cn", "https://x/?a=1", "https://x y"])
def test_a_bad_public_url_is_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"public_url: .* must be an http:// or https:// address"):
        _load_top(tmp_path, f'public_url = "{value}"\n')


def test_the_portal_micro_cache_is_on_by_default_and_its_bad_values_are_named(tmp_path: Path) -> None:
    portal = _load(tmp_path, "").portal
    assert (portal.response_cache_seconds, portal.response_cache_mb) == (3600, 32)
    assert _load(tmp_path, "[portal]\nresponse_cache_seconds = 86400\n").portal.response_cache_seconds == 86400
    assert _load(tmp_path, "[portal]\nresponse_cache_seconds = 0\n").portal.response_cache_seconds == 0
    for body, key in (
        ("[portal]\nresponse_cache_seconds = -1\n", "[portal] response_cache_seconds"),
        ("[portal]\nresponse_cache_seconds = true\n", "[portal] response_cache_seconds"),
        ("[portal]\nresponse_cache_seconds = 86401\n", "[portal] response_cache_seconds"),
        ("[portal]\nresponse_cache_mb = 5000\n", "[portal] response_cache_mb"),
    ):
        with pytest.raises(ConfigError) as err:
            _load(tmp_path, body)
        assert key in str(err.value), body
